"""Reducing steady background noise with a learnt noise profile, as Audacity's Noise Reduction and
iZotope RX's Spectral De-noise do: the hiss, fan or room tone a separator leaves in a talker's
track, or a recorder's own noise. The spectral gate itself is `models.baselines.spectral_gate`;
here it is applied to versions (Edit ▸ Reduce noise…) and to written tracks
(`separate --reduce-noise`).

The noise profile is learnt from a span the user selects where the talker is silent (Audacity's
Get Noise Profile, RX's Learn; its first minute, to bound the memory a long selection would take),
or, without one, from the quietest tenth of the version's frames that hold any sound, over the
first minute of what it was made from; or the noise is tracked over time (`TRACKED`, RX's adaptive
mode), for noise that changes: each frame's is the least of the smoothed power in the two seconds
around it (`spectral_gate.tracked_noise`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

import numpy as np

from app.engine.documents import Version
from app.engine.errors import ConfigError
from app.engine.export import AtomicAudioWriter, ExportSettings
from app.engine.files import Recording, open_recording
from app.engine.jobs import Job, Progress
from app.engine.provenance import read_tags, with_step
from app.engine.scratch import scratch_zeros
from app.engine.timecode import format_span
from app.engine.workflow import version_span
from models.baselines import spectral_gate
from models.baselines.spectral_gate import BLOCK, BlockGate, Gate

Seconds = tuple[float, float]
TRACKED: Literal["tracked"] = "tracked"
NoiseFrom = Seconds | Literal["tracked"] | None     # learnt over a span; tracked over time; None: the quietest frames

ANALYSIS_SECONDS = 60.0         # a profile is learnt from a minute at most: the first of the span or the version
MIN_PROFILE_SECONDS = 0.25
SILENT_SAMPLE = 1e-6            # −120 dBFS: a span whose samples all lie below holds no noise to learn
REDUCED_SUFFIX = " · noise reduced"


@dataclass(frozen=True)
class NoiseSettings(Gate):
    """The gate's settings, checked as a user types them."""

    def check(self) -> None:
        if not 0 < self.reduction_db <= 60:
            raise ConfigError(f"A noise reduction of {self.reduction_db:g} dB is out of range: use 1 to 60 dB.")
        if not 0 <= self.sensitivity_db <= 24:
            raise ConfigError(f"A sensitivity of {self.sensitivity_db:g} dB is out of range: use 0 to 24 dB.")
        if not 0 <= self.smoothing_bins <= 12:
            raise ConfigError(f"Frequency smoothing over {self.smoothing_bins} bins is out of range: use 0 to 12.")


def _profile_samples(frames: int, rate: int, span: Seconds) -> tuple[int, int]:
    """The samples of `span` (in a track of `frames` samples) a profile is learnt from: its first minute at most."""
    lo, hi = (min(max(round(s * rate), 0), frames) for s in span)
    return lo, min(hi, lo + round(ANALYSIS_SECONDS * rate))


def _span_audio(name: str, audio: np.ndarray, rate: int, span: Seconds, frames: int, start: int = 0) -> np.ndarray:
    """The samples a profile is learnt from over `span`, out of `audio`: the track named `name`, of
    `frames` samples, or the part of it from sample `start` on; ConfigError when they are too short
    or silent (a cheap look, for the window to say so at once)."""
    lo, hi = _profile_samples(frames, rate, span)
    if (hi - lo) / rate < MIN_PROFILE_SECONDS:
        raise ConfigError(f"{format_span(*span)} of “{name}” is too short to learn its noise from: select "
                          f"at least {MIN_PROFILE_SECONDS:g} s where the talker is silent.")
    samples = audio[lo - start:hi - start]
    if not np.any(np.abs(samples) > SILENT_SAMPLE):
        raise _silent(name, span)
    return samples


def check_profile_span(versions: list[Version], span: Seconds) -> None:
    """ConfigError naming the first version whose noise cannot be learnt over `span`: too short,
    or silent there."""
    for version in versions:
        _span_audio(version.name, version.audio, version.sample_rate, span, version.audio.shape[0])


def _silent(name: str, span: Seconds) -> ConfigError:
    return ConfigError(f"“{name}” is silent over {format_span(*span)}: there is no noise there to learn.")


def _learnt(name: str, samples: np.ndarray, rate: int, span: Seconds) -> np.ndarray:
    profile = spectral_gate.mean_profile(samples, rate)
    if profile is None:
        raise _silent(name, span)
    return profile


def learn_profile(version: Version, span: Seconds) -> np.ndarray:
    """Per bin, the mean power of `version` over `span` (its first minute), where it holds noise alone."""
    rate = version.sample_rate
    return _learnt(version.name, _span_audio(version.name, version.audio, rate, span, version.audio.shape[0]),
                   rate, span)


def _quietest(name: str, samples: np.ndarray, rate: int) -> np.ndarray:
    hop = spectral_gate.window_frames(rate) // 4
    profile = spectral_gate.quietest_profile(samples, rate, round(MIN_PROFILE_SECONDS * rate / hop))
    if profile is None:
        raise ConfigError(f"“{name}” holds too little sound to find its noise in; select a stretch of its "
                          "noise and learn the profile from it.")
    return profile


def quietest_profile(version: Version) -> np.ndarray:
    """Per bin, the mean power of the quietest tenth of `version`'s frames that hold any sound, over
    the first minute of the span it was made from (the whole version when it was made whole)."""
    rate = version.sample_rate
    made = version_span([version]) or (0.0, version.seconds)
    lo = min(round(made[0] * rate), version.audio.shape[0])
    hi = min(lo + round(ANALYSIS_SECONDS * rate), round(made[1] * rate), version.audio.shape[0])
    return _quietest(version.name, version.audio[lo:hi], rate)


def channel_profiles(recording: Recording, noise_from: NoiseFrom) -> list[np.ndarray | None]:
    """Each channel's noise profile, learnt over a span or else from its quietest frames in the first
    minute, reading that minute alone (None for each when the noise is `TRACKED`); ConfigError naming
    the first channel that has none."""
    if noise_from == TRACKED:
        return [None] * recording.channels
    rate, frames = recording.sample_rate, recording.frames
    lo, hi = ((0, min(frames, round(ANALYSIS_SECONDS * rate))) if noise_from is None
              else _profile_samples(frames, rate, noise_from))
    excerpt = recording.read(lo, hi)
    names = [f"{recording.name} channel {channel + 1}" for channel in range(recording.channels)]
    if noise_from is None:
        return [_quietest(name, audio, rate) for name, audio in zip(names, excerpt, strict=True)]
    return [_learnt(name, _span_audio(name, audio, rate, noise_from, frames, lo), rate, noise_from)
            for name, audio in zip(names, excerpt, strict=True)]


def reduce_blocks(version: Version, profile: np.ndarray | None, settings: Gate, span: Seconds | None = None,
                  block: int = BLOCK, stage: str = "reduce noise") -> Job[np.ndarray]:
    """`version`'s audio with the noise of `profile` (None: tracked) reduced over `span` (all of it without one),
    block by block (`spectral_gate.gate`), one progress step named `stage` per block."""
    rate = version.sample_rate
    out = scratch_zeros(version.audio.shape)
    samples = None if span is None else (round(span[0] * rate), round(span[1] * rate))
    for done, total in spectral_gate.gate(version.audio, rate, profile, settings, out, samples, block):
        yield Progress(stage, done, total)
    out.flags.writeable = False         # the version keeps it as it is, without a copy
    return out


def preview_job(version: Version, settings: NoiseSettings, noise_from: NoiseFrom, span: Seconds | None,
                heard: Seconds, removed: bool = False) -> Job[np.ndarray]:
    """The samples of `version` over `heard` as `reduce_noise_job` would make them (its noise from
    `noise_from`; reduced over `span`, all of it without one), read with the context its gains
    depend on, `version` itself untouched: what the dialog's Preview plays. `removed`: what the
    reduction takes away instead (Audacity's Residue, RX's Output noise only), where speech heard
    says that the settings take too much."""
    settings.check()
    yield Progress("preview", 0, 2)
    (profile,) = profiles([version], noise_from)
    yield Progress("preview", 1, 2)
    rate, frames = version.sample_rate, version.audio.shape[0]
    hop, context = spectral_gate.window_frames(rate) // 4, spectral_gate.context_samples(rate, profile is None)
    lo, hi = (min(max(round(t * rate), 0), frames) for t in heard)
    origin = max(0, lo - context) // hop * hop      # on the whole's frame grid
    piece = version.audio[origin:min(frames, hi + context)]
    reduced = None if span is None else (round(span[0] * rate) - origin, round(span[1] * rate) - origin)
    out = np.empty(piece.shape, np.float32)
    for _ in spectral_gate.gate(piece, rate, profile, settings, out, reduced):
        pass
    kept = out[lo - origin:hi - origin]
    return piece[lo - origin:hi - origin] - kept if removed else kept


def profiles(versions: list[Version], noise_from: NoiseFrom) -> list[np.ndarray | None]:
    """Each version's noise profile: learnt over a span, else from its quietest frames (None for
    each when the noise is `TRACKED`); ConfigError naming the first version that has none."""
    if noise_from == TRACKED:
        return [None] * len(versions)
    return [learn_profile(v, noise_from) if noise_from is not None else quietest_profile(v) for v in versions]


def describe_noise_from(noise_from: NoiseFrom) -> str | list[float]:
    """How a version's noise was found, as its settings record it."""
    if noise_from == TRACKED:
        return "tracked over time"
    return list(noise_from) if noise_from is not None else "quietest tenth"


def reduce_noise_job(versions: list[Version], settings: NoiseSettings, noise_from: NoiseFrom = None,
                     span: Seconds | None = None) -> Job[list[Version]]:
    """A new version of each of `versions` with its noise (from `noise_from`) reduced over `span`
    (all of it without one); every version's profile is found before any is changed."""
    settings.check()
    found = profiles(versions, noise_from)
    record: dict[str, Any] = {"reduction_db": settings.reduction_db, "sensitivity_db": settings.sensitivity_db,
                              "smoothing_bins": settings.smoothing_bins, "profile": describe_noise_from(noise_from),
                              "seconds": list(span) if span is not None else "whole"}
    mended = []
    for version, profile in zip(versions, found, strict=True):
        audio = yield from reduce_blocks(version, profile, settings, span, stage=f"reduce noise in {version.name}")
        name = version.name if version.name.endswith(REDUCED_SUFFIX) else version.name + REDUCED_SUFFIX
        done = [*version.settings.get("noise_reduced", []), record]
        mended.append(Version(name, version.talker, version.kind, audio, version.sample_rate, version.model,
                              {**version.settings, "mended_from": version.id, "noise_reduced": done}, version.device))
    return mended


def reduce_recording_blocks(recording: Recording, found: list[np.ndarray | None], settings: Gate,
                            sink: Callable[[np.ndarray], None], stage: str = "reduce noise",
                            block: int = BLOCK) -> Job[None]:
    """Every channel of `recording` with the noise of its profile in `found` (None: tracked) lowered, read and handed
    to `sink` a (channels, frames) block at a time, in order: memory bounded whatever the length."""
    blocks = BlockGate(recording.frames, recording.sample_rate, settings, block=block,
                       tracked=any(profile is None for profile in found))
    for index, (origin, stop, _, _) in enumerate(blocks.blocks):
        yield Progress(stage, index, len(blocks.blocks))
        piece = recording.read(origin, stop)
        sink(np.stack([blocks.apply(index, audio, profile)
                       for audio, profile in zip(piece, found, strict=True)]).astype(np.float32))


def reduce_recording_job(recording: Recording, settings: NoiseSettings, noise_from: NoiseFrom,
                         sink: Callable[[np.ndarray], None]) -> Job[None]:
    """Every channel of `recording` with its noise lowered, each by its own profile (learnt over a
    span, else from its quietest frames) or tracked, handed to `sink` as (channels, frames) blocks
    (`meco-studio denoise`); every profile is found before any block is written."""
    settings.check()
    found = channel_profiles(recording, noise_from)
    yield from reduce_recording_blocks(recording, found, settings, sink)


def reduce_noise_files(paths: list[Path], settings: NoiseSettings, export: ExportSettings) -> Job[list[str | None]]:
    """Rewrite each mono track at `paths` (in `export`'s format) with its steady noise lowered, the
    profile from its quietest frames (`separate --reduce-noise`); each writer's `peak_note`. The
    track is read and written a block at a time, the new file renamed over the old when complete."""
    settings.check()
    peak_notes = []
    for path in paths:
        step = f"noise reduced by {settings.reduction_db:g} dB (sensitivity {settings.sensitivity_db:g} dB)"
        with open_recording(path) as rec:
            writer = AtomicAudioWriter(path, rec.sample_rate, 1, replace(export, overwrite=True),
                                       with_step(read_tags(path), step))
            with writer:
                yield from reduce_recording_blocks(rec, channel_profiles(rec, None), settings, writer.write,
                                                   stage=f"reduce noise {path.name}")
        writer.commit()
        peak_notes.append(writer.peak_note)
    return peak_notes
