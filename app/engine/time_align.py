"""Aligning a version with the mixture in time (and polarity), as a new version in its place.

Another system's estimates, imported to compare with this app's, often come late: an online
separator's algorithmic latency, a resampler's delay, a file trimmed differently. A late or
inverted estimate scores far below what it holds (SI-SDR, PESQ and ESTOI compare sample by
sample), blends with the mixture into a comb filter, and clicks when A/B crossfades to it. The
delay is found by GCC-PHAT (`alignment`) between the version and the recording's channel it
estimates a talker at, resampled to the version's rate; the version is then shifted by whole
samples (cut at one end, silence at the other, its length kept) and flipped if it is inverted.
"""

from __future__ import annotations

import numpy as np

from app.engine.alignment import CLEAR_PEAK, ChannelAligner, ChannelDelay, delay_between, shifted
from app.engine.blend import mixture_at, mixture_channel
from app.engine.documents import Version
from app.engine.errors import ConfigError
from app.engine.files import Recording, Span
from app.engine.jobs import Job, Progress
from app.engine.scratch import scratch_zeros

ALIGNED_SUFFIX = " · aligned"
BLOCK_SECONDS = 30
CHECK_SECONDS = 30.0         # of an imported estimate's start compared with the mixture
NOTE_MIN_SECONDS = 0.001     # closer than this may be only another microphone of the array: no note


def shifted_version(version: Version, frames: int, invert: bool, delay: ChannelDelay) -> Version:
    """`version` moved `frames` earlier (later when negative), its length kept, and flipped if `invert`."""
    out = shifted(version.audio, frames, scratch_zeros(version.audio.shape), -1.0 if invert else 1.0)
    out.flags.writeable = False
    name = version.name if version.name.endswith(ALIGNED_SUFFIX) else version.name + ALIGNED_SUFFIX
    settings = {**version.settings, "mended_from": version.id,
                "aligned": {"shift_ms": round(-1000.0 * frames / version.sample_rate, 3),
                            "polarity_flipped": invert, "gcc_phat_peak": round(delay.peak, 3)}}
    return Version(name, version.talker, version.kind, out, version.sample_rate, version.model, settings,
                   version.device)


def delay_against_mixture(version: Version, recording: Recording) -> Job[ChannelDelay]:
    """The version's delay and polarity against the recording's channel it estimates a talker at;
    ConfigError when it is shorter than the one-second segments the delay is found over."""
    rate, frames = version.sample_rate, version.audio.shape[0]
    mixture = yield from mixture_at(recording, mixture_channel(version, recording), rate, frames)
    aligner = ChannelAligner(rate, 2)
    block = BLOCK_SECONDS * rate
    for at in range(0, frames, block):
        aligner.update(np.stack([mixture[at:at + block], version.audio[at:at + block]]))
        yield Progress("find the delay", min(at + block, frames), frames)
    delay = aligner.result()[1]
    if delay is None:
        raise ConfigError(f"“{version.name}” is too short to find its delay: it needs a second of audio or more.")
    return delay


def step_note(version: Version, recording: Recording) -> Job[str | None]:
    """A note for an estimate that is clearly out of step with the mixture (a millisecond or more
    late or early, or inverted), found over its first `CHECK_SECONDS`, saying what Edit ▸ Align
    with the mixture would do; None for one in step, unclear, or too short to tell."""
    rate = version.sample_rate
    frames = min(version.audio.shape[0], round(CHECK_SECONDS * rate))
    start = Span(recording, 0, round(CHECK_SECONDS * recording.sample_rate))
    mixture = yield from mixture_at(start, mixture_channel(version, recording), rate, frames)
    delay = delay_between(mixture, np.asarray(version.audio[:frames]), rate)
    if delay is None or delay.peak < CLEAR_PEAK:
        return None
    shift = round(delay.seconds * rate) if abs(delay.seconds) >= NOTE_MIN_SECONDS else 0
    if shift == 0 and not delay.inverted:
        return None
    timing = f"{abs(1000 * shift / rate):g} ms {'late' if shift > 0 else 'early'}" if shift else "in time"
    return (f"“{version.name}” meets the mixture {timing}{' and inverted' if delay.inverted else ''}: "
            "Edit ▸ Align with the mixture puts it in step.")


def align_job(versions: list[Version], recording: Recording) -> Job[list[Version]]:
    """Each version aligned with the mixture; ConfigError naming one that has no clear delay, or
    that is already aligned and of the mixture's polarity."""
    aligned = []
    for version in versions:
        delay = yield from delay_against_mixture(version, recording)
        if delay.peak < CLEAR_PEAK:
            raise ConfigError(f"“{version.name}” shows no clear delay against the mixture (GCC-PHAT peak "
                              f"{delay.peak:.3f}, under {CLEAR_PEAK:g}): is it a talker of this recording?")
        frames = round(delay.seconds * version.sample_rate)
        if frames == 0 and not delay.inverted:
            raise ConfigError(f"“{version.name}” is already aligned with the mixture, to the sample and in polarity.")
        aligned.append(shifted_version(version, frames, delay.inverted, delay))
    return aligned
