"""Clipped stretches found as Audacity's Find Clipping finds them: runs of three or more samples
at 16-bit full scale, per channel, carried across blocks, near runs and channels joined."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from app.engine import clipping
from app.engine.files import open_recording
from app.engine.jobs import drive
from app.engine.labels import Label

RATE = 16_000


def recording(tmp_path, channels: np.ndarray):
    path = tmp_path / "hot.wav"
    sf.write(path, channels.T, RATE, subtype="PCM_16")
    return open_recording(path)


def quiet(seconds: float = 3.0, channels: int = 2) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    return np.tile(0.3 * np.sin(2 * np.pi * 200 * t), (channels, 1))


def test_a_loud_stretch_that_flattens_on_full_scale_is_labelled_with_its_channel(tmp_path):
    audio = quiet()
    t = np.arange(RATE // 2) / RATE
    audio[1, RATE:RATE + RATE // 2] = np.clip(3 * np.sin(2 * np.pi * 200 * t), -1, 1)     # 1.0–1.5 s, channel 2
    with recording(tmp_path, audio) as rec:
        (label,) = drive(clipping.clipping_job(rec))
    assert label.text == "clipped ch 2"
    assert label.start == pytest.approx(1.0, abs=0.003) and label.stop == pytest.approx(1.5, abs=0.003)


def test_a_single_full_scale_peak_is_no_clipping(tmp_path):
    audio = quiet()
    audio[0, 1000] = audio[0, 5000:5002] = 1.0
    with recording(tmp_path, audio) as rec:
        assert drive(clipping.clipping_job(rec)) == []


def test_a_run_across_a_block_edge_is_one_run(tmp_path, monkeypatch):
    monkeypatch.setattr(clipping, "BLOCK", 4096)
    audio = quiet()
    audio[0, 4094:4098] = -1.0                       # two samples either side of the edge
    with recording(tmp_path, audio) as rec:
        runs = drive(clipping.clipped_runs(rec))
    assert [r.tolist() for r in runs] == [[[4094, 4098]], []]


def test_a_run_at_the_very_end_is_closed_there(tmp_path):
    audio = quiet()
    audio[0, -5:] = 1.0
    with recording(tmp_path, audio) as rec:
        assert drive(clipping.clipped_runs(rec))[0].tolist() == [[audio.shape[1] - 5, audio.shape[1]]]


def test_near_runs_make_one_label_and_overlapping_channels_share_it():
    runs = [[(1000, 1010), (1100, 1110)],            # 6 ms apart: one stretch
            [(1050, 1200)],                          # overlaps it
            [(10_000, 10_010)]]
    labels = clipping.stretch_labels(runs, RATE, "clipped")
    assert [label.text for label in labels] == ["clipped ch 1, 2", "clipped ch 3"]
    assert labels[0] == Label(1000 / RATE, 1200 / RATE, "clipped ch 1, 2")


def test_runs_touching_others_are_told_apart_even_behind_a_long_one():
    runs = np.array([[0, 5], [10, 12], [20, 25], [40, 41]])
    others = np.array([[4, 6], [8, 30], [11, 13]])                    # the second reaches past the third's end
    np.testing.assert_array_equal(clipping.touching(runs, others), [True, True, True, False])
    assert not clipping.touching(runs, np.zeros((0, 2), np.int64)).any()
