"""Recording from an input device (a microphone array) straight to a file.

Two activities run at once, as in playback (`playback.py`):
- the PortAudio callback copies each block into a preallocated `CaptureRing` and counts the frames
  that did not fit; it never allocates arrays, takes locks, logs or touches files;
- the writer thread empties the ring into a hidden file beside the destination, keeps each
  channel's peak for the meters, and ends the take on a disk error or at its length limit.

`stop()` drains the ring, closes the file and renames it into place, so the destination's name only
ever holds a complete, readable file, and an existing file is never replaced. A disk that fills
mid-take keeps what was written: the take ends there and says so (`CaptureResult.problem`).
"""

from __future__ import annotations

import logging
import math
import os
import shutil
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf

from app.engine.documents import now_iso
from app.engine.errors import AppError
from app.engine.playback import sounddevice_module
from app.engine.provenance import write_tags

log = logging.getLogger(__name__)

RING_SECONDS = 4.0           # captured audio the writer may fall behind by (a slow disk, a busy CPU)
WRITE_POLL_SECONDS = 0.02    # how often the writer looks for new frames
WRITE_FRAMES = 4096          # frames per file write: a failing disk loses at most one such block
MIN_FREE_BYTES = 50 * 2**20  # refuse to start a take on a nearly full disk
WAV_LIMIT_BYTES = 2**32 - 2**20   # a WAV header counts bytes in 32 bits
FORMATS = {".flac": "FLAC", ".wav": "WAV"}
SUBTYPE_BYTES = {"PCM_16": 2, "PCM_24": 3, "FLOAT": 4}
FLAC_MAX_CHANNELS = 8


class CaptureError(AppError):
    """The input device or the destination file could not be used for recording."""


@dataclass(frozen=True)
class InputDevice:
    index: int
    name: str
    default_sample_rate: int
    max_inputs: int


def device_name(device: int | str | None) -> str:
    """How messages and tags name a device setting."""
    return "the default input" if device is None else f"input device {device}"


def input_devices() -> list[InputDevice]:
    """Every device PortAudio can record from."""
    sd = sounddevice_module(CaptureError, "Audio input")
    return [InputDevice(i, d["name"], int(d["default_samplerate"]), int(d["max_input_channels"]))
            for i, d in enumerate(sd.query_devices()) if d["max_input_channels"] > 0]


@dataclass(frozen=True)
class CaptureSettings:
    path: Path                       # destination, .flac or .wav; must not exist yet
    channels: int
    sample_rate: int
    device: int | str | None = None  # PortAudio device index or name; None: the default input
    subtype: str = "PCM_24"
    max_seconds: float | None = None
    together_with: tuple[str, ...] = ()   # the other devices of one take (`take_group`), named in the tags

    def check(self) -> None:
        """CaptureError naming the file and the reason, before any device is opened."""
        fmt = FORMATS.get(self.path.suffix.lower())
        if fmt is None:
            raise CaptureError(f"Cannot record to {self.path}: choose a .flac or .wav file name.")
        if self.path.exists():
            raise CaptureError(f"Cannot record to {self.path}: the file exists, and a take never replaces a file.")
        if not self.path.parent.is_dir():
            raise CaptureError(f"Cannot record to {self.path}: the folder {self.path.parent} does not exist.")
        if not 1 <= self.channels <= 64:
            raise CaptureError(f"Cannot record {self.channels} channels: choose 1 to 64.")
        if fmt == "FLAC" and self.channels > FLAC_MAX_CHANNELS:
            raise CaptureError(f"Cannot record {self.channels} channels to {self.path.name}: FLAC holds at most "
                               f"{FLAC_MAX_CHANNELS}; choose a .wav file name.")
        if self.subtype not in SUBTYPE_BYTES or (fmt == "FLAC" and self.subtype == "FLOAT"):
            raise CaptureError(f"Cannot record {self.subtype} samples to {self.path.name}.")
        if not 8_000 <= self.sample_rate <= 192_000:
            raise CaptureError(f"Cannot record at {self.sample_rate} Hz: choose 8 to 192 kHz.")
        if self.max_seconds is not None and not self.max_seconds > 0:
            raise CaptureError(f"A take's length limit must be positive, not {self.max_seconds} s.")
        free = shutil.disk_usage(self.path.parent).free
        if free < MIN_FREE_BYTES:
            raise CaptureError(f"Cannot record to {self.path}: only {free / 2**20:.0f} MB are free on its disk.")

    @property
    def max_frames(self) -> int | None:
        """The length limit in frames: the one asked for, and for WAV what its header can count."""
        limits = []
        if self.max_seconds is not None:
            limits.append(math.ceil(self.max_seconds * self.sample_rate))
        if FORMATS.get(self.path.suffix.lower()) == "WAV":
            limits.append(WAV_LIMIT_BYTES // (self.channels * SUBTYPE_BYTES[self.subtype]))
        return min(limits) if limits else None


@dataclass(frozen=True)
class CaptureResult:
    path: Path | None      # None when nothing could be kept
    frames: int
    sample_rate: int
    dropped_frames: int    # frames the device delivered while the ring was full (lost)
    problem: str = ""      # why the take ended early, or why nothing was kept

    @property
    def seconds(self) -> float:
        return self.frames / self.sample_rate


class CaptureRing:
    """Captured frames between the PortAudio callback (producer) and the writer (consumer).

    Single-producer/single-consumer without locks: each index is written by one side only, and
    Python assigns an int atomically. `limit` frames in all, then the callback asks to stop.
    """

    def __init__(self, capacity_frames: int, channels: int, limit: int | None,
                 stop_signal: type[BaseException]) -> None:
        self.capacity = int(capacity_frames)
        self.stop_signal = stop_signal   # what the callback raises at the limit (sounddevice's CallbackStop)
        self.audio = np.zeros((self.capacity, channels), dtype=np.float32)
        self.limit = limit
        self._write = 0        # producer-owned
        self._read = 0         # consumer-owned
        self.dropped = 0       # producer-owned
        self.overflows = 0     # blocks the device itself reported as lost (producer-owned)
        self.complete = False  # the limit was reached (producer-owned)

    # --- producer side (PortAudio callback) ------------------------------------------------------
    def callback(self, indata: np.ndarray, frames: int, time: Any, status: Any) -> None:
        if status.input_overflow:
            self.overflows += 1
        wanted = frames if self.limit is None else min(frames, self.limit - self._write - self.dropped)
        n = min(wanted, self.capacity - (self._write - self._read))
        start = self._write % self.capacity
        head = min(n, self.capacity - start)
        self.audio[start:start + head] = indata[:head]
        self.audio[: n - head] = indata[head:n]
        self._write += n
        self.dropped += wanted - n
        if self.limit is not None and self._write + self.dropped >= self.limit:
            self.complete = True
            raise self.stop_signal

    # --- consumer side (writer thread) -----------------------------------------------------------
    @property
    def written(self) -> int:
        """Frames the callback has put in so far."""
        return self._write

    def available(self) -> int:
        return self._write - self._read

    def read(self, frames: int) -> np.ndarray:
        """A copy of the next `frames` frames (the caller checked `available`)."""
        start = self._read % self.capacity
        head = min(frames, self.capacity - start)
        block = np.concatenate([self.audio[start:start + head], self.audio[: frames - head]])
        self._read += frames
        return block


class Recorder:
    """One take: `start()`, then `stop()` (keeps it) or `cancel()` (discards it).

    The caller polls `frames`, `peaks()`, `dropped_frames` and `ended` (the take ended by itself:
    its limit, or a disk error, told by `problem`); `stop()` then returns the result.
    """

    def __init__(self, settings: CaptureSettings) -> None:
        settings.check()
        self.settings = settings
        fmt = FORMATS[settings.path.suffix.lower()]
        self._partial = settings.path.with_name(f".{settings.path.name}.part")
        self._fmt = fmt
        self._sd = sounddevice_module(CaptureError, "Audio input")
        self._ring = CaptureRing(round(RING_SECONDS * settings.sample_rate), settings.channels, settings.max_frames,
                                 self._sd.CallbackStop)
        self._stream: Any = None
        self._file: sf.SoundFile | None = None
        self._writer: threading.Thread | None = None
        self._stop = threading.Event()
        self._peaks = np.zeros(settings.channels)
        self._peaks_lock = threading.Lock()
        self.frames = 0            # written to the file (writer-owned)
        self.problem = ""          # why the writer stopped early (writer-owned)
        self._stream_done = False  # the device stream ended: its limit, an unplugged device, or stop()

    @property
    def dropped_frames(self) -> int:
        return self._ring.dropped

    @property
    def ended(self) -> bool:
        """The take ended by itself (its limit, a disk error, a device gone); `stop()` keeps what it holds.
        Only once the writer has handled the last block (its peak metered, its frames written),
        not when it has taken it from the ring."""
        return bool(self.problem) or (self._stream_done and self.frames == self._ring.written)

    @property
    def device_gone(self) -> bool:
        """The device stopped delivering audio before the take's limit (unplugged, say)."""
        return self._stream_done and not self._ring.complete and self._stream is not None

    def _on_stream_finished(self) -> None:
        self._stream_done = True

    def peaks(self) -> np.ndarray:
        """Each channel's peak magnitude since the last call (for meters)."""
        with self._peaks_lock:
            peaks, self._peaks = self._peaks, np.zeros(self.settings.channels)
        return peaks

    def start(self) -> None:
        s, sd = self.settings, self._sd
        try:
            self._file = sf.SoundFile(self._partial, "x", samplerate=s.sample_rate, channels=s.channels,
                                      format=self._fmt, subtype=s.subtype)
        except (sf.LibsndfileError, OSError) as err:
            raise CaptureError(f"Cannot record to {s.path}: {err}.") from err
        comment = f"recorded from {device_name(s.device)}, {s.channels} channel(s) at {s.sample_rate} Hz"
        if s.together_with:
            comment += f", together with {' and '.join(s.together_with)} (a file each)"
        write_tags(self._file, {"date": now_iso(), "comment": comment})
        try:
            self._stream = sd.InputStream(samplerate=s.sample_rate, device=s.device, channels=s.channels,
                                          dtype="float32", callback=self._ring.callback,
                                          finished_callback=self._on_stream_finished)
            self._stream.start()
        except (sd.PortAudioError, ValueError) as err:
            self._discard()
            raise CaptureError(f"Cannot record {s.channels} channels at {s.sample_rate} Hz from "
                               f"{device_name(s.device)}: {err}. Choose another device, channel count or "
                               "rate.") from err
        self._writer = threading.Thread(target=self._write_loop, name="capture-writer", daemon=True)
        self._writer.start()

    def stop(self) -> CaptureResult:
        """End the take and keep it: the destination then holds every frame written."""
        device_gone = self.device_gone
        self._close_stream()
        self._stop.set()
        if self._writer is not None:
            self._writer.join()
        if device_gone and not self.problem:
            self.problem = f"the input device stopped delivering audio at " \
                           f"{self.frames / self.settings.sample_rate:.1f} s"
        kept, problem = self._keep()
        if self._ring.dropped:
            log.warning("recording %s lost %d frames", self.settings.path, self._ring.dropped)
        return CaptureResult(kept, self.frames, self.settings.sample_rate, self._ring.dropped,
                             problem or self.problem)

    def cancel(self) -> None:
        """End the take and delete it."""
        self._close_stream()
        self._stop.set()
        if self._writer is not None:
            self._writer.join()
        self._discard()

    def _write_loop(self) -> None:
        ring, file = self._ring, self._file
        assert file is not None
        while True:
            n = ring.available()
            if n == 0:
                if self._stop.is_set() or ring.complete:
                    return
                self._stop.wait(WRITE_POLL_SECONDS)
                continue
            # Devices deliver floats within ±1; clip so a stray value cannot wrap a PCM sample.
            block = np.clip(np.nan_to_num(ring.read(min(n, WRITE_FRAMES)), nan=0.0, posinf=1.0, neginf=-1.0),
                            -1.0, 1.0)
            with self._peaks_lock:
                self._peaks = np.maximum(self._peaks, np.abs(block).max(axis=0))
            try:
                file.write(block)
            except Exception as err:    # a full disk, or anything else: the take ends, and says why
                log.debug("recording %s stopped", self.settings.path, exc_info=True)
                full = shutil.disk_usage(self._partial.parent).free < MIN_FREE_BYTES
                reason = "the disk is full" if full else str(err) or type(err).__name__
                self.problem = f"the take stopped at {self.frames / self.settings.sample_rate:.1f} s: " \
                               f"writing {self.settings.path} failed ({reason})"
                return
            self.frames += len(block)

    def _close_stream(self) -> None:
        stream, self._stream = self._stream, None
        if stream is not None:
            stream.abort()
            stream.close()

    def _keep(self) -> tuple[Path | None, str]:
        file, self._file = self._file, None
        try:
            if file is not None:
                file.close()
            if self.frames == 0:
                self._partial.unlink(missing_ok=True)
                return None, self.problem or "nothing was recorded"
            if self.settings.path.exists():                # made during the take: keep both
                return self._partial, f"{self.settings.path} appeared during the take, which is kept as " \
                                      f"{self._partial}"
            os.replace(self._partial, self.settings.path)
        except (sf.LibsndfileError, OSError) as err:
            self._partial.unlink(missing_ok=True)
            return None, f"the take could not be saved as {self.settings.path} ({err})"
        return self.settings.path, ""

    def _discard(self) -> None:
        file, self._file = self._file, None
        if file is not None:
            try:
                file.close()
            except (sf.LibsndfileError, OSError):
                pass
        self._partial.unlink(missing_ok=True)


MONITOR_SECONDS = 0.5        # input a monitor keeps between two reads of its levels


class InputMonitor:
    """An input device's levels before a take, with nothing recorded: so the gain can be set first.

    The PortAudio callback copies into a small `CaptureRing` (the frames that do not fit are simply
    not metered); `peaks()` empties it on the caller's thread and says each channel's peak.
    """

    def __init__(self, device: int | str | None, channels: int, sample_rate: int) -> None:
        self.device, self.channels, self.sample_rate = device, channels, sample_rate
        self._sd = sounddevice_module(CaptureError, "Audio input")
        self._ring = CaptureRing(round(MONITOR_SECONDS * sample_rate), channels, None, self._sd.CallbackStop)
        self._stream: Any = None

    def start(self) -> None:
        """CaptureError naming the device when it cannot be opened so."""
        sd = self._sd
        try:
            self._stream = sd.InputStream(samplerate=self.sample_rate, device=self.device, channels=self.channels,
                                          dtype="float32", callback=self._ring.callback)
            self._stream.start()
        except (sd.PortAudioError, ValueError) as err:
            self.stop()
            raise CaptureError(f"Cannot show the levels of {self.channels} channels at {self.sample_rate} Hz from "
                               f"{device_name(self.device)}: {err}.") from err

    def peaks(self) -> np.ndarray:
        """Each channel's peak magnitude since the last call (zeros when nothing came)."""
        n = self._ring.available()
        if n == 0:
            return np.zeros(self.channels)
        return np.abs(np.nan_to_num(self._ring.read(n))).max(axis=0)

    def stop(self) -> None:
        stream, self._stream = self._stream, None
        if stream is not None:
            stream.abort()
            stream.close()

