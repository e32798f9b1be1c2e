"""Separation in the engine: channel rules, rates, chunking, cancellation, and the CLI."""

from __future__ import annotations

import json

import numpy as np
import pyloudnorm
import pytest
import soundfile as sf

from app.cli import EXIT_FAILED, EXIT_OK, main
from app.engine.errors import ChannelLayoutError, ConfigError, JobCancelled
from app.engine.files import open_recording
from app.engine.jobs import drive
from app.engine.separation import Method, OutputRate, SeparateSettings, choose_channels, separate_job
from models.inference.chunked import ChunkConfig
from models.metrics.speech import si_sdr
from tests.engine.bad_files import not_audio

MODEL = "tiny-separator"


def _two_tone_recording(path, channels=4, seconds=3.0, rate=16_000):
    t = np.arange(int(seconds * rate)) / rate
    a, b = np.sin(2 * np.pi * 300 * t), np.sign(np.sin(2 * np.pi * 1100 * t))
    delays = np.arange(channels)
    mix = np.stack([0.3 * np.roll(a, d) + 0.2 * np.roll(b, -d) for d in delays], axis=1)
    sf.write(path, mix.astype(np.float32), rate)
    return path


def _settings(**kw):
    return SeparateSettings(model=MODEL, **{"chunk": ChunkConfig(seconds=1.0), **kw})


def test_more_than_eight_channels_need_an_explicit_choice(tmp_path):
    path = tmp_path / "twelve.wav"
    sf.write(path, np.zeros((1600, 12), np.float32), 16_000)
    with open_recording(path) as rec:
        with pytest.raises(ChannelLayoutError, match="twelve.wav has 12 channels.*at most 8"):
            choose_channels(rec, SeparateSettings())
        chosen, _ = choose_channels(rec, SeparateSettings(channels=tuple(range(4, 12)), reference_channel=5))
    assert chosen[0] == 5 and sorted(chosen) == list(range(4, 12))


def test_one_channel_is_separated_with_a_notice_but_refused_by_bss(tmp_path, tiny_separator_card):
    path = _two_tone_recording(tmp_path / "mono.wav", channels=1)
    with open_recording(path) as rec:
        result = drive(separate_job(rec, _settings()))
        assert result.estimates.shape == (2, rec.frames)
        assert any("one channel" in n for n in result.notices)
        with pytest.raises(ChannelLayoutError, match="needs at least 2"):
            drive(separate_job(rec, _settings(method=Method.AUXIVA)))


@pytest.mark.parametrize("method", [Method.MODEL, Method.AUXIVA])
def test_a_recording_shorter_than_half_a_second_is_refused_by_name(tmp_path, tiny_separator_card, method):
    path = _two_tone_recording(tmp_path / "click.wav", seconds=0.01)
    with open_recording(path) as rec, pytest.raises(ConfigError, match="click.wav is 0.010 s long; processing needs"):
        drive(separate_job(rec, _settings(method=method)))


@pytest.mark.parametrize("rate", [16_000, 44_100])
def test_a_silent_recording_gives_silent_tracks_and_says_why(tmp_path, tiny_separator_card, rate):
    path = tmp_path / "quiet.wav"
    sf.write(path, np.zeros((rate * 2, 2), np.float32), rate)
    with open_recording(path) as rec:
        result = drive(separate_job(rec, _settings()))
    assert not result.estimates.any()
    assert "quiet.wav is digital silence on the channels used, so its tracks are silent too." in result.notices


def test_a_recording_with_sound_gets_no_silence_notice(tmp_path, tiny_separator_card):
    with open_recording(_two_tone_recording(tmp_path / "room.wav", seconds=1.5)) as rec:
        assert not any("silence" in notice for notice in drive(separate_job(rec, _settings())).notices)


def _array_recording(path, delays=(0, 0, 0), signs=(1, 1, 1), rate=16_000):
    """A talker-like noise burst train heard by three microphones, each `delays[k]` samples late."""
    rng = np.random.default_rng(0)
    source = rng.standard_normal(4 * rate) * (np.sin(np.linspace(0, 40, 4 * rate)) > 0)
    channels = [sign * np.concatenate([np.zeros(d), source[:source.size - d]]) for d, sign in zip(delays, signs)]
    sf.write(path, 0.1 * np.stack(channels, axis=1).astype(np.float32), rate)
    return path


def test_channels_out_of_step_or_inverted_are_told_before_separating(tmp_path, tiny_separator_card):
    path = _array_recording(tmp_path / "phones.wav", delays=(0, 1, 160), signs=(1, -1, 1))
    with open_recording(path) as rec:
        notices = drive(separate_job(rec, _settings())).notices
    assert notices == [
        "phones.wav: channel(s) 3 are +10.0 ms from channel 1, further apart than a microphone array's size allows "
        "(2 ms is 69 cm of sound): were they recorded together? The separator's spatial cues assume so (Process ▸ "
        "Analyze levels and spectrum, or `meco-studio stats`, shows every channel's delay); for recorders placed "
        "apart and combined, separating one array's own channels does as well (Separate with options…, Channels).",
        "phones.wav: channel(s) 2 read inverted against channel 1 (a microphone wired backwards?)."]


def test_a_combined_recording_out_of_step_is_told_which_recorders_own_channels_to_separate(tmp_path,
                                                                                          tiny_separator_card):
    """Lined up on the talker heard most, recorders apart hear another talker milliseconds later."""
    from app.engine.combine import CombineSettings, combine_job
    from tests.engine.test_combine import RATE, _recorder, _scene

    near, far = _scene(90, seed=20), _scene(90, seed=21)
    near[:30 * RATE], far[30 * RATE:] = 0.0, 0.0
    array = _recorder(tmp_path / "array.wav", near + far, 0.0, 90, channels=3)
    phone = _recorder(tmp_path / "phone.wav", near + np.roll(far, 160), 0.0, 90)
    recordings = [open_recording(array), open_recording(phone)]
    drive(combine_job(recordings, tmp_path / "combined.wav", CombineSettings()))
    with open_recording(tmp_path / "combined.wav") as rec:
        notices = drive(separate_job(rec, _settings())).notices
    assert len(notices) == 1 and notices[0].startswith("combined.wav: channel(s) 4 are +10.0 ms from channel 1")
    assert notices[0].endswith("this recording combines 2 recorders placed apart, and separating one array's own "
                               "channels does as well (array.wav, channels 1-3: Separate with options…, Recorder, "
                               "or --channels 1-3).")


def test_the_own_array_offered_is_the_references_recorder_or_else_the_one_with_most_channels():
    from app.engine.combine import RecorderChannels
    from app.engine.separation import own_array

    array, phone = RecorderChannels("array.wav", (0, 1, 2, 3)), RecorderChannels("phone.wav", (4,))
    stereo = RecorderChannels("stereo.wav", (5, 6))
    assert own_array((array, phone, stereo), 0) is array and own_array((array, phone, stereo), 6) is stereo
    assert own_array((array, phone, stereo), 4) is array and own_array((), 0) is None


def test_channels_on_a_drifting_clock_are_told_before_separating(tmp_path, tiny_separator_card):
    from tests.engine.test_delay_track import drifting

    audio = drifting(60.0, seconds=30.0)
    sf.write(tmp_path / "two-clocks.wav", (0.1 * audio / np.abs(audio).max()).T.astype(np.float32), 16_000)
    with open_recording(tmp_path / "two-clocks.wav") as rec:
        notices = drive(separate_job(rec, _settings())).notices
    assert notices == [
        "two-clocks.wav: channel(s) 2 (+60 ppm) drift against channel 1: two recorders' clocks parting, which the "
        "separator's spatial cues cannot follow. The Delays panel's Take out the drift…, or `meco-studio delays "
        "--in-step`, puts them back on one clock."]


def test_an_array_in_step_gets_no_notice(tmp_path, tiny_separator_card):
    with open_recording(_array_recording(tmp_path / "array.wav", delays=(0, 1, 3))) as rec:
        assert drive(separate_job(rec, _settings())).notices == []
        assert drive(separate_job(rec, _settings(reference_channel=2))).notices == []


@pytest.mark.parametrize("rate", [16_000, 44_100, 48_000])
def test_output_has_the_input_length_and_rate(tmp_path, tiny_separator_card, rate):
    path = _two_tone_recording(tmp_path / "room.wav", rate=rate, seconds=2.3)
    with open_recording(path) as rec:
        result = drive(separate_job(rec, _settings()))
        assert result.sample_rate == rate and result.estimates.shape == (2, rec.frames)
        assert np.isfinite(result.estimates).all() and np.abs(result.estimates).max() > 0


def test_model_rate_output_is_16_khz(tmp_path, tiny_separator_card):
    path = _two_tone_recording(tmp_path / "room.wav", rate=48_000, seconds=2.0)
    with open_recording(path) as rec:
        result = drive(separate_job(rec, _settings(output_rate=OutputRate.MODEL)))
    assert result.sample_rate == 16_000 and result.estimates.shape == (2, 32_000)


def test_cancel_takes_effect_at_the_next_chunk(tmp_path, tiny_separator_card):
    path = _two_tone_recording(tmp_path / "room.wav", seconds=4.0)
    seen = []
    with open_recording(path) as rec:
        with pytest.raises(JobCancelled):
            drive(separate_job(rec, _settings()), on_progress=seen.append, should_stop=lambda: len(seen) == 2)
    assert [p.done for p in seen] == [1, 2] and seen[0].total > 2


def test_auxiva_separates_two_instantaneous_sources(tmp_path):
    """Noise under different syllable-rate envelopes: the cross-frequency dependence IVA relies on."""
    rng = np.random.default_rng(0)
    t = np.arange(32_000) / 16_000
    envelopes = np.abs(np.sin(2 * np.pi * np.array([[2.3], [3.7]]) * t)) ** 3
    s = (0.1 * rng.standard_normal((2, 32_000)) * envelopes).astype(np.float32)
    mixing = np.array([[1.0, 0.6], [0.5, 1.0]], np.float32)
    path = tmp_path / "inst.wav"
    sf.write(path, (mixing @ s).T, 16_000)
    with open_recording(path) as rec:
        est = drive(separate_job(rec, SeparateSettings(method=Method.AUXIVA, chunk=ChunkConfig(seconds=2.0)))).estimates
    images = mixing[0][:, None] * s                      # each source as heard at mic 1
    corr = np.abs(np.corrcoef(np.vstack([est, images]))[:2, 2:])
    assert max(corr[0, 0] + corr[1, 1], corr[0, 1] + corr[1, 0]) > 1.8


def test_cli_writes_one_file_per_talker_and_reports_bad_files(tmp_path, tiny_separator_card, capsys):
    (tmp_path / "in").mkdir()
    good = _two_tone_recording(tmp_path / "in" / "meeting.wav")
    bad = not_audio(tmp_path / "in")
    out = tmp_path / "out"
    code = main(["separate", str(tmp_path / "in"), "--out", str(out), "--model", MODEL, "--json"])
    assert code == EXIT_FAILED
    report = json.loads(capsys.readouterr().out)
    assert [f["input"] for f in report["failed"]] == [str(bad)]
    written = sorted(p.name for p in (out / "meeting").iterdir())
    assert written == ["spk1.wav", "spk2.wav"]
    info = sf.info(out / "meeting" / "spk1.wav")
    assert info.frames == sf.info(good).frames and info.channels == 1
    assert not (out / "notes").exists()


def test_cli_names_the_files_it_will_not_separate_before_the_batch_starts(tmp_path, tiny_separator_card, capsys):
    (tmp_path / "in").mkdir()
    _two_tone_recording(tmp_path / "in" / "a.wav", seconds=1.0)
    bad = not_audio(tmp_path / "in")
    code = main(["separate", str(tmp_path / "in"), "--out", str(tmp_path / "out"), "--model", MODEL,
                 "--no-correct", "--channels", "1-2"])
    err = capsys.readouterr().err.splitlines()
    assert code == EXIT_FAILED
    at = err.index("note: 1 of 2 recordings cannot be separated as asked; the batch goes on past them and lists them "
                   "at the end:")
    assert bad.name in err[at + 1] and err.index(next(line for line in err if line.startswith("error:"))) > at + 1


def test_cli_range_separates_and_corrects_only_that_part(tmp_path, tiny_separator_card, tiny_meco_card, capsys):
    src = _two_tone_recording(tmp_path / "long.wav", seconds=4.0)
    out = tmp_path / "out"
    assert main(["separate", str(src), "--out", str(out), "--model", MODEL, "--corrector", "tiny-meco",
                 "--also-uncorrected", "--range", "1.5", "3.0"]) == EXIT_OK
    for name in ("spk1.wav", "spk2.wav", "spk1_separated.wav", "spk2_separated.wav"):
        assert sf.info(out / "long" / name).duration == pytest.approx(1.5)


def test_cli_writes_the_tracks_in_the_format_asked(tmp_path, tiny_separator_card, tiny_meco_card, capsys):
    src = _two_tone_recording(tmp_path / "take.wav", seconds=1.0)
    out = tmp_path / "out"
    assert main(["separate", str(src), "--out", str(out), "--model", MODEL, "--corrector", "tiny-meco",
                 "--also-uncorrected", "--format", "flac", "--sample-format", "PCM_24"]) == EXIT_OK
    assert sorted(p.name for p in (out / "take").iterdir()) == ["spk1.flac", "spk1_separated.flac", "spk2.flac",
                                                                "spk2_separated.flac"]
    assert sf.info(out / "take" / "spk1.flac").subtype == "PCM_24"


def test_cli_never_overwrites_without_the_flag(tmp_path, tiny_separator_card, capsys):
    src = _two_tone_recording(tmp_path / "take.wav", seconds=1.0)
    out = tmp_path / "out"
    assert main(["separate", str(src), "--out", str(out), "--model", MODEL]) == EXIT_OK
    before = (out / "take" / "spk1.wav").stat().st_mtime_ns
    assert main(["separate", str(src), "--out", str(out), "--model", MODEL]) == EXIT_FAILED
    assert "already exists" in capsys.readouterr().err
    assert (out / "take" / "spk1.wav").stat().st_mtime_ns == before
    assert sorted(p.name for p in (out / "take").iterdir()) == ["spk1.wav", "spk2.wav"]
    assert main(["separate", str(src), "--out", str(out), "--model", MODEL, "--overwrite"]) == EXIT_OK


def test_cli_corrects_by_default_and_keeps_the_uncorrected_tracks_on_request(
        tmp_path, tiny_separator_card, tiny_meco_card, capsys):
    src = _two_tone_recording(tmp_path / "panel.wav", seconds=1.5)
    out = tmp_path / "out"
    assert main(["separate", str(src), "--out", str(out), "--model", MODEL, "--corrector", "tiny-meco",
                 "--also-uncorrected", "--json"]) == EXIT_OK
    report = json.loads(capsys.readouterr().out)["files"][0]
    assert report["correction"]["corrector"] == "tiny-meco" and report["correction"]["nfe"] == 1
    names = sorted(p.name for p in (out / "panel").iterdir())
    assert names == ["spk1.wav", "spk1_separated.wav", "spk2.wav", "spk2_separated.wav"]
    corrected, raw = sf.read(out / "panel" / "spk1.wav")[0], sf.read(out / "panel" / "spk1_separated.wav")[0]
    assert corrected.shape == raw.shape and not np.allclose(corrected, raw)


def test_cli_no_correct_writes_the_separator_output_only(tmp_path, tiny_separator_card, tiny_meco_card, capsys):
    src = _two_tone_recording(tmp_path / "panel.wav", seconds=1.5)
    assert main(["separate", str(src), "--out", str(tmp_path / "o"), "--model", MODEL, "--no-correct",
                 "--json"]) == EXIT_OK
    assert json.loads(capsys.readouterr().out)["files"][0]["correction"] is None
    assert sorted(p.name for p in (tmp_path / "o" / "panel").iterdir()) == ["spk1.wav", "spk2.wav"]


def test_cli_enhance_stage_finishes_each_talker_in_place(tmp_path, tiny_separator_card, tiny_student_card, capsys):
    src = _two_tone_recording(tmp_path / "panel.wav", seconds=1.5)
    base = ["separate", str(src), "--model", MODEL, "--no-correct", "--json"]
    assert main([*base, "--out", str(tmp_path / "plain")]) == EXIT_OK
    capsys.readouterr()
    assert main([*base, "--out", str(tmp_path / "enh"), "--enhance", "tiny-student"]) == EXIT_OK
    report = json.loads(capsys.readouterr().out)["files"][0]
    assert [e["model"] for e in report["enhancement"]] == ["tiny-student", "tiny-student"]
    assert sorted(p.name for p in (tmp_path / "enh" / "panel").iterdir()) == ["spk1.wav", "spk2.wav"]
    plain = sf.read(tmp_path / "plain" / "panel" / "spk1.wav")[0]
    enhanced = sf.read(tmp_path / "enh" / "panel" / "spk1.wav")[0]
    assert plain.shape == enhanced.shape and not np.allclose(plain, enhanced)


def test_cli_brings_every_track_to_the_asked_loudness_as_pcm(tmp_path, tiny_separator_card, tiny_meco_card,
                                                            capsys):
    src = _two_tone_recording(tmp_path / "panel.wav", seconds=2.0)
    assert main(["separate", str(src), "--out", str(tmp_path / "o"), "--model", MODEL, "--corrector", "tiny-meco",
                 "--also-uncorrected", "--loudness", "-16", "--json"]) == EXIT_OK
    report = json.loads(capsys.readouterr().out)["files"][0]
    assert report["loudness"]["target_lufs"] == -16.0 and len(report["loudness"]["measured_lufs"]) == 4
    for path in sorted((tmp_path / "o" / "panel").iterdir()):
        audio, rate = sf.read(path, dtype="float64")
        assert sf.info(path).subtype == "PCM_16", path.name
        assert pyloudnorm.Meter(rate).integrated_loudness(audio) == pytest.approx(-16.0, abs=0.1), path.name
    assert not list((tmp_path / "o" / "panel").glob(".*"))          # no temporary file left


def test_cli_refuses_a_loudness_target_out_of_range_before_separating(tmp_path, tiny_separator_card, capsys):
    src = _two_tone_recording(tmp_path / "panel.wav", seconds=1.0)
    assert main(["separate", str(src), "--out", str(tmp_path / "o"), "--model", MODEL, "--loudness", "3"]) != EXIT_OK
    assert "outside -60 to -5 LUFS" in capsys.readouterr().err and not (tmp_path / "o").exists()


def test_cli_refuses_a_blend_louder_than_the_mixture_before_separating(tmp_path, tiny_separator_card, capsys):
    src = _two_tone_recording(tmp_path / "panel.wav", seconds=1.0)
    assert main(["separate", str(src), "--out", str(tmp_path / "o"), "--model", MODEL, "--blend", "3"]) != EXIT_OK
    assert "A blend at 3 dB would bring the rest of the mixture back louder" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_cli_reduces_each_track_s_noise_and_says_so_in_its_tags(tmp_path, tiny_separator_card):
    from app.engine.provenance import read_tags

    src = _two_tone_recording(tmp_path / "panel.wav", seconds=2.0)
    assert main(["separate", str(src), "--out", str(tmp_path / "o"), "--model", MODEL, "--no-correct",
                 "--reduce-noise", "12"]) == EXIT_OK
    for k in (1, 2):
        assert "; noise reduced by 12 dB" in read_tags(tmp_path / "o" / "panel" / f"spk{k}.wav")["comment"]


def test_cli_refuses_a_noise_reduction_out_of_range_before_separating(tmp_path, tiny_separator_card, capsys):
    src = _two_tone_recording(tmp_path / "panel.wav", seconds=1.0)
    assert main(["separate", str(src), "--out", str(tmp_path / "o"), "--model", MODEL, "--reduce-noise", "0"]) != 0
    assert "A noise reduction of 0 dB is out of range" in capsys.readouterr().err and not (tmp_path / "o").exists()


def test_channel_lists_read_as_users_count_and_are_written_back_the_same_way():
    from app.engine.channel_lists import channel_list_text, parse_channel_list

    assert parse_channel_list("1-4,6") == (0, 1, 2, 3, 5)
    assert channel_list_text((0, 1, 2, 3, 5)) == "1-4,6"
    assert channel_list_text(parse_channel_list("3,1-2,8")) == "3,1-2,8"
    for bad in ("", "0", "1-x", "a"):
        with pytest.raises(ConfigError):
            parse_channel_list(bad)


def test_the_oracle_mask_recovers_each_referenced_talker_over_chunks_in_reference_order(tmp_path):
    rate = 16_000
    t = np.arange(3 * rate) / rate
    talkers = np.stack([0.3 * np.sin(2 * np.pi * 300 * t), 0.2 * np.sign(np.sin(2 * np.pi * 1100 * t))])
    path = tmp_path / "mix.wav"
    sf.write(path, np.stack([talkers.sum(0), talkers.sum(0)], axis=1).astype(np.float32), rate)
    with open_recording(path) as rec:
        with pytest.raises(ConfigError, match="clean references of at least two talkers"):
            drive(separate_job(rec, _settings(method=Method.ORACLE)))
        swapped = talkers[::-1].astype(np.float32)
        result = drive(separate_job(rec, _settings(method=Method.ORACLE), references=swapped))
    assert result.estimates.shape == (2, rec.frames) and result.channels_used == [0]
    for estimate, clean in zip(result.estimates, swapped):      # the references' order, not a permutation of it
        assert si_sdr(estimate, clean) > 15


def test_the_oracle_versions_need_the_references_of_talkers_one_and_two(tmp_path):
    from app.engine.workflow import separate_versions_job

    path = _two_tone_recording(tmp_path / "mix.wav", channels=2)
    clean = tmp_path / "clean.wav"
    sf.write(clean, np.zeros(16_000, np.float32), 16_000)
    with open_recording(path) as rec:
        with pytest.raises(ConfigError, match="clean reference of each talker, from talker 1 on"):
            drive(separate_versions_job(rec, _settings(method=Method.ORACLE), None, {1: clean, 2: clean}))


def test_the_collector_fills_one_output_in_place_rather_than_joining_a_second_copy_at_the_end():
    import tracemalloc

    from app.engine.output_collector import OutputCollector

    tracemalloc.start()
    collector = OutputCollector(2, 16_000, 16_000, 16_000 * 60)
    for second in range(60):                          # fresh blocks, as a model hands them over
        collector.write(np.full((2, 16_000), second + 1, np.float32))
    out = collector.finish()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert out.shape == (2, 16_000 * 60) and out[:, -1].tolist() == [60, 60]
    assert peak < 1.2 * out.nbytes


def test_a_jobs_versions_keep_the_rows_of_its_output_rather_than_copies(tmp_path, tiny_separator_card):
    from app.engine.workflow import separate_versions_job

    path = _two_tone_recording(tmp_path / "mix.wav", channels=2)
    with open_recording(path) as rec:
        versions = drive(separate_versions_job(rec, _settings()))
    assert versions[0].audio.base is not None and versions[0].audio.base is versions[1].audio.base
    assert not versions[0].audio.flags.writeable
