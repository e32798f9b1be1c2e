"""Who speaks when, from separated tracks: speech above the floor and near the loudest track is a
talker's; leakage well below it is not; short pauses are bridged and short bursts dropped."""

from __future__ import annotations

import numpy as np
import pytest

from app.engine.activity import ActivitySettings, runs, talker_activity
from app.engine.jobs import drive
from app.engine.labels import Label

RATE = 16_000


def noise_burst(seconds: float, spans: list[tuple[float, float]], level: float, seed: int) -> np.ndarray:
    """Noise at `level` in each span and digital silence elsewhere (a stand-in for a talker)."""
    rng = np.random.default_rng(seed)
    track = np.zeros(round(seconds * RATE), np.float32)
    for start, stop in spans:
        a, b = round(start * RATE), round(stop * RATE)
        track[a:b] = level * rng.standard_normal(b - a)
    return track


def activity(tracks: list[np.ndarray], **settings) -> list[Label]:
    return drive(talker_activity(tracks, [f"talker {k + 1}" for k in range(len(tracks))], RATE,
                                 ActivitySettings(**settings)))


def test_overlap_marks_both_talkers_and_leakage_marks_neither():
    one = noise_burst(5.0, [(0.0, 2.0)], 0.1, seed=1)
    two = noise_burst(5.0, [(1.5, 4.0)], 0.1, seed=2)
    leaked_one, leaked_two = one + 0.1 * two, two + 0.1 * one       # 20 dB of leakage each way
    labels = activity([leaked_one, leaked_two])
    assert [label.text for label in labels] == ["talker 1", "talker 2"]
    assert (labels[0].start, labels[0].stop) == pytest.approx((0.0, 2.0), abs=0.02)
    assert (labels[1].start, labels[1].stop) == pytest.approx((1.5, 4.0), abs=0.02)


def test_short_pauses_are_bridged_and_short_bursts_dropped():
    track = noise_burst(4.0, [(0.0, 1.0), (1.2, 2.0), (3.0, 3.1)], 0.1, seed=3)
    labels = activity([track, np.zeros_like(track)])
    assert [(round(label.start, 2), round(label.stop, 2)) for label in labels] == [(0.0, 2.0)]


def test_a_long_pause_splits_a_turn():
    track = noise_burst(4.0, [(0.0, 1.0), (1.5, 2.5)], 0.1, seed=4)
    assert len(activity([track, np.zeros_like(track)], min_gap_seconds=0.3)) == 2


def test_silence_has_no_activity():
    silent = np.zeros(RATE, np.float32)
    assert activity([silent, silent]) == []


def test_runs_finds_each_stretch_of_a_value():
    mask = np.array([True, False, False, True, True])
    assert runs(mask, True) == [(0, 1), (3, 5)] and runs(mask, False) == [(1, 3)]
