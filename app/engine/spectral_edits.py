"""Attenuating a frequency band over a span of time: a region of the spectrogram, as iZotope RX's
spectral selection and Audacity's spectral edits do. A hum, a whistle, a phone's ring or the
crosstalk a separator left in one band of a talker's track goes, and the rest of the spectrum in
that time stays.

The version is taken through a short-time Fourier transform (the noise gate's Hann windows of 40
to 64 ms, a quarter of a window apart, so a hum's line is resolved to 16 to 23 Hz), the bins of the
band in the frames centred in the span are scaled, ramped over two bins outside each band edge, and the
signal is resynthesised with the transform's dual window. Only the span and one window either side
change; the rest of the version is copied as it was. Long spans are done block by block on the
frames' own grid, so an hour costs no more memory than a minute and every block gives exactly the
samples the whole would.

Instead of a fixed gain, the band can be brought down to the level around it (`AROUND`, as RX's
Spectral Repair attenuates): each bin is lowered, never raised, to the median level of the tenth
of a second just before the span and just after it (interpolated across the span), so a cough or
a door knock goes and the room and the talker's steady sound under it stay.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from app.engine.documents import Version
from app.engine.errors import ConfigError
from app.engine.jobs import Job, Progress
from app.engine.scratch import scratch_zeros
from models.baselines.spectral_gate import window_frames

Seconds = tuple[float, float]
Band = tuple[float, float]          # Hz

EDGE_BINS = 2                  # the gain ramps back to 1 over this many bins outside each band edge
BLOCK_FRAMES = 1 << 20         # samples resynthesised at a time
CONTEXT_SECONDS = 0.1          # around the span, whose level `AROUND` brings the band down to
AROUND = "around"              # the gain that matches the level around the span
Gain = float | str             # dB (−inf: removed), or AROUND
ATTENUATED_SUFFIX = " · attenuated"


def band_weights(rate: int, window: int, band: Band) -> np.ndarray:
    """Per rfft bin, how much of the band's gain it takes: 1 inside `band`, 0 more than
    `EDGE_BINS` bins outside it, linear between."""
    hz = np.fft.rfftfreq(window, 1 / rate)
    outside = np.maximum(band[0] - hz, hz - band[1]).clip(min=0) / (rate / window)
    return np.clip(1 - outside / EDGE_BINS, 0, 1)


def _check(version: Version, band: Band) -> None:
    low, high = band
    nyquist = version.sample_rate / 2
    if not 0 <= low < high:
        raise ConfigError(f"The band {low:g}–{high:g} Hz is empty: its upper edge must lie above its lower edge.")
    if low >= nyquist:
        raise ConfigError(f"“{version.name}” holds nothing above {nyquist:g} Hz (its rate is {version.sample_rate} "
                          f"Hz), so the band {low:g}–{high:g} Hz has nothing to attenuate.")


def _frame_span(version: Version, span: Seconds, hop: int) -> tuple[int, int]:
    """The frame centres (multiples of `hop`, in samples) inside `span`: [first, last)."""
    rate, frames = version.sample_rate, version.audio.shape[0]
    start, stop = (min(max(s * rate, 0.0), frames) for s in span)
    first, last = math.ceil(start / hop) * hop, math.ceil(stop / hop) * hop
    if last <= first:
        raise ConfigError(f"The span {span[0]:.3f}–{span[1]:.3f} s is too short to attenuate a band of "
                          f"“{version.name}”: select at least {hop / rate * 1000:.0f} ms of its audio.")
    return first, last


def _context_level(audio: np.ndarray, transform: Any, window: int, centres: tuple[int, int]) -> np.ndarray | None:
    """Per bin, the median magnitude of the frames centred in [lo, hi) (multiples of the hop) that
    lie inside `audio`; None when none does."""
    lo, hi = max(centres[0], 0), min(centres[1], audio.shape[0])
    if hi <= lo:
        return None
    origin = max(0, lo - window)                # a multiple of the hop, as `lo` and the window are
    piece = audio[origin:min(audio.shape[0], hi + window)].astype(np.float64)
    spectrum = transform.stft(piece)
    frames = origin + np.arange(transform.p_min, transform.p_max(piece.shape[0])) * transform.hop
    chosen = (frames >= lo) & (frames < hi)
    return np.median(np.abs(spectrum[:, chosen]), axis=1) if chosen.any() else None


def _around(version: Version, transform: Any, window: int, first: int, last: int) -> tuple[np.ndarray, np.ndarray]:
    """The levels before and after the span, from frames that do not reach into it (a frame spans
    two hops either side of its centre, and the span starts less than a hop before `first`); one
    side stands for both at an end of the version."""
    hop = transform.hop
    context = math.ceil(CONTEXT_SECONDS * version.sample_rate / hop) * hop
    before = _context_level(version.audio, transform, window, (first - 3 * hop - context, first - 3 * hop + 1))
    after = _context_level(version.audio, transform, window, (last + 2 * hop, last + 2 * hop + context))
    if before is None and after is None:
        raise _no_context(version)
    return (before if before is not None else after), (after if after is not None else before)


def _no_context(version: Version) -> ConfigError:
    return ConfigError(f"The span covers all of “{version.name}”: there is no sound around it to match.")


def _attenuate(version: Version, span: Seconds, band: Band, gain_db: Gain, put: Callable[[int, np.ndarray], None],
               within: tuple[int, int] | None = None, block: int = BLOCK_FRAMES, stage: str = "attenuate") -> Job[None]:
    """The samples of `version` that the attenuation changes (those in `within` alone, when given),
    handed to `put(first sample, samples)` block by block, each exactly as the whole would give it."""
    from scipy.signal import ShortTimeFFT     # only when a band is attenuated: not at the app's start
    from scipy.signal.windows import hann

    _check(version, band)
    rate, audio = version.sample_rate, version.audio
    window = window_frames(rate)
    hop = window // 4
    first, last = _frame_span(version, span, hop)
    transform = ShortTimeFFT(hann(window, sym=False), hop, rate, mfft=window)
    weight = band_weights(rate, window, band)[:, None]
    if gain_db == AROUND:
        before, after = _around(version, transform, window, first, last)
    else:
        gain = 0.0 if gain_db == -math.inf else 10 ** (float(gain_db) / 20)
    begin, end = max(0, first - window), min(audio.shape[0], last + window)     # the samples that change
    if within is not None:
        begin, end = max(begin, within[0]), min(end, within[1])
    block = max(hop, block // hop * hop)
    cores = list(range(begin // hop * hop, end, block))
    for done, core in enumerate(cores):
        yield Progress(stage, done, len(cores))
        lo, hi = max(core, begin), min(core + block, end)
        origin = max(0, core - window)          # a multiple of the hop: the frames keep the global grid
        piece = audio[origin:min(audio.shape[0], core + block + window)].astype(np.float64)
        spectrum = transform.stft(piece)
        centres = origin + np.arange(transform.p_min, transform.p_max(piece.shape[0])) * hop
        inside = (centres >= first) & (centres < last)
        if gain_db == AROUND:
            along = (centres[inside] - first) / max(last - hop - first, 1)          # 0 → 1 across the span
            target = before[:, None] * (1 - along) + after[:, None] * along
            reach = np.minimum(1.0, target / np.maximum(np.abs(spectrum[:, inside]), 1e-12))
            spectrum[:, inside] *= 1 - weight * (1 - reach)
        else:
            spectrum[:, inside] *= 1 - weight * (1 - gain)
        put(lo, transform.istft(spectrum, k1=piece.shape[0])[lo - origin:hi - origin])


def attenuate_blocks(version: Version, span: Seconds, band: Band, gain_db: Gain,
                     block: int = BLOCK_FRAMES, stage: str = "attenuate") -> Job[np.ndarray]:
    """`version`'s audio with `band` at `gain_db` (−inf: removed; `AROUND`: down to the level
    around the span) in the frames centred inside `span`; one progress step (named `stage`) per
    block of `block` samples (rounded to the hop)."""
    out = scratch_zeros(version.audio.shape)
    out[:] = version.audio

    def put(lo: int, samples: np.ndarray) -> None:
        out[lo:lo + samples.shape[0]] = samples

    yield from _attenuate(version, span, band, gain_db, put, block=block, stage=stage)
    out.flags.writeable = False         # the version keeps it as it is, without a copy
    return out


def preview_job(version: Version, span: Seconds, band: Band, gain_db: Gain, heard: Seconds,
                removed: bool = False) -> Job[np.ndarray]:
    """The samples of `version` over `heard` (seconds) exactly as `attenuate_job` would make them,
    `version` itself untouched: what the dialog's Preview plays. `removed`: what the attenuation
    takes away there instead, which tells whether "down to the level around it" takes the sound
    meant and nothing more."""
    rate, frames = version.sample_rate, version.audio.shape[0]
    lo, hi = (min(max(round(t * rate), 0), frames) for t in heard)
    original = np.asarray(version.audio[lo:hi], np.float32)
    kept = original.copy()

    def put(first: int, samples: np.ndarray) -> None:
        kept[first - lo:first - lo + samples.shape[0]] = samples

    yield Progress("preview", 0, 1)
    yield from _attenuate(version, span, band, gain_db, put, within=(lo, hi), stage="preview")
    return original - kept if removed else kept


def _settings(version: Version, span: Seconds, band: Band, gain_db: Gain) -> dict[str, Any]:
    """The original's settings and every band attenuated so far."""
    level = "removed" if gain_db == -math.inf else "to the level around it" if gain_db == AROUND else gain_db
    done = [*version.settings.get("attenuated", []),
            {"seconds": [span[0], span[1]], "hz": [band[0], min(band[1], version.sample_rate / 2)], "db": level}]
    return {**version.settings, "attenuated_from": version.id, "mended_from": version.id, "attenuated": done}


def check_area(versions: list[Version], span: Seconds, band: Band, gain_db: Gain = 0.0) -> None:
    """ConfigError naming the first version that has nothing to attenuate over `span` in `band`
    (or, for `AROUND`, no sound around the span to match)."""
    for version in versions:
        _check(version, band)
        hop = window_frames(version.sample_rate) // 4
        first, last = _frame_span(version, span, hop)
        if gain_db == AROUND and first - 3 * hop < 0 and last + 2 * hop >= version.audio.shape[0]:
            raise _no_context(version)


def attenuate_job(versions: list[Version], span: Seconds, band: Band, gain_db: Gain) -> Job[list[Version]]:
    """A new version of each of `versions` with `band` at `gain_db` over `span`, as a job; every
    version is checked before any is done."""
    check_area(versions, span, band, gain_db)
    mended = []
    for version in versions:
        audio = yield from attenuate_blocks(version, span, band, gain_db, stage=f"attenuate {version.name}")
        name = version.name if version.name.endswith(ATTENUATED_SUFFIX) else version.name + ATTENUATED_SUFFIX
        mended.append(Version(name, version.talker, version.kind, audio, version.sample_rate, version.model,
                              _settings(version, span, band, gain_db), version.device))
    return mended
