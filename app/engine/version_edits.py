"""Mending versions over spans of time, as new versions in place of the originals.

- A talker swap: a separator that works chunk by chunk can hand a talker's speech to the other
  output for a while (a permutation error, most often after a pause where one talker fell silent),
  and no setting undoes it afterwards. The user hears where, selects the span, and each talker gets
  a new version with the other's audio there.
- Silence (or a lower level) over spans: crosstalk that a separator left in a talker's track
  between its turns, a cough, a door; over the selection, or everywhere outside the talker's own
  labels once who speaks when is labelled (Audacity's Silence Audio, a gate from a diarisation).
- A fade in or out over the selection (Audacity's Fade In and Fade Out): an utterance cut from a
  meeting starts and ends without a click.

Each join is crossfaded over a few milliseconds inside the span so it does not click. The
originals stay in the session (hidden), so a mend can be undone or compared with them.
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
from app.engine.spans import merged

Seconds = tuple[float, float]

JOIN_FADE_SECONDS = 0.01     # each join's crossfade (swap or silence): no click, short beside a word
SWAPPED_SUFFIX = " · swapped"
SILENCED_SUFFIX = " · silenced"
LEVEL_SUFFIX = " · level changed"
FADE_SUFFIXES = {True: " · faded in", False: " · faded out"}
TURN_MARGIN_SECONDS = 0.25   # kept either side of a turn, as a voice detector's hangover keeps word edges


def swap_pair(versions: list[Version], chosen: list[str]) -> tuple[Version, Version]:
    """The two versions to swap, in talker order: the two `chosen` ids; or the one chosen (else
    the newest visible version) and the newest visible version of the other talker made the same
    way (the run's other output). ConfigError saying what to select when that is not one pair."""
    by_id = {v.id: v for v in versions}
    if len(chosen) > 2:
        raise ConfigError(f"Select two versions of two talkers to swap them ({len(chosen)} are selected).")
    if len(chosen) == 2:
        first, second = (by_id[i] for i in chosen)
    else:
        visible = [v for v in versions if not v.hidden]
        if not chosen and not visible:
            raise ConfigError("There are no versions to swap: separate the talkers first.")
        first = by_id[chosen[0]] if chosen else visible[-1]
        partners = [v for v in visible if v.talker != first.talker and v.kind is first.kind
                    and v.model == first.model and v.sample_rate == first.sample_rate]
        if len({v.talker for v in partners}) != 1:
            raise ConfigError(f"“{first.name}” has {'no' if not partners else 'several'} counterparts of other "
                              "talkers to swap with; select the two versions to swap in the Versions panel.")
        second = partners[-1]
    if first.talker == second.talker:
        raise ConfigError(f"“{first.name}” and “{second.name}” are both talker {first.talker + 1}'s; a swap "
                          "exchanges two talkers' audio.")
    if first.sample_rate != second.sample_rate:
        raise ConfigError(f"“{first.name}” is at {first.sample_rate} Hz and “{second.name}” at "
                          f"{second.sample_rate} Hz; swap versions made at one rate.")
    return (first, second) if first.talker < second.talker else (second, first)


def _crossfaded(own: np.ndarray, other: np.ndarray, start: int, stop: int, fade: int) -> np.ndarray:
    """`own` with `other` over [start, stop), faded linearly over `fade` frames inside each edge
    (none at an end of `own`, shorter for a span under two fades); a new array, on disk when long."""
    out = scratch_zeros(own.shape)
    out[:] = own
    out[start:stop] = other[start:stop]
    fade = min(fade, (stop - start) // 2)
    rise = np.arange(1, fade + 1, dtype=np.float32) / (fade + 1)
    for edge, weights, join in ((slice(start, start + fade), rise, start > 0),
                                (slice(stop - fade, stop), rise[::-1], stop < own.shape[0])):
        if join:
            out[edge] = own[edge] + weights * (other[edge] - own[edge])
    out.flags.writeable = False         # the version keeps it as it is, without a copy
    return out


def _settings(version: Version, partner: Version, span: Seconds) -> dict[str, Any]:
    """The original's settings (its span included: a correction of the mend keeps to it), what it
    was swapped with, and every span swapped so far."""
    spans = [*version.settings.get("swapped_seconds", []), [span[0], span[1]]]
    return {**version.settings, "swapped_from": version.id, "mended_from": version.id, "swapped_with": partner.id,
            "swapped_seconds": spans}


def swapped_versions(first: Version, second: Version, span: Seconds,
                     fade_seconds: float = JOIN_FADE_SECONDS) -> list[Version]:
    """New versions of `first`'s and `second`'s talkers with their audio exchanged over `span`
    (seconds, clipped to the shorter version); kind, model and device stay the originals'."""
    rate = first.sample_rate
    frames = min(first.audio.shape[0], second.audio.shape[0])
    start, stop = (min(max(round(s * rate), 0), frames) for s in span)
    if stop - start < 2:
        raise ConfigError(f"The span {span[0]:.3f}–{span[1]:.3f} s holds no audio of “{first.name}” and "
                          f"“{second.name}” to swap.")
    fade = round(fade_seconds * rate)
    mended = []
    for own, other in ((first, second), (second, first)):
        audio = _crossfaded(own.audio, other.audio, start, stop, fade)
        name = own.name if own.name.endswith(SWAPPED_SUFFIX) else own.name + SWAPPED_SUFFIX
        mended.append(Version(name, own.talker, own.kind, audio, rate, own.model, _settings(own, other, span),
                              own.device))
    return mended


def swap_job(first: Version, second: Version, span: Seconds) -> Job[list[Version]]:
    """`swapped_versions` as a job: two talkers of an hour at 48 kHz are 1.4 GB to copy."""
    yield Progress("swap", 0, 1)
    return swapped_versions(first, second, span)


GAIN_BLOCK = 1 << 20        # frames scaled at a time: no gain curve as long as an hour


def span_gain(start: int, n: int, spans: list[tuple[int, int]], gain: float, fade: int, total: int) -> np.ndarray:
    """Frames [start, start + n) of a gain that is `gain` over each [lo, hi) frame span and 1
    elsewhere, ramped over `fade` frames inside each edge, none at an end of the `total` frames:
    one shape for every silenced join, in memory or streamed through a file."""
    curve = np.ones(n, np.float32)
    for lo, hi in spans:
        a, b = max(lo, start), min(hi, start + n)
        if a >= b:
            continue
        k = min(fade, (hi - lo) // 2)
        at = np.arange(a, b)                 # only the frames asked for: a span may be an hour long
        part = np.full(b - a, gain, np.float32)
        if lo > 0:                           # 1 → gain over the k frames from `lo`
            rising = at < lo + k
            part[rising] = 1 + (gain - 1) * (at[rising] - lo + 1) / (k + 1)
        if hi < total:                       # gain → 1 over the k frames before `hi`
            falling = at >= hi - k
            part[falling] = 1 + (gain - 1) * (hi - at[falling]) / (k + 1)
        curve[a - start:b - start] = part
    return curve


def fade_gain(start: int, n: int, lo: int, hi: int, rising: bool) -> np.ndarray:
    """Frames [start, start + n) of a linear fade over the [lo, hi) frame span, as Audacity's Fade
    In (0 → 1 across it, `rising`) or Fade Out (1 → 0) makes it; 1 outside the span either way."""
    at = np.arange(start, start + n)
    ramp = np.clip((at - lo + 0.5) / (hi - lo), 0.0, 1.0).astype(np.float32)
    inside = (at >= lo) & (at < hi)
    return np.where(inside, ramp if rising else 1.0 - ramp, np.float32(1.0)).astype(np.float32)


def _scaled(own: np.ndarray, gain: Callable[[int, int], np.ndarray]) -> np.ndarray:
    """`own` times `gain(start, n)`, block by block; a new array, on disk when long."""
    out = scratch_zeros(own.shape)
    total = own.shape[0]
    for start in range(0, total, GAIN_BLOCK):
        n = min(GAIN_BLOCK, total - start)
        out[start:start + n] = own[start:start + n] * gain(start, n)
    out.flags.writeable = False
    return out


def silenced_version(version: Version, spans: list[Seconds], gain_db: float = -math.inf,
                     fade_seconds: float = JOIN_FADE_SECONDS) -> Version:
    """A new version of `version` at `gain_db` (−inf: silence; else its level changed, Audacity's
    Amplify) over each span in seconds (clipped to the audio; overlapping spans merged), everything
    else as it was; ConfigError when no span holds any of its audio."""
    rate, frames = version.sample_rate, version.audio.shape[0]
    cut = ((min(max(round(a * rate), 0), frames), min(max(round(b * rate), 0), frames)) for a, b in spans)
    joined = merged((start, stop) for start, stop in cut if stop - start >= 2)
    if not joined:
        raise ConfigError(f"The chosen time holds no audio of “{version.name}” to change.")
    silence = gain_db == -math.inf
    gain, fade, total = 0.0 if silence else 10 ** (gain_db / 20), round(fade_seconds * rate), frames
    audio = _scaled(version.audio, lambda start, n: span_gain(start, n, joined, gain, fade, total))
    suffix = SILENCED_SUFFIX if silence else LEVEL_SUFFIX
    name = version.name if version.name.endswith(suffix) else version.name + suffix
    spans_key = "silenced_seconds" if silence else "level_seconds"
    done = [*version.settings.get(spans_key, []), *([a / rate, b / rate] for a, b in joined)]
    settings = {**version.settings, "mended_from": version.id, spans_key: done,
                **({"silenced_from": version.id} if silence else {"level_db": gain_db})}
    return Version(name, version.talker, version.kind, audio, rate, version.model, settings, version.device)


def silence_job(versions: list[Version], spans: list[list[Seconds]], gain_db: float = -math.inf) -> Job[list[Version]]:
    """`silenced_version` of each version over its own spans, as a job (hours of audio to copy)."""
    mended = []
    for done, (version, own) in enumerate(zip(versions, spans)):
        yield Progress("silence", done, len(versions))
        mended.append(silenced_version(version, own, gain_db))
    return mended


def faded_version(version: Version, span: Seconds, rising: bool) -> Version:
    """A new version of `version` faded in (`rising`) or out linearly over `span` seconds, as
    Audacity's Fade In and Fade Out: an utterance cut from a meeting starts and ends without a
    click. ConfigError when the span holds none of its audio."""
    rate, frames = version.sample_rate, version.audio.shape[0]
    lo, hi = (min(max(round(t * rate), 0), frames) for t in span)
    if hi - lo < 2:
        raise ConfigError(f"The chosen time holds no audio of “{version.name}” to fade.")
    audio = _scaled(version.audio, lambda start, n: fade_gain(start, n, lo, hi, rising))
    suffix = FADE_SUFFIXES[rising]
    name = version.name if version.name.endswith(suffix) else version.name + suffix
    key = "faded_in_seconds" if rising else "faded_out_seconds"
    done = [*version.settings.get(key, []), [lo / rate, hi / rate]]
    settings = {**version.settings, "mended_from": version.id, key: done}
    return Version(name, version.talker, version.kind, audio, rate, version.model, settings, version.device)


def fade_job(versions: list[Version], span: Seconds, rising: bool) -> Job[list[Version]]:
    """`faded_version` of each version, as a job."""
    faded = []
    for done, version in enumerate(versions):
        yield Progress("fade", done, len(versions))
        faded.append(faded_version(version, span, rising))
    return faded


def outside(labels: list[Seconds], seconds: float, margin: float = TURN_MARGIN_SECONDS) -> list[Seconds]:
    """The spans of [0, seconds) that none of `labels`, each widened by `margin` on both sides,
    covers: where a talker does not speak."""
    gaps, at = [], 0.0
    for start, stop in sorted(labels):
        start, stop = max(0.0, start - margin), stop + margin
        if start > at:
            gaps.append((at, start))
        at = max(at, stop)
    if at < seconds:
        gaps.append((at, seconds))
    return gaps
