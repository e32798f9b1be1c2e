"""Who speaks when, from separated talker tracks: labels for each talker's speech.

A separator leaves some of each talker in the other's track, so a track's own energy is not
enough: a frame is talker k's speech when k's track is above the silence floor (relative to the
loudest frame of all tracks, and never below -70 dBFS) and within `dominance_db` of the loudest track at that frame, so
overlapped speech marks both talkers while leakage, well below the talker it belongs to, marks
none. Pauses shorter than `min_gap_seconds` are bridged and bursts shorter than
`min_speech_seconds` dropped, as a transcriber would. `meco-studio evaluate activity` measures
it on the demo recordings against the clean references.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from app.engine.jobs import Job, Progress
from app.engine.labels import Label


@dataclass(frozen=True)
class ActivitySettings:
    frame_seconds: float = 0.02
    silence_db: float = 40.0           # frames this far below the loudest frame of all tracks are silence,
    floor_dbfs: float = -70.0          # and so are frames below this power whatever the loudest
    dominance_db: float = 6.0          # a talker speaks where its track is within this of the loudest track
    min_gap_seconds: float = 0.3       # shorter pauses are bridged
    min_speech_seconds: float = 0.2    # shorter bursts are dropped


def frame_levels_db(track: np.ndarray, sample_rate: int, frame_seconds: float) -> np.ndarray:
    """Mean power per non-overlapping frame in dB (the last, partial frame is dropped)."""
    hop = max(1, round(frame_seconds * sample_rate))
    frames = track.size // hop
    blocks = np.asarray(track[:frames * hop], dtype=np.float32).reshape(frames, hop)
    power = np.einsum("ij,ij->i", blocks, blocks, dtype=np.float64) / hop
    return 10.0 * np.log10(power + 1e-12)


def active_frames(levels_db: np.ndarray, settings: ActivitySettings) -> np.ndarray:
    """Boolean (talkers, frames): above the silence floor and near the loudest track."""
    if levels_db.size == 0:
        return np.zeros(levels_db.shape, dtype=bool)
    floor = max(levels_db.max() - settings.silence_db, settings.floor_dbfs)
    loudest = levels_db.max(axis=0, keepdims=True)
    return (levels_db > floor) & (levels_db >= loudest - settings.dominance_db)


def smooth(active: np.ndarray, frame_seconds: float, settings: ActivitySettings) -> np.ndarray:
    """Bridge short pauses inside speech, then drop short bursts (one talker's boolean frames)."""
    out = active.copy()
    for start, stop in runs(out, False):
        if start > 0 and stop < out.size and (stop - start) * frame_seconds < settings.min_gap_seconds:
            out[start:stop] = True
    for start, stop in runs(out, True):
        if (stop - start) * frame_seconds < settings.min_speech_seconds:
            out[start:stop] = False
    return out


def runs(mask: np.ndarray, value: bool) -> list[tuple[int, int]]:
    """[start, stop) of each run of `value` in a boolean array."""
    padded = np.concatenate([[0], (mask == value).astype(np.int8), [0]])
    edges = np.flatnonzero(np.diff(padded))
    return list(zip(edges[0::2].tolist(), edges[1::2].tolist(), strict=True))


def activity_frames(tracks: list[np.ndarray], sample_rate: int, settings: ActivitySettings) -> np.ndarray:
    """Boolean (talkers, frames) after smoothing: what `talker_activity` turns into labels."""
    return activity_from_levels([frame_levels_db(track, sample_rate, settings.frame_seconds) for track in tracks],
                                settings)


def activity_from_levels(levels: list[np.ndarray], settings: ActivitySettings) -> np.ndarray:
    """`activity_frames` from each track's frame levels (`frame_levels_db`, which files give block by block)."""
    frames = min(lv.size for lv in levels)
    active = active_frames(np.stack([lv[:frames] for lv in levels]), settings)
    return np.stack([smooth(row, settings.frame_seconds, settings) for row in active])


def own_frames(track: np.ndarray, sample_rate: int, settings: ActivitySettings) -> np.ndarray:
    """One track's speech judged on its own, above its own silence floor (a clean reference: the
    truth; the mixture: a detector that cannot tell talkers apart)."""
    return activity_frames([track], sample_rate, replace(settings, dominance_db=np.inf))[0]


def frame_scores(predicted: np.ndarray, truth: np.ndarray) -> dict[str, float]:
    """Frame-level precision, recall and F1 of speech detection, pooled over talkers and frames."""
    hits = float(np.sum(predicted & truth))
    precision = hits / max(float(predicted.sum()), 1.0)
    recall = hits / max(float(truth.sum()), 1.0)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1}


def frames_to_labels(frames: np.ndarray, frame_seconds: float, names: list[str]) -> list[Label]:
    """Boolean (talkers, frames) as a label per run of each talker's speech, named after it, in time order."""
    return sorted(Label(start * frame_seconds, stop * frame_seconds, name)
                  for name, row in zip(names, frames, strict=True) for start, stop in runs(row, True))


def talker_activity(tracks: list[np.ndarray], names: list[str], sample_rate: int,
                    settings: ActivitySettings = ActivitySettings()) -> Job[list[Label]]:
    """A label per stretch of each talker's speech, named after its track, in time order."""
    yield Progress("activity", 0, 1)
    active = activity_frames(tracks, sample_rate, settings)
    yield Progress("activity", 1, 1)
    return frames_to_labels(active, settings.frame_seconds, names)
