"""Open audio files and read them block by block, never whole, with clear errors.

A `Recording` keeps one libsndfile handle and reads only the frames asked for, so an hour-long
8-channel file opens in milliseconds and memory grows with the block, not the file.
Engine audio is float32 `(channels, frames)`.
"""

from __future__ import annotations

import logging
import mmap
import os
import stat
import struct
import threading
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

from app.engine.decoding import DECODED_SUFFIXES, decoded_copy, needs_decoding
from app.engine.errors import AudioFileError, ConfigError

log = logging.getLogger(__name__)

AUDIO_SUFFIXES = {".wav", ".flac", ".ogg", ".oga", ".opus", ".mp3", ".aif", ".aiff", ".w64", ".rf64", ".caf",
                  ".au"} | DECODED_SUFFIXES
MIN_SAMPLE_RATE = 8_000
MAX_SAMPLE_RATE = 192_000
MAX_CHANNELS = 32
MIN_FRAMES = 2


@dataclass(frozen=True)
class AudioInfo:
    """What a file's header says, checked for sense."""

    path: Path
    sample_rate: int
    channels: int
    frames: int
    format: str
    subtype: str

    @property
    def duration_seconds(self) -> float:
        return self.frames / self.sample_rate

    @property
    def is_float(self) -> bool:
        return self.subtype in {"FLOAT", "DOUBLE", "VORBIS", "OPUS", "MPEG_LAYER_III"}


def _check_path(path: Path) -> None:
    try:
        st = path.stat()
    except FileNotFoundError as err:
        raise AudioFileError(f"{path.name}: the file does not exist ({path}).") from err
    except PermissionError as err:
        raise AudioFileError(f"{path.name}: permission denied; check the folder's access rights.") from err
    except OSError as err:
        raise AudioFileError(f"{path.name}: cannot be reached ({err.strerror}).") from err
    if stat.S_ISDIR(st.st_mode):
        raise AudioFileError(f"{path.name} is a folder, not an audio file; open one of the files inside it.")
    if not stat.S_ISREG(st.st_mode):
        raise AudioFileError(f"{path.name} is not a regular file (a device or pipe); copy it to a file first.")
    if st.st_size == 0:
        raise AudioFileError(f"{path.name} is empty (0 bytes).")
    if not os.access(path, os.R_OK):
        raise AudioFileError(f"{path.name}: permission denied; you cannot read this file.")


@dataclass(frozen=True)
class _WavHeader:
    sample_rate: int
    data_bytes_declared: int
    data_bytes_present: int
    data_offset: int


def _sniff_wav_header(path: Path) -> _WavHeader | None:
    """RIFF/WAVE (or RF64, the WAV for files past 4 GiB) header facts libsndfile hides: the declared
    rate and data size, and where the data starts.

    libsndfile quietly shortens a file whose data chunk promises more than the file holds and
    reports a zero rate only as "SF_INFO struct incomplete"; users deserve the real reason.
    """
    try:
        with path.open("rb") as f:
            head = f.read(4096)
            size = path.stat().st_size
    except OSError:
        return None
    if len(head) < 12 or head[:4] not in (b"RIFF", b"RF64", b"BW64") or head[8:12] != b"WAVE":
        return None
    rate, long_data, pos = None, None, 12
    while pos + 8 <= len(head):
        chunk, length = head[pos:pos + 4], struct.unpack_from("<I", head, pos + 4)[0]
        if chunk == b"ds64" and pos + 24 <= len(head):            # RF64: the 64-bit sizes
            long_data = struct.unpack_from("<Q", head, pos + 16)[0]
        if chunk == b"fmt " and pos + 16 <= len(head):
            rate = struct.unpack_from("<I", head, pos + 12)[0]
        if chunk == b"data":
            if rate is None:
                return None
            declared = long_data if length == 0xFFFFFFFF and long_data is not None else length
            return _WavHeader(rate, declared, max(0, size - pos - 8), pos + 8)
        pos += 8 + length + (length & 1)
    return None


def _past_4_gib(wav: _WavHeader, frame_bytes: int) -> bool:
    """Whether a RIFF WAV's data runs past what its 32-bit size field can count: the field at its
    largest (libsndfile stops counting there) or wrapped round (other writers), the file longer."""
    extra = wav.data_bytes_present - wav.data_bytes_declared      # chunks after the data (tags) are far shorter
    return (wav.data_bytes_declared >= WAV_MAX_DATA_BYTES and extra >= 1 << 16) or (
        extra >= 2 ** 32 and extra % 2 ** 32 < frame_bytes)


def _open_soundfile(path: Path) -> sf.SoundFile:
    try:
        return sf.SoundFile(str(path), mode="r")
    except sf.LibsndfileError as err:
        wav = _sniff_wav_header(path)
        if wav is not None and wav.sample_rate == 0:
            raise AudioFileError(f"{path.name} says its sample rate is 0 Hz; the header is damaged.") from err
        reason = err.error_string.rstrip(".") if err.error_string else "unknown format"
        raise AudioFileError(f"{path.name} could not be read as audio: {reason}.") from err
    except (RuntimeError, TypeError, ValueError, OSError) as err:
        raise AudioFileError(f"{path.name} could not be read as audio: {err}.") from err


def _check_info(handle: sf.SoundFile, path: Path) -> AudioInfo:
    name = path.name
    rate, channels, frames = int(handle.samplerate), int(handle.channels), int(handle.frames)
    if rate <= 0:
        raise AudioFileError(f"{name} says its sample rate is {rate} Hz, which is impossible; the header is damaged.")
    if not MIN_SAMPLE_RATE <= rate <= MAX_SAMPLE_RATE:
        raise AudioFileError(
            f"{name} has a sample rate of {rate} Hz; MeCo Studio reads {MIN_SAMPLE_RATE // 1000}–"
            f"{MAX_SAMPLE_RATE // 1000} kHz. Resample it first (e.g. sox in.wav -r 48000 out.wav)."
        )
    if channels < 1 or channels > MAX_CHANNELS:
        raise AudioFileError(f"{name} has {channels} channels; MeCo Studio reads 1 to {MAX_CHANNELS}.")
    if frames <= 0 or frames > 2**40:
        raise AudioFileError(f"{name} contains no audio frames (its length is {frames}).")
    if frames < MIN_FRAMES:
        raise AudioFileError(f"{name} holds a single audio frame; there is nothing to show or play.")
    return AudioInfo(path, rate, channels, frames, handle.format, handle.subtype)


# Uncompressed WAV sample formats read through a memory map: (numpy dtype, scale to [-1, 1)),
# the same scaling libsndfile applies.
# Reads at least this large (job chunks) give their pages back at once; the spectrogram's many
# small reads skip the system call, and their clean pages are reclaimable anyway.
RELEASE_READS_BYTES = 256 * 1024
# A WAV's sizes are 32-bit: data this large is a size field at (or near) its end, what a writer may put there
WAV_MAX_DATA_BYTES = 0xFFFFFFFF - (1 << 20)        # room kept for the header and the tags
SAMPLE_BYTES = {"PCM_U8": 1, "PCM_S8": 1, "PCM_16": 2, "PCM_24": 3, "PCM_32": 4, "FLOAT": 4, "DOUBLE": 8}
_MAPPABLE_FORMATS = {"WAV", "WAVEX", "RF64"}      # plain, extensible (most multichannel recorders') and long WAV
_MAPPABLE = {"PCM_16": ("<i2", 1 / 2**15), "PCM_24": ("<i4", 1 / 2**23), "PCM_32": ("<i4", 1 / 2**31),
             "FLOAT": ("<f4", 1.0), "DOUBLE": ("<f8", 1.0)}


class Recording:
    """An open audio file, read on demand.

    Uncompressed WAV is read through a memory map: a zoomed-out spectrogram makes a thousand
    short reads, and libsndfile's per-call cost dominated them. Everything else goes through
    libsndfile, whose reads are serialised by a lock because one handle has one file position
    and the spectrogram view, playback feeder and jobs read from different threads. A format
    libsndfile cannot read (AAC, a video's sound) is read from its decoded copy in the cache
    (`decoding`); `path` stays the user's file.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        _check_path(self.path)
        self.decoded = decoded_copy(self.path) if needs_decoding(self.path) else None    # read from there, if so
        self._file = self.decoded or self.path
        self._handle = _open_soundfile(self._file)
        self._lock = threading.Lock()
        self.notice = ""
        try:
            self.info = _check_info(self._handle, self.path)
            self.notice = self._truncation_notice()
            self._map, self._map_scale, self._map_bytes = self._memory_map()
            self.read(0, min(self.info.frames, 4096))   # a lying header fails here, at open
        except AudioFileError:
            self._handle.close()
            raise
        if self.notice:
            log.warning("%s", self.notice)
        log.info("opened %s: %d ch, %d Hz, %.1f s, %s/%s", self.path, self.info.channels,
                 self.info.sample_rate, self.info.duration_seconds, self.info.format, self.info.subtype)

    def _truncation_notice(self) -> str:
        """A WAV cut short (a recorder that crashed) still opens: say what is missing. One past 4 GiB
        whose header could not count it: say how it is read."""
        wav = _sniff_wav_header(self._file)
        frame_bytes = SAMPLE_BYTES.get(self.info.subtype, 0) * self.info.channels
        if wav is not None and frame_bytes and _past_4_gib(wav, frame_bytes):
            seconds = wav.data_bytes_present // frame_bytes / self.info.sample_rate
            if self.info.subtype in _MAPPABLE:
                return (f"{self.name} is a WAV past 4 GiB, more than its header can count: all {seconds:.2f} s the "
                        "file holds are read, by its length.")
            return (f"{self.name} is a WAV past 4 GiB, more than its header can count: only its first "
                    f"{self.info.duration_seconds:.2f} s of {seconds:.2f} s can be read. Convert it to RF64 or FLAC "
                    "(e.g. sox) to open all of it.")
        if wav is None or wav.data_bytes_present >= wav.data_bytes_declared:
            return ""
        shown = self.info.duration_seconds
        promised = shown * wav.data_bytes_declared / max(wav.data_bytes_present, 1)
        return (f"{self.name} is truncated: its header promises {promised:.2f} s but the file holds "
                f"{shown:.2f} s; only what is there is shown.")

    def _memory_map(self) -> tuple[np.ndarray | None, float, int]:
        """The data as a `(frames, channels)` array over the file's pages, its scale to float, and
        the bytes it covers. 24-bit samples are read as the 4-byte words ending at each of them
        (the byte before a sample is its neighbour's, or the header's), shifted down 8 bits
        (`_unpack`): exact, and no copy until a read."""
        self._map_shift = 0
        if self.info.format not in _MAPPABLE_FORMATS or self.info.subtype not in _MAPPABLE:
            return None, 1.0, 0
        wav = _sniff_wav_header(self._file)
        if wav is None:
            return None, 1.0, 0
        dtype, scale = _MAPPABLE[self.info.subtype]
        width = SAMPLE_BYTES[self.info.subtype]
        frame_bytes = width * self.info.channels
        frames = min(self.info.frames, wav.data_bytes_present // frame_bytes)
        if _past_4_gib(wav, frame_bytes):
            frames = wav.data_bytes_present // frame_bytes
            self.info = replace(self.info, frames=frames)
        try:
            with self._file.open("rb") as f:
                self._mm = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
            if width == 3:
                mapped = np.ndarray((frames, self.info.channels), dtype=dtype, buffer=self._mm,
                                    offset=wav.data_offset - 1, strides=(frame_bytes, 3))
                self._map_shift = 8
            else:
                mapped = np.frombuffer(self._mm, dtype=dtype, count=frames * self.info.channels,
                                       offset=wav.data_offset).reshape(frames, self.info.channels)
        except (OSError, ValueError, TypeError):
            return None, 1.0, 0
        self._frame_bytes, self._data_offset = frame_bytes, wav.data_offset
        return mapped, scale, wav.data_offset + frames * frame_bytes

    def _unpack(self, raw: np.ndarray) -> np.ndarray:
        """Mapped samples (a slice or a window view) copied out as float32, scaled to ±1."""
        if self._map_shift:
            raw = raw >> self._map_shift
        out = np.empty(raw.shape, np.float32)
        np.multiply(raw, np.float32(self._map_scale), out=out)      # one pass: numpy's copy of a strided view is slower
        return out

    def _check_mapped_size(self, start: int) -> None:
        """Touching pages of a file that shrank while open would kill the process (SIGBUS)
        instead of raising, so every mapped read checks the size first."""
        try:
            size = self._file.stat().st_size
        except OSError:
            return             # deleted while open: the mapping keeps the data alive
        if size < self._map_bytes:
            raise AudioFileError(f"{self.name} could not be read at {start / self.sample_rate:.2f} s: "
                                 "the file changed or shrank while open.")

    def _read_mapped(self, start: int, stop: int) -> np.ndarray:
        """Frames from the memory map, copied out.

        Large reads then release their pages from this process (they stay in the page cache),
        so a long job's memory does not grow with the file.
        """
        self._check_mapped_size(start)
        block = self._unpack(self._map[start:stop])
        if (stop - start) * self._frame_bytes >= RELEASE_READS_BYTES:
            first = (self._data_offset + start * self._frame_bytes) // mmap.PAGESIZE * mmap.PAGESIZE
            last = self._data_offset + stop * self._frame_bytes
            self._mm.madvise(mmap.MADV_DONTNEED, first, last - first)
        return block

    @property
    def sample_rate(self) -> int:
        return self.info.sample_rate

    @property
    def channels(self) -> int:
        return self.info.channels

    @property
    def frames(self) -> int:
        return self.info.frames

    @property
    def name(self) -> str:
        return self.path.name

    def read(self, start_frame: int, stop_frame: int, channels: list[int] | None = None) -> np.ndarray:
        """Frames [start, stop) as float32 `(channels, frames)`; raises AudioFileError on bad data."""
        start = max(0, int(start_frame))
        stop = min(self.info.frames, int(stop_frame))
        if stop <= start:
            n_ch = self.info.channels if channels is None else len(channels)
            return np.zeros((n_ch, 0), dtype=np.float32)
        if self._map is not None and stop <= self._map.shape[0]:
            block = self._read_mapped(start, stop)
        else:
            with self._lock:
                try:
                    self._handle.seek(start)
                    block = self._handle.read(stop - start, dtype="float32", always_2d=True)
                except (sf.LibsndfileError, RuntimeError, ValueError, OSError) as err:
                    raise AudioFileError(
                        f"{self.name} could not be read at {start / self.sample_rate:.2f} s: {err}. "
                        "The file may be damaged, or it changed or vanished while open."
                    ) from err
        if block.shape[0] < stop - start:
            raise AudioFileError(
                f"{self.name} is truncated: it ends at {(start + block.shape[0]) / self.sample_rate:.2f} s "
                f"but its header promises {self.info.duration_seconds:.2f} s."
            )
        if not np.isfinite(block).all():
            bad = int(np.argmax(~np.isfinite(block).all(axis=1)))
            raise AudioFileError(
                f"{self.name} contains NaN or infinite samples at {(start + bad) / self.sample_rate:.2f} s; "
                "the file is damaged or was written by a faulty program."
            )
        out = block.T if channels is None else block[:, channels].T
        return np.ascontiguousarray(out)

    def read_windows(self, first: int, spacing: int, count: int, length: int,
                     channels: list[int] | None = None) -> np.ndarray | None:
        """`count` windows of `length` frames starting every `spacing` frames from `first`, as
        float32 `(count, channels, length)`; None unless the file is memory-mapped.

        A zoomed-out spectrogram reads one short window per screen column; from the map they come
        as one strided copy instead of a thousand reads. Every window must lie inside the file.
        """
        last = first + (count - 1) * spacing + length
        if self._map is None or count < 1 or first < 0 or last > self._map.shape[0]:
            return None
        self._check_mapped_size(first)
        out = self._unpack(_window_view(self._map, first, spacing, count, length, channels))
        if self._map_scale == 1.0 and not np.isfinite(out).all():
            return None     # the window-by-window read names where
        return out

    def read_seconds(self, start_seconds: float, stop_seconds: float) -> np.ndarray:
        rate = self.sample_rate
        return self.read(round(start_seconds * rate), round(stop_seconds * rate))

    def close(self) -> None:
        with self._lock:
            self._handle.close()
            self._map = None
            if getattr(self, "_mm", None) is not None:
                try:
                    self._mm.close()
                except BufferError:      # a caller still holds a view; the map closes when it is freed
                    pass

    def __enter__(self) -> Recording:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        i = self.info
        return f"Recording({self.name!r}, {i.channels} ch, {i.sample_rate} Hz, {i.duration_seconds:.2f} s)"


def _window_view(frames_by_channel: np.ndarray, first: int, spacing: int, count: int, length: int,
                 channels: list[int] | None) -> np.ndarray:
    """Read-only view `(count, channels, length)` of windows over a `(frames, channels)` array,
    without a copy (a channel choice gathers only those windows)."""
    row, column = frames_by_channel.strides
    view = np.lib.stride_tricks.as_strided(frames_by_channel[first:], writeable=False,
                                           shape=(count, frames_by_channel.shape[1], length),
                                           strides=(spacing * row, column, row))
    return view if channels is None else view[:, channels]


class ArraySource:
    """In-memory audio `(channels, frames)` at `sample_rate`, read like a Recording (e.g. separated
    talkers handed to the corrector or an enhancer)."""

    def __init__(self, audio: np.ndarray, sample_rate: int, name: str = "audio") -> None:
        if audio.ndim != 2:
            raise ValueError(f"audio must be (channels, frames), got shape {audio.shape}")
        self.audio, self.sample_rate, self.name = np.asarray(audio, np.float32), sample_rate, name

    @property
    def frames(self) -> int:
        return self.audio.shape[1]

    @property
    def channels(self) -> int:
        return self.audio.shape[0]

    def read(self, start_frame: int, stop_frame: int, channels: list[int] | None = None) -> np.ndarray:
        block = self.audio[:, max(0, start_frame):max(0, min(stop_frame, self.frames))]
        return block if channels is None else block[channels]

    def read_windows(self, first: int, spacing: int, count: int, length: int,
                     channels: list[int] | None = None) -> np.ndarray | None:
        """As `Recording.read_windows`: the windows copied out of memory, None past either end."""
        if count < 1 or first < 0 or first + (count - 1) * spacing + length > self.frames:
            return None
        return np.array(_window_view(self.audio.T, first, spacing, count, length, channels))


class Span:
    """Frames `[start, stop)` of a recording (or an `ArraySource`), read like a recording whose
    frame 0 is `start`: how a job processes only the selection."""

    def __init__(self, source: Recording | ArraySource, start_frame: int, stop_frame: int) -> None:
        self.source = source
        self.start = min(max(0, int(start_frame)), source.frames)
        self.stop = min(max(self.start, int(stop_frame)), source.frames)
        self.sample_rate, self.name = source.sample_rate, source.name

    @property
    def frames(self) -> int:
        return self.stop - self.start

    @property
    def channels(self) -> int:
        return self.source.channels

    def read(self, start_frame: int, stop_frame: int, channels: list[int] | None = None) -> np.ndarray:
        start = min(max(0, int(start_frame)), self.frames)
        stop = min(max(start, int(stop_frame)), self.frames)
        return self.source.read(self.start + start, self.start + stop, channels)


class SourceView:
    """A recording (or a span of one, or an `ArraySource`) read through a process that keeps its
    length, channels, rate and name (clicks or clipped runs redrawn, reverberation taken out);
    subclasses give `read`."""

    def __init__(self, source: Recording | ArraySource | Span | SourceView) -> None:
        self.source = source
        self.sample_rate, self.name = source.sample_rate, source.name

    @property
    def frames(self) -> int:
        return self.source.frames

    @property
    def channels(self) -> int:
        return self.source.channels


MIN_PROCESSED_SECONDS = 0.5       # the shortest part of a recording a model processes (the chunk runner's floor too)


def check_long_enough(source: Recording | ArraySource | Span) -> None:
    """ConfigError naming `source` when it is shorter than `MIN_PROCESSED_SECONDS`: a model's STFT
    needs more than a frame of it, and the metrics need more still."""
    if source.frames < MIN_PROCESSED_SECONDS * source.sample_rate:
        raise ConfigError(f"{source.name} is {source.frames / source.sample_rate:.3f} s long; processing needs "
                          f"at least {MIN_PROCESSED_SECONDS} s.")


def span_of(source: Recording | ArraySource, seconds: tuple[float, float]) -> Span:
    """The part of `source` between `seconds` (clipped to it); ConfigError naming the source when
    less than `MIN_PROCESSED_SECONDS` of it remains."""
    span = Span(source, round(seconds[0] * source.sample_rate), round(seconds[1] * source.sample_rate))
    if span.frames < MIN_PROCESSED_SECONDS * source.sample_rate:
        rate = source.sample_rate
        raise ConfigError(f"{source.name}: {seconds[0]:.2f}–{seconds[1]:.2f} s leaves {span.frames / rate:.2f} s "
                          f"of its {source.frames / rate:.2f} s to process; choose at least {MIN_PROCESSED_SECONDS} s "
                          "within it, or the whole recording.")
    return span


def open_recording(path: str | os.PathLike[str]) -> Recording:
    """Open an audio file for on-demand reading; the one entry point for user files."""
    return Recording(path)


def frames_at(source: Recording | ArraySource | Span, rate: int) -> int:
    """How many frames `source` holds at `rate`: what resampling it whole, or a job's output at
    that rate, gives."""
    return source.frames if rate == source.sample_rate else source.frames * rate // source.sample_rate


def resample(audio: np.ndarray, from_rate: int, to_rate: int) -> np.ndarray:
    """Resample float32 `(channels, frames)` with soxr's high-quality filter."""
    if from_rate == to_rate:
        return np.asarray(audio, dtype=np.float32)
    out = soxr.resample(np.ascontiguousarray(audio.T), from_rate, to_rate, quality="HQ")
    return np.ascontiguousarray(np.asarray(out, dtype=np.float32).reshape(-1, audio.shape[0]).T)


def read_all(path: str | os.PathLike[str], sample_rate: int | None = None) -> tuple[np.ndarray, int]:
    """Whole file as float32 `(channels, frames)`, optionally resampled; for short files and jobs."""
    with open_recording(path) as rec:
        audio = rec.read(0, rec.frames)
        rate = rec.sample_rate
    if sample_rate is not None and sample_rate != rate:
        return resample(audio, rate, sample_rate), sample_rate
    return audio, rate


def expand_inputs(inputs: list[str] | list[Path]) -> list[Path]:
    """Files as given; folders searched recursively for audio files (by suffix), in sorted order."""
    paths: list[Path] = []
    for item in inputs:
        p = Path(item)
        if p.is_dir():
            paths.extend(sorted(f for f in p.rglob("*") if f.suffix.lower() in AUDIO_SUFFIXES and f.is_file()))
        else:
            paths.append(p)
    return paths
