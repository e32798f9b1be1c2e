"""Separated tracks on disk silenced between their talkers' turns, streamed block by block."""

from __future__ import annotations

import numpy as np
import soundfile as sf

from app.engine.export import ExportSettings, SampleFormat
from app.engine.turn_gate import silence_between_turns

RATE = 16_000
FLOAT = ExportSettings(sample_format=SampleFormat.FLOAT, peak="none", overwrite=True)


def _turns(tmp_path, seconds_per_turn: float, turns: int):
    """Two tracks whose talkers alternate; each track also holds the other talker 30 dB down."""
    t = np.arange(int(seconds_per_turn * RATE)) / RATE
    voice = (0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)
    tracks = [[], []]
    for turn in range(turns):
        for k in range(2):
            tracks[k].append(voice if turn % 2 == k else 0.03 * voice)
    paths = [tmp_path / f"spk{k + 1}.wav" for k in range(2)]
    for path, track in zip(paths, tracks):
        sf.write(path, np.concatenate(track), RATE, subtype="FLOAT")
    return paths


def test_each_track_keeps_its_talkers_turns_and_is_silent_in_the_others(tmp_path):
    paths = _turns(tmp_path, 1.0, 4)
    assert silence_between_turns(paths, FLOAT) == [2, 2]
    one, two = (sf.read(p, dtype="float32")[0] for p in paths)
    assert np.abs(one[:int(0.95 * RATE)]).max() > 0.29 and not one[int(1.3 * RATE):int(1.7 * RATE)].any()
    assert not two[:int(0.7 * RATE)].any() and np.abs(two[int(1.05 * RATE):int(1.95 * RATE)]).max() > 0.29
    assert np.abs(one[int(1.0 * RATE):int(1.2 * RATE)]).max() > 0.008         # a quarter second kept past a turn


def test_turns_longer_than_a_read_block_are_found_across_blocks(tmp_path):
    paths = _turns(tmp_path, 25.0, 4)                       # 100 s: the 30 s reads split turns
    assert silence_between_turns(paths, FLOAT) == [2, 2]
    one = sf.read(paths[0], dtype="float32")[0]
    assert one.shape == (100 * RATE,) and not one[26 * RATE:49 * RATE].any() and one[51 * RATE:74 * RATE].any()


def test_the_joins_fade_over_ten_milliseconds_rather_than_step(tmp_path):
    paths = _turns(tmp_path, 1.0, 2)
    before = sf.read(paths[0], dtype="float32")[0]
    silence_between_turns(paths, FLOAT)
    after = sf.read(paths[0], dtype="float32")[0]
    heard = np.abs(before) > 1e-4                           # where the ratio says something
    gain = np.where(heard, after / np.where(heard, before, 1), np.nan)[RATE:2 * RATE]   # the gap: talker 2's turn
    faded = np.flatnonzero((gain > 0.01) & (gain < 0.99))
    assert 0.005 * RATE < faded.size <= 0.01 * RATE and np.all(np.diff(gain[faded]) <= 1e-6)
