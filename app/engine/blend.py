"""Blending a version with the mixture: the estimate plus what separation took away (the other
talkers, the noise, the room) at a chosen level, `estimate + g · (mixture − estimate)`.

A dialogue editor rarely wants a track scrubbed to nothing: the artefacts of a hard separation
(warbling, a voice thinned out where it met another) are masked by a little of the room, and a
transcriber hears the other talker's backchannel faintly rather than not at all. iZotope RX's
Dialogue Isolate has its separation amount and Audacity's Noise Reduction its reduction in dB;
here the level of the rest is chosen afterwards, on any version, and heard A/B beside the
unblended one. 0 dB gives the mixture back.

The mixture is the recording's channel the version was estimated at (its settings'
`reference_channel`, else the first), resampled as a continuous stream to the version's rate and
read block by block, so an hour costs no more memory than a minute (long arrays live on the disk,
see `scratch`). A version made over a span is blended only there, ramped in and out at its edges.
"""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf

from app.engine.documents import Version, VersionKind
from app.engine.errors import ConfigError
from app.engine.export import AtomicAudioWriter, ExportSettings
from app.engine.files import Recording, Span
from app.engine.jobs import Job, Progress
from app.engine.output_collector import OutputCollector
from app.engine.provenance import read_tags, with_step
from app.engine.scratch import scratch_zeros
from app.engine.version_edits import GAIN_BLOCK, JOIN_FADE_SECONDS, span_gain
from app.engine.workflow import version_span

READ_SECONDS = 30              # of the recording read at a time
PREVIEW_CONTEXT_SECONDS = 1.0  # read either side of a preview: the resampler's and the fades' reach, and more
BLENDED_SUFFIX = " · blended"


def mixture_channel(version: Version, recording: Recording) -> int:
    """The 0-based channel of `recording` that `version` estimates a talker at."""
    channel = int(version.settings.get("reference_channel", 0))
    return channel if 0 <= channel < recording.channels else 0


def _span_frames(version: Version) -> tuple[int, int]:
    """The frames the version holds audio in: those of the span it was made over, if any."""
    frames, rate = version.audio.shape[0], version.sample_rate
    span = version_span([version])
    if span is None:
        return 0, frames
    return min(max(round(span[0] * rate), 0), frames), min(max(round(span[1] * rate), 0), frames)


def mixture_at(recording: Recording | Span, channel: int, rate: int, frames: int) -> Job[np.ndarray]:
    """`recording`'s `channel` resampled to `rate`, `frames` long (padded or cut), block by block."""
    collector = OutputCollector(1, recording.sample_rate, rate, frames)
    block = READ_SECONDS * recording.sample_rate
    for start in range(0, recording.frames, block):
        stop = min(recording.frames, start + block)
        collector.write(recording.read(start, stop, [channel]))
        yield Progress("read the mixture", stop, recording.frames)
    return collector.finish()[0]


def blended_version(version: Version, mixture: np.ndarray, gain_db: float, channel: int) -> Version:
    """`version` plus `mixture − version` at `gain_db`, over the version's span only."""
    gain = 10 ** (gain_db / 20)
    total = version.audio.shape[0]
    start, stop = _span_frames(version)
    fade = round(JOIN_FADE_SECONDS * version.sample_rate)
    out = scratch_zeros(version.audio.shape)
    for at in range(0, total, GAIN_BLOCK):
        n = min(GAIN_BLOCK, total - at)
        own = version.audio[at:at + n]
        weight = 1 - span_gain(at, n, [(start, stop)], 1 - gain, fade, total)    # g inside the span, 0 outside
        out[at:at + n] = own + weight * (mixture[at:at + n] - own)
    out.flags.writeable = False
    settings: dict[str, Any] = {**version.settings, "blended_from": version.id, "mended_from": version.id,
                                "blend": gain_db, "blend_channel": channel + 1}
    name = version.name if version.name.endswith(BLENDED_SUFFIX) else version.name + BLENDED_SUFFIX
    return Version(name, version.talker, version.kind, out, version.sample_rate, version.model, settings,
                   version.device)


def blend_preview_job(recording: Recording, version: Version, gain_db: float, heard: tuple[float, float]
                      ) -> Job[np.ndarray]:
    """The samples of `version` over `heard` (seconds) as `blend_job` would make them, the mixture
    read and resampled over that stretch and `PREVIEW_CONTEXT_SECONDS` either side alone, on the
    whole's sample grid; `version` untouched: what the dialog's Preview plays."""
    check_blend([version])
    rate, rec_rate, frames = version.sample_rate, recording.sample_rate, version.audio.shape[0]
    lo, hi = (min(max(round(t * rate), 0), frames) for t in heard)
    step = rate // math.gcd(rate, rec_rate)             # a version frame that falls on a recording frame
    pad = round(PREVIEW_CONTEXT_SECONDS * rate)
    first, last = max(0, lo - pad) // step * step, min(frames, hi + pad)
    mixture = yield from mixture_at(Span(recording, first * rec_rate // rate, math.ceil(last * rec_rate / rate)),
                                    mixture_channel(version, recording), rate, last - first)
    made = version_span([version])
    settings = {} if made is None else {"span_seconds": [made[0] - first / rate, made[1] - first / rate]}
    excerpt = Version(version.name, version.talker, version.kind, version.audio[first:last], rate, version.model,
                      settings)
    return np.asarray(blended_version(excerpt, mixture, gain_db, 0).audio[lo - first:hi - first])


def blend_files(paths: list[Path], recording: Recording | Span, channel: int, gain_db: float,
                export: ExportSettings) -> Job[list[str | None]]:
    """Rewrite each talker's mono track at `paths` (in `export`'s format) blended with `recording`'s
    `channel` at `gain_db`, block by block (`separate --blend`); each writer's `peak_note`. A blend
    is a weighted mean of the track and the mixture, so it peaks no higher than they do: above full
    scale only where a float mixture does."""
    gain = 10 ** (gain_db / 20)
    peak_notes = []
    for path in paths:
        with sf.SoundFile(path) as source:
            rate, total = source.samplerate, source.frames
            mixture = yield from mixture_at(recording, channel, rate, total)
            tags = with_step(read_tags(source), f"blended with the mixture at {gain_db:g} dB")
            writer = AtomicAudioWriter(path, rate, 1, replace(export, overwrite=True), tags)
            with writer:
                at = 0
                for block in source.blocks(GAIN_BLOCK, dtype="float32"):
                    block = block if block.ndim == 1 else block[:, 0]
                    n = block.shape[0]
                    writer.write((block + gain * (mixture[at:at + n] - block))[None])
                    at += n
        writer.commit()
        peak_notes.append(writer.peak_note)
    return peak_notes


def check_blend(versions: list[Version]) -> None:
    """ConfigError naming a version that cannot be blended with the mixture."""
    for version in versions:
        if version.kind is VersionKind.DIFFERENCE:
            raise ConfigError(f"“{version.name}” is a difference of two versions, not a talker's estimate: it has "
                              "no mixture to blend with.")
        start, stop = _span_frames(version)
        if stop <= start:
            raise ConfigError(f"“{version.name}” holds no audio to blend.")


def blend_job(recording: Recording, versions: list[Version], gain_db: float) -> Job[list[Version]]:
    """Each of `versions` blended with the mixture at `gain_db`; the mixture is read once per
    channel and rate the versions need."""
    check_blend(versions)
    mixtures: dict[tuple[int, int, int], np.ndarray] = {}
    blended = []
    for version in versions:
        channel = mixture_channel(version, recording)
        key = (channel, version.sample_rate, version.audio.shape[0])
        if key not in mixtures:
            mixtures[key] = yield from mixture_at(recording, channel, version.sample_rate, version.audio.shape[0])
        yield Progress("blend", len(blended), len(versions))
        blended.append(blended_version(version, mixtures[key], gain_db, channel))
    return blended
