"""Playback through PortAudio: a feeder thread prepares audio, the callback only copies it.

Three activities run at once (as in python-sounddevice's `play_long_file.py`):
- the caller (GUI thread) starts, pauses, seeks and reads `position`; it may block briefly;
- the feeder thread reads blocks from a `Source` into a preallocated `PlaybackRing`, handles
  seeks and loops, keeps only a band of frequencies while one is selected (`band_filter`),
  time-stretches them at another speed (`time_stretch`) and resamples with soxr when the device
  refused the source's rate; it may block on file reads;
- the PortAudio callback copies from the ring into the device buffer, zero-fills what is not
  there yet and counts it. It never allocates arrays, takes locks, logs or touches files.

The ring is single-producer/single-consumer without locks: each index is written by one side
only, and Python assigns an int atomically. A/B is the same machinery over a `LaneSource`: the
ring holds every lane side by side, and its callback plays the selected one (`LaneRing`).
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

from app.engine.band_filter import BandFilter
from app.engine.errors import AppError, PlaybackError
from app.engine.files import Recording
from app.engine.loudness import gain_to_target
from app.engine.time_stretch import Stretcher

log = logging.getLogger(__name__)

RING_SECONDS = 0.5        # prepared audio ahead of the device: survives a slow disk read
FEED_FRAMES = 4096        # frames the feeder reads per step
FEED_POLL_SECONDS = 0.01  # how often the feeder looks for free space in the ring
CLOCK_POINTS = 16         # recent (DAC time, position) pairs kept for the playhead
MAX_OUTPUTS = 2           # monitoring is on headphones or a stereo pair
METER_BLOCK = 256         # source frames per remembered peak (16 ms at 16 kHz, 5 ms at 48 kHz)
METER_SLOTS = 4096        # remembered peaks: far more than the feeder runs ahead at any rate
METER_SECONDS = 0.05      # a level is the peak of the last 50 ms played (a PPM's integration time)
SPEEDS = (0.5, 0.75, 1.0, 1.25, 1.5, 2.0)   # what the transport offers: slower to transcribe, faster to skim
MIN_SPEED, MAX_SPEED = SPEEDS[0], SPEEDS[-1]


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
            self._deliver(outdata[:head], start)
            self._deliver(outdata[head:n], 0)
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

    def _deliver(self, out: np.ndarray, start: int) -> None:
        """Ring rows [start, start + len(out)) (contiguous) into the device's `out`."""
        out[:] = self.audio[start:start + out.shape[0]]

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


def feed_block_frames(source_rate: int, stream_rate: int, speed: float = 1.0) -> int:
    """Most frames one feeder step can write: a source block after stretching and resampling,
    with room for the stretch's and soxr's flush at the end of the source."""
    return 2 * math.ceil(FEED_FRAMES * stream_rate / (source_rate * speed))


def ring_frames(source_rate: int, stream_rate: int, speed: float = 1.0) -> int:
    """Ring size at the stream rate: `RING_SECONDS`, and never less than two feeder steps."""
    return max(2 * feed_block_frames(source_rate, stream_rate, speed), int(RING_SECONDS * stream_rate))


@dataclass(frozen=True)
class Loop:
    start_frame: int
    stop_frame: int


class Player:
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
        self.speed = 1.0                       # 0.5: half speed, at the same pitch (see `time_stretch`)
        self.band: tuple[float, float] | None = None     # Hz: only this band is played (`band_filter`)
        self.keep_band = True                            # False: everything but the band is played

    @property
    def is_playing(self) -> bool:
        return self._stream is not None

    def toggle(self) -> None:
        if self.is_playing:
            self.pause()
        else:
            self.play()

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

    def set_band(self, band: tuple[float, float] | None, keep: bool = True) -> None:
        """Play only `band` (Hz) of the source (or, not `keep`, all but the band), or all of it
        (None): a spectral selection heard alone, or what attenuating it would leave. Taken up by
        the feeder at its next block."""
        self.band, self.keep_band = band, keep

    def set_loop(self, loop: Loop | None) -> None:
        """Loop [start, stop) from now on; a position outside it jumps to its start."""
        if loop is not None and loop.stop_frame - loop.start_frame < 2:
            loop = None
        self._loop = loop
        if loop is not None and not loop.start_frame <= self.position < loop.stop_frame:
            self.seek(loop.start_frame)

    def set_speed(self, speed: float) -> None:
        """Play at `speed` times real time (SPEEDS), pitch unchanged; playing goes on from where it is."""
        if not MIN_SPEED <= speed <= MAX_SPEED:
            raise PlaybackError(f"A playback speed of {speed:g}× is outside {MIN_SPEED:g}–{MAX_SPEED:g}×.")
        playing = self.is_playing
        self.pause()
        self.speed = float(speed)
        if playing:
            self.play()

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
        found = ring.position_at(stream.time, self._source.sample_rate * self.speed)
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
        self._ring = self._make_ring(ring_frames(self._source.sample_rate, rate, self.speed), outputs)
        self._levels = LevelHistory(self._ring.audio.shape[1])
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

    def _make_ring(self, capacity: int, outputs: int) -> PlaybackRing:
        return PlaybackRing(capacity, outputs)


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
        self.speed = player.speed
        self.resampler: soxr.ResampleStream | None = None
        self.stretcher: Stretcher | None = None
        self.band_filter: BandFilter | None = None
        self.block = np.zeros((FEED_FRAMES, ring.audio.shape[1]), dtype=np.float32)
        self.room_needed = feed_block_frames(source.sample_rate, player.stream_rate, self.speed)
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
            except Exception as err:     # the thread's edge: playback stops, the GUI shows why
                log.exception("playback stopped")
                self.player.error = err if isinstance(err, AppError) else PlaybackError(
                    f"Playback stopped: preparing the audio failed ({type(err).__name__}: {err}).")
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
        self.resampler = self.stretcher = self.band_filter = None

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
        block = self._keep_band(block, source.sample_rate)
        if self.levels is not None:
            self.levels.record(block, self.position)
        self.position += n
        at_end = self.position >= end
        wrapped = at_end and loop is not None and end == loop.stop_frame
        if wrapped:
            self.position, at_end = loop.start_frame, False
        if self.speed != 1.0:
            if self.stretcher is None:
                self.stretcher = Stretcher(block.shape[1], source.sample_rate, self.speed)
            block = self.stretcher.process(block, last=at_end)
        if self.ratio != 1.0:
            if self.resampler is None:
                self.resampler = soxr.ResampleStream(source.sample_rate, self.player.stream_rate,
                                                     block.shape[1], dtype="float32", quality="HQ")
            block = self.resampler.resample_chunk(block, last=at_end)
        step = self.ratio * self.speed           # source frames per ring frame
        self.ring.write(block, self.out_position, step)
        if step == 1.0 or wrapped:
            self.out_position = float(self.position)
        else:
            self.out_position += block.shape[0] * step
        if at_end:
            self.player._ended_at = end
            self.ring.mark_end()
            self.done = True

    def _keep_band(self, block: np.ndarray, rate: int) -> np.ndarray:
        """`block` with only the player's band, if one is chosen (a new band, or another number of
        channels or lanes, starts a new filter)."""
        band, keep = self.player.band, self.player.keep_band
        if band is None:
            self.band_filter = None
            return block
        made = self.band_filter
        if made is None or (made.band, made.columns, made.keep) != (band, block.shape[1], keep):
            self.band_filter = BandFilter(band, rate, block.shape[1], keep)
        return self.band_filter.process(block)


def feeder_seconds(player: Player, stream_rate: int, seconds: float) -> float:
    """CPU seconds the feeder spends preparing `seconds` of output for `player`'s loaded source
    (stretched at its speed, resampled to `stream_rate`), with no device: what playback asks of the
    machine beside the jobs (`meco-studio bench playback`)."""
    import time

    source = player._source
    assert source is not None
    player.stream_rate = stream_rate
    ring = player._make_ring(ring_frames(source.sample_rate, stream_rate, player.speed), MAX_OUTPUTS)
    player._levels = LevelHistory(ring.audio.shape[1])
    player._loop = Loop(0, source.frames)             # a source shorter than `seconds` plays round
    feeder = _Feeder(player, ring)
    wanted = int(seconds * stream_rate)
    start = time.process_time()
    while ring._write < wanted:
        feeder.feed_until_full()
        ring._read = ring._write                      # a device that takes everything at once
    return time.process_time() - start


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


class LaneSource:
    """A/B lanes as a `Source` of one column per lane: equal-length 1-D float32 arrays, read in
    blocks where they lie (never stacked into a copy)."""

    def __init__(self, lanes: Sequence[np.ndarray], sample_rate: int) -> None:
        assert all(lane.ndim == 1 and lane.dtype == np.float32 for lane in lanes)
        assert len({lane.shape[0] for lane in lanes}) <= 1, "lanes must have one length"
        self.lanes = list(lanes)
        self.sample_rate = sample_rate
        self.frames = lanes[0].shape[0] if lanes else 0

    def fill(self, out: np.ndarray, position: int) -> None:
        for k, lane in enumerate(self.lanes):
            part = lane[position:position + out.shape[0]]
            out[:part.shape[0], k] = part
            out[part.shape[0]:, k] = 0.0


class LaneRing(PlaybackRing):
    """The A/B ring: every lane's prepared audio side by side, one column each at one position, so
    the callback switches lanes at once. It plays the selected lane's column with its gain to every
    output; a new lane or new gains crossfade linearly over `fade_frames` from what sounded.

    The GUI thread writes only `_requested`, `_gains` and `muted`; the callback owns `_current`,
    the fade and the scratch buffers (allocated here: the callback only copies and multiplies).
    """

    def __init__(self, capacity_frames: int, lanes: int, outputs: int, fade_frames: int, gains: np.ndarray,
                 muted: np.ndarray, lane: int) -> None:
        super().__init__(capacity_frames, lanes)
        self.outputs = outputs
        self.fade_frames = max(1, int(fade_frames))
        self._rise = np.linspace(0.0, 1.0, self.fade_frames + 2, dtype=np.float32)[1:-1]
        self._fall = np.ascontiguousarray(self._rise[::-1])
        self._a = np.zeros(AB_MAX_BLOCK, np.float32)
        self._b = np.zeros(AB_MAX_BLOCK, np.float32)
        self._gains = self._active_gains = np.asarray(gains, np.float32)
        self.muted = np.asarray(muted, bool).copy()
        self._requested = self._current = self._previous = int(lane)
        self._previous_gain = 1.0
        self._fade_left = 0

    # --- GUI side -------------------------------------------------------------------------------
    def select(self, lane: int) -> None:
        self._requested = int(lane)

    def set_gains(self, gains: np.ndarray) -> None:
        self._gains = np.asarray(gains, np.float32).copy()

    # --- callback side --------------------------------------------------------------------------
    def _gain(self, gains: np.ndarray, lane: int) -> float:
        return 0.0 if self.muted[lane] else float(gains[lane])

    def callback(self, outdata: np.ndarray, frames: int, time: Any, status: Any) -> None:
        gains = self._gains
        if self._requested != self._current or gains is not self._active_gains:
            self._previous, self._previous_gain = self._current, self._gain(self._active_gains, self._current)
            self._current, self._active_gains = self._requested, gains
            self._fade_left = self.fade_frames
        super().callback(outdata, frames, time, status)

    def _deliver(self, out: np.ndarray, start: int) -> None:
        n = out.shape[0]
        a = self._a[:n]
        np.multiply(self.audio[start:start + n, self._current], self._gain(self._active_gains, self._current), out=a)
        if self._fade_left:
            k = min(n, self._fade_left)
            at = self.fade_frames - self._fade_left
            b = self._b[:k]
            np.multiply(a[:k], self._rise[at:at + k], out=a[:k])
            np.multiply(self.audio[start:start + k, self._previous], self._previous_gain, out=b)
            np.multiply(b, self._fall[at:at + k], out=b)
            np.add(a[:k], b, out=a[:k])
            self._fade_left -= k
        out[:] = a[:, None]


class ABPlayer(Player):
    """A/B between in-memory lanes at one position: a `Player` of a `LaneSource` whose ring
    holds every lane, so a switch is heard at once, crossfaded. The feeder prepares all lanes
    alike (stretched when slower or faster, resampled when the device refuses their rate, block by
    block: no lane is ever copied whole), and loudness gains are computed once, so the callback
    does nothing but copy, multiply and add.
    """

    def __init__(self, device: int | str | None = None) -> None:
        super().__init__(device)
        self.loudness_matched = True
        self.sample_rate = 0               # the lanes' own rate; positions are in these frames
        self._names: list[str] = []
        self._matched_gains = np.ones(0, np.float32)
        self._peaks = np.zeros(0, np.float32)
        self._muted = np.zeros(0, bool)
        self._lane = 0

    @property
    def names(self) -> list[str]:
        return list(self._names)

    def lane(self, index: int) -> np.ndarray:
        """Lane `index` as loaded (read-only use: playback reads from it)."""
        assert isinstance(self._source, LaneSource)
        return self._source.lanes[index]

    def load(self, names: list[str], lanes: Sequence[np.ndarray], sample_rate: int,
             loudness_lufs: list[float] | None = None, peaks: Sequence[float] | None = None) -> None:
        """Equal-length 1-D float32 lanes at `sample_rate`; keeps the position, the selected lane
        and the loop. `peaks` (each lane's largest magnitude) saves a pass over the audio when known.

        Loudness matching needs each lane's integrated loudness (`app.engine.loudness`, slow:
        computed off the GUI thread); until `set_loudness` gives it, lanes play at true level.
        """
        position, was_playing = self.position, self.is_playing
        self.pause()
        self._names, self.sample_rate = list(names), int(sample_rate)
        self._source = LaneSource([np.asarray(lane, dtype=np.float32) for lane in lanes], self.sample_rate)
        self._peaks = np.zeros(len(names), np.float32)      # needed, and measured, only with the loudness
        self._matched_gains = np.ones(len(names), np.float32)
        self._muted = np.zeros(len(names), bool)
        self._lane = max(0, min(self._lane, len(names) - 1))
        if loudness_lufs is not None:
            self.set_loudness(loudness_lufs, peaks)
        self._paused_at = min(position, self.frames)
        if was_playing and names:           # a lane arriving (e.g. the mixture read) does not stop playback
            try:
                self.play()
            except PlaybackError as err:
                self.error = err

    def set_loudness(self, loudness_lufs: list[float], peaks: Sequence[float] | None = None) -> None:
        """Each lane's integrated loudness (LUFS, -inf silent) and, when known, its largest
        magnitude (else a pass over each lane measures it): matching applies from now on."""
        assert isinstance(self._source, LaneSource)
        self._peaks = np.asarray(peaks if peaks is not None else [lane_peak(lane) for lane in self._source.lanes],
                                 np.float32)
        self._matched_gains = matched_gains(np.asarray(loudness_lufs), self._peaks)
        self._apply_gains()

    def _gains(self) -> np.ndarray:
        return self._matched_gains if self.loudness_matched else np.ones_like(self._matched_gains)

    def _apply_gains(self) -> None:
        if isinstance(self._ring, LaneRing):
            self._ring.set_gains(self._gains())

    @property
    def gains(self) -> np.ndarray:
        return self._gains().copy()

    @property
    def frames(self) -> int:
        return self._source.frames if self._source is not None else 0

    @property
    def current(self) -> int:
        return self._lane

    def select(self, lane: int) -> None:
        if 0 <= lane < len(self._names):
            self._lane = lane
            if isinstance(self._ring, LaneRing):
                self._ring.select(lane)

    def set_loudness_matched(self, matched: bool) -> None:
        self.loudness_matched = matched
        self._apply_gains()

    def set_muted(self, lane: int, muted: bool) -> None:
        self._muted[lane] = muted
        if isinstance(self._ring, LaneRing):
            self._ring.muted[lane] = muted

    def level(self) -> np.ndarray | None:
        """Peak magnitude per output of the last `METER_SECONDS` played of the selected lane, with
        its gain (what the listener hears); None when not playing."""
        peaks, ring = super().level(), self._ring
        if peaks is None or not isinstance(ring, LaneRing):
            return None
        gain = 0.0 if self._muted[self._lane] else float(self._gains()[self._lane])
        return np.full(ring.outputs, peaks[self._lane] * gain, np.float32)

    def play(self) -> None:
        """Start at the current position (from the start when at the end); raises PlaybackError."""
        if self._names:
            super().play()
            log.info("A/B playing %d lanes at %d Hz", len(self._names), self.stream_rate)

    def _make_ring(self, capacity: int, outputs: int) -> PlaybackRing:
        return LaneRing(capacity, len(self._names), outputs, round(AB_FADE_SECONDS * self.stream_rate),
                        self._gains(), self._muted, self._lane)
