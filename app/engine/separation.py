"""Separate a recording into talkers, chunk by chunk, with the trained model or a classical method.

Channel rule (documented for users): the model takes 1 to 8 microphones of any geometry. The
reference channel (the first by default) is where talkers are estimated. A file with more than
8 channels needs an explicit choice of up to 8 (`--channels` or the Separate dialog); we never
drop channels silently. A single channel works, using spectral cues only, and says so.
AuxIVA and ILRMA need at least as many channels as talkers.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import numpy as np
import soxr

from app.engine.channel_lists import channel_list_text
from app.engine.alignment import CLEAR_STEP_PEAK, MAX_ARRAY_DELAY_SECONDS, ChannelAligner
from app.engine.combine import RecorderChannels, recorders_in
from app.engine.delay_track import DEFAULT_REACH_S, MAX_REACH_S, delay_track_job, drift, drifts
from app.engine.errors import ChannelLayoutError, ConfigError
from app.engine.files import Recording, Span, check_long_enough, frames_at
from app.engine.jobs import Job, Progress, Stopwatch, drive
from app.engine.pipeline import ModelEntry, Task, find_model, load_model
from app.engine.output_collector import OutputCollector
from models.inference.chunked import ChunkConfig, ChunkedRunner
from models.inference.levels import output_gain

if TYPE_CHECKING:
    import torch

log = logging.getLogger(__name__)

MAX_MODEL_MICS = 8
RESAMPLE_MARGIN_SECONDS = 0.05   # context either side of a chunk, so resampler edges are cut away


class Method(StrEnum):
    MODEL = "model"
    AUXIVA = "auxiva"
    ILRMA = "ilrma"
    ORACLE = "oracle-irm"     # the ideal ratio mask from clean references: the ceiling, not a separator


# As users and papers write them: versions and jobs are named with them.
METHOD_NAMES = {Method.AUXIVA: "AuxIVA", Method.ILRMA: "ILRMA", Method.ORACLE: "Oracle IRM"}
BLIND_METHODS = (Method.MODEL, Method.AUXIVA, Method.ILRMA)      # what a recording alone can be separated with
ORACLE_RATE = 16_000


class OutputRate(StrEnum):
    INPUT = "input"      # resample estimates back to the recording's rate
    MODEL = "model"      # keep the model's rate (16 kHz)


@dataclass(frozen=True)
class SeparateSettings:
    method: Method = Method.MODEL
    model: str | None = None                    # card name; None: the first shipped separator
    reference_channel: int = 0                  # 0-based index into the file's channels
    channels: tuple[int, ...] | None = None     # 0-based; None: all channels (if at most 8)
    chunk: ChunkConfig = field(default_factory=ChunkConfig)
    spatial_filter: bool | None = None          # mask-driven MWF; None: what the model card recommends
    output_rate: OutputRate = OutputRate.INPUT
    device: str = "cpu"


@dataclass
class Separation:
    estimates: np.ndarray       # float32 (talkers, frames) at sample_rate
    sample_rate: int
    method: Method
    model_name: str
    settings: SeparateSettings
    seconds: float
    notices: list[str]
    channels_used: list[int]

    @property
    def info(self) -> dict[str, Any]:
        return {"method": str(self.method), "model": self.model_name, "sample_rate": self.sample_rate,
                "channels_used": [c + 1 for c in self.channels_used], "seconds": round(self.seconds, 3),
                "device": self.settings.device}


def choose_channels(rec: Recording, settings: SeparateSettings, minimum: int = 1) -> tuple[list[int], list[str]]:
    """Channels to use, reference first, and notices for the user; ChannelLayoutError if unusable."""
    n = rec.channels
    ref = settings.reference_channel
    if not 0 <= ref < n:
        raise ChannelLayoutError(f"{rec.name} has {n} channels; reference channel {ref + 1} does not exist.")
    chosen = list(range(n)) if settings.channels is None else list(dict.fromkeys(settings.channels))
    bad = [c + 1 for c in chosen if not 0 <= c < n]
    if bad:
        raise ChannelLayoutError(f"{rec.name} has {n} channels; channel(s) {bad} do not exist.")
    if len(chosen) > MAX_MODEL_MICS:
        raise ChannelLayoutError(
            f"{rec.name} has {len(chosen)} channels; the separator uses at most {MAX_MODEL_MICS}. "
            f"Choose up to {MAX_MODEL_MICS}: --channels 1-{MAX_MODEL_MICS} from a terminal, "
            "Process ▸ Separate with options… in the window.")
    if ref not in chosen:
        chosen.insert(0, ref)
        chosen = chosen[:MAX_MODEL_MICS]
    chosen.remove(ref)
    chosen.insert(0, ref)
    if len(chosen) < minimum:
        raise ChannelLayoutError(
            f"{rec.name} has {len(chosen)} usable channel(s); {settings.method} needs at least {minimum} "
            "(one per talker). Use the trained model for single-channel recordings.")
    notices = []
    if len(chosen) == 1:
        notices.append(f"{rec.name} has one channel: separation relies on spectral cues only (no spatial cues).")
    return chosen, notices


def check_separable(rec: Recording | Span, settings: SeparateSettings) -> None:
    """What `separate_job` would refuse about `rec` with `settings`, from its header alone: too
    short (ConfigError), or channels it lacks, too many or too few (ChannelLayoutError); each names it."""
    check_long_enough(rec)
    if settings.method is not Method.ORACLE:
        choose_channels(rec, settings, minimum=_fewest_channels(settings.method))


def _fewest_channels(method: Method) -> int:
    """The trained model separates one channel by its spectrum; blind methods need one per talker."""
    return 1 if method is Method.MODEL else 2


STEP_CHECK_SECONDS = 30.0     # of the start of a recording read to check its channels are in step


def step_notices(rec: Recording, channels: list[int]) -> list[str]:
    """What a multi-channel separator should not meet unsaid: channels further apart in time than an
    array allows (separate recorders, a slipped buffer), inverted against the reference (a
    microphone wired backwards), or drifting from it (two recorders' clocks), from GCC-PHAT over the
    start of the recording (`alignment`, `delay_track`)."""
    if len(channels) < 2:
        return []
    stop = min(rec.frames, round(STEP_CHECK_SECONDS * rec.sample_rate))
    aligner = ChannelAligner(rec.sample_rate, len(channels))
    block = rec.sample_rate * 5
    for start in range(0, stop, block):
        aligner.update(rec.read(start, min(stop, start + block), channels))
    delays = list(zip(channels, aligner.result()))[1:]
    clear = [(c, d) for c, d in delays if d is not None and d.peak >= CLEAR_STEP_PEAK]
    late = [(c, d) for c, d in clear if abs(d.seconds) > MAX_ARRAY_DELAY_SECONDS]
    inverted = [c for c, d in clear if d.inverted]
    notices = []
    if late:
        which = ", ".join(str(c + 1) for c, _ in late)
        how = ", ".join(f"{1000 * d.seconds:+.1f} ms" for _, d in late)
        notices.append(f"{rec.name}: channel(s) {which} are {how} from channel {channels[0] + 1}, further apart than "
                       f"a microphone array's size allows ({1000 * MAX_ARRAY_DELAY_SECONDS:g} ms is 69 cm of sound): "
                       "were they recorded together? The separator's spatial cues assume so (Process ▸ Analyze "
                       "levels and spectrum, or `meco-studio stats`, shows every channel's delay); "
                       + _own_channels_hint(recorders_in(rec), channels[0]))
    if inverted:
        notices.append(f"{rec.name}: channel(s) {', '.join(str(c + 1) for c in inverted)} read inverted against "
                       f"channel {channels[0] + 1} (a microphone wired backwards?).")
    drifting = []
    for c, d in clear:
        reach = max(DEFAULT_REACH_S, abs(d.seconds) + 0.001)
        if reach <= MAX_REACH_S:
            track = drive(delay_track_job(Span(rec, 0, stop), (channels[0], c), reach))
            moved = drift(track)
            if drifts(track, moved):
                drifting.append((c, moved))
    if drifting:
        which = ", ".join(f"{c + 1} ({moved.ppm:+.0f} ppm)" for c, moved in drifting)
        notices.append(f"{rec.name}: channel(s) {which} drift against channel {channels[0] + 1}: two recorders' "
                       "clocks parting, which the separator's spatial cues cannot follow. The Delays panel's Take out "
                       "the drift…, or `meco-studio delays --in-step`, puts them back on one clock.")
    return notices


def own_array(recorders: Sequence[RecorderChannels], reference: int) -> RecorderChannels | None:
    """Of a combined recording's recorders, the one whose own channels to separate: the
    reference's, when it has two or more, else the one with the most."""
    if not recorders:
        return None
    held = next(r for r in recorders if reference in r.channels)
    return held if len(held.channels) > 1 else max(recorders, key=lambda r: len(r.channels))


def _own_channels_hint(recorders: Sequence[RecorderChannels], reference: int) -> str:
    own = own_array(recorders, reference)
    if own is None:
        return ("for recorders placed apart and combined, separating one array's own channels does as well "
                "(Separate with options…, Channels).")
    listed = channel_list_text(own.channels)
    return (f"this recording combines {len(recorders)} recorders placed apart, and separating one array's own "
            f"channels does as well ({own.describe()}: Separate with options…, Recorder, or --channels {listed}).")


class RecordingReader:
    """Reads `[start, stop)` in *model-rate* frames from a recording at any rate.

    Each chunk is read with a small margin, resampled on its own and cropped, so memory holds
    one chunk; reading starts on a frame where both rates align exactly. `peak` is the largest
    magnitude read so far: 0 after the whole recording means it was digital silence.
    """

    def __init__(self, rec: Recording, channels: list[int], rate: int) -> None:
        self.rec, self.channels, self.rate = rec, channels, rate
        self.peak = 0.0
        g = math.gcd(rec.sample_rate, rate)
        self._p, self._q = rec.sample_rate // g, rate // g          # p input frames = q model frames
        self.frames = frames_at(rec, rate)
        self._margin = int(RESAMPLE_MARGIN_SECONDS * rate)

    def __call__(self, start: int, stop: int) -> np.ndarray:
        if self._p == self._q:
            return self._read(start, stop)
        k = max(0, (start - self._margin) // self._q)                 # aligned block index
        first_model = k * self._q
        a = k * self._p
        b = min(self.rec.frames, math.ceil((stop + self._margin) * self._p / self._q))
        block = self._read(a, b)
        res = soxr.resample(np.ascontiguousarray(block.T), self.rec.sample_rate, self.rate, quality="HQ")
        res = np.asarray(res, dtype=np.float32).reshape(-1, len(self.channels)).T
        out = res[:, start - first_model: stop - first_model]
        if out.shape[1] < stop - start:
            out = np.pad(out, ((0, 0), (0, stop - start - out.shape[1])))
        return out

    def _read(self, start: int, stop: int) -> np.ndarray:
        block = self.rec.read(start, stop, self.channels)
        if block.size:
            self.peak = max(self.peak, float(np.max(np.abs(block))))
        return block


class WithReferences:
    """A `RecordingReader` whose chunks also carry the clean references (talkers, frames at the
    reader's rate) as further channels, silent past their end."""

    def __init__(self, reader: RecordingReader, references: np.ndarray) -> None:
        self.reader, self.frames, self.references = reader, reader.frames, references

    def __call__(self, start: int, stop: int) -> np.ndarray:
        clean = self.references[:, start:stop]
        return np.concatenate([self.reader(start, stop), np.pad(clean, ((0, 0), (0, stop - start - clean.shape[1])))])


def _model_function(entry: ModelEntry, settings: SeparateSettings
                    ) -> tuple[Callable[[torch.Tensor], torch.Tensor], int]:
    model = load_model(entry).to(settings.device)
    use_mwf = settings.spatial_filter
    if use_mwf is None:
        use_mwf = bool(entry.card.get("inference", {}).get("spatial_filter", False))

    gain = output_gain(entry.card)          # the recording's level (`models.inference.levels`)

    def run(chunk: torch.Tensor) -> torch.Tensor:
        estimates = model.forward_with_mwf(chunk)[1] if use_mwf and chunk.shape[1] > 1 else model(chunk)
        return estimates * gain.to(estimates.device)

    return run, entry.sample_rate


def _bss_function(method: Method) -> tuple[Callable[[torch.Tensor], torch.Tensor], int]:
    import torch

    from models.baselines.bss import BssMethod, separate_bss

    def run(chunk: torch.Tensor) -> torch.Tensor:
        return torch.from_numpy(separate_bss(chunk[0].numpy(), BssMethod(str(method))))[None]

    return run, 16_000


def _oracle_function() -> Callable[[torch.Tensor], torch.Tensor]:
    """Chunks of (1, 1 + talkers, n): the reference mic, then each talker's clean reference."""
    import torch

    from models.evaluation.separation import oracle_irm

    def run(chunk: torch.Tensor) -> torch.Tensor:
        x = chunk[0].numpy()
        return torch.from_numpy(oracle_irm(x[0], x[1:]))[None]

    return run


def separate_job(rec: Recording, settings: SeparateSettings = SeparateSettings(),
                 sink: Callable[[np.ndarray], None] | None = None,
                 references: np.ndarray | None = None) -> Job[Separation]:
    """Separate chunk by chunk; yields Progress after each chunk (the cancel points).

    With `sink`, finished output blocks `(talkers, n)` are pushed there and `estimates` stays
    empty, so memory does not grow with the file (the CLI streams to disk this way).
    `references` (talkers, frames at 16 kHz): the clean talkers at the reference mic, which
    `Method.ORACLE` masks the mixture with (what separation could reach at best).
    """
    clock = Stopwatch()
    check_long_enough(rec)
    if settings.method is Method.MODEL:
        entry = find_model(settings.model, Task.SEPARATION)
        channels, notices = choose_channels(rec, settings)
        fn, model_rate = _model_function(entry, settings)
        name, talkers = entry.name, int(entry.card.get("talkers", 2))
    elif settings.method is Method.ORACLE:
        if references is None or references.shape[0] < 2:
            raise ConfigError("The oracle ideal ratio mask needs the clean references of at least two talkers.")
        channels, notices = choose_channels(rec, SeparateSettings(reference_channel=settings.reference_channel,
                                                                  channels=(settings.reference_channel,)))
        fn, model_rate = _oracle_function(), ORACLE_RATE
        name, talkers = str(settings.method), references.shape[0]
    else:
        channels, notices = choose_channels(rec, settings, minimum=_fewest_channels(settings.method))
        fn, model_rate = _bss_function(settings.method)
        name, talkers = str(settings.method), 2
    if settings.chunk.seconds < 0.5:
        raise ConfigError(f"Chunks of {settings.chunk.seconds} s are too short; use at least 0.5 s.")
    if settings.method is not Method.ORACLE:
        notices += step_notices(rec, channels)
    mixture = RecordingReader(rec, channels, model_rate)
    reader = WithReferences(mixture, references) if settings.method is Method.ORACLE else mixture
    out_rate = rec.sample_rate if settings.output_rate is OutputRate.INPUT else model_rate
    frames_out = frames_at(rec, out_rate)
    chunk, overlap = settings.chunk.frames(model_rate)
    runner = ChunkedRunner(fn, chunk, overlap, align=settings.method is not Method.ORACLE, device=settings.device)
    collector = OutputCollector(talkers, model_rate, out_rate, frames_out, sink)
    log.info("separating %s with %s on channels %s", rec.name, name, [c + 1 for c in channels])
    for done, total in runner.stream(reader, reader.frames, collector.write):
        yield Progress("separate", done, total, clock())
    estimates = collector.finish()
    if mixture.peak == 0:
        notices.append(f"{rec.name} is digital silence on the channels used, so its tracks are silent too.")
    seconds = clock()
    log.info("separated %s in %.1f s (RTF %.3f)", rec.name, seconds, seconds * rec.sample_rate / rec.frames)
    return Separation(estimates, out_rate, settings.method, name, settings, seconds, notices, channels)
