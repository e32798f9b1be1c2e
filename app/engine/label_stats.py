"""How much each label covers: talk time, turns and overlap, as ELAN's annotation statistics and
the diarization literature report a meeting (who speaks how much, how often, and how much speech
overlaps: what makes a recording hard to separate).

Labels are grouped by their text (a speaker, in who-speaks-when labels such as "talker 1" or an
RTTM file's names); a text's labels that overlap or touch count once, as one turn. Points (labels
of no length) carry no time and are left out.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.engine.labels import Label
from app.engine.spans import merged
from app.engine.timecode import format_duration

ANY_LABEL = "Any label"
OVERLAP = "Two or more at once"


@dataclass(frozen=True)
class LabelSummary:
    name: str               # the label text, or ANY_LABEL, or OVERLAP
    turns: int              # stretches once its overlapping or touching labels are merged
    seconds: float
    share: float            # of the recording's duration; NaN for a recording of no length
    longest: float          # seconds of its longest turn

    @property
    def mean_turn(self) -> float:
        return self.seconds / self.turns if self.turns else 0.0


def _at_least_two(groups: list[list[tuple[float, float]]]) -> list[tuple[float, float]]:
    """Where two or more of the groups (each merged) cover the same time."""
    edges = sorted([(start, 1) for group in groups for start, _ in group] +
                   [(stop, -1) for group in groups for _, stop in group], key=lambda e: (e[0], e[1]))
    spans, active, since = [], 0, 0.0
    for at, step in edges:                  # at a shared instant ends come first: touching is not overlapping
        if active < 2 <= active + step:
            since = at
        elif active >= 2 > active + step and at > since:
            spans.append((since, at))
        active += step
    return spans


def _summary(name: str, spans: list[tuple[float, float]], duration: float) -> LabelSummary:
    lengths = [stop - start for start, stop in spans]
    total = sum(lengths)
    return LabelSummary(name, len(spans), total, total / duration if duration > 0 else float("nan"),
                        max(lengths, default=0.0))


def label_statistics(labels: list[Label], duration: float) -> list[LabelSummary]:
    """One row per label text (in order of first appearance), then every label together and the
    time two or more texts overlap; empty without labels that span time."""
    groups: dict[str, list[tuple[float, float]]] = {}
    for label in sorted(labels):
        if label.stop > label.start:
            groups.setdefault(label.text, []).append((label.start, label.stop))
    if not groups:
        return []
    spans = {text: merged(found) for text, found in groups.items()}
    rows = [_summary(text or "(no text)", found, duration) for text, found in spans.items()]
    rows.append(_summary(ANY_LABEL, merged(s for found in spans.values() for s in found), duration))
    rows.append(_summary(OVERLAP, _at_least_two(list(spans.values())), duration))
    return rows


def statistics_table(rows: list[LabelSummary]) -> list[list[str]]:
    """Header and rows as text, for the dialog, its Copy and the session report."""
    def share(row: LabelSummary) -> str:
        return "–" if row.share != row.share else f"{100 * row.share:.1f} %"

    return [["Label", "Turns", "Total", "Share", "Mean turn", "Longest turn"]] + [
        [row.name, str(row.turns), format_duration(row.seconds), share(row), format_duration(row.mean_turn),
         format_duration(row.longest)] for row in rows]
