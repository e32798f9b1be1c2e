"""Playback through PortAudio: a feeder thread prepares audio, the callback only copies it.

Three activities run at once (as in python-sounddevice's `play_long_file.py`):
- the caller (GUI thread) starts, pauses, seeks and reads `position`; it may block briefly;
- the feeder thread reads blocks from a `Source` into a preallocated `PlaybackRing`, handles
  seeks and loops, and resamples with soxr when the device refused the file's rate; it may block
  on file reads;
- the PortAudio callback copies from the ring into the device buffer, zero-fills what is not
  there yet and counts it. It never allocates arrays, takes locks, logs or touches files.

The ring is single-producer/single-consumer without locks: each index is written by one side
only, and Python assigns an int atomically.
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import soxr

from app.engine.errors import AppError, PlaybackError
from app.engine.files import Recording
from app.engine.loudness import gain_to_target

log = logging.getLogger(__name__)

RING_SECONDS = 0.5        # prepared audio ahead of the device: survives a slow disk read
FEED_FRAMES = 4096        # frames the feeder reads per step
FEED_POLL_SECONDS = 0.01  # how often the feeder looks for free space in the ring
CLOCK_POINTS = 16         # recent (DAC time, position) pairs kept for the playhead
MAX_OUTPUTS = 2           # monitoring is on headphones or a stereo pair
METER_BLOCK = 256         # source frames per remembered peak (16 ms at 16 kHz, 5 ms at 48 kHz)
METER_SLOTS = 4096        # remembered peaks: far more than the feeder runs ahead at any rate
METER_SECONDS = 0.05      # a level is the peak of the last 50 ms played (a PPM's integration time)


def sounddevice_module(error: type[AppError] = PlaybackError, what: str = "Audio output") -> Any:
    """Import sounddevice late: a missing PortAudio library is an `error` naming `what`, not a crash."""
    try:
        import sounddevice
    except OSError as err:
        raise error(f"{what} is unavailable: PortAudio could not be loaded ({err}). "
                    "Install libportaudio2 (or your system's PortAudio package).") from err
    return sounddevice


@dataclass(frozen=True)
class OutputDevice:
    index: int
    name: str
    default_sample_rate: int
    max_outputs: int


def output_devices() -> list[OutputDevice]:
    """Every device PortAudio can play to."""
    sd = sounddevice_module()
    return [OutputDevice(i, d["name"], int(d["default_samplerate"]), int(d["max_output_channels"]))
            for i, d in enumerate(sd.query_devices()) if d["max_output_channels"] > 0]


class Source(Protocol):
    """Something that fills a block at a position: a recording's channels today, later an
    in-memory version for A/B."""

    sample_rate: int
    frames: int

    def fill(self, out: np.ndarray, position: int) -> None:
        """Write `out.shape[0]` frames starting at `position` into `out` `(frames, outputs)`."""


class RecordingSource:
    """Monitors one or two channels of a recording: one channel goes to every output, a pair
    to left and right (averaged only on a mono device). The file itself is never changed."""

    def __init__(self, recording: Recording, channels: Sequence[int]) -> None:
        chosen = [int(c) for c in channels]
        if not 1 <= len(chosen) <= MAX_OUTPUTS or any(not 0 <= c < recording.channels for c in chosen):
            raise PlaybackError(f"{recording.name} has channels 1–{recording.channels}; monitor one or two of "
                                f"them (asked for {', '.join(str(c + 1) for c in chosen) or 'none'}).")
        self.recording = recording
        self.channels = tuple(chosen)
        self.sample_rate = recording.sample_rate
        self.frames = recording.frames

    def fill(self, out: np.ndarray, position: int) -> None:
        block = self.recording.read(position, position + out.shape[0], list(self.channels))
        n = block.shape[1]
        if out.shape[1] == 1:
            out[:n, 0] = block.mean(axis=0)
        elif block.shape[0] == 1:
            out[:n] = block[0][:, None]
        else:
            out[:n] = block[: out.shape[1]].T
        out[n:] = 0.0


class PlaybackRing:
    """Prepared audio between the feeder (producer) and the PortAudio callback (consumer).

    `positions` holds, for every ring frame, the source frame it came from, so the playhead
    stays right across seeks, loop wraps and resampling.
    """

    def __init__(self, capacity_frames: int, outputs: int) -> None:
        self.capacity = int(capacity_frames)
        self.audio = np.zeros((self.capacity, outputs), dtype=np.float32)
        self.positions = np.zeros(self.capacity, dtype=np.float64)
        self.clock = np.full((CLOCK_POINTS, 2), np.nan)   # (DAC time, source position) per callback
        self._clock_slot = 0
        self._write = 0       # producer-owned
        self._read = 0        # consumer-owned
        self._skip_to = 0     # producer asks the consumer to drop everything before this index
        self._end_at = -1     # producer marks where the source ended; -1: not ended
        self.underflows = 0   # device ran dry with the source not finished (consumer-owned)
        self.ended = False

    # --- producer side (feeder thread) -------------------------------------------------------
    def free_frames(self) -> int:
        return self.capacity - (self._write - self._read)

    def restart(self) -> None:
        """Drop whatever is queued (a seek): the callback jumps to what is written next."""
        self._end_at = -1
        self.ended = False
        self._skip_to = self._write

    def write(self, block: np.ndarray, first_position: float, position_step: float) -> None:
        """Append `block` `(frames, outputs)`; the caller checked `free_frames`."""
        n = block.shape[0]
        start = self._write % self.capacity
        head = min(n, self.capacity - start)
        self.audio[start:start + head] = block[:head]
        self.audio[: n - head] = block[head:]
        steps = first_position + position_step * np.arange(n)
        self.positions[start:start + head] = steps[:head]
        self.positions[: n - head] = steps[head:]
        self._write += n

    def mark_end(self) -> None:
        self._end_at = self._write

    # --- consumer side (PortAudio callback) --------------------------------------------------
    def callback(self, outdata: np.ndarray, frames: int, time: Any, status: Any) -> None:
        """Copy prepared frames into `outdata`; zero-fill and count what is missing."""
        read = max(self._read, self._skip_to)
        n = min(frames, self._write - read)
        if n > 0:
            start = read % self.capacity
            head = min(n, self.capacity - start)
            outdata[:head] = self.audio[start:start + head]
            outdata[head:n] = self.audio[: n - head]
            slot = self._clock_slot
            self.clock[slot, 1] = self.positions[start]
            self.clock[slot, 0] = time.outputBufferDacTime or time.currentTime
            self._clock_slot = (slot + 1) % CLOCK_POINTS
        else:
            n = 0
        outdata[n:] = 0.0
        read += n
        self._read = read
        if read == self._end_at:
            self.ended = True
        elif n < frames or status.output_underflow:
            self.underflows += 1

    def position_at(self, now: float, sample_rate: float) -> float | None:
        """Source position sounding at stream time `now`: the newest block already at the DAC,
        advanced by the time since. None before the first block reaches the DAC."""
        newest = self._clock_slot - 1
        for back in range(CLOCK_POINTS):
            dac_time, position = self.clock[(newest - back) % CLOCK_POINTS]
            if dac_time <= now:                    # NaN (no block, or before a seek) never is
                if dac_time == 0.0:                # a host API without timestamps: block resolution
                    return float(position)
                return float(position + (now - dac_time) * sample_rate)
        return None


class LevelHistory:
    """Peak magnitude per output of each `METER_BLOCK` stretch of source frames, for the level
    meter. The feeder records what it reads (one writer); the GUI asks for the stretch the
    playhead has just played. The PortAudio callback never sees it.

    Slots are keyed by absolute source frame, so loops and seeks find their own blocks; a block
    read in parts (a seek or a loop start inside it) keeps the largest peak of its parts.
    """

    def __init__(self, outputs: int) -> None:
        self.starts = np.full(METER_SLOTS, -1, np.int64)
        self.peaks = np.zeros((METER_SLOTS, outputs), np.float32)

    def clear(self) -> None:
        """Forget every block (other channels are monitored now)."""
        self.starts[:] = -1

    def record(self, audio: np.ndarray, first_frame: int) -> None:
        """`audio` `(frames, outputs)` as read from the source from `first_frame` on."""
        n = audio.shape[0]
        for block in range(first_frame // METER_BLOCK, (first_frame + n - 1) // METER_BLOCK + 1):
            lo, hi = max(first_frame, block * METER_BLOCK), min(first_frame + n, (block + 1) * METER_BLOCK)
            peak = np.abs(audio[lo - first_frame:hi - first_frame]).max(axis=0)
            slot = block % METER_SLOTS
            if self.starts[slot] == block * METER_BLOCK:
                np.maximum(self.peaks[slot], peak, out=self.peaks[slot])
            else:
                self.starts[slot] = -1             # the GUI never pairs a new peak with an old start
                self.peaks[slot] = peak
                self.starts[slot] = block * METER_BLOCK

    def peak(self, first_frame: int, stop_frame: int) -> np.ndarray | None:
        """Largest recorded peak per output over the blocks touching [first, stop); None when
        none of them has been read."""
        found = [self.peaks[block % METER_SLOTS] for block in range(max(0, first_frame) // METER_BLOCK,
                                                                    max(0, stop_frame - 1) // METER_BLOCK + 1)
                 if self.starts[block % METER_SLOTS] == block * METER_BLOCK]
        return np.max(found, axis=0) if found else None


def feed_block_frames(source_rate: int, stream_rate: int) -> int:
    """Most frames one feeder step can write: a source block after resampling, with room for
    soxr's flush at the end of the source."""
    return 2 * math.ceil(FEED_FRAMES * stream_rate / source_rate)


def ring_frames(source_rate: int, stream_rate: int) -> int:
    """Ring size at the stream rate: `RING_SECONDS`, and never less than two feeder steps."""
    return max(2 * feed_block_frames(source_rate, stream_rate), int(RING_SECONDS * stream_rate))


@dataclass(frozen=True)
class Loop:
    start_frame: int
    stop_frame: int


class _Transport:
    """What both players share: an output stream that is open while playing, its start with one
    clear error, and play/pause toggling. Subclasses define `play` and `pause`."""

    device: int | str | None
    _stream: Any = None

    @property
    def is_playing(self) -> bool:
        return self._stream is not None

    def toggle(self) -> None:
        if self.is_playing:
            self.pause()
        else:
            self.play()

    def play(self) -> None:
        raise NotImplementedError

    def pause(self) -> None:
        raise NotImplementedError

    def close(self) -> None:
        self.pause()

    def _start_stream(self, rate: int, outputs: int, name: str, callback: Any) -> None:
        """Open and start the output stream; PlaybackError naming the device when it refuses."""
        sd = sounddevice_module()
        stream = None
        try:
            stream = sd.OutputStream(samplerate=rate, device=self.device, channels=outputs, dtype="float32",
                                     callback=callback)
            stream.start()
        except sd.PortAudioError as err:
            if stream is not None:
                stream.close()
            raise PlaybackError(f"{name} could not start playing ({err}). Choose another output device "
                                "in Settings.") from err
        self._stream = stream

    def _stop_stream(self) -> None:
        stream, self._stream = self._stream, None
        stream.abort()
        stream.close()


class Player(_Transport):
    """Plays a `Source` on an output device; `position` follows the stream's clock."""

    def __init__(self, device: int | str | None = None) -> None:
        self.device = device        # PortAudio index, (part of) a device name, or None for the default
        self.notice = ""            # e.g. the device refused the file's rate: said once, shown by the GUI
        self.error: Exception | None = None   # a read error the feeder met; playback stopped there
        self._source: Source | None = None
        self._loop: Loop | None = None
        self._stop_at: int | None = None
        self._stream: Any = None
        self._ring: PlaybackRing | None = None
        self._feeder: threading.Thread | None = None
        self._stop_feeding = threading.Event()
        self._pending_seek: int | None = None
        self._seek_lock = threading.Lock()     # GUI and feeder only; the callback never sees it
        self._paused_at = 0
        self._ended_at = 0                     # where the feeder found the end (set before the ring says so)
        self._levels: LevelHistory | None = None
        self.stream_rate = 0

    # --- what the GUI sets ---------------------------------------------------------------------
    def load(self, source: Source) -> None:
        self.pause()
        self._source, self._paused_at, self._loop, self.error = source, 0, None, None

    def set_source(self, source: Source) -> None:
        """Swap what plays (other channels) at the current position without stopping."""
        position = self.position
        self._source = source
        self.seek(position)

    def set_device(self, device: int | str | None) -> None:
        playing = self.is_playing
        self.pause()
        self.device = device
        if playing:
            self.play()

    def set_loop(self, loop: Loop | None) -> None:
        """Loop [start, stop) from now on; a position outside it jumps to its start."""
        if loop is not None and loop.stop_frame - loop.start_frame < 2:
            loop = None
        self._loop = loop
        if loop is not None and not loop.start_frame <= self.position < loop.stop_frame:
            self.seek(loop.start_frame)

    @property
    def loop(self) -> Loop | None:
        return self._loop

    def set_stop(self, frame: int | None) -> None:
        """End playback at `frame` (a selection's end) rather than at the source's end; None:
        the source's end. A loop, while set, takes precedence; a position past `frame` plays on to
        the source's end. Applies to what the feeder has not prepared yet."""
        self._stop_at = None if frame is None else int(frame)

    def end_frame(self) -> int:
        """Where playback ends without a loop: the stop frame, or the source's end."""
        frames = self._source.frames if self._source is not None else 0
        return frames if self._stop_at is None else min(max(self._stop_at, 0), frames)

    # --- transport -----------------------------------------------------------------------------
    @property
    def finished(self) -> bool:
        """The source played to its end (no loop); the GUI then calls `pause`."""
        return self._ring is not None and self._ring.ended

    @property
    def underflows(self) -> int:
        return self._ring.underflows if self._ring is not None else 0

    def level(self) -> np.ndarray | None:
        """Peak magnitude per output of the last `METER_SECONDS` played; None when not playing."""
        levels, source = self._levels, self._source
        if not self.is_playing or levels is None or source is None:
            return None
        position = self.position
        return levels.peak(position - round(METER_SECONDS * source.sample_rate), position)

    @property
    def position(self) -> int:
        """Source frame sounding now (the paused position when not playing)."""
        ring, stream = self._ring, self._stream
        if stream is None or ring is None or self._source is None:
            return self._paused_at
        if ring.ended:
            return self._ended_at
        found = ring.position_at(stream.time, self._source.sample_rate)
        if found is None:
            return self._paused_at
        loop = self._loop
        if loop is not None and not loop.start_frame <= found < loop.stop_frame:   # around a wrap
            found = loop.start_frame + (found - loop.start_frame) % (loop.stop_frame - loop.start_frame)
        return int(min(max(found, 0), self._source.frames))

    def seek(self, frame: int) -> None:
        frame = int(min(max(frame, 0), self._source.frames if self._source else 0))
        self._paused_at = frame
        if self._ring is not None:
            self._ring.clock[:, 0] = np.nan   # old blocks no longer say where we are
        with self._seek_lock:
            self._pending_seek = frame

    def _take_seek(self) -> int | None:
        with self._seek_lock:
            seek, self._pending_seek = self._pending_seek, None
        return seek

    def play(self) -> None:
        """Start at the current position (from the start when at the end, or at the stop frame);
        raises PlaybackError."""
        if self._source is None or self.is_playing:
            return
        if self._paused_at >= self._source.frames or (self._loop is None and self._paused_at == self.end_frame()):
            self._paused_at = self._loop.start_frame if self._loop else 0
        self.error = None
        rate, outputs, name = self._choose_format(self._source.sample_rate)
        self.stream_rate = rate
        self._ring = PlaybackRing(ring_frames(self._source.sample_rate, rate), outputs)
        self._levels = LevelHistory(outputs)
        with self._seek_lock:
            self._pending_seek = self._paused_at
        self._stop_feeding.clear()
        feeder = _Feeder(self, self._ring)
        feeder.feed_until_full()          # primed before the stream starts, so it starts with sound
        self._start_stream(rate, outputs, name, self._ring.callback)
        self._feeder = threading.Thread(target=feeder.run, name="playback-feeder", daemon=True)
        self._feeder.start()
        log.info("playing at %d Hz on %s from frame %d", rate, name, self._paused_at)

    def pause(self) -> None:
        if self._stream is None:
            return
        self._paused_at = self.position
        self._stop_feeding.set()
        if self._feeder is not None:
            self._feeder.join()
            self._feeder = None
        self._stop_stream()

    def _choose_format(self, rate: int) -> tuple[int, int, str]:
        rate, outputs, name, self.notice = choose_output_format(self.device, rate)
        return rate, outputs, name


def choose_output_format(device: int | str | None, rate: int) -> tuple[int, int, str, str]:
    """(rate, outputs, device name, notice): the file's rate, or the device's own if it refuses
    that (the notice then says so, once)."""
    sd = sounddevice_module()
    try:
        info = sd.query_devices(device, "output")
    except (sd.PortAudioError, ValueError) as err:
        which = "No audio output device was found" if device is None else \
            f"Output device {device!r} is not available"
        raise PlaybackError(f"{which} ({err}); connect one or pick another in Settings. "
                            "Viewing and exporting still work.") from err
    name = str(info["name"])
    outputs = max(1, min(MAX_OUTPUTS, int(info["max_output_channels"])))
    device_rate = int(info["default_samplerate"])
    problem: Exception | None = None
    for candidate in dict.fromkeys((rate, device_rate)):
        try:
            sd.check_output_settings(device, channels=outputs, dtype="float32", samplerate=candidate)
        except sd.PortAudioError as err:
            problem = err
            continue
        notice = "" if candidate == rate else (
            f"{name} does not play {rate} Hz; playing at {candidate} Hz, resampled while playing "
            "(the file is unchanged).")
        if notice:
            log.warning("%s", notice)
        return candidate, outputs, name, notice
    raise PlaybackError(f"{name} refused to play at {rate} Hz and at its own {device_rate} Hz ({problem}). "
                        "Choose another output device in Settings.")


class _Feeder:
    """The producer: source blocks (looped, resampled if needed) into the ring."""

    def __init__(self, player: Player, ring: PlaybackRing) -> None:
        self.player = player
        self.ring = ring
        self.levels = player._levels
        source = player._source
        assert source is not None
        self.position = player._paused_at   # next source frame to read
        self.out_position = float(self.position)
        self.ratio = source.sample_rate / player.stream_rate
        self.resampler: soxr.ResampleStream | None = None
        self.block = np.zeros((FEED_FRAMES, ring.audio.shape[1]), dtype=np.float32)
        self.room_needed = feed_block_frames(source.sample_rate, player.stream_rate)
        self.done = False

    def run(self) -> None:
        stop = self.player._stop_feeding
        while not stop.is_set():
            if not self.feed_until_full():
                stop.wait(FEED_POLL_SECONDS)

    def feed_until_full(self) -> bool:
        """Fill the ring; True if anything was written."""
        wrote = False
        while True:
            seek = self.player._take_seek()
            if seek is not None:
                self._restart(seek)
            if self.done or self.ring.free_frames() < self.room_needed:
                return wrote
            try:
                self._feed_block()
            except AppError as err:      # the thread's edge: playback stops, the GUI shows why
                log.exception("playback stopped by a read error")
                self.player.error = err
                self.player._ended_at = self.position
                self.ring.mark_end()
                self.done = True
                return wrote
            wrote = True

    def _restart(self, frame: int) -> None:
        self.ring.restart()
        if self.levels is not None:
            self.levels.clear()          # a seek may come with other monitored channels
        self.position, self.out_position, self.done = frame, float(frame), False
        self.resampler = None

    def _feed_block(self) -> None:
        source, loop = self.player._source, self.player._loop
        assert source is not None
        if loop is not None and self.position < loop.stop_frame:
            end = loop.stop_frame
        else:
            end = self.player.end_frame() if self.position <= self.player.end_frame() else source.frames
        n = min(FEED_FRAMES, end - self.position)
        block = self.block[:n]
        source.fill(block, self.position)
        if self.levels is not None:
            self.levels.record(block, self.position)
        self.position += n
        at_end = self.position >= end
        wrapped = at_end and loop is not None and end == loop.stop_frame
        if wrapped:
            self.position, at_end = loop.start_frame, False
        if self.ratio != 1.0:
            if self.resampler is None:
                self.resampler = soxr.ResampleStream(source.sample_rate, self.player.stream_rate,
                                                     block.shape[1], dtype="float32", quality="HQ")
            block = self.resampler.resample_chunk(block, last=at_end)
        self.ring.write(block, self.out_position, self.ratio)
        if self.ratio == 1.0 or wrapped:
            self.out_position = float(self.position)
        else:
            self.out_position += block.shape[0] * self.ratio
        if at_end:
            self.player._ended_at = end
            self.ring.mark_end()
            self.done = True


# --- A/B listening ------------------------------------------------------------------------------
AB_FADE_SECONDS = 0.008      # crossfade on a switch: short enough to compare, long enough to not click
AB_MAX_BLOCK = 16_384        # largest callback block the scratch buffers cover


def lane_peak(lane: np.ndarray) -> float:
    """Largest magnitude of a lane, 0 when empty (loudness matching keeps gained lanes below it)."""
    return float(np.max(np.abs(lane))) if lane.shape[0] else 0.0


def matched_gains(loudness_lufs: np.ndarray, peaks: np.ndarray) -> np.ndarray:
    """Playback gains `(lanes,)` that bring every lane to one integrated loudness: the lanes'
    median, lowered where needed so that no gained lane peaks above full scale. Silent lanes
    (-inf LUFS) keep gain 1."""
    loudness = np.asarray(loudness_lufs, np.float64)
    gains = np.ones(loudness.shape[0], np.float32)
    audible = np.isfinite(loudness)
    if not audible.any():
        return gains
    target = float(np.median(loudness[audible]))
    for i in np.flatnonzero(audible):
        if peaks[i] > 0:
            target = min(target, loudness[i] - 20 * math.log10(peaks[i]))   # loudest without clipping lane i
    gains[audible] = gain_to_target(loudness[audible], target)
    return gains


class ABMixer:
    """The A/B callback: plays one of several equal-length 1-D lanes at one position; a switch
    crossfades linearly over `fade_frames` from the old lane (and gain) to the new one.
    Everything is allocated here; `callback` only copies and multiplies into preallocated buffers.

    The GUI thread writes only `_requested`, `_gains`, `_seek_frame`/`_seek_serial`, `loop`,
    `stop` and `muted`; the callback owns `_current`, the fade and `position` (single writer each).
    """

    def __init__(self, lanes: Sequence[np.ndarray], outputs: int, fade_frames: int,
                 gains: np.ndarray | None = None) -> None:
        assert all(lane.ndim == 1 and lane.dtype == np.float32 for lane in lanes)
        assert len({lane.shape[0] for lane in lanes}) <= 1, "lanes must have one length"
        self.lanes = list(lanes)
        self.frames = lanes[0].shape[0] if len(lanes) else 0
        self.fade_frames = max(1, int(fade_frames))
        self._rise = np.linspace(0.0, 1.0, self.fade_frames + 2, dtype=np.float32)[1:-1]
        self._fall = np.ascontiguousarray(self._rise[::-1])
        self._a = np.zeros(AB_MAX_BLOCK, np.float32)
        self._b = np.zeros(AB_MAX_BLOCK, np.float32)
        self._gains = np.ones(len(lanes), np.float32) if gains is None else np.asarray(gains, np.float32)
        self._active_gains = self._gains
        self.muted = np.zeros(len(lanes), bool)
        self._requested = 0
        self._current = 0
        self._previous = 0
        self._previous_gain = 1.0
        self._fade_left = 0
        self._seek_frame = 0
        self._seek_serial = 0
        self._seen_serial = 0
        self.loop: Loop | None = None
        self.stop: int | None = None          # without a loop, playback ends here (a selection's end)
        self.position = 0
        self.outputs = outputs
        self.underflows = 0
        self.ended = False

    # --- GUI side -------------------------------------------------------------------------------
    def select(self, lane: int) -> None:
        self._requested = int(lane)

    @property
    def current(self) -> int:
        return self._requested

    def set_gains(self, gains: np.ndarray) -> None:
        self._gains = np.asarray(gains, np.float32).copy()

    def recent_peak(self, frames: int) -> float:
        """Largest magnitude of the last `frames` played from the selected lane, times its gain."""
        lane, p = self._requested, self.position
        return lane_peak(self.lanes[lane][max(0, p - frames):p]) * self._gain(self._gains, lane)

    def seek(self, frame: int) -> None:
        self._seek_frame = int(min(max(frame, 0), self.frames))
        self._seek_serial += 1
        self.position = self._seek_frame     # read back at once while paused; the callback agrees
        self.ended = False

    # --- callback side --------------------------------------------------------------------------
    def _gain(self, gains: np.ndarray, lane: int) -> float:
        return 0.0 if self.muted[lane] else float(gains[lane])

    def callback(self, outdata: np.ndarray, frames: int, time: Any, status: Any) -> None:
        if status is not None and status.output_underflow:
            self.underflows += 1
        if self._seek_serial != self._seen_serial:
            self._seen_serial = self._seek_serial
            self.position = self._seek_frame
            self.ended = False
        gains = self._gains
        if self._requested != self._current or gains is not self._active_gains:
            self._previous, self._previous_gain = self._current, self._gain(self._active_gains, self._current)
            self._current, self._active_gains = self._requested, gains
            self._fade_left = self.fade_frames
        written = 0
        p = self.position
        stop = self.stop
        last = self.frames if stop is None or p > stop else min(stop, self.frames)   # a seek past it plays on
        while written < frames:
            loop = self.loop
            end = last
            if loop is not None:
                if p >= loop.stop_frame:          # the loop's end (or a seek past it) wraps
                    p = loop.start_frame
                end = min(loop.stop_frame, self.frames)
            n = min(frames - written, end - p)
            if n <= 0:
                outdata[written:] = 0.0
                self.ended = True
                break
            self._mix(outdata[written:written + n], p, n, self._gain(gains, self._current))
            written += n
            p += n
        self.position = p

    def _mix(self, out: np.ndarray, p: int, n: int, gain: float) -> None:
        a = self._a[:n]
        np.multiply(self.lanes[self._current][p:p + n], gain, out=a)
        if self._fade_left:
            k = min(n, self._fade_left)
            at = self.fade_frames - self._fade_left
            b = self._b[:k]
            np.multiply(a[:k], self._rise[at:at + k], out=a[:k])
            np.multiply(self.lanes[self._previous][p:p + k], self._previous_gain, out=b)
            np.multiply(b, self._fall[at:at + k], out=b)
            np.add(a[:k], b, out=a[:k])
            self._fade_left -= k
        out[:] = a[:, None]


class ABPlayer(_Transport):
    """Plays an `ABMixer` on an output device: A/B between in-memory lanes at one position.

    Lanes are prepared once (`load`): resampled to the device's rate when it refuses theirs, and
    loudness gains computed, so the callback does nothing but copy, multiply and add. Lanes are
    kept by reference, never stacked into one copy: a version's audio plays from where it lies.
    """

    def __init__(self, device: int | str | None = None) -> None:
        self.device = device
        self.notice = ""
        self.error: Exception | None = None   # playback could not resume after `load`; the GUI reports it
        self.loudness_matched = True
        self.sample_rate = 0               # the lanes' own rate; positions are in these frames
        self._names: list[str] = []
        self._lanes: list[np.ndarray] | None = None
        self._matched_gains: np.ndarray | None = None
        self._peaks = np.zeros(0, np.float32)
        self._mixer: ABMixer | None = None
        self._stream: Any = None
        self._ratio = 1.0                  # stream frames per lane frame
        self._loop: Loop | None = None
        self._stop_at: int | None = None

    @property
    def names(self) -> list[str]:
        return list(self._names)

    def lane(self, index: int) -> np.ndarray:
        """Lane `index` as loaded (read-only use: the callback plays from it)."""
        assert self._lanes is not None
        return self._lanes[index]

    def load(self, names: list[str], lanes: Sequence[np.ndarray], sample_rate: int,
             loudness_lufs: list[float] | None = None, peaks: Sequence[float] | None = None) -> None:
        """Equal-length 1-D float32 lanes at `sample_rate`; keeps the position and selection.
        `peaks` (each lane's largest magnitude) saves a pass over the audio when known.

        Loudness matching needs each lane's integrated loudness (`app.engine.loudness`, slow:
        computed off the GUI thread); until `set_loudness` gives it, lanes play at true level.
        """
        position = self.position
        current = self.current
        was_playing = self.is_playing
        self.pause()
        self._names, self.sample_rate = list(names), int(sample_rate)
        self._lanes = [np.asarray(lane, dtype=np.float32) for lane in lanes]
        self._peaks = np.zeros(len(names), np.float32)      # needed, and measured, only with the loudness
        self._matched_gains = np.ones(len(names), np.float32)
        if loudness_lufs is not None:
            self.set_loudness(loudness_lufs, peaks)
        self._mixer = ABMixer(self._lanes, 1, round(AB_FADE_SECONDS * sample_rate), self._gains())
        self._mixer.select(max(0, min(current, len(names) - 1)))
        self._mixer.loop = self._loop
        self._ratio = 1.0
        self.set_stop(self._stop_at)
        self.seek(position)
        if was_playing and names:           # a lane arriving (e.g. the mixture read) does not stop playback
            try:
                self.play()
            except PlaybackError as err:
                self.error = err

    def set_loudness(self, loudness_lufs: list[float], peaks: Sequence[float] | None = None) -> None:
        """Each lane's integrated loudness (LUFS, -inf silent) and, when known, its largest
        magnitude (else a pass over each lane measures it): matching applies from now on."""
        assert self._lanes is not None
        self._peaks = np.asarray(peaks if peaks is not None else [lane_peak(lane) for lane in self._lanes],
                                 np.float32)
        self._matched_gains = matched_gains(np.asarray(loudness_lufs), self._peaks)
        if self._mixer is not None:
            self._mixer.set_gains(self._gains())

    def _gains(self) -> np.ndarray:
        assert self._matched_gains is not None
        return self._matched_gains if self.loudness_matched else np.ones_like(self._matched_gains)

    @property
    def gains(self) -> np.ndarray:
        return self._gains().copy() if self._matched_gains is not None else np.ones(0, np.float32)

    @property
    def frames(self) -> int:
        return self._lanes[0].shape[0] if self._lanes else 0

    @property
    def current(self) -> int:
        return self._mixer.current if self._mixer is not None else 0

    def select(self, lane: int) -> None:
        if self._mixer is not None and 0 <= lane < len(self._names):
            self._mixer.select(lane)

    def set_loudness_matched(self, matched: bool) -> None:
        self.loudness_matched = matched
        if self._mixer is not None:
            self._mixer.set_gains(self._gains())

    def set_muted(self, lane: int, muted: bool) -> None:
        if self._mixer is not None:
            self._mixer.muted[lane] = muted

    def set_loop(self, loop: Loop | None) -> None:
        if loop is not None and loop.stop_frame - loop.start_frame < 2:
            loop = None
        self._loop = loop
        if self._mixer is not None:
            self._mixer.loop = None if loop is None else Loop(round(loop.start_frame * self._ratio),
                                                             round(loop.stop_frame * self._ratio))
            if loop is not None and not loop.start_frame <= self.position < loop.stop_frame:
                self.seek(loop.start_frame)

    def set_stop(self, frame: int | None) -> None:
        """End playback at lane frame `frame` (a selection's end) rather than the lanes' end."""
        self._stop_at = None if frame is None else int(frame)
        if self._mixer is not None:
            self._mixer.stop = None if frame is None else round(frame * self._ratio)

    def end_frame(self) -> int:
        return self.frames if self._stop_at is None else min(max(self._stop_at, 0), self.frames)

    @property
    def finished(self) -> bool:
        return self._mixer is not None and self._mixer.ended

    @property
    def underflows(self) -> int:
        return self._mixer.underflows if self._mixer is not None else 0

    def level(self) -> np.ndarray | None:
        """Peak magnitude per output of the last `METER_SECONDS` played, with the lane's gain
        (what the listener hears); None when not playing. Read straight from the lane in memory."""
        mixer = self._mixer
        if not self.is_playing or mixer is None:
            return None
        peak = mixer.recent_peak(round(METER_SECONDS * self.sample_rate * self._ratio))
        return np.full(mixer.outputs, peak, np.float32)

    @property
    def position(self) -> int:
        """Lane frame being played (the block handed to the device last)."""
        return int(self._mixer.position / self._ratio) if self._mixer is not None else 0

    def seek(self, frame: int) -> None:
        if self._mixer is not None:
            self._mixer.seek(round(min(max(frame, 0), self.frames) * self._ratio))

    def play(self) -> None:
        """Start at the current position (from the start when at the end); raises PlaybackError."""
        if self._mixer is None or self._lanes is None or self.is_playing:
            return
        rate, outputs, name, self.notice = choose_output_format(self.device, self.sample_rate)
        position, current = self.position, self.current
        if position >= self.frames or (self._loop is None and position == self.end_frame()):
            position = self._loop.start_frame if self._loop else 0
        lanes = self._lanes
        self._ratio = rate / self.sample_rate
        if rate != self.sample_rate:
            lanes = [soxr.resample(lane, self.sample_rate, rate, quality="HQ").astype(np.float32)
                     for lane in lanes]
        mixer = ABMixer(lanes, outputs, round(AB_FADE_SECONDS * rate), self._gains())
        mixer.muted[:] = self._mixer.muted
        mixer.select(current)
        mixer._current = current                        # no fade at start: it starts where it is
        self._mixer = mixer
        self.set_loop(self._loop)
        self.set_stop(self._stop_at)
        self.seek(position)
        self._start_stream(rate, outputs, name, mixer.callback)
        log.info("A/B playing %d lanes at %d Hz on %s", len(lanes), rate, name)

    def pause(self) -> None:
        if self._stream is not None:
            self._stop_stream()
