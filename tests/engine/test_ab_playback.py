"""A/B: one position for every lane, a short crossfade on a switch, loudness-matched gains."""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pytest

from app.engine.loudness import integrated_loudness
from app.engine.playback import (
    AB_FADE_SECONDS,
    ABMixer,
    ABPlayer,
    Loop,
    matched_gains,
)

RATE = 16_000
OK = SimpleNamespace(output_underflow=False)


def _lanes(frames: int = RATE) -> np.ndarray:
    """Lane k holds the constant k + 1: which lane sounds, and any blend, is read off the output."""
    return np.stack([np.full(frames, k + 1.0, np.float32) for k in range(3)])


def _play(mixer: ABMixer, blocks: int, frames: int = 256) -> np.ndarray:
    out = np.empty((blocks * frames, mixer.outputs), np.float32)
    for b in range(blocks):
        mixer.callback(out[b * frames:(b + 1) * frames], frames, None, OK)
    return out


def test_crossfade_is_at_most_ten_milliseconds():
    assert AB_FADE_SECONDS <= 0.010


def test_switch_keeps_the_position_and_crossfades_without_a_jump():
    fade = round(AB_FADE_SECONDS * RATE)
    mixer = ABMixer(_lanes(), outputs=2, fade_frames=fade)
    _play(mixer, 4)
    assert mixer.position == 1024
    mixer.select(2)
    out = _play(mixer, 2)[:, 0]
    assert mixer.position == 1536                      # the switch did not move the position
    assert out[0] > 1.0 and out[0] < 1.1               # starts at the old lane, moves away at once
    np.testing.assert_allclose(out[fade:], 3.0)       # the new lane after the fade
    steps = np.diff(np.concatenate([[1.0], out]))
    assert steps.max() <= 2.0 / fade + 1e-6            # a linear ramp: no jump anywhere


def test_switching_back_mid_fade_starts_from_the_current_lane():
    mixer = ABMixer(_lanes(), outputs=1, fade_frames=128)
    mixer.select(1)
    _play(mixer, 1, frames=64)
    mixer.select(2)
    out = _play(mixer, 4, frames=64)[:, 0]
    np.testing.assert_allclose(out[-1], 3.0)


def test_loop_wraps_inside_one_block():
    mixer = ABMixer(np.arange(RATE, dtype=np.float32)[None], outputs=1, fade_frames=8)
    mixer.loop = Loop(100, 200)
    mixer.seek(150)
    out = _play(mixer, 1, frames=120)[:, 0]
    np.testing.assert_array_equal(out, np.concatenate([np.arange(150, 200), np.arange(100, 170)]))


def test_end_of_lanes_zero_fills_and_ends():
    mixer = ABMixer(_lanes(300), outputs=1, fade_frames=8)
    out = _play(mixer, 2)[:, 0]
    np.testing.assert_array_equal(out[300:], 0.0)
    assert mixer.ended


def test_a_stop_frame_ends_the_lanes_there():
    mixer = ABMixer(_lanes(), outputs=1, fade_frames=8)
    mixer.stop = 300
    out = _play(mixer, 2)[:, 0]
    np.testing.assert_array_equal(out[:300], 1.0)
    np.testing.assert_array_equal(out[300:], 0.0)
    assert mixer.ended and mixer.position == 300


def test_muted_lane_plays_silence():
    mixer = ABMixer(_lanes(), outputs=1, fade_frames=8)
    mixer.muted[0] = True
    np.testing.assert_array_equal(_play(mixer, 1), 0.0)


def test_the_level_is_the_selected_lane_as_heard_with_its_gain():
    mixer = ABMixer(_lanes(), outputs=2, fade_frames=8, gains=np.array([1.0, 0.5, 0.25], np.float32))
    _play(mixer, 2)
    mixer.select(2)
    assert mixer.recent_peak(256) == pytest.approx(3.0 * 0.25)
    mixer.muted[2] = True
    assert mixer.recent_peak(256) == 0.0


def test_the_level_before_anything_played_is_silence():
    mixer = ABMixer(_lanes(), outputs=1, fade_frames=8)
    assert mixer.recent_peak(256) == 0.0


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


def test_gain_change_is_faded_not_stepped():
    mixer = ABMixer(_lanes(), outputs=1, fade_frames=64)
    _play(mixer, 1, frames=64)
    mixer.set_gains(np.array([0.5, 1.0, 1.0]))
    out = _play(mixer, 2, frames=64)[:, 0]
    assert 0.5 < out[0] < 1.0 and out[-1] == pytest.approx(0.5)


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
        assert level is not None and level.shape == (player._mixer.outputs,)
        assert np.all((level == 0.0) | (level == 2.0))      # lane "b" holds 2.0; nothing played yet gives 0
    finally:
        player.pause()
    assert player.level() is None
