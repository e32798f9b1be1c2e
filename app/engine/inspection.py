"""DISPatch inspector data: a teacher and students on one clip, each student's patch maps.

The teacher runs once; each student is inspected against it with the selection it was
trained with (`inspection_config(card)`), through `models.dispatch.inspect` — the same code
as the training losses. One model per step, so a cancel waits at most one network run.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import soxr

from app.engine.errors import ChannelLayoutError, ModelLoadError
from app.engine.jobs import Job, Progress, Stopwatch
from app.engine.pipeline import ModelEntry, Task, list_models, load_model

log = logging.getLogger(__name__)

INSPECT_RATE = 16_000      # DISPatch's STFT grid (512 / 128 at 16 kHz)
MAX_INSPECT_SECONDS = 12.0  # maps are bins x frames images; longer clips are cut (a selection picks the part)


def is_student(entry: ModelEntry) -> bool:
    """Students carry their training variant on the card (written by the distillation recipe)."""
    return "variant" in entry.card.get("training", {})


def inspector_models() -> tuple[list[ModelEntry], list[ModelEntry]]:
    """(teachers, students) among the installed enhancement cards."""
    entries = list_models(Task.ENHANCEMENT)
    return [e for e in entries if not is_student(e)], [e for e in entries if is_student(e)]


@dataclass(frozen=True)
class BandStats:
    band: str                 # 'all' (uniform grid) or 'low' / 'high' (MSSP)
    patch_bins: int
    patches: int              # eligible patches
    kept_share: float
    mean_score: float         # mean knowledge gap score over eligible patches
    positive_kept_share: float  # kept patches with KGS > 0 / kept patches


@dataclass(frozen=True)
class StudentInspection:
    name: str
    variant: str
    inspection: object        # models.dispatch.inspect.PatchInspection
    bands: tuple[BandStats, ...]


@dataclass(frozen=True)
class InspectorResult:
    teacher: str
    teacher_db: np.ndarray    # (bins, frames) teacher output spectrogram
    clean_db: np.ndarray
    students: tuple[StudentInspection, ...]
    frame_seconds: float
    bin_hz: float


def band_stats(grid) -> BandStats:
    eligible = np.asarray(grid.eligible, bool)
    keep = np.asarray(grid.keep_mask, bool) & eligible
    score = np.asarray(grid.knowledge_gap_score, np.float64)
    kept = int(keep.sum())
    return BandStats(grid.band, grid.patch_bins, int(eligible.sum()), kept / max(int(eligible.sum()), 1),
                     float(score[eligible].mean()) if eligible.any() else 0.0,
                     float((score[keep] > 0).mean()) if kept else 0.0)


def _at_rate(audio: np.ndarray, rate: int) -> np.ndarray:
    """A writable 16 kHz copy (versions are read-only; torch wants to own what it wraps)."""
    audio = np.array(audio, np.float32)
    if rate != INSPECT_RATE:
        audio = soxr.resample(audio, rate, INSPECT_RATE).astype(np.float32)
    return audio[: int(MAX_INSPECT_SECONDS * INSPECT_RATE)]


def _entry(name: str, entries: list[ModelEntry]) -> ModelEntry:
    for entry in entries:
        if name in (entry.name, entry.card_path.stem):
            return entry
    raise ModelLoadError(f"No enhancement model named '{name}'; installed: {', '.join(e.name for e in entries)}.")


def inspect_job(teacher: str, students: list[str], noisy: np.ndarray, clean: np.ndarray,
                sample_rate: int) -> Job[InspectorResult]:
    """Maps for `students` against `teacher` on the mono clip `noisy` `(frames,)` with its clean
    reference, both at `sample_rate`; one model per step."""
    from models.dispatch.inspect import enhance, inspect_estimates, inspection_config

    if not students:
        raise ModelLoadError("Choose at least one student to inspect.")
    noisy16, clean16 = _at_rate(noisy, sample_rate), _at_rate(clean, sample_rate)
    n = min(noisy16.shape[0], clean16.shape[0])
    if n < INSPECT_RATE // 4:
        raise ChannelLayoutError("The clip to inspect is shorter than a quarter second; select a longer range.")
    noisy16, clean16 = noisy16[:n], clean16[:n]
    entries = list_models(Task.ENHANCEMENT)
    clock = Stopwatch()
    total = 1 + len(students)
    teacher_entry = _entry(teacher, entries)
    teacher_estimate = enhance(load_model(teacher_entry), noisy16)
    yield Progress("inspect", 1, total, clock())
    results = []
    teacher_db = clean_db = None
    for done, name in enumerate(students, start=2):
        entry = _entry(name, entries)
        student_estimate = enhance(load_model(entry), noisy16)
        inspection = inspect_estimates(teacher_estimate, student_estimate, clean16, inspection_config(entry.card),
                                       noisy=noisy16)
        teacher_db, clean_db = inspection.spectrograms_db["teacher"], inspection.spectrograms_db["clean"]
        results.append(StudentInspection(entry.name, str(entry.card.get("training", {}).get("variant", "")),
                                         inspection, tuple(band_stats(g) for g in inspection.grids)))
        yield Progress("inspect", done, total, clock())
    first = results[0].inspection
    log.info("inspected %d student(s) against %s in %.1f s", len(results), teacher_entry.name, clock())
    return InspectorResult(teacher_entry.name, teacher_db, clean_db, tuple(results), first.frame_seconds,
                           first.sample_rate / 2 / (teacher_db.shape[0] - 1))
