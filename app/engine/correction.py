"""Correct separated talkers with MeCo, chunk by chunk: one network evaluation per chunk.

MeCo (the MeanFlow one-step generative corrector) maps each separator estimate onto clean
speech, seeing the estimate and the mixture's microphones. Works on any separator's output:
`estimates` are any `(talkers, frames)` source at any rate (an in-memory array wrapped in
`ArraySource`, or an estimate file opened as a `Recording`), the mixture a `Recording`.
Output follows the mixture's length and rate (or the model's 16 kHz). The correction draws
noise; with `seed` set (default, MeCo's 1234) the same inputs give the same output.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import soundfile as sf

from app.engine.errors import ChannelLayoutError, ConfigError
from app.engine.files import Recording, check_long_enough, frames_at
from app.engine.jobs import Job, Progress, Stopwatch
from app.engine.pipeline import Task, find_model, list_models, load_model
from app.engine.output_collector import OutputCollector
from app.engine.separation import (
    Method,
    OutputRate,
    RecordingReader,
    SeparateSettings,
    Separation,
    choose_channels,
    separate_job,
)
from models.inference.chunked import ChunkConfig, ChunkedRunner
from models.inference.levels import output_gain
from models.meco.modes import InferenceMode, evaluations

log = logging.getLogger(__name__)

DEFAULT_SEED = 1234              # MeCo's inference seed
LENGTH_TOLERANCE_SECONDS = 0.01  # estimates this much shorter or longer than the mixture pass silently
MAX_TALKERS = 8
BSS_RATE = 16_000                # the rate `separate_job` runs AuxIVA / ILRMA at


class EstimateSource(Protocol):
    """What correction reads estimates from: `Recording` and `ArraySource` both fit."""

    @property
    def sample_rate(self) -> int: ...

    @property
    def frames(self) -> int: ...

    @property
    def channels(self) -> int: ...

    @property
    def name(self) -> str: ...

    def read(self, start_frame: int, stop_frame: int, channels: list[int] | None = None) -> np.ndarray: ...


@dataclass(frozen=True)
class CorrectSettings:
    model: str | None = None                    # card name; None: the first shipped corrector
    mode: InferenceMode | None = None           # None: what the card says (MeCo: one step)
    steps: int | None = None                    # Euler steps; None: the card's
    seed: int | None = DEFAULT_SEED             # None: fresh noise on every run
    reference_channel: int = 0                  # of the mixture, 0-based; where the estimates live
    channels: tuple[int, ...] | None = None     # mixture channels, 0-based; None: all (at most 8)
    chunk: ChunkConfig = field(default_factory=ChunkConfig)
    output_rate: OutputRate = OutputRate.INPUT
    device: str = "cpu"


@dataclass
class Correction:
    corrected: np.ndarray       # float32 (talkers, frames) at sample_rate; empty when streamed to a sink
    sample_rate: int
    model_name: str
    mode: InferenceMode
    nfe: int                    # network evaluations per chunk
    settings: CorrectSettings
    seconds: float
    notices: list[str]
    channels_used: list[int]

    @property
    def info(self) -> dict[str, Any]:
        return {"corrector": self.model_name, "mode": str(self.mode), "nfe": self.nfe, "seed": self.settings.seed,
                "sample_rate": self.sample_rate, "channels_used": [c + 1 for c in self.channels_used],
                "seconds": round(self.seconds, 3), "device": self.settings.device}


def has_corrector(name: str | None = None) -> bool:
    """Whether a correction card (the named one, or any) is installed: `separate` corrects only then."""
    return any(name in (None, e.name, e.card_path.stem) for e in list_models(Task.CORRECTION))


def _stacked_reader(estimates: RecordingReader, mixture: RecordingReader) -> Callable[[int, int], np.ndarray]:
    """Estimates then mixture channels for [start, stop), zero-padded where a source ends early."""
    def read(start: int, stop: int) -> np.ndarray:
        parts = []
        for reader in (estimates, mixture):
            block = reader(start, stop)
            parts.append(np.pad(block, ((0, 0), (0, stop - start - block.shape[1]))))
        return np.concatenate(parts, axis=0)

    return read


def correct_job(estimates: EstimateSource, mixture: Recording, settings: CorrectSettings = CorrectSettings(),
                sink: Callable[[np.ndarray], None] | None = None) -> Job[Correction]:
    """Correct every talker of `estimates` chunk by chunk; yields Progress after each chunk.

    With `sink`, finished blocks `(talkers, n)` go there and `corrected` stays empty.
    """
    clock = Stopwatch()
    check_long_enough(mixture)
    entry = find_model(settings.model, Task.CORRECTION)
    talkers = estimates.channels
    if not 1 <= talkers <= MAX_TALKERS:
        raise ChannelLayoutError(f"{estimates.name} has {talkers} channels; correction takes 1 to {MAX_TALKERS} "
                                 "talkers, one per channel.")
    if settings.chunk.seconds < 0.5:
        raise ConfigError(f"Chunks of {settings.chunk.seconds} s are too short; use at least 0.5 s.")
    channels, _ = choose_channels(mixture, SeparateSettings(reference_channel=settings.reference_channel,
                                                             channels=settings.channels))
    notices: list[str] = []
    inference = entry.card.get("inference", {})
    mode = settings.mode or InferenceMode(inference.get("mode", InferenceMode.ONE_STEP))
    steps = settings.steps or int(inference.get("steps", 1))
    if steps < 1:
        raise ConfigError(f"Correction needs at least 1 step, got {steps}.")
    mismatch = estimates.frames / estimates.sample_rate - mixture.frames / mixture.sample_rate
    if abs(mismatch) > LENGTH_TOLERANCE_SECONDS:
        notices.append(f"{estimates.name} is {abs(mismatch):.2f} s {'longer' if mismatch > 0 else 'shorter'} than "
                       f"{mixture.name}; it was {'cut' if mismatch > 0 else 'padded with silence'} to match.")

    import torch  # here, not at import: the app and the command line start without loading torch

    from models.meco.corrector import chunk_function

    model = load_model(entry).to(settings.device)
    rate = entry.sample_rate
    generator = None if settings.seed is None else torch.Generator().manual_seed(settings.seed)
    mix_reader = RecordingReader(mixture, channels, rate)
    est_reader = RecordingReader(estimates, list(range(talkers)), rate)      # type: ignore[arg-type]
    out_rate = mixture.sample_rate if settings.output_rate is OutputRate.INPUT else rate
    frames_out = frames_at(mixture, out_rate)
    # MeCo corrects in chunks no longer than the clips it was trained on: on the demos, longer ones
    # (which help the separator) lowered its DNSMOS OVRL on average.
    trained_seconds = float(entry.card.get("data", {}).get("config", {}).get("seconds", settings.chunk.seconds))
    chunk, overlap = replace(settings.chunk, seconds=min(settings.chunk.seconds, trained_seconds)).frames(rate)
    runner = ChunkedRunner(chunk_function(model, talkers, mode, steps, generator, output_gain(entry.card)), chunk,
                           overlap, align=False, device=settings.device)
    collector = OutputCollector(talkers, rate, out_rate, frames_out, sink)
    log.info("correcting %d talker(s) of %s with %s (%s, %d NFE) on channels %s", talkers, estimates.name,
             entry.name, mode, evaluations(mode, steps), [c + 1 for c in channels])
    for done, total in runner.stream(_stacked_reader(est_reader, mix_reader), mix_reader.frames, collector.write):
        yield Progress("correct", done, total, clock())
    corrected = collector.finish()
    seconds = clock()
    log.info("corrected %s in %.1f s (RTF %.3f)", estimates.name, seconds,
             seconds * mixture.sample_rate / max(mixture.frames, 1))
    return Correction(corrected, out_rate, entry.name, mode, evaluations(mode, steps), settings, seconds, notices,
                      channels)


def corrected_separation_job(rec: Recording, separate: SeparateSettings, correct: CorrectSettings = CorrectSettings(),
                             sink: Callable[[np.ndarray], None] | None = None,
                             uncorrected_sink: Callable[[np.ndarray], None] | None = None
                             ) -> Job[tuple[Separation, Correction]]:
    """Separate, then correct with MeCo on the same channels: what `separate` does by default.

    The uncorrected estimates stream into a temporary float32 file at the model's rate, so
    memory does not grow with the recording; `uncorrected_sink` (for `--also-uncorrected`)
    receives them at the output rate as they are made. The corrector sees exactly the channels
    the separator used, reference first. Progress stages: "separate", then "correct".
    """
    model_rate = (find_model(separate.model, Task.SEPARATION).sample_rate if separate.method is Method.MODEL
                  else BSS_RATE)
    out_rate = rec.sample_rate if separate.output_rate is OutputRate.INPUT else model_rate
    frames_out = frames_at(rec, out_rate)
    with tempfile.TemporaryDirectory(prefix="meco-") as folder:
        path = Path(folder) / "uncorrected.wav"
        uncorrected: OutputCollector | None = None
        with sf.SoundFile(path, "w", model_rate, 2, subtype="FLOAT") as buffer:
            def keep(block: np.ndarray) -> None:
                buffer.write(np.ascontiguousarray(block.T))
                if uncorrected is not None:
                    uncorrected.write(block)

            if uncorrected_sink is not None:
                uncorrected = OutputCollector(2, model_rate, out_rate, frames_out, uncorrected_sink)
            separation = yield from separate_job(rec, replace(separate, output_rate=OutputRate.MODEL), sink=keep)
            if uncorrected is not None:
                uncorrected.finish()
        settings = replace(correct, reference_channel=separation.channels_used[0],
                           channels=tuple(separation.channels_used), output_rate=separate.output_rate,
                           device=separate.device)
        with Recording(path) as estimates:
            correction = yield from correct_job(estimates, rec, settings, sink)
    return separation, correction
