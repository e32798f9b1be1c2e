"""Steady noise lowered by the reduction asked, learnt from a span of noise or from the quietest
frames, with the speech kept; block by block as the whole; bad spans and settings named."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from app.engine import noise_reduction as nr
from app.engine.demo import DEMO_DIR
from app.engine.documents import Version, VersionKind
from app.engine.errors import ConfigError
from app.engine.jobs import drive
from app.engine.preview import PREVIEW_SECONDS, preview_span
from models.metrics.speech import si_sdr

RATE = 16_000
NOISE = (0.0, 1.0)                # the seconds of noise alone before the speech


@pytest.fixture(scope="module")
def speech() -> np.ndarray:
    """One second of silence, then twelve seconds of a demo talker."""
    talker = sf.read(DEMO_DIR / "meeting-respeaker4" / "talker1.flac", dtype="float32")[0][:12 * RATE]
    return np.concatenate([np.zeros(RATE, np.float32), talker])


@pytest.fixture(scope="module")
def noise(speech) -> np.ndarray:
    return (0.003 * np.random.default_rng(7).standard_normal(speech.size)).astype(np.float32)


def version(audio: np.ndarray, settings: dict | None = None) -> Version:
    return Version("Separated · talker 1", 0, VersionKind.SEPARATED, audio.astype(np.float32), RATE, "tiny",
                   settings or {})


def level_db(audio: np.ndarray) -> float:
    return float(10 * np.log10(np.mean(np.asarray(audio, np.float64) ** 2)))


def reduced(audio: np.ndarray, settings: nr.NoiseSettings = nr.NoiseSettings(), **kwargs) -> np.ndarray:
    noisy = version(audio)
    return drive(nr.reduce_blocks(noisy, nr.learn_profile(noisy, NOISE), settings, **kwargs))


def test_noise_alone_is_lowered_by_the_reduction_asked(speech, noise):
    for reduction in (6.0, 12.0, 24.0):
        out = reduced(speech + noise, nr.NoiseSettings(reduction_db=reduction))
        drop = level_db(noise[RATE // 4:3 * RATE // 4]) - level_db(out[RATE // 4:3 * RATE // 4])
        assert drop == pytest.approx(reduction, abs=1.0)


def test_the_speech_comes_closer_to_clean(speech, noise):
    out = reduced(speech + noise)
    assert si_sdr(out, speech) > si_sdr(speech + noise, speech) + 3


def test_a_tone_above_the_noise_keeps_its_level(noise):
    t = np.arange(noise.size) / RATE
    tone = np.where(t > 2, 0.2 * np.sin(2 * np.pi * 440 * t), 0).astype(np.float32)
    out = reduced(tone + noise, nr.NoiseSettings(smoothing_bins=0))
    held = slice(3 * RATE, 5 * RATE)
    gain = np.dot(out[held], tone[held]) / np.dot(tone[held], tone[held])
    assert 20 * np.log10(gain) == pytest.approx(0.0, abs=0.1)


def test_reducing_in_blocks_is_reducing_the_whole(speech, noise):
    np.testing.assert_allclose(reduced(speech + noise, block=12_345), reduced(speech + noise), atol=1e-6)


def test_a_recording_is_reduced_a_block_at_a_time_as_the_whole(speech, noise):
    from app.engine.files import ArraySource

    recording = ArraySource(np.stack([speech + noise, speech + noise / 2]), RATE, "room.wav")
    found = nr.channel_profiles(recording, NOISE)
    blocks: list[np.ndarray] = []
    drive(nr.reduce_recording_blocks(recording, found, nr.NoiseSettings(), blocks.append, block=12_345))
    assert len(blocks) > 10 and max(b.shape[1] for b in blocks) <= 12_345
    for channel, audio in enumerate(recording.audio):
        whole = drive(nr.reduce_blocks(version(audio), found[channel], nr.NoiseSettings()))
        np.testing.assert_allclose(np.concatenate(blocks, axis=1)[channel], whole, atol=1e-6)


def test_a_recording_s_profiles_are_its_channels_profiles(speech, noise):
    from app.engine.files import ArraySource

    recording = ArraySource(np.stack([speech + noise, speech + noise / 2]), RATE, "room.wav")
    for span in (NOISE, None):
        found = nr.channel_profiles(recording, span)
        for channel, audio in enumerate(recording.audio):
            own = nr.learn_profile(version(audio), span) if span else nr.quietest_profile(version(audio))
            np.testing.assert_allclose(found[channel], own)


def test_only_the_span_and_a_window_either_side_change(speech, noise):
    noisy = speech + noise
    out = reduced(noisy, span=(4.0, 6.0))
    window = nr.spectral_gate.window_frames(RATE)
    np.testing.assert_array_equal(out[:4 * RATE - window], noisy[:4 * RATE - window])
    np.testing.assert_array_equal(out[6 * RATE + window:], noisy[6 * RATE + window:])
    assert level_db(out[5 * RATE:5 * RATE + 400] - noisy[5 * RATE:5 * RATE + 400]) > -60


def test_the_quietest_frames_give_the_noise_profile(speech, noise):
    noisy = version(speech + noise)
    learnt, found = nr.learn_profile(noisy, NOISE), nr.quietest_profile(noisy)
    assert 10 * np.log10(found.mean() / learnt.mean()) == pytest.approx(0.0, abs=1.5)


def test_the_quietest_frames_leave_out_digital_silence(speech, noise):
    """A version made over a selection is silent outside it: its noise is found inside."""
    audio = speech + noise
    audio[:3 * RATE] = 0
    audio[9 * RATE:] = 0
    made_over = version(audio, {"span_seconds": [3.0, 9.0]})
    found, learnt = nr.quietest_profile(made_over), nr.learn_profile(version(speech + noise), NOISE)
    assert 10 * np.log10(found.mean() / learnt.mean()) == pytest.approx(0.0, abs=3.0)


def test_the_job_names_and_records_its_versions(speech, noise):
    noisy = version(speech + noise)
    (out,) = drive(nr.reduce_noise_job([noisy], nr.NoiseSettings(reduction_db=18), noise_from=NOISE))
    assert out.name == noisy.name + nr.REDUCED_SUFFIX and out.settings["mended_from"] == noisy.id
    (record,) = out.settings["noise_reduced"]
    assert record["reduction_db"] == 18 and record["profile"] == list(NOISE) and record["seconds"] == "whole"
    (again,) = drive(nr.reduce_noise_job([out], nr.NoiseSettings()))
    assert again.name == out.name and len(again.settings["noise_reduced"]) == 2


@pytest.mark.parametrize("span, noise_from", [(None, NOISE), ((4.3, 11.0), NOISE), (None, nr.TRACKED)])
def test_a_preview_sounds_as_the_reduction_will(speech, noise, span, noise_from):
    noisy = version(speech + noise)
    settings = nr.NoiseSettings(reduction_db=18)
    heard = preview_span(noisy.seconds, span, playhead=2.71)
    (whole,) = drive(nr.reduce_noise_job([noisy], settings, noise_from=noise_from, span=span))
    preview = drive(nr.preview_job(noisy, settings, noise_from, span, heard))
    lo, hi = (round(t * RATE) for t in heard)
    assert hi - lo == PREVIEW_SECONDS * RATE
    np.testing.assert_allclose(preview, whole.audio[lo:hi], atol=1e-6)


def test_a_preview_of_what_is_taken_away_and_of_what_is_left_add_up_to_the_version(speech, noise):
    noisy = version(speech + noise)
    heard = preview_span(noisy.seconds, None, playhead=3.0)
    left, taken = (drive(nr.preview_job(noisy, nr.NoiseSettings(), NOISE, None, heard, removed))
                   for removed in (False, True))
    lo, hi = (round(t * RATE) for t in heard)
    np.testing.assert_allclose(left + taken, noisy.audio[lo:hi], atol=1e-6)
    assert level_db(taken) == pytest.approx(level_db(noise[lo:hi]), abs=1.5)      # mostly the noise


def test_tracked_noise_needs_no_profile_and_is_recorded_as_tracked(speech, noise):
    noisy = version(speech + noise * np.repeat([1.0, 8.0], speech.size // 2 + 1)[:speech.size])
    (out,) = drive(nr.reduce_noise_job([noisy], nr.NoiseSettings(reduction_db=18), noise_from=nr.TRACKED))
    assert out.settings["noise_reduced"][0]["profile"] == "tracked over time"
    late = slice(-3 * RATE, None)
    assert level_db(out.audio[late] - speech[late]) < level_db(noisy.audio[late] - speech[late]) - 10


def test_a_span_too_short_to_learn_from_is_named(speech):
    with pytest.raises(ConfigError, match="too short to learn"):
        nr.learn_profile(version(speech), (0.0, 0.1))


def test_a_silent_span_has_no_noise_to_learn(speech):
    with pytest.raises(ConfigError, match="silent over"):
        nr.learn_profile(version(speech), NOISE)


def test_a_silent_version_has_no_quietest_frames():
    with pytest.raises(ConfigError, match="too little sound"):
        nr.quietest_profile(version(np.zeros(5 * RATE, np.float32)))


def test_every_version_is_checked_before_any_is_changed(speech, noise):
    job = nr.reduce_noise_job([version(speech + noise), version(speech)], nr.NoiseSettings(), noise_from=NOISE)
    with pytest.raises(ConfigError, match="silent over"):
        next(job)


@pytest.mark.parametrize("settings, words", [(nr.NoiseSettings(reduction_db=0), "reduction"),
                                             (nr.NoiseSettings(sensitivity_db=30), "sensitivity"),
                                             (nr.NoiseSettings(smoothing_bins=20), "smoothing")])
def test_settings_out_of_range_are_named(settings, words):
    with pytest.raises(ConfigError, match=words):
        settings.check()


def write_noisy(path, speech, noise, channels: int = 2, rate: int = RATE):
    """`channels` channels: the speech plus the noise, each channel's noise half the last's."""
    sf.write(path, np.stack([speech + noise / 2 ** c for c in range(channels)], axis=1), rate, subtype="FLOAT")
    return path


def test_denoise_lowers_every_channel_s_noise_as_the_gate_does(tmp_path, speech, noise):
    from app.cli import EXIT_OK, main

    src = write_noisy(tmp_path / "room.wav", speech, noise)
    assert main(["denoise", str(src), "--out", str(tmp_path / "o"), "--noise", "0", "1", "--reduction", "18"]) \
        == EXIT_OK
    out, rate = sf.read(tmp_path / "o" / "room.wav", dtype="float32", always_2d=True)
    assert rate == RATE and out.shape == (speech.size, 2)
    for channel in range(2):
        noisy = version(speech + noise / 2 ** channel)
        expected = drive(nr.reduce_blocks(noisy, nr.learn_profile(noisy, NOISE), nr.NoiseSettings(18.0)))
        np.testing.assert_allclose(out[:, channel], expected, atol=1e-4)              # written as 16-bit


def test_denoise_can_track_each_channel_s_noise(tmp_path, speech, noise):
    from app.cli import EXIT_OK, main

    src = write_noisy(tmp_path / "room.wav", speech, noise)
    assert main(["denoise", str(src), "--out", str(tmp_path / "o"), "--tracked", "--json"]) == EXIT_OK
    out = sf.read(tmp_path / "o" / "room.wav", dtype="float32", always_2d=True)[0]
    for channel in range(2):
        expected = drive(nr.reduce_blocks(version(speech + noise / 2 ** channel), None, nr.NoiseSettings()))
        np.testing.assert_allclose(out[:, channel], expected, atol=1e-4)


def test_denoise_names_a_channel_with_no_noise_to_learn_and_writes_nothing(tmp_path, speech, noise, capsys):
    from app.cli import EXIT_FAILED, main

    src = tmp_path / "gated.wav"
    sf.write(src, np.stack([speech + noise, speech], axis=1), RATE, subtype="FLOAT")
    assert main(["denoise", str(src), "--out", str(tmp_path / "o"), "--noise", "0", "1"]) == EXIT_FAILED
    assert "“gated.wav channel 2” is silent over 0.00–1.00 s" in capsys.readouterr().err
    assert not (tmp_path / "o").exists() or not any((tmp_path / "o").iterdir())


def test_denoise_refuses_settings_out_of_range_before_reading(tmp_path, capsys):
    from app.cli import main

    assert main(["denoise", str(tmp_path / "none.wav"), "--out", str(tmp_path / "o"), "--reduction", "0"]) != 0
    assert "A noise reduction of 0 dB is out of range" in capsys.readouterr().err


def test_a_long_profile_span_is_learnt_from_its_first_minute():
    noise = 0.003 * np.random.default_rng(1).standard_normal(70 * RATE)
    noise[60 * RATE:] *= 10
    long = version(noise)
    np.testing.assert_allclose(nr.learn_profile(long, (0.0, 70.0)), nr.learn_profile(long, (0.0, 60.0)))
