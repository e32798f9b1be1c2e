"""Recordings of separate recorders combined into one array recording, on the first one's clock.

Microphones spread over a room on separate devices (phones, a camera, handheld recorders: an ad hoc
array) start at different moments, may run at different rates, and their clocks part by tens of
parts per million; a multi-channel separator needs one recording whose channels were sampled
together. Each further recorder is placed on the first one's clock by probes: windows of the first
recorder's channel 1 spread over the recording, each found in the other recorder's channel 1 by
GCC-PHAT (Knapp & Carter 1976) at 4 kHz within `max_offset_s` either way, then measured again in
parts of `PART_SECONDS` at 16 kHz within a few milliseconds of that. A part's lag is the other
recorder's time of a sound minus the first's: the lags gather at one value per source (each talker's
place adds its own path difference), all slanting alike with the drift between the clocks. The
drift is the slope most pairs of parts agree on (`_most_voted_slope`), refined by least squares with
an intercept per source (`_shared_slope`), its interval by the jackknife over the windows; every
window is measured again with that drift undone, and the fit repeated. The recorder is lined up on
the source whose parts correlate highest in all (a direct path's peaks are sharper than an echo's);
the drift is taken out only when its 99.73 % interval excludes zero and it moves the recorder by a
sample or more over the recording. The channels are then written side by side at the highest rate
among the recorders (or the one asked), each further recorder resampled from its own rate times its
drift (soxr, very high quality, streamed a block at a time) from the moment that puts it in step,
with silence where a recorder had not started or had stopped, or only the stretch where every
recorder ran.

Lining up puts one source (mostly a talker's direct path) in step at every recorder; the other
talkers keep the delays their places give, as at any array, only larger.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass, replace
from enum import StrEnum
from pathlib import Path

import numpy as np
import soxr
from scipy.fft import irfft, next_fast_len, rfft

from app.engine.channel_lists import channel_list_text
from app.engine.clock_drift import ClockStream
from app.engine.delay_track import clear_floor
from app.engine.errors import ConfigError
from app.engine.export import REDRAWN_PEAKS, REWRITTEN, SUFFIX_FORMATS, AtomicAudioWriter, AudioFormat
from app.engine.files import MAX_CHANNELS, ArraySource, Recording, SourceView, Span, open_recording
from app.engine.jobs import Job, Progress
from app.engine.provenance import read_tags, with_step

PROBE_SECONDS = 10.0          # windows of the first recorder, each looked for in every other one
PART_SECONDS = 2.0            # each window's lag measured again in parts this long, short enough for one talker
MAX_PROBES = 40
COARSE_RATE = 4000            # the search over the whole offset range
FINE_RATE = 16000             # the search around the coarse lag
FINE_REACH_S = 0.01           # how far either side of the expected lag the fine search looks
SOURCE_GAP_S = 0.00025        # lags (drift taken off) this close in a row come from one source
MIN_SOURCE_PARTS = 3          # fewer parts at a lag are no source: an echo, a chance peak
DEFAULT_MAX_OFFSET_S = 60.0
MAX_OFFSET_LIMIT_S = 1800.0
MIN_DRIFT_PROBES = 3
MIN_DRIFT_SPAN_S = 20.0
DRIFT_CONFIDENCE = 0.9973     # three standard errors of a normal error, two-sided
MAX_PPM = 1000.0              # no clock is this far off: a fit beyond it is not a drift
INVERTED_SHARE = 2 / 3        # of the agreeing parts reading inverted, to flip a recorder
MIN_COMBINED_S = 1.0
BLOCK_SECONDS = 10.0          # written at a time


class Keep(StrEnum):
    OVERLAP = "overlap"       # only where every recorder ran
    ALL = "all"               # from the first recorder's start to the last one's end, silence where one is missing


@dataclass(frozen=True)
class CombineSettings:
    sample_rate: int | None = None              # None: the highest rate among the recorders
    max_offset_s: float = DEFAULT_MAX_OFFSET_S  # how far apart the recorders may have started
    keep: Keep = Keep.OVERLAP
    drift: bool = True                          # resample a recorder whose clock is found to drift

    def __post_init__(self) -> None:
        object.__setattr__(self, "keep", Keep(self.keep))
        if not 0 < self.max_offset_s <= MAX_OFFSET_LIMIT_S:
            raise ConfigError(f"The search for each recorder's start must reach between 0 and {MAX_OFFSET_LIMIT_S:g} s "
                              f"either way, not {self.max_offset_s:g} s.")
        if self.sample_rate is not None and not 8000 <= self.sample_rate <= 192_000:
            raise ConfigError(f"A combined recording at {self.sample_rate} Hz is out of range: choose 8 to 192 kHz.")


@dataclass(frozen=True)
class Placement:
    """Where one recorder lies on the first recorder's clock: a sound at the first's time t (seconds)
    is at `offset_s + (1 + ppm·1e-6)·t` in this recorder's file."""

    name: str
    channels: int
    sample_rate: int
    offset_s: float           # positive: this recorder started that much before the first
    ppm: float                # its clock's drift taken out; 0 where none was named
    measured_ppm: float       # the line's slope, named or not
    ppm_interval: tuple[float, float]
    inverted: bool
    probes_agreeing: int      # windows with a part at one of the sources' lags
    probes_clear: int         # windows with a clear part
    probes: int
    sources_s: tuple[float, ...] = ()   # the lags the parts gather at (talkers' places) against the one lined up

    def brief(self) -> str:
        """A few words for a status bar: when this recorder started against the first, and what was done."""
        said = f"{self.name} {abs(self.offset_s):.3f} s {'earlier' if self.offset_s >= 0 else 'later'}"
        if self.ppm:
            said += f", {self.ppm:+.1f} ppm taken out"
        return said + (", flipped" if self.inverted else "")

    def describe(self, first: str, channels: Sequence[int] = ()) -> str:
        """One sentence: when this recorder started against the `first`, its drift and polarity;
        with its `channels` (0-based) in a combined file, those too, as `recorders_in` reads them."""
        name = f"{self.name} ({_CHANNELS_MARK} {channel_list_text(channels)})" if channels else self.name
        if self.probes == 0:
            return f"{name}: the clock every other recorder is put on"
        side = "before" if self.offset_s >= 0 else "after"
        said = [f"{name}: started {abs(self.offset_s):.4f} s {side} {first} "
                f"({self.probes_agreeing} of {self.probes} probes agree)"]
        if self.ppm:
            said.append(f"its clock drifts {self.ppm:+.2f} ppm, taken out")
        elif self.ppm_interval[0] != self.ppm_interval[1]:             # measured, not taken out
            low, high = self.ppm_interval
            what = "a drift left in" if low > 0 or high < 0 else "no drift to take out"
            said.append(f"{what} ({self.measured_ppm:+.2f} ppm, {low:+.2f} to {high:+.2f})")
        others = [f"{1000 * lag:+.1f} ms" for lag in self.sources_s[1:]]
        if others:
            said.append(f"lined up on the clearest sound; other sources at {', '.join(others)} from it")
        if self.inverted:
            said.append("inverted, flipped")
        return "; ".join(said)


@dataclass(frozen=True)
class Combined:
    path: Path
    sample_rate: int
    start_s: float            # the combined file's start on the first recorder's clock (negative: before it)
    frames: int
    placements: tuple[Placement, ...]
    channels: tuple[tuple[int, ...], ...]   # each recorder's channels in the combined file, 1-based
    peak_note: str | None


@dataclass(frozen=True)
class RecorderChannels:
    """One recorder's share of a combined recording, read back from the file's tags."""

    name: str
    channels: tuple[int, ...]     # 0-based

    def describe(self) -> str:
        return f"{self.name}, {'channel' if len(self.channels) == 1 else 'channels'} {channel_list_text(self.channels)}"


_STEP = "combined from "
_CHANNELS_MARK = "ch"
_RECORDER = re.compile(rf"(?:^|; )(?P<name>[^;]+?) \({_CHANNELS_MARK} (?P<low>\d+)(?:-(?P<high>\d+))?\): ")


def recorders_in(source: Recording | ArraySource | Span | SourceView) -> tuple[RecorderChannels, ...]:
    """The recorders a combined recording's channels came from (its tags say, from `combine_job`),
    in order, read through a span or a process over it; none for any other recording, for audio in
    memory, or where the channels no longer match (a copy of some channels, a track made from it)."""
    recording = source
    while isinstance(recording, Span | SourceView):
        recording = recording.source
    if not isinstance(recording, Recording):
        return ()
    return recorders_of(read_tags(recording.path).get("comment", ""), recording.channels)


def recorders_of(comment: str, channels: int) -> tuple[RecorderChannels, ...]:
    """`recorders_in` from a recording's comment tag, already read, and its channel count."""
    at = comment.rfind(_STEP)
    if at < 0:
        return ()
    found = [RecorderChannels(m["name"], tuple(range(int(m["low"]) - 1, int(m["high"] or m["low"]))))
             for m in _RECORDER.finditer(comment[at + len(_STEP):])]
    covered = [c for recorder in found for c in recorder.channels]
    return tuple(found) if len(found) > 1 and covered == list(range(channels)) else ()


@dataclass(frozen=True)
class _Probe:
    """A part of a window whose lag was measured."""

    start_s: float            # on the first recorder's clock
    length_s: float
    lag_s: float              # at its middle, where the lag is measured
    height: float
    inverted: bool
    window: int

    @property
    def time_s(self) -> float:
        return self.start_s + self.length_s / 2


def check_recordings(recordings: Sequence[Recording], target: Path | None = None) -> None:
    """ConfigError for fewer than two recorders, too many channels together, or a target that is one
    of them or is named as another format than the WAV it would be."""
    if len(recordings) < 2:
        raise ConfigError("Combining needs the recordings of at least two recorders.")
    total = sum(r.channels for r in recordings)
    if total > MAX_CHANNELS:
        raise ConfigError(f"Together the recordings have {total} channels; MeCo Studio reads at most {MAX_CHANNELS}.")
    short = [r.name for r in recordings if r.frames / r.sample_rate < MIN_COMBINED_S]
    if short:
        raise ConfigError(f"{', '.join(short)}: shorter than {MIN_COMBINED_S:g} s, too short to place.")
    if target is not None:
        if SUFFIX_FORMATS.get(Path(target).suffix.lower(), AudioFormat.WAV) is not AudioFormat.WAV:
            raise ConfigError(f"The combined recording is written as WAV: name it "
                              f"{Path(target).with_suffix('.wav').name} rather than {Path(target).name}.")
        for r in recordings:
            if Path(target).resolve() == r.path.resolve():
                raise ConfigError(f"The combined recording cannot replace {r.name}, which it is made from; "
                                  "choose another name.")


def _mono(recording: Recording, start_s: float, stop_s: float, rate: int,
          clock: float = 1.0) -> tuple[np.ndarray, float]:
    """Channel 1 of `recording` over [start, stop) seconds of its own clock, clipped to the file, at
    `rate` of a clock `clock` times slower (its drift undone); with the time it actually starts at."""
    lo = max(0, math.floor(start_s * recording.sample_rate))
    hi = min(recording.frames, math.ceil(stop_s * recording.sample_rate))
    if hi - lo < 2:
        return np.zeros(0, np.float32), lo / recording.sample_rate
    x = np.asarray(recording.read(lo, hi, [0])[0], np.float64)
    if recording.sample_rate * clock != rate:
        x = soxr.resample(x, recording.sample_rate * clock, rate)
    return x, lo / recording.sample_rate


def _locate(probe: np.ndarray, region: np.ndarray, rate: int) -> tuple[float, float, bool] | None:
    """Where `probe` lies in `region` (seconds from the region's start), the whitened correlation's
    height there and whether it reads inverted; None when no peak is clear (`clear_floor`)."""
    lags = region.size - probe.size + 1
    if probe.size < rate // 4 or lags < 1 or not np.any(probe) or not np.any(region):
        return None
    n = next_fast_len(region.size + probe.size)
    cross = rfft(region, n) * np.conj(rfft(probe, n))
    magnitude = np.abs(cross)
    whitened = irfft(np.where(magnitude > 0, cross / np.maximum(magnitude, 1e-300), 0.0), n)[:lags]
    at = int(np.argmax(np.abs(whitened)))
    height = float(abs(whitened[at]))
    if height < clear_floor(n, lags):
        return None
    shift = 0.0
    if 0 < at < lags - 1:
        left, mid, right = np.abs(whitened[at - 1:at + 2])
        curve = left - 2 * mid + right
        shift = 0.5 * (left - right) / curve if curve < 0 else 0.0
    return (at + shift) / rate, height, bool(whitened[at] < 0)


def _search(first: Recording, other: Recording, start_s: float, length_s: float, reach_s: float) -> float | None:
    """The lag (at its start) of `other` against the window of `first` from `start_s`, searched at
    `COARSE_RATE` within `reach_s` either way; None where no clear peak is found."""
    probe, at = _mono(first, start_s, start_s + length_s, COARSE_RATE)
    region, region_at = _mono(other, at - reach_s, at + length_s + reach_s, COARSE_RATE)
    found = _locate(probe, region, COARSE_RATE)
    return None if found is None else region_at + found[0] - at


def _parts(first: Recording, other: Recording, start_s: float, length_s: float, lag_s: float, clock: float,
           window: int) -> list[_Probe]:
    """The window's parts of `PART_SECONDS`, each found at `FINE_RATE` within `FINE_REACH_S` of
    where `lag_s` (at the window's start) puts it, `other` read on a clock `clock` times its own:
    a drift left in would smear the peak over a part."""
    probe, _ = _mono(first, start_s, start_s + length_s, FINE_RATE)
    begin = start_s + lag_s - FINE_REACH_S
    region, region_at = _mono(other, begin, begin + length_s * clock + 2 * FINE_REACH_S, FINE_RATE, clock)
    part, reach = round(PART_SECONDS * FINE_RATE), round(FINE_REACH_S * FINE_RATE)
    found = []
    for lo in range(0, max(1, probe.size - part // 2), part):
        piece = probe[lo:lo + part]
        at = round((begin - region_at) / clock * FINE_RATE) + lo
        if at < 0:
            continue
        where = _locate(piece, region[at:at + piece.size + 2 * reach], FINE_RATE)
        if where is not None:
            length = piece.size / FINE_RATE
            lag = (region_at + (at / FINE_RATE + where[0]) * clock - (start_s + lo / FINE_RATE)
                   + (clock - 1) * length / 2)
            found.append(_Probe(start_s + lo / FINE_RATE, length, lag, where[1], where[2], window))
    return found


def probe_times(duration_s: float) -> tuple[list[float], float]:
    """The probes' starts over a recording of `duration_s` and their length: half a probe apart,
    or further so there are at most `MAX_PROBES`, from the start to the end (one over the whole of
    a recording shorter than a probe)."""
    length = min(PROBE_SECONDS, duration_s)
    spacing = max(length / 2, (duration_s - length) / (MAX_PROBES - 1))
    count = int((duration_s - length) // spacing) + 1 if duration_s > length else 1
    return [float(t) for t in np.linspace(0.0, duration_s - length, count)], length


def _sources(residuals: np.ndarray, heights: np.ndarray) -> np.ndarray:
    """Each part's source (−1 for none): runs of residual lags (drift taken off) no more than
    `SOURCE_GAP_S` apart in sorted order, those of `MIN_SOURCE_PARTS` or more (the first alone when
    none is), numbered from the one whose parts' correlations add up highest: a direct path gives
    the sharpest peaks, an echo blurred ones."""
    order = np.argsort(residuals)
    breaks = np.flatnonzero(np.diff(residuals[order]) > SOURCE_GAP_S) + 1
    runs = sorted(np.split(order, breaks), key=lambda run: float(heights[run].sum()), reverse=True)
    labels = np.full(residuals.size, -1)
    for k, run in enumerate(r for r in runs if len(r) >= MIN_SOURCE_PARTS or r is runs[0]):
        labels[run] = k
    return labels


def _most_voted_slope(times: np.ndarray, lags: np.ndarray, windows: np.ndarray) -> float:
    """The drift most pairs of parts from different windows agree on (a Hough transform): each pair
    votes for the slopes that bring its two lags within `SOURCE_GAP_S`, so pairs of one talker agree
    and pairs across talkers scatter."""
    i, j = np.triu_indices(times.size, 1)
    keep = windows[i] != windows[j]
    i, j = i[keep], j[keep]
    span = times[j] - times[i]
    i, j, span = i[span > 0], j[span > 0], span[span > 0]
    if not span.size:
        return 0.0
    rise = lags[j] - lags[i]
    low, high = np.maximum((rise - SOURCE_GAP_S) / span, -MAX_PPM * 1e-6), np.minimum((rise + SOURCE_GAP_S) / span,
                                                                                       MAX_PPM * 1e-6)
    low, high = low[low <= high], high[low <= high]
    if not low.size:
        return 0.0
    edges = np.concatenate([low, high])
    steps = np.concatenate([np.ones(low.size), -np.ones(high.size)])
    order = np.lexsort((-steps, edges))                 # at a tie an interval opens before one closes
    votes = np.cumsum(steps[order])
    best = int(np.argmax(votes))
    return float((edges[order][best] + edges[order][min(best + 1, edges.size - 1)]) / 2)


def _shared_slope(times: np.ndarray, lags: np.ndarray, labels: np.ndarray) -> float:
    """The slope shared by every source's parts, each source with its own intercept (least squares)."""
    num = den = 0.0
    for source in set(labels[labels >= 0].tolist()):
        t, y = times[labels == source], lags[labels == source]
        num += float(np.sum((t - t.mean()) * (y - y.mean())))
        den += float(np.sum((t - t.mean()) ** 2))
    return num / den if den > 0 else 0.0


def _fit(other: Recording, parts: list[_Probe], tried: int, duration_s: float, rate: int,
         drift: bool) -> tuple[Placement, float]:
    """The offset and drift the clear parts' lags give: the lags gather at one value per source (a
    talker's place) plus the drift, shared by all (`_most_voted_slope`, then `_shared_slope` over
    the sources found); its interval by the jackknife over the windows (a window's parts share a talker
    and its room, so they are not independent). With the main source's lag at time 0 on the slope
    measured, named or not: where to look again."""
    from scipy.stats import t as student

    times, lags = np.array([p.time_s for p in parts]), np.array([p.lag_s for p in parts])
    windows, heights = np.array([p.window for p in parts]), np.array([p.height for p in parts])
    slope, low, high = 0.0, 0.0, 0.0
    measured = len(set(windows.tolist())) >= MIN_DRIFT_PROBES and np.ptp(times) >= MIN_DRIFT_SPAN_S
    labels = _sources(lags, heights)
    if measured:
        slope = _most_voted_slope(times, lags, windows)
        for _ in range(3):
            labels = _sources(lags - slope * times, heights)
            slope = _shared_slope(times, lags, labels)
        kept = sorted(set(windows[labels >= 0].tolist()))
        if len(kept) >= MIN_DRIFT_PROBES:
            others = np.array([_shared_slope(times, lags, np.where(windows == w, -1, labels)) for w in kept])
            error = float(np.sqrt((len(kept) - 1) / len(kept) * np.sum((others - others.mean()) ** 2)))
            half = float(student.ppf(1 - (1 - DRIFT_CONFIDENCE) / 2, len(kept) - 1)) * error
            low, high = slope - half, slope + half
        else:
            measured = False
    named = (drift and measured and (low > 0 or high < 0) and abs(slope) * duration_s * rate >= 1
             and abs(slope) * 1e6 <= MAX_PPM)
    taken = slope if named else 0.0
    sources = [float(np.median(lags[labels == k] - taken * times[labels == k])) for k in range(labels.max() + 1)]
    agree = labels >= 0
    inverted = np.mean([p.inverted for p, ok in zip(parts, agree) if ok]) >= INVERTED_SHARE
    placement = Placement(other.name, other.channels, other.sample_rate, sources[0], taken * 1e6, slope * 1e6,
                          (low * 1e6, high * 1e6), bool(inverted), len(set(windows[agree].tolist())),
                          len(set(windows.tolist())), tried, tuple(s - sources[0] for s in sources))
    return placement, float(np.median(lags[labels == 0] - slope * times[labels == 0]))


def placement_job(recordings: Sequence[Recording], settings: CombineSettings) -> Job[tuple[Placement, ...]]:
    """Each recorder's `Placement` on the first one's clock (the first's own: offset 0, no probes).
    ConfigError naming a recorder that no probe finds."""
    check_recordings(recordings)
    first = recordings[0]
    duration = first.frames / first.sample_rate
    rate = settings.sample_rate or max(r.sample_rate for r in recordings)
    starts, length = probe_times(duration)
    placements = [Placement(first.name, first.channels, first.sample_rate, 0.0, 0.0, 0.0, (0.0, 0.0), False, 0, 0, 0)]
    total = len(starts) * (len(recordings) - 1)
    done = 0
    for other in recordings[1:]:
        found: list[_Probe] = []
        for window, start in enumerate(starts):
            yield Progress("place the recorders", done, total)
            lag = _search(first, other, start, length, settings.max_offset_s)
            if lag is not None:
                found += _parts(first, other, start, length, lag, 1.0, window)
            done += 1
        if not found:
            raise ConfigError(f"{other.name} could not be placed against {first.name}: none of {len(starts)} stretches "
                              f"of {first.name} was heard clearly in it within {settings.max_offset_s:g} s either "
                              "way. Do they hear the same room? If one started later than that, search further.")
        placement, at_zero = _fit(other, found, len(starts), duration, rate, settings.drift)
        if placement.measured_ppm:       # every window measured again where the fit puts it, the drift undone
            clock = 1 + placement.measured_ppm * 1e-6
            again = [p for window, start in enumerate(starts)
                     for p in _parts(first, other, start, length, at_zero + (clock - 1) * start, clock, window)]
            if again:
                placement, _ = _fit(other, again, len(starts), duration, rate, settings.drift)
        placements.append(placement)
    return tuple(placements)


def _span(recording: Recording, placement: Placement) -> tuple[float, float]:
    """The stretch of the first recorder's clock (seconds) that `recording` covers."""
    clock = 1 + placement.ppm * 1e-6
    return -placement.offset_s / clock, (recording.frames / recording.sample_rate - placement.offset_s) / clock


def timeline(recordings: Sequence[Recording], placements: Sequence[Placement], keep: Keep) -> tuple[float, float]:
    """The combined recording's start and end on the first recorder's clock. ConfigError when the
    recorders overlap by less than `MIN_COMBINED_S`."""
    spans = [_span(r, p) for r, p in zip(recordings, placements)]
    if keep is Keep.ALL:
        return min(s for s, _ in spans), max(e for _, e in spans)
    start, stop = max(s for s, _ in spans), min(e for _, e in spans)
    if stop - start < MIN_COMBINED_S:
        raise ConfigError(f"The recordings overlap by {max(0.0, stop - start):.2f} s only: too little to combine. "
                          "Keep all of them to join them with silence.")
    return start, stop


class _OnTimeline:
    """One recorder's channels on the combined recording's clock, handed out in consecutive pieces:
    silence until it started, then its sound put on that clock (`ClockStream`)."""

    def __init__(self, recording: Recording, placement: Placement, rate: int, start_s: float) -> None:
        clock = 1 + placement.ppm * 1e-6
        begin = clock * start_s + placement.offset_s        # this recorder's time at the combined start
        self.lead = max(0, round(-begin / clock * rate))     # silence before it started
        self.stream = ClockStream(recording.read, recording.frames, range(recording.channels),
                                  max(0, round(begin * recording.sample_rate)), recording.sample_rate * clock, rate,
                                  -1.0 if placement.inverted else 1.0)

    def take(self, n: int) -> np.ndarray:
        quiet = min(n, self.lead)
        self.lead -= quiet
        return np.concatenate([np.zeros((len(self.stream.channels), quiet), np.float32), self.stream.take(n - quiet)],
                              axis=1)


def combine_job(recordings: Sequence[Recording], target: Path, settings: CombineSettings = CombineSettings(),
                placements: Sequence[Placement] | None = None) -> Job[Combined]:
    """The recordings placed on the first one's clock (`placement_job`, unless their `placements`
    are given) and written side by side to `target` (WAV: 24-bit, or 32-bit float when a
    recorder's file is float; RF64 past 4 GiB; replacing a file there, as its caller asked), tagged
    with where each recorder was put. Nothing is written when a recorder cannot be placed."""
    check_recordings(recordings, target)
    if placements is None:
        placements = yield from placement_job(recordings, settings)
    rate = settings.sample_rate or max(r.sample_rate for r in recordings)
    start, stop = timeline(recordings, placements, settings.keep)
    frames = round((stop - start) * rate)
    streams = [_OnTimeline(r, p, rate, start) for r, p in zip(recordings, placements)]
    export = replace(REDRAWN_PEAKS if any(r.info.is_float for r in recordings) else REWRITTEN, overwrite=True)
    first_channel = np.cumsum([0] + [r.channels for r in recordings])
    channels = tuple(tuple(range(lo + 1, lo + r.channels + 1)) for lo, r in zip(first_channel, recordings))
    step = _STEP + "; ".join(entry for r, p, own in zip(recordings, placements, channels)
                             for entry in _recorder_entries(r, p, placements[0].name, own))
    writer = AtomicAudioWriter(target, rate, sum(r.channels for r in recordings), export,
                               with_step(read_tags(recordings[0].path), step), frames=frames)
    block = round(BLOCK_SECONDS * rate)
    with writer:
        for at in range(0, frames, block):
            yield Progress("combine the recorders", at, frames)
            n = min(block, frames - at)
            writer.write(np.concatenate([s.take(n) for s in streams]))
        writer.commit()
    return Combined(Path(target), rate, start, frames, tuple(placements), channels, writer.peak_note)


def _recorder_entries(recording: Recording, placement: Placement, first: str, channels: Sequence[int]) -> list[str]:
    """How the comment names one input's channels (1-based `channels`): where it was put, or for an
    input combined before, each of its own recorders ("phone.wav in array.wav"), so a recording
    combined again still names every recorder."""
    inner = recorders_in(recording)
    if not inner:
        return [placement.describe(first, [c - 1 for c in channels])]
    low = channels[0] - 1
    named = [(f"{r.name} in {placement.name}", [low + c for c in r.channels]) for r in inner]
    return [replace(placement, name=named[0][0]).describe(first, named[0][1])] + [
        f"{name} ({_CHANNELS_MARK} {channel_list_text(own)}): combined with {inner[0].name} there"
        for name, own in named[1:]]


def combine_files_job(paths: Sequence[Path], target: Path,
                      settings: CombineSettings = CombineSettings()) -> Job[Combined]:
    """`combine_job` over the files at `paths`, opened for the job and closed after it."""
    with ExitStack() as stack:
        recordings = [stack.enter_context(open_recording(path)) for path in paths]
        return (yield from combine_job(recordings, target, settings))
