"""Playback: the callback on plain arrays, sources, and real playback through PortAudio.

The device tests play through ALSA's null device (set up in tests/conftest.py): real PortAudio,
real callbacks, no speakers. That device does not pace itself, so its stream consumes audio as
fast as the feeder prepares it; positions advance quickly but stay exact.
"""

from __future__ import annotations

import threading
import time
import tracemalloc
from collections.abc import Callable
from types import SimpleNamespace

import numpy as np
import pytest
import sounddevice as sd
import soundfile as sf

from app.engine.errors import PlaybackError
from app.engine.files import open_recording
from app.engine.playback import (
    FEED_FRAMES,
    METER_BLOCK,
    LevelHistory,
    Loop,
    PlaybackRing,
    Player,
    RecordingSource,
    feed_block_frames,
    ring_frames,
)

RATE = 16_000


def stamp(dac: float) -> SimpleNamespace:
    return SimpleNamespace(outputBufferDacTime=dac, currentTime=dac - 0.01)


def ramp(frames: int, channels: int = 2, start: int = 0) -> np.ndarray:
    """(frames, channels): each frame holds its own index, channel c offset by c/10."""
    return (np.arange(start, start + frames)[:, None] + np.arange(channels)[None, :] / 10).astype(np.float32)


def wait_until(condition: Callable[[], bool], timeout: float = 3.0) -> bool:
    deadline = time.monotonic() + timeout
    pause = threading.Event()
    while not condition():
        if time.monotonic() > deadline:
            return False
        pause.wait(0.005)
    return True


# --- the callback on plain numpy arrays -------------------------------------------------------
def test_callback_copies_prepared_frames_in_order():
    ring = PlaybackRing(64, 2)
    ring.write(ramp(10), first_position=500, position_step=1)
    out = np.full((4, 2), np.nan, np.float32)
    ring.callback(out, 4, stamp(1.0), sd.CallbackFlags())
    np.testing.assert_array_equal(out, ramp(4))
    ring.callback(out, 4, stamp(1.1), sd.CallbackFlags())
    np.testing.assert_array_equal(out, ramp(4, start=4))
    assert ring.underflows == 0


def test_callback_reads_across_the_ring_wrap():
    ring = PlaybackRing(16, 2)
    out = np.empty((12, 2), np.float32)
    ring.write(ramp(12), 0, 1)
    ring.callback(out, 12, stamp(1.0), sd.CallbackFlags())
    ring.write(ramp(12, start=12), 12, 1)                 # wraps: 4 frames at the end, 8 at the start
    ring.callback(out, 12, stamp(1.1), sd.CallbackFlags())
    np.testing.assert_array_equal(out, ramp(12, start=12))


def test_callback_zero_fills_and_counts_an_underflow():
    ring = PlaybackRing(64, 2)
    ring.write(ramp(3, start=1), 0, 1)
    out = np.full((8, 2), np.nan, np.float32)
    ring.callback(out, 8, stamp(1.0), sd.CallbackFlags())
    np.testing.assert_array_equal(out[:3], ramp(3, start=1))
    assert not out[3:].any()
    assert ring.underflows == 1 and not ring.ended


def test_callback_at_the_end_of_the_source_is_not_an_underflow():
    ring = PlaybackRing(64, 2)
    ring.write(ramp(3, start=1), 0, 1)
    ring.mark_end()
    out = np.full((8, 2), np.nan, np.float32)
    ring.callback(out, 8, stamp(1.0), sd.CallbackFlags())
    assert not out[3:].any()
    assert ring.ended and ring.underflows == 0


def test_restart_drops_queued_audio():
    ring = PlaybackRing(64, 2)
    ring.write(ramp(20), 0, 1)
    ring.restart()                                         # a seek
    ring.write(ramp(5, start=1000), 1000, 1)
    out = np.empty((5, 2), np.float32)
    ring.callback(out, 5, stamp(2.0), sd.CallbackFlags())
    np.testing.assert_array_equal(out, ramp(5, start=1000))
    assert ring.position_at(2.0, RATE) == 1000


def test_position_follows_the_stream_clock_from_the_block_at_the_dac():
    ring = PlaybackRing(64, 1)
    ring.write(np.zeros((32, 1), np.float32), 4000, 1)
    out = np.empty((16, 1), np.float32)
    ring.callback(out, 16, stamp(10.0), sd.CallbackFlags())
    ring.callback(out, 16, stamp(10.001), sd.CallbackFlags())
    assert ring.position_at(9.99, RATE) is None            # nothing has reached the DAC yet
    assert ring.position_at(10.0005, RATE) == pytest.approx(4008)
    assert ring.position_at(10.002, RATE) == pytest.approx(4016 + 16)


def test_position_without_device_timestamps_is_the_last_block():
    ring = PlaybackRing(64, 1)
    ring.write(np.zeros((32, 1), np.float32), 700, 1)
    out = np.empty((16, 1), np.float32)
    ring.callback(out, 16, SimpleNamespace(outputBufferDacTime=0.0, currentTime=0.0), sd.CallbackFlags())
    ring.callback(out, 16, SimpleNamespace(outputBufferDacTime=0.0, currentTime=0.0), sd.CallbackFlags())
    assert ring.position_at(0.0, RATE) == 716


def test_callback_allocates_no_audio_buffers():
    ring = PlaybackRing(1 << 16, 2)
    ring.write(np.ones((1 << 15, 2), np.float32), 0, 1)
    out = np.empty((4096, 2), np.float32)
    flags, when = sd.CallbackFlags(), stamp(1.0)
    ring.callback(out, 4096, when, flags)
    tracemalloc.start()
    for _ in range(6):
        ring.callback(out, 4096, when, flags)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < out.nbytes / 8                            # a copied block would be 32 KiB


@pytest.mark.parametrize(("source_rate", "stream_rate"), [(48_000, 48_000), (8_000, 48_000), (768_000, 44_100)])
def test_ring_holds_two_feeder_steps_even_when_upsampling(source_rate, stream_rate):
    step = feed_block_frames(source_rate, stream_rate)
    assert step >= FEED_FRAMES * stream_rate / source_rate
    assert ring_frames(source_rate, stream_rate) >= 2 * step


# --- sources ------------------------------------------------------------------------------
@pytest.fixture
def four_channel(tmp_path):
    audio = np.stack([np.full(RATE, 0.1 * (c + 1), np.float32) for c in range(4)], axis=1)
    sf.write(tmp_path / "four.wav", audio, RATE, subtype="FLOAT")
    with open_recording(tmp_path / "four.wav") as rec:
        yield rec


def test_one_monitored_channel_goes_to_both_outputs(four_channel):
    out = np.empty((100, 2), np.float32)
    RecordingSource(four_channel, [2]).fill(out, 0)
    np.testing.assert_allclose(out, 0.3)


def test_a_monitored_pair_goes_left_and_right(four_channel):
    out = np.empty((100, 2), np.float32)
    RecordingSource(four_channel, [3, 0]).fill(out, 0)
    np.testing.assert_allclose(out[:, 0], 0.4)
    np.testing.assert_allclose(out[:, 1], 0.1)


def test_source_zero_fills_past_the_end(four_channel):
    out = np.full((100, 2), np.nan, np.float32)
    RecordingSource(four_channel, [0]).fill(out, four_channel.frames - 40)
    np.testing.assert_allclose(out[:40], 0.1)
    assert not out[40:].any()


def test_monitoring_a_missing_channel_is_refused(four_channel):
    with pytest.raises(PlaybackError, match="channels 1–4"):
        RecordingSource(four_channel, [4])


# --- the level meter's history ---------------------------------------------------------------
def test_level_history_keeps_each_blocks_peak_per_output():
    history = LevelHistory(outputs=2)
    audio = np.zeros((4 * METER_BLOCK, 2), np.float32)
    audio[METER_BLOCK + 3] = [0.5, -0.25]
    audio[3 * METER_BLOCK] = [0.0, -0.75]
    history.record(audio, 0)
    np.testing.assert_array_equal(history.peak(METER_BLOCK, 2 * METER_BLOCK), [0.5, 0.25])
    np.testing.assert_array_equal(history.peak(0, 4 * METER_BLOCK), [0.5, 0.75])
    np.testing.assert_array_equal(history.peak(0, METER_BLOCK), [0.0, 0.0])


def test_level_history_knows_nothing_of_blocks_not_read():
    history = LevelHistory(outputs=1)
    history.record(np.ones((METER_BLOCK, 1), np.float32), 10 * METER_BLOCK)
    assert history.peak(0, 5 * METER_BLOCK) is None
    np.testing.assert_array_equal(history.peak(0, 11 * METER_BLOCK), [1.0])


def test_a_block_read_in_two_parts_keeps_the_larger_peak():
    history = LevelHistory(outputs=1)
    history.record(np.full((10, 1), 0.2, np.float32), 0)
    history.record(np.full((METER_BLOCK - 10, 1), 0.1, np.float32), 10)   # a loop or seek resumed inside it
    np.testing.assert_allclose(history.peak(0, METER_BLOCK), [0.2])


def test_a_cleared_history_forgets_what_other_channels_played():
    history = LevelHistory(outputs=1)
    history.record(np.ones((METER_BLOCK, 1), np.float32), 0)
    history.clear()
    assert history.peak(0, METER_BLOCK) is None


# --- a real PortAudio device --------------------------------------------------------------
class RampSource:
    """An in-memory source at any rate: each frame's value is its own index."""

    def __init__(self, frames: int, sample_rate: int) -> None:
        self.frames, self.sample_rate = frames, sample_rate

    def fill(self, out: np.ndarray, position: int) -> None:
        n = max(0, min(out.shape[0], self.frames - position))
        out[:n] = np.arange(position, position + n, dtype=np.float32)[:, None]
        out[n:] = 0.0


@pytest.fixture
def short_speech(tmp_path):
    rng = np.random.default_rng(0)
    sf.write(tmp_path / "short.wav", (0.1 * rng.standard_normal((int(0.3 * RATE), 2))).astype(np.float32), RATE)
    with open_recording(tmp_path / "short.wav") as rec:
        yield rec


def test_playback_through_portaudio_advances_the_position(short_speech):
    player = Player()
    player.load(RecordingSource(short_speech, [0]))
    player.seek(100)
    player.play()
    try:
        assert player.is_playing and player.stream_rate == RATE
        assert wait_until(lambda: player.position > 100)
        assert wait_until(lambda: player.finished)
    finally:
        player.pause()
    assert player.position == short_speech.frames
    assert not player.is_playing


def test_playing_meters_the_monitored_channels_and_pausing_stops_it(tmp_path):
    levels = np.array([0.5, 0.25], np.float32)
    sf.write(tmp_path / "steady.wav", np.tile(levels, (RATE * 5, 1)), RATE, subtype="FLOAT")
    with open_recording(tmp_path / "steady.wav") as recording:
        player = Player()
        player.load(RecordingSource(recording, [0, 1]))
        assert player.level() is None
        player.play()
        try:
            outputs = player._ring.audio.shape[1]
            expected = levels if outputs == 2 else levels.mean(keepdims=True)   # a mono device mixes down
            assert wait_until(lambda: player.level() is not None)
            np.testing.assert_allclose(player.level(), expected)
        finally:
            player.pause()
        assert player.level() is None


def test_pause_keeps_the_position_and_play_resumes_there(short_speech):
    player = Player()
    player.load(RecordingSource(short_speech, [0, 1]))
    player.seek(2000)
    player.play()
    player.pause()
    paused = player.position
    assert 2000 <= paused <= short_speech.frames
    assert player.position == paused


def test_looped_selection_keeps_the_playhead_inside(tmp_path):
    player = Player()
    player.load(RampSource(RATE * 10, RATE))
    player.set_loop(Loop(1000, 3000))
    assert player.position == 1000
    seen = []
    player.play()
    try:
        wait_until(lambda: seen.append(player.position) or len(seen) > 60)
    finally:
        player.pause()
    assert all(1000 <= p < 3000 for p in seen)
    assert not player.finished


def play_to_the_end(frames: int, stop: int, start: int) -> Player:
    """Play a ramp of `frames` with a stop frame from `start` until the player says it finished."""
    player = Player()
    player.load(RampSource(frames, RATE))
    player.set_stop(stop)
    player.seek(start)
    player.play()
    try:
        assert wait_until(lambda: player.finished)
    finally:
        player.pause()
    return player


def test_a_stop_frame_ends_playback_there():
    assert play_to_the_end(RATE * 10, stop=3000, start=1000).position == 3000


def test_a_seek_past_the_stop_frame_plays_on_to_the_end():
    assert play_to_the_end(RATE, stop=3000, start=8000).position == RATE


def test_play_at_the_stop_frame_starts_over():
    player = play_to_the_end(RATE * 10, stop=3000, start=3000)
    assert player.position == 3000 and player.underflows == 0


def test_a_refused_rate_reopens_at_the_device_rate_and_resamples():
    player = Player()
    player.load(RampSource(768_000, 768_000))               # ALSA refuses 768 kHz
    player.play()
    try:
        device_rate = int(sd.query_devices(None, "output")["default_samplerate"])
        assert player.stream_rate == device_rate
        assert "768000 Hz" in player.notice and f"{device_rate} Hz" in player.notice
        assert wait_until(lambda: player.position > 10_000)
    finally:
        player.pause()


def test_no_such_device_gives_a_clear_error(short_speech):
    player = Player(device=999)
    player.load(RecordingSource(short_speech, [0]))
    with pytest.raises(PlaybackError, match="Output device 999 is not available"):
        player.play()
    assert not player.is_playing


def test_at_half_speed_each_played_frame_moves_the_playhead_half_a_frame():
    player = Player()
    player.load(RampSource(RATE * 10, RATE))
    player.set_speed(0.5)
    player.seek(RATE)
    player.play()
    try:
        ring = player._ring
        assert wait_until(lambda: ring._write > 4 * FEED_FRAMES)
        steps = np.diff(ring.positions[:2 * FEED_FRAMES])
        assert np.median(steps) == pytest.approx(0.5)
        assert wait_until(lambda: player.position > RATE + 1000)
    finally:
        player.pause()


def test_changing_speed_while_playing_goes_on_from_the_same_place():
    player = Player()
    player.load(RampSource(RATE * 60, RATE))
    player.seek(5 * RATE)
    player.play()
    try:
        player.set_speed(1.5)
        assert player.is_playing and player.speed == 1.5 and player.position >= 5 * RATE
    finally:
        player.pause()


def test_a_speed_the_transport_does_not_offer_is_refused():
    with pytest.raises(PlaybackError, match="outside 0.5–2×"):
        Player().set_speed(3.0)


class BrokenSource(RampSource):
    """A source whose reading fails with an error no one planned for."""

    def fill(self, out: np.ndarray, position: int) -> None:
        raise ValueError("a bug in a source")


def test_an_unplanned_error_in_the_feeder_stops_playback_with_a_message():
    player = Player()
    player.load(BrokenSource(RATE * 10, RATE))
    player.play()
    try:
        assert wait_until(lambda: player.error is not None)
        assert isinstance(player.error, PlaybackError) and "preparing the audio failed" in str(player.error)
        assert wait_until(lambda: player.finished)
    finally:
        player.pause()
