"""A/B: one position for every lane, a short crossfade on a switch, loudness-matched gains."""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pytest

from app.engine.loudness import integrated_loudness
from app.engine.playback import (
    AB_FADE_SECONDS,
    ABPlayer,
    LaneRing,
    LaneSource,
    matched_gains,
)

RATE = 16_000
OK = SimpleNamespace(output_underflow=False)
CLOCK = SimpleNamespace(outputBufferDacTime=1.0, currentTime=1.0)


def _lanes(frames: int = RATE) -> np.ndarray:
    """Lane k holds the constant k + 1: which lane sounds, and any blend, is read off the output."""
    return np.stack([np.full(frames, k + 1.0, np.float32) for k in range(3)])


def _ring(fade_frames: int, outputs: int = 1, gains=(1.0, 1.0, 1.0), lane: int = 0, frames: int = 4096) -> LaneRing:
    """A ring that the feeder filled with `frames` of the three lanes."""
    ring = LaneRing(8192, 3, outputs, fade_frames, np.array(gains, np.float32), np.zeros(3, bool), lane)
    ring.write(_lanes(frames).T.copy(), 0.0, 1.0)
    return ring


def _play(ring: LaneRing, blocks: int, frames: int = 256) -> np.ndarray:
    out = np.empty((blocks * frames, ring.outputs), np.float32)
    for b in range(blocks):
        ring.callback(out[b * frames:(b + 1) * frames], frames, CLOCK, OK)
    return out


def test_crossfade_is_at_most_ten_milliseconds():
    assert AB_FADE_SECONDS <= 0.010


def test_every_output_plays_the_selected_lane():
    out = _play(_ring(8, outputs=2, lane=1), 1)
    np.testing.assert_array_equal(out, 2.0)


def test_switch_keeps_the_position_and_crossfades_without_a_jump():
    fade = round(AB_FADE_SECONDS * RATE)
    ring = _ring(fade, outputs=2)
    _play(ring, 4)
    ring.select(2)
    out = _play(ring, 2)[:, 0]
    assert ring.positions[ring._read % ring.capacity] == 1536    # the switch did not move the position
    assert out[0] > 1.0 and out[0] < 1.1               # starts at the old lane, moves away at once
    np.testing.assert_allclose(out[fade:], 3.0)       # the new lane after the fade
    steps = np.diff(np.concatenate([[1.0], out]))
    assert steps.max() <= 2.0 / fade + 1e-6            # a linear ramp: no jump anywhere


def test_switching_back_mid_fade_starts_from_the_current_lane():
    ring = _ring(128)
    ring.select(1)
    _play(ring, 1, frames=64)
    ring.select(2)
    out = _play(ring, 4, frames=64)[:, 0]
    np.testing.assert_allclose(out[-1], 3.0)


def test_muted_lane_plays_silence():
    ring = _ring(8)
    ring.muted[0] = True
    np.testing.assert_array_equal(_play(ring, 1), 0.0)


def test_gain_change_is_faded_not_stepped():
    ring = _ring(64)
    _play(ring, 1, frames=64)
    ring.set_gains(np.array([0.5, 1.0, 1.0]))
    out = _play(ring, 2, frames=64)[:, 0]
    assert 0.5 < out[0] < 1.0 and out[-1] == pytest.approx(0.5)


def test_lanes_are_read_where_they_lie_in_blocks_of_one_column_each():
    source = LaneSource(list(_lanes(300)), RATE)
    out = np.full((256, 3), np.nan, np.float32)
    source.fill(out, 200)
    np.testing.assert_array_equal(out[:100], [[1.0, 2.0, 3.0]] * 100)
    np.testing.assert_array_equal(out[100:], 0.0)


def test_loudness_matching_brings_lanes_to_one_loudness_without_clipping():
    t = np.arange(3 * RATE) / RATE
    quiet = 0.05 * np.sin(2 * np.pi * 440 * t).astype(np.float32)
    loud = 0.5 * np.sin(2 * np.pi * 440 * t).astype(np.float32)
    lanes = np.stack([quiet, loud])
    loudness = np.array([integrated_loudness(lane, RATE) for lane in lanes])
    assert loudness[1] - loudness[0] == pytest.approx(20.0, abs=0.1)
    gains = matched_gains(loudness, np.abs(lanes).max(axis=1))
    matched = [integrated_loudness(g * lane, RATE) for g, lane in zip(gains, lanes)]
    assert matched[0] == pytest.approx(matched[1], abs=0.1)
    assert max(g * np.abs(lane).max() for g, lane in zip(gains, lanes)) <= 1.0 + 1e-6


def test_silent_lanes_keep_unit_gain():
    gains = matched_gains(np.array([-math.inf, -20.0]), np.array([0.0, 0.3]))
    assert gains[0] == 1.0


def test_player_switches_at_the_same_position_on_a_real_device():
    player = ABPlayer()
    player.load(["a", "b"], _lanes(4 * RATE)[:2], RATE, [-20.0, -20.0])
    player.seek(RATE)
    player.play()
    try:
        before = player.position
        player.select(1)
        assert player.current == 1 and player.position - before < RATE // 10
    finally:
        player.pause()
    assert player.position >= RATE


def test_the_player_meters_what_plays_and_nothing_when_paused():
    player = ABPlayer()
    player.load(["a", "b"], _lanes(4 * RATE)[:2], RATE)
    assert player.level() is None
    player.select(1)
    player.play()
    try:
        level = player.level()
        assert level is not None and level.shape == (player._ring.outputs,)
        assert np.all((level == 0.0) | (level == 2.0))      # lane "b" holds 2.0; nothing played yet gives 0
    finally:
        player.pause()
    assert player.level() is None


def test_a_b_at_another_speed_plays_every_lane_stretched_alike_and_still_switches():
    player = ABPlayer()
    player.load(["a", "b"], list(_lanes(4 * RATE)[:2]), RATE, [-20.0, -20.0])
    player.set_speed(0.75)
    player.seek(RATE)
    player.play()
    try:
        ring = player._ring
        assert isinstance(ring, LaneRing) and ring.audio.shape[1] == 2
        player.select(1)
        assert player.current == 1 and ring._requested == 1
        assert np.median(np.diff(ring.positions[:4096])) == pytest.approx(0.75)
    finally:
        player.pause()
