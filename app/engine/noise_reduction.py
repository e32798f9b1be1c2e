"""Reducing steady background noise with a learnt noise profile, as Audacity's Noise Reduction and
iZotope RX's Spectral De-noise do: the hiss, fan or room tone a separator leaves in a talker's
track, or a recorder's own noise.

The noise profile is the average power of each frequency bin over stretches that hold noise alone:
a span the user selects where the talker is silent (Audacity's Get Noise Profile, RX's Learn), or,
without one, the quietest tenth of the version's frames that hold any sound, over its first minute
(what a user would select by ear). A bin of a frame is taken as sound when the middle of its power
in three consecutive frames rises `sensitivity_db` above the profile; every other bin is lowered by
`reduction_db`. The gain then opens ahead of a sound (`ATTACK_SECONDS`) and closes behind it
(`RELEASE_SECONDS`), and is averaged (in dB) over `smoothing_bins` bins either side, so the speech's
onsets and tails stay and the remaining noise does not twinkle ("musical noise"). The transform is
that of the band attenuation (`spectral_edits`: Hann windows of 40 to 64 ms, a quarter apart).

Written here rather than taken from `noisereduce`: that package depends on matplotlib and joblib
and holds the whole signal and its spectrogram in memory, while a version may be hours long; here
the blocks carry enough context that every block gives exactly the samples the whole would.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf

from app.engine.documents import Version, VersionKind
from app.engine.errors import ConfigError
from app.engine.export import AtomicAudioWriter, ExportSettings
from app.engine.jobs import Job, Progress
from app.engine.provenance import read_tags, with_step
from app.engine.scratch import scratch_zeros
from app.engine.spectral_edits import window_frames
from app.engine.timecode import format_span
from app.engine.workflow import version_span

Seconds = tuple[float, float]

ATTACK_SECONDS = 0.02           # Audacity's: the gain opens this long before a sound
RELEASE_SECONDS = 0.10          # and closes over this long after it
QUIETEST_SHARE = 0.1            # the share of frames that make a profile learnt without a span
ANALYSIS_SECONDS = 60.0         # where that profile is looked for: the version's first minute
MIN_PROFILE_SECONDS = 0.25
SOUND_FLOOR = 1e-12             # a frame's mean bin power below this (−120 dBFS) is digital silence
BLOCK = 1 << 20                 # samples resynthesised at a time
REDUCED_SUFFIX = " · noise reduced"


@dataclass(frozen=True)
class NoiseSettings:
    """Audacity's defaults: 12 dB down, 6 dB of sensitivity, three bins of frequency smoothing."""

    reduction_db: float = 12.0
    sensitivity_db: float = 6.0
    smoothing_bins: int = 3

    def check(self) -> None:
        if not 0 < self.reduction_db <= 60:
            raise ConfigError(f"A noise reduction of {self.reduction_db:g} dB is out of range: use 1 to 60 dB.")
        if not 0 <= self.sensitivity_db <= 24:
            raise ConfigError(f"A sensitivity of {self.sensitivity_db:g} dB is out of range: use 0 to 24 dB.")
        if not 0 <= self.smoothing_bins <= 12:
            raise ConfigError(f"Frequency smoothing over {self.smoothing_bins} bins is out of range: use 0 to 12.")


def _transform(rate: int) -> Any:
    from scipy.signal import ShortTimeFFT     # only when noise is reduced: not at the app's start
    from scipy.signal.windows import hann

    window = window_frames(rate)
    return ShortTimeFFT(hann(window, sym=False), window // 4, rate, mfft=window)


def _power(audio: np.ndarray, transform: Any) -> np.ndarray:
    """(bins, frames) power of `audio`'s frames that lie wholly inside it."""
    spectrum = transform.stft(np.asarray(audio, dtype=np.float64))
    first = transform.lower_border_end[1] - transform.p_min
    last = transform.upper_border_begin(audio.shape[0])[1] - transform.p_min
    return np.abs(spectrum[:, first:last]) ** 2


def learn_profile(version: Version, span: Seconds) -> np.ndarray:
    """Per bin, the mean power of `version` over `span`, where it holds noise alone."""
    rate = version.sample_rate
    lo, hi = (min(max(round(s * rate), 0), version.audio.shape[0]) for s in span)
    if (hi - lo) / rate < MIN_PROFILE_SECONDS:
        raise ConfigError(f"{format_span(*span)} of “{version.name}” is too short to learn its noise from: select at "
                          f"least {MIN_PROFILE_SECONDS:g} s where the talker is silent.")
    power = _power(version.audio[lo:hi], _transform(rate))
    if power.shape[1] == 0 or power.mean() < SOUND_FLOOR:
        raise ConfigError(f"“{version.name}” is silent over {format_span(*span)}: there is no noise there to learn.")
    return power.mean(axis=1)


def quietest_profile(version: Version) -> np.ndarray:
    """Per bin, the mean power of the quietest tenth of `version`'s frames that hold any sound, over
    the first minute of the span it was made from (the whole version when it was made whole)."""
    rate = version.sample_rate
    made = version_span([version]) or (0.0, version.seconds)
    lo = min(round(made[0] * rate), version.audio.shape[0])
    hi = min(lo + round(ANALYSIS_SECONDS * rate), round(made[1] * rate), version.audio.shape[0])
    power = _power(version.audio[lo:hi], _transform(rate))
    level = power.mean(axis=0)
    sounding = np.flatnonzero(level >= SOUND_FLOOR)
    if sounding.size < MIN_PROFILE_SECONDS * rate / (window_frames(rate) // 4):
        raise ConfigError(f"“{version.name}” holds too little sound to find its noise in; select a stretch of its "
                          "noise and learn the profile from it.")
    quietest = sounding[np.argsort(level[sounding], kind="stable")[:max(1, round(QUIETEST_SHARE * sounding.size))]]
    return power[:, quietest].mean(axis=1)


def _gains(power: np.ndarray, threshold: np.ndarray, floor: float, hop_seconds: float, smoothing: int) -> np.ndarray:
    """(bins, frames) gains: 1 where the middle of three frames' power reaches the threshold, else
    `floor`; opened early and closed late (attack, release); averaged in dB across bins."""
    from scipy.ndimage import uniform_filter1d

    padded = np.pad(power, ((0, 0), (1, 1)), mode="edge")
    middle = np.median(np.stack([padded[:, :-2], padded[:, 1:-1], padded[:, 2:]]), axis=0)
    gains = np.where(middle >= threshold[:, None], 1.0, floor)
    if floor < 1.0:
        release, attack = (floor ** (hop_seconds / s) for s in (RELEASE_SECONDS, ATTACK_SECONDS))
        for t in range(gains.shape[1] - 2, -1, -1):
            np.maximum(gains[:, t], gains[:, t + 1] * attack, out=gains[:, t])
        for t in range(1, gains.shape[1]):
            np.maximum(gains[:, t], gains[:, t - 1] * release, out=gains[:, t])
    if smoothing:
        gains = np.exp(uniform_filter1d(np.log(gains), 2 * smoothing + 1, axis=0, mode="nearest"))
    return gains


def reduce_blocks(version: Version, profile: np.ndarray, settings: NoiseSettings, span: Seconds | None = None,
                  block: int = BLOCK, stage: str = "reduce noise") -> Job[np.ndarray]:
    """`version`'s audio with the noise of `profile` reduced in the frames centred inside `span`
    (the whole version without one); one progress step (named `stage`) per block of `block`
    samples (rounded to the hop). Each block is analysed with enough frames around it that the
    attack, the release and the three-frame middle reach it exactly as in the whole."""
    rate, audio = version.sample_rate, version.audio
    transform = _transform(rate)
    window, hop = transform.m_num, transform.hop
    frames = audio.shape[0]
    start, stop = (0, frames) if span is None else (min(max(round(s * rate), 0), frames) for s in span)
    first, last = math.ceil(start / hop) * hop, math.ceil(stop / hop) * hop
    threshold = profile * 10 ** (settings.sensitivity_db / 10)
    floor = 10 ** (-settings.reduction_db / 20)
    reach = (math.ceil(max(ATTACK_SECONDS, RELEASE_SECONDS) * rate / hop) + 2) * hop + 2 * window
    out = scratch_zeros(audio.shape)
    out[:] = audio
    begin, end = max(0, first - window), min(frames, last + window)         # the samples that change
    block = max(hop, block // hop * hop)
    cores = list(range(begin // hop * hop, end, block))
    for done, core in enumerate(cores):
        yield Progress(stage, done, len(cores))
        lo, hi = max(core, begin), min(core + block, end)
        origin = max(0, core - reach)                   # a multiple of the hop: the frames keep the global grid
        piece = audio[origin:min(frames, core + block + reach)].astype(np.float64)
        spectrum = transform.stft(piece)
        gains = _gains(np.abs(spectrum) ** 2, threshold, floor, hop / rate, settings.smoothing_bins)
        centres = origin + np.arange(transform.p_min, transform.p_max(piece.shape[0])) * hop
        inside = (centres >= first) & (centres < last)
        spectrum[:, inside] *= gains[:, inside]
        out[lo:hi] = transform.istft(spectrum, k1=piece.shape[0])[lo - origin:hi - origin]
    out.flags.writeable = False         # the version keeps it as it is, without a copy
    return out


def profiles(versions: list[Version], profile_span: Seconds | None) -> list[np.ndarray]:
    """Each version's noise profile: learnt over `profile_span`, else from its quietest frames;
    ConfigError naming the first version that has none."""
    return [learn_profile(v, profile_span) if profile_span is not None else quietest_profile(v) for v in versions]


def describe(settings: NoiseSettings, profile_span: Seconds | None) -> str:
    """"12 dB down, sensitivity 6 dB, noise learnt from 1.00–2.50 s": for names, notes and reports."""
    source = f"noise learnt from {format_span(*profile_span)}" if profile_span is not None \
        else "noise from the quietest tenth"
    return f"{settings.reduction_db:g} dB down, sensitivity {settings.sensitivity_db:g} dB, {source}"


def reduce_noise_job(versions: list[Version], settings: NoiseSettings, profile_span: Seconds | None = None,
                     span: Seconds | None = None) -> Job[list[Version]]:
    """A new version of each of `versions` with its noise reduced over `span` (all of it without
    one); every version's profile is found before any is changed."""
    settings.check()
    found = profiles(versions, profile_span)
    record = {"reduction_db": settings.reduction_db, "sensitivity_db": settings.sensitivity_db,
              "smoothing_bins": settings.smoothing_bins,
              "profile": list(profile_span) if profile_span is not None else "quietest tenth",
              "seconds": list(span) if span is not None else "whole"}
    mended = []
    for version, profile in zip(versions, found, strict=True):
        audio = yield from reduce_blocks(version, profile, settings, span, stage=f"reduce noise in {version.name}")
        name = version.name if version.name.endswith(REDUCED_SUFFIX) else version.name + REDUCED_SUFFIX
        done = [*version.settings.get("noise_reduced", []), record]
        mended.append(Version(name, version.talker, version.kind, audio, version.sample_rate, version.model,
                              {**version.settings, "mended_from": version.id, "noise_reduced": done}, version.device))
    return mended


def reduce_noise_files(paths: list[Path], settings: NoiseSettings, export: ExportSettings) -> Job[list[str | None]]:
    """Rewrite each mono track at `paths` (in `export`'s format) with its steady noise lowered, the
    profile from its quietest frames (`separate --reduce-noise`); each writer's `peak_note`. The
    track is read into scratch space (an hour at 16 kHz is 230 MB, on disk when memory is short)."""
    settings.check()
    peak_notes = []
    for path in paths:
        with sf.SoundFile(path) as source:
            rate, tags = source.samplerate, read_tags(source)
            audio = scratch_zeros((source.frames,))
            at = 0
            for block in source.blocks(BLOCK, dtype="float32", always_2d=True):
                audio[at:at + block.shape[0]] = block[:, 0]
                at += block.shape[0]
        audio.flags.writeable = False
        track = Version(path.name, 0, VersionKind.SEPARATED, audio, rate, "", {})
        quieter = yield from reduce_blocks(track, quietest_profile(track), settings, stage=f"reduce noise {path.name}")
        step = f"noise reduced by {settings.reduction_db:g} dB (sensitivity {settings.sensitivity_db:g} dB)"
        writer = AtomicAudioWriter(path, rate, 1, replace(export, overwrite=True), with_step(tags, step))
        with writer:
            for lo in range(0, quieter.shape[0], BLOCK):
                writer.write(quieter[None, lo:lo + BLOCK])
        writer.commit()
        peak_notes.append(writer.peak_note)
    return peak_notes
