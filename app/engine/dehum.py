"""Removing mains hum from a version: the 50 or 60 Hz line and its harmonics, as iZotope RX's
De-hum does.

A microphone array on a USB hub, or a cable near a power supply, picks up the mains frequency and
its harmonics; a separator passes them into every talker's track, where they sit under the voice's
own pitch. The hum is found in the version's average spectrum (Welch, one-second Hann segments
over its first minute: 1 Hz bins): for each of 50 and 60 Hz, how far the first `HARMONICS` lines
of its comb stand above the median level within 5 Hz around each (in dB; the median over the lines,
so that most of them must stand out, not the one a clipped tone's harmonic or its alias happens to
land on); the stronger comb, if it stands `MIN_PROMINENCE_DB` or more above, is the hum. Each of its lines below the
version's Nyquist frequency is then taken out by a narrow IIR notch (`NOTCH_Q`: 1.4 Hz wide at
50 Hz), run forward and backward (zero phase, as `scipy.signal.sosfiltfilt`) block by block with
the filters' state carried across, so an hour costs no more memory than a minute; the notches
settle over the first and last fraction of a second, where some hum remains.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from app.engine.documents import Version
from app.engine.errors import ConfigError
from app.engine.jobs import Job, Progress
from app.engine.scratch import scratch_zeros

MAINS_HZ = (50.0, 60.0)
HARMONICS = 8                 # 50–400 Hz or 60–480 Hz: where a hum's lines meet a voice's pitch
NOTCH_Q = 35.0
MIN_PROMINENCE_DB = 6.0
ANALYSIS_SECONDS = 60.0
NEIGHBOUR_HZ = 5.0
BLOCK = 1 << 20               # samples filtered at a time
DEHUMMED_SUFFIX = " · hum removed"


@dataclass(frozen=True)
class Hum:
    hz: float                 # the mains frequency: 50 or 60
    prominence_db: float      # how far its lines stand above their surroundings, the median over the lines
    lines: int                # how many of them lie below the Nyquist frequency and are notched


def find_hum(version: Version) -> Hum:
    """The mains hum in `version`; ConfigError naming it when none stands out."""
    return find_hum_in(version.name, version.audio[:round(ANALYSIS_SECONDS * version.sample_rate)],
                       version.sample_rate)


def find_hum_in(name: str, audio: np.ndarray, rate: int) -> Hum:
    """The mains hum in `audio` (frames, or channels × frames: their spectra averaged), a minute of
    it at most; ConfigError naming `name` when none stands out."""
    import scipy.signal       # most of a second to import: loaded by the first use

    audio = np.asarray(audio, dtype=np.float64)
    if audio.shape[-1] < rate:
        raise ConfigError(f"“{name}” is too short to find a hum in: it needs a second of audio or more.")
    hz, power = scipy.signal.welch(audio, rate, window="hann", nperseg=rate, noverlap=rate // 2, axis=-1)
    level = 10 * np.log10((power if power.ndim == 1 else power.mean(axis=0)) + 1e-30)
    best = Hum(0.0, -np.inf, 0)
    for mains in MAINS_HZ:
        lines = [k * mains for k in range(1, HARMONICS + 1) if k * mains < rate / 2 - NEIGHBOUR_HZ]
        rises = []
        for line in lines:
            at = int(np.argmin(np.abs(hz - line)))
            around = np.abs(hz - line)
            neighbours = level[(around > 1.5) & (around <= NEIGHBOUR_HZ)]
            rises.append(level[at - 1:at + 2].max() - np.median(neighbours))
        prominence = float(np.median(rises)) if rises else -np.inf
        if prominence > best.prominence_db:
            best = Hum(mains, prominence, len(lines))
    if best.prominence_db < MIN_PROMINENCE_DB:
        raise ConfigError(f"No mains hum stands out in “{name}”: neither a 50 nor a 60 Hz comb rises "
                          f"{MIN_PROMINENCE_DB:g} dB above its surroundings (the stronger, {best.hz:g} Hz, by "
                          f"{best.prominence_db:.1f} dB).")
    return best


def notch_sections(hum: Hum, rate: int) -> np.ndarray:
    """Second-order sections of one notch per line of the hum."""
    import scipy.signal

    sections = [scipy.signal.tf2sos(*scipy.signal.iirnotch(k * hum.hz, NOTCH_Q, rate))
                for k in range(1, hum.lines + 1)]
    return np.concatenate(sections)


class HumNotch:
    """The hum's lines notched out of (channels, frames) blocks handed in order, each filter's state
    carried from block to block: one pass forward (a copy written as it streams), so the notches'
    phase shows only within their 1.4 Hz."""

    def __init__(self, hum: Hum, rate: int, channels: int) -> None:
        self.sos = notch_sections(hum, rate)
        self.state = np.zeros((self.sos.shape[0], channels, 2))

    def __call__(self, block: np.ndarray) -> np.ndarray:
        import scipy.signal

        out, self.state = scipy.signal.sosfilt(self.sos, block, axis=-1, zi=self.state)
        return out.astype(np.float32)


def dehummed_version(version: Version, hum: Hum) -> Version:
    """`version` with the hum's lines notched out, zero phase, block by block."""
    import scipy.signal

    sos = notch_sections(hum, version.sample_rate)
    n = version.audio.shape[0]
    out = scratch_zeros(version.audio.shape)
    state = np.zeros((sos.shape[0], 2))
    for at in range(0, n, BLOCK):
        out[at:at + BLOCK], state = scipy.signal.sosfilt(sos, version.audio[at:at + BLOCK], zi=state)
    state = np.zeros((sos.shape[0], 2))
    for at in range((n - 1) // BLOCK * BLOCK, -1, -BLOCK):                # the same blocks, backward
        backward, state = scipy.signal.sosfilt(sos, out[at:at + BLOCK][::-1], zi=state)
        out[at:at + BLOCK] = backward[::-1]
    out.flags.writeable = False
    name = version.name if version.name.endswith(DEHUMMED_SUFFIX) else version.name + DEHUMMED_SUFFIX
    settings = {**version.settings, "mended_from": version.id,
                "hum_removed": {"hz": hum.hz, "lines": hum.lines, "prominence_db": round(hum.prominence_db, 1)}}
    return Version(name, version.talker, version.kind, out, version.sample_rate, version.model, settings,
                   version.device)


def dehum_job(versions: list[Version]) -> Job[list[Version]]:
    """Each version's hum found and removed; every version is checked before any is filtered."""
    hums = [find_hum(version) for version in versions]
    mended = []
    for done, (version, hum) in enumerate(zip(versions, hums, strict=True)):
        yield Progress("remove hum", done, len(versions))
        mended.append(dehummed_version(version, hum))
    return mended
