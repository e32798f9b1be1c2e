"""Enhance recordings with a distilled student (or the teacher), chunk by chunk.

Channel rule: every channel is enhanced on its own (the enhancers are single-channel), so a
mono file gives a mono file and a 6-mic file six enhanced channels; output keeps the input's
rate and length. The same job also runs as an optional stage on a separator's talkers
(`enhance_array_job`, for `separate --enhance NAME`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from app.engine.errors import ConfigError, ModelLoadError
from app.engine.files import ArraySource, Recording, check_long_enough
from app.engine.jobs import Job, Progress, Stopwatch
from app.engine.pipeline import ModelEntry, Task, list_models, load_model
from app.engine.output_collector import OutputCollector
from app.engine.separation import RecordingReader
from models.inference.chunked import ChunkConfig, ChunkedRunner

if TYPE_CHECKING:
    import torch

log = logging.getLogger(__name__)

SELECTION_METRIC = "valid_pesq_wb"     # how the "best shipped student" is ranked (written by the recipes)


@dataclass(frozen=True)
class EnhanceSettings:
    model: str | None = None                    # card name; None: the best shipped student
    chunk: ChunkConfig = field(default_factory=ChunkConfig)
    device: str = "cpu"


@dataclass
class Enhancement:
    audio: np.ndarray        # float32 (channels, frames) at sample_rate
    sample_rate: int
    model_name: str
    settings: EnhanceSettings
    seconds: float

    @property
    def info(self) -> dict[str, Any]:
        return {"model": self.model_name, "sample_rate": self.sample_rate, "channels": int(self.audio.shape[0]),
                "seconds": round(self.seconds, 3), "device": self.settings.device}


def _score(entry: ModelEntry) -> tuple[int, float]:
    """Students before teachers; then by validation PESQ-WB."""
    value = float(entry.card.get("metrics", {}).get(SELECTION_METRIC, float("-inf")))
    return int("variant" in entry.card.get("training", {})), value


def find_enhancer(name: str | None) -> ModelEntry:
    """The named enhancement model, or the best student shipped or installed; ModelLoadError lists choices."""
    entries = list_models(Task.ENHANCEMENT)
    if not entries:
        raise ModelLoadError("No enhancement model is installed; expected an enhancement card in resources/models.")
    if name is None:
        return max(entries, key=_score)
    for entry in entries:
        if name in (entry.name, entry.card_path.stem, str(entry.card_path)):
            return entry
    raise ModelLoadError(f"No enhancement model named '{name}'; installed: {', '.join(e.name for e in entries)}.")


def _run(source: Recording | ArraySource, settings: EnhanceSettings,
         sink: Callable[[np.ndarray], None] | None) -> Job[Enhancement]:
    clock = Stopwatch()
    check_long_enough(source)
    if settings.chunk.seconds < 0.5:
        raise ConfigError(f"Chunks of {settings.chunk.seconds} s are too short; use at least 0.5 s.")
    entry = find_enhancer(settings.model)
    model = load_model(entry).to(settings.device)
    threads = getattr(model, "inference_threads", None)
    from models.enhancers.base import torch_threads

    def run(chunk: torch.Tensor) -> torch.Tensor:
        with torch_threads(threads):
            return model(chunk)

    channels = list(range(source.channels))
    reader = RecordingReader(source, channels, entry.sample_rate)
    chunk, overlap = settings.chunk.frames(entry.sample_rate)
    runner = ChunkedRunner(run, chunk, overlap, align=False, device=settings.device)
    collector = OutputCollector(len(channels), entry.sample_rate, source.sample_rate, source.frames, sink)
    log.info("enhancing %s (%d channel(s)) with %s", source.name, len(channels), entry.name)
    for done, total in runner.stream(reader, reader.frames, collector.write):
        yield Progress("enhance", done, total, clock())
    audio = collector.finish()
    seconds = clock()
    duration = source.frames / source.sample_rate
    log.info("enhanced %s in %.1f s (RTF %.3f)", source.name, seconds, seconds / max(duration, 1e-9))
    return Enhancement(audio, source.sample_rate, entry.name, settings, seconds)


def enhance_job(rec: Recording, settings: EnhanceSettings = EnhanceSettings(),
                sink: Callable[[np.ndarray], None] | None = None) -> Job[Enhancement]:
    """Enhance every channel of `rec` chunk by chunk; yields Progress after each chunk (the cancel
    points). With `sink`, finished blocks `(channels, n)` go there and `audio` stays empty."""
    return (yield from _run(rec, settings, sink))


def enhance_array_job(audio: np.ndarray, sample_rate: int, settings: EnhanceSettings = EnhanceSettings(),
                      name: str = "separated talkers") -> Job[Enhancement]:
    """Enhance in-memory signals `(channels, frames)`, e.g. a Separation's `estimates`."""
    return (yield from _run(ArraySource(audio, sample_rate, name), settings, None))
