"""Clipped runs redrawn from the waveform around them: closer to what was clipped, above full scale
only where it clipped, everything else untouched; written whole or lowered to fit; files never
written over."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from app.engine import declip
from app.engine.demo import DEMO_DIR
from app.engine.export import HEADROOM
from app.engine.files import ArraySource
from app.engine.inpainting import MAX_RESTORE_DB
from app.engine.jobs import drive
from models.metrics.speech import snr

RATE = 16_000



def repaired(audio: np.ndarray, lower_to_fit: bool = False) -> tuple[np.ndarray, declip.DeclipResult]:
    blocks: list[np.ndarray] = []
    result = drive(declip.declip_job(ArraySource(audio, RATE, "hot.wav"), blocks.append, lower_to_fit))
    return np.concatenate(blocks, axis=1), result


@pytest.fixture(scope="module")
def talker() -> np.ndarray:
    """Ten seconds of a demo talker, driven to peak at twice full scale."""
    audio = sf.read(DEMO_DIR / "meeting-respeaker4" / "talker1.flac", dtype="float32")[0][:10 * RATE]
    return (2.0 * audio / np.abs(audio).max()).astype(np.float32)


def test_a_clipped_sine_is_redrawn_close_to_its_peaks():
    t = np.arange(RATE) / RATE
    sine = (1.5 * np.sin(2 * np.pi * 200 * t)).astype(np.float32)
    out, result = repaired(np.clip(sine, -1, 1)[None])
    assert result.runs == 400 and snr(out[0], sine) > snr(np.clip(sine, -1, 1), sine) + 3
    assert result.peak == pytest.approx(1.5, abs=0.1)


def test_clipped_speech_comes_closer_to_what_was_clipped(talker):
    clipped = np.clip(talker, -1, 1)
    out, result = repaired(clipped[None])
    assert result.runs > 10 and snr(out[0], talker) > snr(clipped, talker) + 3
    changed = out[0] != clipped
    assert np.all(np.abs(clipped[changed]) >= 1.0 - 2 ** -15)                    # only clipped samples changed
    assert np.all(np.abs(out[0][changed]) >= np.abs(clipped[changed]))           # and only outward


def test_a_recording_that_never_clips_comes_back_as_it_is(talker):
    calm = talker / 4
    out, result = repaired(np.stack([calm, -calm]))
    np.testing.assert_array_equal(out, np.stack([calm, -calm]))
    assert (result.runs, result.samples, result.peak, result.gain) == (0, 0, 1.0, 1.0)


def test_lowered_to_fit_the_highest_peak_sits_at_minus_1_dbfs(talker):
    out, result = repaired(np.clip(talker, -1, 1)[None], lower_to_fit=True)
    assert np.abs(out).max() == pytest.approx(HEADROOM, rel=1e-6)
    assert result.gain == pytest.approx(HEADROOM / result.peak)


def test_runs_across_blocks_are_redrawn_as_in_one_block(talker, monkeypatch):
    clipped = np.stack([np.clip(talker, -1, 1), np.clip(-talker[::-1], -1, 1)])
    whole, _ = repaired(clipped)
    monkeypatch.setattr(declip, "BLOCK", 1000)
    np.testing.assert_array_equal(repaired(clipped)[0], whole)


def test_runs_at_the_very_start_and_end_are_redrawn_within_the_ceiling():
    t = np.arange(RATE // 4) / RATE
    tone = (1.5 * np.cos(2 * np.pi * 250 * t)).astype(np.float32)         # starts and ends on a peak
    out, result = repaired(np.clip(tone, -1, 1)[None])
    assert result.runs == 126 and np.abs(out).max() <= 10 ** (MAX_RESTORE_DB / 20)     # each half-cycle
    assert out[0, 0] > 1.0 and out[0, -1] < -1.0


def test_each_window_is_redrawn_alike_whatever_it_is_batched_with(talker, monkeypatch):
    clipped = np.clip(talker, -1, 1)[None]
    whole, _ = repaired(clipped)
    monkeypatch.setattr("app.engine.inpainting.BATCH", 3)
    np.testing.assert_array_equal(repaired(clipped)[0], whole)


def test_declip_writes_a_float_copy_and_leaves_the_input(tmp_path, talker):
    from app.cli import EXIT_OK, main

    src = tmp_path / "hot.wav"
    sf.write(src, np.stack([talker, talker / 3], axis=1), RATE, subtype="PCM_16")       # written clipped
    before = src.read_bytes()
    assert main(["declip", str(src), "--out", str(tmp_path / "o"), "--json"]) == EXIT_OK
    out, rate = sf.read(tmp_path / "o" / "hot.wav", dtype="float32", always_2d=True)
    assert rate == RATE and sf.info(tmp_path / "o" / "hot.wav").subtype == "FLOAT"
    assert np.abs(out[:, 0]).max() > 1.2 and np.abs(out[:, 1]).max() < 1.0          # the clipped channel alone
    assert src.read_bytes() == before


def test_declip_fit_writes_24_bit_under_full_scale(tmp_path, talker, capsys):
    import json

    from app.cli import EXIT_OK, main

    src = tmp_path / "hot.wav"
    sf.write(src, talker, RATE, subtype="PCM_16")
    assert main(["declip", str(src), "--out", str(tmp_path / "o"), "--fit", "--json"]) == EXIT_OK
    (done,) = json.loads(capsys.readouterr().out)["files"]
    assert done["gain_db"] < -1 and done["runs"] > 10
    assert sf.info(tmp_path / "o" / "hot.wav").subtype == "PCM_24"
    assert np.abs(sf.read(tmp_path / "o" / "hot.wav")[0]).max() <= HEADROOM + 1e-6


def test_a_declipped_view_reads_as_the_repaired_copy(talker):
    clipped = np.stack([np.clip(talker, -1, 1), np.clip(-talker / 1.5, -1, 1), talker / 4])
    whole, _ = repaired(clipped)
    source = ArraySource(clipped, RATE, "hot.wav")
    view = declip.Repaired(source, drive(declip.find_redrawn(source)))
    for lo, hi, channels in ((0, clipped.shape[1], None), (12_345, 54_321, [1]), (40_000, 40_777, [2, 0])):
        expected = whole[:, lo:hi] if channels is None else whole[channels, lo:hi]
        np.testing.assert_array_equal(view.read(lo, hi, channels), expected)
