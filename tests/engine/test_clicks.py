"""Clicks found where speech stops being predictable and redrawn from the sound around them: found
where they are, not in clean sound with its noise, the same block by block, longer bursts left as
sounds; versions mended over a span, files written whole and never over their input."""

from __future__ import annotations

import json

import numpy as np
import pytest
import soundfile as sf

from app.engine import clicks
from app.engine.demo import DEMO_DIR
from app.engine.documents import Version, VersionKind
from app.engine.errors import ConfigError
from app.engine.files import ArraySource
from app.engine.jobs import drive
from models.metrics.speech import snr

RATE = 16_000
CLICKS = [(12_000, 6), (40_321, 20), (77_777, 1), (101_000, 40), (130_500, 12)]   # (at, samples)


@pytest.fixture(scope="module")
def talker() -> np.ndarray:
    """Ten seconds of a demo talker with a recorder's noise at -50 dBFS."""
    audio = sf.read(DEMO_DIR / "meeting-respeaker4" / "talker1.flac", dtype="float64")[0][:10 * RATE]
    return audio + 10 ** (-50 / 20) * np.random.default_rng(0).standard_normal(audio.size)


def clicked(audio: np.ndarray, spots: list[tuple[int, int]] = CLICKS, level: float = 1.0) -> np.ndarray:
    out, rng = audio.copy(), np.random.default_rng(1)
    for at, length in spots:
        burst = rng.standard_normal(length) * np.hanning(length + 2)[1:-1]
        out[at:at + length] += level * np.abs(audio).max() * burst / np.abs(burst).max()
    return out


def found(audio: np.ndarray, settings: clicks.ClickSettings = clicks.ClickSettings()) -> np.ndarray:
    return drive(clicks.find_clicks(lambda lo, hi: audio[lo:hi], audio.size, RATE, settings))


def declicked(audio: np.ndarray) -> np.ndarray:
    version = Version("talker 1", 0, VersionKind.SEPARATED, audio.astype(np.float32), RATE, "test", {})
    mended, _ = drive(clicks.declicked_version(version, None))
    return np.asarray(mended.audio, np.float64)


def test_each_click_is_found_where_it_is(talker):
    runs = found(clicked(talker))
    assert len(runs) == len(CLICKS)
    for (start, stop), (at, length) in zip(runs, CLICKS):
        assert start <= at + length // 2 < stop and stop - start <= length + 2 * 4 + 8


def test_speech_with_a_recorders_noise_holds_no_clicks(talker):
    assert len(found(talker)) == 0


def test_removing_the_clicks_brings_the_talker_back_closer(talker):
    noisy = clicked(talker)
    assert snr(declicked(noisy), talker) > snr(noisy, talker) + 6


def test_a_burst_longer_than_a_click_is_left_as_a_sound(talker):
    burst = talker.copy()
    burst[50_000:50_064] += np.abs(talker).max() * np.random.default_rng(2).uniform(-1, 1, 64)         # 4 ms
    assert len(found(burst, clicks.ClickSettings(max_ms=2.0))) == 0
    assert len(found(burst, clicks.ClickSettings(max_ms=5.0))) == 1


def test_a_signal_read_block_by_block_finds_what_the_whole_finds(talker, monkeypatch):
    noisy = clicked(talker, CLICKS + [(65_530, 10), (65_560, 3)])
    whole = found(noisy)
    monkeypatch.setattr(clicks, "BLOCK", 4096)
    np.testing.assert_array_equal(found(noisy), whole)


@pytest.mark.parametrize("settings, message", [(clicks.ClickSettings(sensitivity=2), "sensitivity of 2"),
                                               (clicks.ClickSettings(max_ms=50), "50 ms")])
def test_settings_out_of_range_are_refused_by_name(settings, message):
    with pytest.raises(ConfigError, match=message):
        settings.check()


def test_a_version_is_mended_over_the_span_alone_and_says_how_many(talker):
    version = Version("talker 1", 0, VersionKind.SEPARATED, clicked(talker).astype(np.float32), RATE, "test", {})
    mended, count = drive(clicks.declicked_version(version, (2.0, 6.0)))
    assert count == 2 and mended.name == "talker 1 · declicked"
    assert mended.settings["mended_from"] == version.id and mended.settings["clicks_removed"] == 2
    np.testing.assert_array_equal(mended.audio[:2 * RATE], version.audio[:2 * RATE])
    np.testing.assert_array_equal(mended.audio[6 * RATE:], version.audio[6 * RATE:])
    assert not np.array_equal(mended.audio[40_000:40_400], version.audio[40_000:40_400])


def test_a_version_without_clicks_is_not_copied(talker):
    version = Version("talker 1", 0, VersionKind.SEPARATED, talker.astype(np.float32), RATE, "test", {})
    assert drive(clicks.declick_job([version], None)) == [(None, 0)]


def test_labels_name_the_channels_that_clicked(talker):
    audio = np.stack([talker, clicked(talker, CLICKS[:2])]).astype(np.float32)
    labels = drive(clicks.clicks_job(ArraySource(audio, RATE, "pair.wav")))
    assert [label.text for label in labels] == ["click ch 2", "click ch 2"]
    assert labels[0].start == pytest.approx(CLICKS[0][0] / RATE, abs=0.001)


def test_the_command_redraws_every_channels_clicks_and_leaves_the_input(tmp_path, talker, capsys):
    from app.cli import EXIT_OK, main

    src = tmp_path / "clicky.wav"
    sf.write(src, np.stack([clicked(talker), talker], axis=1), RATE, subtype="PCM_16")
    before = src.read_bytes()
    assert main(["declick", str(src), "--out", str(tmp_path / "o"), "--json"]) == EXIT_OK
    (done,) = json.loads(capsys.readouterr().out)["files"]
    assert done["clicks"] == len(CLICKS) and src.read_bytes() == before
    out = sf.read(tmp_path / "o" / "clicky.wav")[0]
    assert sf.info(tmp_path / "o" / "clicky.wav").subtype == "PCM_24" and out.shape == (talker.size, 2)
    assert snr(out[:, 0], talker) > snr(clicked(talker), talker) + 6


def test_a_click_in_digital_silence_is_redrawn_as_silence():
    silent = np.zeros(RATE)
    silent[8000:8010] = 0.5
    runs = found(silent)
    assert len(runs) == 1
    redrawn = drive(clicks.redraw_clicks(lambda lo, hi: silent[max(0, lo):max(0, hi)], runs, RATE, RATE, "redraw"))
    np.testing.assert_array_equal(redrawn, 0.0)
