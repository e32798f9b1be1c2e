"""Spectrogram images at screen resolution, computed only for what is visible, tile by tile.

Zoomed out, one FFT frame is computed per screen column from a short read at the column's
centre, so drawing an hour of 8-channel audio reads about `columns × n_fft` frames, not the
hour. Zoomed in past one frame per column, frames are spaced by the real hop. Columns sit on a
global grid (a stride from a fixed zoom ladder, tiles of `TILE_COLUMNS`), so scrolling and
returning to a zoom level hit the LRU `TileCache` instead of recomputing.

The waveform overview comes from the same reads: exact min/max per column while a column is
no wider than the FFT frame, otherwise min/max of the frame read at the column's centre — an
approximation that can miss short peaks between frames of a zoomed-out hour, accepted because
an exact summary would have to read the whole file (2.7 GB for 60 min × 8 ch × 16 bit).

Display-only choices (dB floor/ceiling, colormap) do not enter the cache key: changing them
re-maps cached dB values.
"""

from __future__ import annotations

import enum
import functools
import itertools
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, fields

import numpy as np
import scipy.fft
import scipy.sparse

from app.engine.errors import ConfigError
from app.engine.files import Recording

TILE_COLUMNS = 64
STEP_TILES = 4              # a growing image is shown every 4 new tiles (256 columns)
TILE_WORKERS = 2            # tiles computed at once
ZOOM_STEPS_PER_OCTAVE = 4   # stride ladder: at most ±9 % off the screen's column count
MAX_READ_FRAMES = 1 << 16   # frames of neighbouring columns are read together up to this span
MIN_LOG_HZ = 20.0
MIN_TOP_HZ, MAX_TOP_HZ = 500.0, 96_000.0     # the top of the frequency axis a user may choose
_POWER_EPS = 1e-20          # -200 dB: silence maps below any floor instead of -inf


class Window(enum.StrEnum):
    HANN = "hann"
    HAMMING = "hamming"
    BLACKMAN = "blackman"
    RECTANGULAR = "boxcar"


class FrequencyScale(enum.StrEnum):
    LINEAR = "linear"
    LOG = "log"
    MEL = "mel"


class Colormap(enum.StrEnum):
    MAGMA = "magma"
    INFERNO = "inferno"
    VIRIDIS = "viridis"
    CIVIDIS = "cividis"
    GREY = "grey"


@dataclass(frozen=True)
class SpectrogramSettings:
    """What the spectrogram shows; defaults follow Sonic Visualiser's speech-friendly setup."""

    n_fft: int = 1024           # 21 ms at 48 kHz: resolves harmonics of voices above ~50 Hz
    hop: int = 256              # 75 % overlap, the usual choice for a Hann window
    window: Window = Window.HANN
    floor_db: float = -100.0    # dBFS shown darkest (Audacity's default 80 dB range, 20 dB gain)
    ceiling_db: float = -20.0   # a full-scale sine peaks at 0 dBFS; speech bins sit well below
    frequency_scale: FrequencyScale = FrequencyScale.MEL   # speech lives below 4 kHz: mel gives it room
    colormap: Colormap = Colormap.MAGMA
    max_frequency_hz: float | None = None   # top of the frequency axis; None: half the sample rate

    def __post_init__(self) -> None:
        for name, kind in (("window", Window), ("frequency_scale", FrequencyScale), ("colormap", Colormap)):
            value = getattr(self, name)
            try:
                object.__setattr__(self, name, kind(value))
            except ValueError as err:
                choices = ", ".join(k.value for k in kind)
                raise ConfigError(f"Spectrogram {name} {value!r} is unknown; choose one of {choices}.") from err
        if not (16 <= self.n_fft <= 32768 and self.n_fft % 2 == 0):
            raise ConfigError(f"Spectrogram FFT size {self.n_fft} must be an even number from 16 to 32768.")
        if not 1 <= self.hop <= self.n_fft:
            raise ConfigError(f"Spectrogram hop {self.hop} must be between 1 and the FFT size ({self.n_fft}).")
        if self.max_frequency_hz is not None and not MIN_TOP_HZ <= self.max_frequency_hz <= MAX_TOP_HZ:
            raise ConfigError(f"Spectrogram top frequency {self.max_frequency_hz:g} Hz must lie between "
                              f"{MIN_TOP_HZ:g} and {MAX_TOP_HZ:g} Hz.")
        if not self.floor_db < self.ceiling_db:
            raise ConfigError(
                f"Spectrogram floor {self.floor_db} dB must lie below the ceiling {self.ceiling_db} dB."
            )

    @classmethod
    def from_dict(cls, values: dict[str, object]) -> SpectrogramSettings:
        """Settings from stored strings; unknown keys are ignored, bad values raise ConfigError."""
        kwargs: dict[str, object] = {}
        for f in fields(cls):
            if f.name not in values:
                continue
            raw = values[f.name]
            try:
                kwargs[f.name] = {"n_fft": int, "hop": int, "floor_db": float, "ceiling_db": float,
                                  "max_frequency_hz": _optional_float}.get(f.name, str)(raw)
            except (TypeError, ValueError) as err:
                raise ConfigError(f"Spectrogram {f.name} {raw!r} is not a number.") from err
        return cls(**kwargs)


def _optional_float(raw: object) -> float | None:
    return None if raw in (None, "", "None") else float(raw)


@dataclass(frozen=True)
class FrequencyAxis:
    """Maps Hz to the display's vertical unit interval [0, 1] for a linear, log or mel scale."""

    scale: FrequencyScale
    max_hz: float
    min_hz: float = 0.0

    @staticmethod
    def for_settings(settings: SpectrogramSettings, sample_rate: int) -> FrequencyAxis:
        nyquist = sample_rate / 2
        top = nyquist if settings.max_frequency_hz is None else min(nyquist, settings.max_frequency_hz)
        low = max(MIN_LOG_HZ, sample_rate / settings.n_fft) if settings.frequency_scale == FrequencyScale.LOG else 0.0
        return FrequencyAxis(settings.frequency_scale, top, min(low, top / 2))

    def to_unit(self, hz: np.ndarray | float) -> np.ndarray:
        hz = np.clip(np.asarray(hz, dtype=np.float64), self.min_hz, self.max_hz)
        if self.scale == FrequencyScale.LOG:
            return np.log(np.maximum(hz, self.min_hz) / self.min_hz) / math.log(self.max_hz / self.min_hz)
        if self.scale == FrequencyScale.MEL:
            return _hz_to_mel(hz) / _hz_to_mel(self.max_hz)
        return hz / self.max_hz

    def to_hz(self, unit: np.ndarray | float) -> np.ndarray:
        unit = np.clip(np.asarray(unit, dtype=np.float64), 0.0, 1.0)
        if self.scale == FrequencyScale.LOG:
            return self.min_hz * (self.max_hz / self.min_hz) ** unit
        if self.scale == FrequencyScale.MEL:
            return _mel_to_hz(unit * _hz_to_mel(self.max_hz))
        return unit * self.max_hz


def _hz_to_mel(hz: np.ndarray | float) -> np.ndarray:
    """O'Shaughnessy's mel formula, as in HTK and librosa's `htk=True`."""
    return 2595.0 * np.log10(1.0 + np.asarray(hz) / 700.0)


def _mel_to_hz(mel: np.ndarray | float) -> np.ndarray:
    return 700.0 * (10.0 ** (np.asarray(mel) / 2595.0) - 1.0)


@functools.lru_cache(maxsize=32)
def _row_weights(axis: FrequencyAxis, n_fft: int, sample_rate: int, rows: int) -> scipy.sparse.csr_matrix:
    """Sparse `(rows, bins)` map from FFT power to display rows.

    A row wider than a bin averages the bins inside it (no aliasing of harmonics when a linear
    axis has fewer pixels than bins); a narrower row interpolates between its two neighbours.
    """
    bins = n_fft // 2 + 1
    bin_hz = sample_rate / n_fft
    edges = axis.to_hz(np.arange(rows + 1) / rows) / bin_hz   # row edges in fractional bins
    indptr, indices, data = [0], [], []
    for lo, hi in itertools.pairwise(edges):
        inside = np.arange(math.ceil(lo), min(math.ceil(hi), bins))     # bin centres in [lo, hi)
        if hi - lo >= 1 and inside.size:
            idx = inside
            w = np.full(idx.size, 1.0 / idx.size)
        else:
            centre = min((lo + hi) / 2, bins - 1.0)
            left = min(int(centre), bins - 2)
            frac = centre - left
            idx, w = np.array([left, left + 1]), np.array([1.0 - frac, frac])
        indices.extend(idx.tolist())
        data.extend(w.tolist())
        indptr.append(len(indices))
    return scipy.sparse.csr_matrix(
        (np.asarray(data, np.float32), np.asarray(indices), np.asarray(indptr)), shape=(rows, bins)
    )


# Periodic (DFT-even) windows, as scipy.signal.get_window(name, n, fftbins=True) makes them (tested);
# numpy's symmetric ones one sample longer, less the last: importing scipy.signal would add most of
# a second to the window's start.
_PERIODIC_WINDOWS = {
    Window.HANN: lambda n: np.hanning(n + 1)[:-1],
    Window.HAMMING: lambda n: np.hamming(n + 1)[:-1],
    Window.BLACKMAN: lambda n: np.blackman(n + 1)[:-1],
    Window.RECTANGULAR: np.ones,
}


@functools.lru_cache(maxsize=16)
def _scaled_window(window: Window, n_fft: int) -> np.ndarray:
    """Window scaled so a full-scale sine's peak bin has power 1 (0 dBFS)."""
    w = _PERIODIC_WINDOWS[window](n_fft).astype(np.float32)
    return w / (w.sum() / 2)


def column_stride(span_frames: int, columns: int, hop: int) -> int:
    """Frames per image column for a visible span: the real hop when zoomed in, else the zoom
    ladder step nearest to one column per screen pixel."""
    per_column = span_frames / max(1, columns)
    if per_column <= hop:
        return hop
    step = round(math.log2(per_column / hop) * ZOOM_STEPS_PER_OCTAVE)
    return max(hop, round(hop * 2.0 ** (step / ZOOM_STEPS_PER_OCTAVE)))


@dataclass(frozen=True)
class Tile:
    """`TILE_COLUMNS` (fewer at the file's end) columns of one zoom level, all channels."""

    level_db: np.ndarray       # (channels, columns, rows) float32, power in dBFS
    envelope_min: np.ndarray   # (channels, columns) float32
    envelope_max: np.ndarray   # (channels, columns) float32

    @property
    def nbytes(self) -> int:
        return self.level_db.nbytes + self.envelope_min.nbytes + self.envelope_max.nbytes


class TileCache:
    """LRU of computed tiles, bounded in bytes; shared by the GUI thread and a worker, so locked."""

    def __init__(self, max_bytes: int = 256 * 2**20) -> None:
        self.max_bytes = max_bytes
        self._tiles: OrderedDict[tuple, Tile] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: tuple) -> Tile | None:
        with self._lock:
            tile = self._tiles.get(key)
            if tile is None:
                self.misses += 1
                return None
            self._tiles.move_to_end(key)
            self.hits += 1
            return tile

    def put(self, key: tuple, tile: Tile) -> None:
        with self._lock:
            if key in self._tiles:
                return
            self._tiles[key] = tile
            self._bytes += tile.nbytes
            while self._bytes > self.max_bytes and len(self._tiles) > 1:
                _, old = self._tiles.popitem(last=False)
                self._bytes -= old.nbytes

    def __len__(self) -> int:
        return len(self._tiles)


@dataclass(frozen=True)
class SpectrogramImage:
    """Image for a visible range: columns cover `[start_frame, start_frame + columns × stride)`."""

    level_db: np.ndarray       # (channels, columns, rows) float32, read-only
    envelope_min: np.ndarray   # (channels, columns) float32, read-only
    envelope_max: np.ndarray
    start_frame: int
    stride: int
    axis: FrequencyAxis
    channels: tuple[int, ...]
    complete: bool = True      # False while `image_steps` is still filling tiles in

    @property
    def columns(self) -> int:
        return self.level_db.shape[1]

    @property
    def stop_frame(self) -> int:
        return self.start_frame + self.columns * self.stride


def _read_groups(starts: list[int], n_fft: int) -> list[tuple[int, int]]:
    """Index ranges `[i, j)` of frames read together: neighbours overlapping or touching, up to
    `MAX_READ_FRAMES` per read."""
    groups, i = [], 0
    for k in range(1, len(starts) + 1):
        if k == len(starts) or starts[k] - starts[k - 1] > n_fft or starts[k] + n_fft - starts[i] > MAX_READ_FRAMES:
            groups.append((i, k))
            i = k
    return groups


def _read_frames(recording: Recording, starts: np.ndarray, n_fft: int, channels: list[int]) -> np.ndarray:
    """FFT frames beginning at `starts` (sorted), `(frames, channels, n_fft)`, zeros past the ends.

    Neighbouring frames closer than one frame apart share one read; far-apart frames (zoomed
    out) get a short read each, so the cost follows the columns, not the visible span.
    """
    out = np.empty((starts.size, len(channels), n_fft), dtype=np.float32)   # zeroed only where needed
    chosen = None if channels == list(range(recording.channels)) else channels   # all: no gather copy
    begin = starts.tolist()
    for i, j in _read_groups(begin, n_fft):
        lo, hi = begin[i], begin[j - 1] + n_fft
        read_lo, read_hi = max(lo, 0), min(hi, recording.frames)
        if j == i + 1:                                      # zoomed out: one frame, read in place
            out[i, :, : max(0, read_lo - lo)] = 0.0
            out[i, :, max(0, read_hi - lo):] = 0.0
            if read_hi > read_lo:
                out[i, :, read_lo - lo:read_hi - lo] = recording.read(read_lo, read_hi, chosen)
            continue
        block = np.zeros((len(channels), hi - lo), dtype=np.float32)
        if read_hi > read_lo:
            block[:, read_lo - lo:read_hi - lo] = recording.read(read_lo, read_hi, chosen)
        view = np.lib.stride_tricks.sliding_window_view(block, n_fft, axis=1)   # (ch, positions, n_fft)
        out[i:j] = view[:, starts[i:j] - lo].transpose(1, 0, 2)
    return out


def _tile_frames(recording: Recording, channels: list[int], n_fft: int, stride: int, tile: int) -> np.ndarray:
    """The FFT frames of one tile's columns, `(columns, channels, n_fft)`."""
    total_columns = math.ceil(recording.frames / stride)
    first = tile * TILE_COLUMNS
    centres = np.arange(first, min(first + TILE_COLUMNS, total_columns), dtype=np.int64) * stride + stride // 2
    starts = centres - n_fft // 2
    if starts[0] >= 0 and starts[-1] + n_fft <= recording.frames:      # all inside: one strided read
        chosen = None if channels == list(range(recording.channels)) else channels
        frames = recording.read_windows(int(starts[0]), stride, starts.size, n_fft, chosen)
        if frames is not None:
            return frames
    return _read_frames(recording, starts, n_fft, channels)


def _tile_from_frames(frames: np.ndarray, settings: SpectrogramSettings, stride: int,
                      weights: scipy.sparse.csr_matrix) -> Tile:
    """Envelope and dB image of one tile's frames."""
    count, n_channels, n_fft = frames.shape
    half = min(stride, n_fft) // 2
    around_centre = frames[:, :, n_fft // 2 - half:n_fft // 2 + max(half, 1)]
    envelope_min = around_centre.min(axis=2).T.copy()
    envelope_max = around_centre.max(axis=2).T.copy()
    frames *= _scaled_window(settings.window, n_fft)
    spectrum = scipy.fft.rfft(frames, axis=2)   # one worker: a second measured no faster on 2 cores
    power = np.abs(spectrum)                 # measured faster than re² + im² on interleaved floats
    np.square(power, out=power)
    rows_power = weights @ power.reshape(-1, power.shape[2]).T                 # (rows, cols*ch)
    np.maximum(rows_power, _POWER_EPS, out=rows_power)
    level = np.log10(rows_power, out=rows_power)
    level *= 10.0
    level_db = level.reshape(-1, count, n_channels).transpose(2, 1, 0).astype(np.float32, copy=True)
    return Tile(level_db, envelope_min, envelope_max)


def _compute_tile(recording: Recording, channels: list[int], settings: SpectrogramSettings, stride: int,
                  weights: scipy.sparse.csr_matrix, tile: int) -> Tile:
    return _tile_from_frames(_tile_frames(recording, channels, settings.n_fft, stride, tile), settings, stride, weights)


@functools.cache
def _tile_pool() -> ThreadPoolExecutor:
    """Threads that compute tiles side by side: reads, FFTs and the NumPy work release the GIL,
    so two tiles at once measured 1.7x faster than one after the other on two cores."""
    return ThreadPoolExecutor(TILE_WORKERS, thread_name_prefix="spectrogram-tile")


def image_steps(
    recording: Recording,
    start_frame: int,
    stop_frame: int,
    columns: int,
    settings: SpectrogramSettings,
    rows: int = 256,
    channels: Sequence[int] | None = None,
    cache: TileCache | None = None,
    step_tiles: int = STEP_TILES,
) -> Iterator[SpectrogramImage]:
    """The spectrogram and waveform envelope covering `[start_frame, stop_frame)` at about
    `columns` columns and `rows` frequency rows, growing as tiles are computed.

    Every `step_tiles` new tiles (0: only at the end) a yield gives the image so far (tiles
    not yet computed at -200 dB, i.e. the floor colour); the last yield is complete. Cached
    tiles come for free. Tiles are computed `TILE_WORKERS` at a time, only as iteration reaches
    them, so a caller that stops early (the view moved on) leaves no work behind.
    """
    chans = list(range(recording.channels)) if channels is None else [int(c) for c in channels]
    start = max(0, int(start_frame))
    stop = min(recording.frames, max(int(stop_frame), start + 1))
    stride = column_stride(stop - start, columns, settings.hop)
    tile_span = TILE_COLUMNS * stride
    total_columns = math.ceil(recording.frames / stride)
    first_tile, stop_tile = start // tile_span, min((total_columns - 1) // TILE_COLUMNS, (stop - 1) // tile_span) + 1
    first_column = first_tile * TILE_COLUMNS
    count = min(stop_tile * TILE_COLUMNS, total_columns) - first_column
    level_db = np.full((len(chans), count, rows), 10 * math.log10(_POWER_EPS), dtype=np.float32)
    low = np.zeros((len(chans), count), dtype=np.float32)
    high = np.zeros((len(chans), count), dtype=np.float32)
    axis = FrequencyAxis.for_settings(settings, recording.sample_rate)
    weights = _row_weights(axis, settings.n_fft, recording.sample_rate, rows)
    spectral_key = (settings.n_fft, settings.hop, settings.window, axis, rows, tuple(chans), stride)

    def place(tile: int, found: Tile) -> None:
        at = tile * TILE_COLUMNS - first_column
        width = found.level_db.shape[1]
        level_db[:, at:at + width], low[:, at:at + width], high[:, at:at + width] = (
            found.level_db, found.envelope_min, found.envelope_max)

    def snapshot(complete: bool) -> SpectrogramImage:
        parts = [level_db, low, high] if complete else [level_db.copy(), low.copy(), high.copy()]
        for part in parts:
            part.flags.writeable = False                      # the last one is handed over, not copied
        return SpectrogramImage(*parts, first_tile * tile_span, stride, axis, tuple(chans), complete)

    missing: list[int] = []
    for tile in range(first_tile, stop_tile):
        found = cache.get((*spectral_key, tile)) if cache is not None else None
        if found is None:
            missing.append(tile)
        else:
            place(tile, found)
    compute = functools.partial(_compute_tile, recording, chans, settings, stride, weights)
    shown = 0
    for at in range(0, len(missing), TILE_WORKERS):
        batch = missing[at:at + TILE_WORKERS]
        for tile, found in zip(batch, _tile_pool().map(compute, batch), strict=True):
            if cache is not None:
                cache.put((*spectral_key, tile), found)
            place(tile, found)
        done = at + len(batch)
        if step_tiles and done - shown >= step_tiles and done < len(missing):
            shown = done
            yield snapshot(complete=False)
    yield snapshot(complete=True)


def compute_image(
    recording: Recording,
    start_frame: int,
    stop_frame: int,
    columns: int,
    settings: SpectrogramSettings,
    rows: int = 256,
    channels: Sequence[int] | None = None,
    cache: TileCache | None = None,
) -> SpectrogramImage:
    """The complete image of `image_steps`, without intermediate images."""
    (image,) = image_steps(recording, start_frame, stop_frame, columns, settings, rows, channels, cache, step_tiles=0)
    return image


def to_color_indices(level_db: np.ndarray, floor_db: float, ceiling_db: float) -> np.ndarray:
    """dB levels as uint8 indices into a 256-entry colormap, clipped to [floor, ceiling]."""
    scale = 255.0 / (ceiling_db - floor_db)
    scaled = (level_db - np.float32(floor_db)) * np.float32(scale)
    np.clip(scaled, 0.0, 255.0, out=scaled)
    return scaled.astype(np.uint8)


def level_of_color_index(index: int, floor_db: float, ceiling_db: float) -> float:
    """The dB level a colour index stands for (`to_color_indices` backwards), to the one step of
    (ceiling − floor) / 255 dB it was rounded to; the floor and ceiling stand for all beyond them."""
    return floor_db + float(index) / 255.0 * (ceiling_db - floor_db)


def bench_redraw(recording: Recording, columns: int = 1200, rows: int = 256) -> dict[str, float]:
    """Milliseconds to compute the full view, a 1-min view and a 1-s view (centred, all
    channels, cold cache), including the colour mapping a redraw needs (issue #3, item 7)."""
    settings = SpectrogramSettings()
    centre = recording.frames // 2
    rate = recording.sample_rate
    spans = {
        "full_view_ms": (0, recording.frames),
        "minute_view_ms": (centre - 30 * rate, centre + 30 * rate),
        "second_view_ms": (centre - rate // 2, centre + rate // 2),
    }
    result: dict[str, float] = {}
    for name, (start, stop) in spans.items():
        began = time.perf_counter()
        image = compute_image(recording, start, stop, columns, settings, rows, cache=TileCache())
        to_color_indices(image.level_db, settings.floor_db, settings.ceiling_db)
        result[name] = round((time.perf_counter() - began) * 1000, 1)
    return result


def exact_envelope(
    recording: Recording, start_frame: int, stop_frame: int, columns: int
) -> tuple[int, float, np.ndarray, np.ndarray]:
    """(start_frame, frames per column, min, max) over every sample of a short span; when the
    span has fewer samples than columns, the samples themselves (min == max)."""
    start = max(0, int(start_frame))
    stop = min(recording.frames, max(int(stop_frame), start + 1))
    audio = recording.read(start, stop)
    per_column = max(1, (stop - start) // max(1, columns))
    usable = (audio.shape[1] // per_column) * per_column
    if usable == 0:
        return start, 1.0, audio, audio
    blocks = audio[:, :usable].reshape(audio.shape[0], -1, per_column)
    return start, float(per_column), blocks.min(axis=2), blocks.max(axis=2)
