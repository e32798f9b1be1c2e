"""Blind listening: versions rated under letters in a shuffled order, revealed after rating.

DNSMOS and PESQ stand in for listeners; a researcher checks them by ear. Knowing which version
plays biases the ear toward the expected one, so a blind trial hides the names behind letters
in an order drawn at random, keeps the mixture's channel as a known anchor, and only names the
versions once every rating is in. Trials append to one CSV, and the ratings of each version over
all the trials in it come back as a mean with its 95 % CI (Student t), as a listening test reports.
"""

from __future__ import annotations

import csv
import math
import random
import string
from dataclasses import dataclass, field
from pathlib import Path

from app.engine.documents import now_iso
from app.engine.errors import ConfigError
from app.engine.export import write_csv

Seconds = tuple[float, float]
RESULT_HEADER = ["Trial (UTC)", "Talker", "Start (s)", "End (s)", "Letter", "Version", "Model", "Version id",
                 "Rating (0-100)"]


@dataclass
class BlindTrial:
    """One talker's A/B lanes under letters: `order[position]` is the lane heard at that position
    (position 0, the mixture's channel, stays lane 0); ratings by lane, 0–100 as in MUSHRA."""

    names: list[str]                  # by lane, as the A/B lanes are named
    ids: list[str | None]             # by lane: the version's id (None: the mixture)
    models: list[str]
    talker: int
    span: Seconds | None
    order: list[int]
    ratings: dict[int, float] = field(default_factory=dict)
    started: str = field(default_factory=now_iso)

    @property
    def positions(self) -> range:
        """The rated positions (the versions'; not the mixture's)."""
        return range(1, len(self.order))

    def letter(self, position: int) -> str:
        return f"Version {string.ascii_uppercase[position - 1]}"

    def title(self, position: int) -> str:
        """What the window calls a position while the trial is blind."""
        return self.names[0] if position == 0 else self.letter(position)

    @property
    def complete(self) -> bool:
        return all(self.order[p] in self.ratings for p in self.positions)

    def rows(self) -> list[list[str]]:
        """The trial as CSV rows under RESULT_HEADER, one per rated version, by letter."""
        start, stop = ("", "") if self.span is None else (f"{self.span[0]:.3f}", f"{self.span[1]:.3f}")
        return [[self.started, str(self.talker + 1), start, stop, self.letter(p), self.names[lane], self.models[lane],
                 self.ids[lane] or "", f"{self.ratings[lane]:g}"]
                for p in self.positions for lane in [self.order[p]] if lane in self.ratings]


def new_trial(names: list[str], ids: list[str | None], models: list[str], talker: int, span: Seconds | None,
              rng: random.Random | None = None) -> BlindTrial:
    """A trial over A/B lanes (lane 0 the mixture's channel, then at least two versions) in a
    shuffled order; ValueError when there is nothing to compare."""
    if len(names) < 3:
        raise ValueError("a blind comparison needs at least two versions of the talker")
    versions = list(range(1, len(names)))
    (rng or random.Random()).shuffle(versions)
    return BlindTrial(names, ids, models, talker, span, [0, *versions])


def save_trial(path: Path, trial: BlindTrial) -> Path:
    """Append the trial to the results CSV at `path` (written whole to a temporary file and
    renamed, so a failed save leaves the earlier trials as they were); ExportError naming it."""
    earlier = read_results(path) if path.exists() else []
    return write_csv(path, [RESULT_HEADER, *earlier, *trial.rows()])


def read_results(path: Path) -> list[list[str]]:
    """The trials' rows in a results CSV (without its header); ConfigError naming the file
    when it is not one this app wrote."""
    try:
        with open(path, newline="", encoding="utf-8") as f:
            table = list(csv.reader(f))
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError(f"{path.name} cannot be read: {err}.") from err
    if not table or table[0] != RESULT_HEADER:
        raise ConfigError(f"{path.name} is not a blind listening results file (its first line differs).")
    return table[1:]


def rating_summary(rows: list[list[str]]) -> list[tuple[str, float, float, int]]:
    """Per version name over every trial in `rows`: (name, mean rating, 95 % CI half-width, trials)."""
    from models.metrics.speech import confidence_interval

    ratings: dict[str, list[float]] = {}
    for row in rows:
        ratings.setdefault(row[5], []).append(float(row[8]))
    summary = []
    for name, values in ratings.items():
        interval = confidence_interval(values)
        summary.append((name, interval.mean, interval.half_width, len(values)))
    return sorted(summary, key=lambda item: -item[1] if not math.isnan(item[1]) else math.inf)
