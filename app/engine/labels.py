"""Labels: named time ranges on a recording (who speaks when, a cough, a region to score).

They travel as Audacity label files, which Sonic Visualiser and ELAN also read: one label per
line, `start<TAB>end<TAB>text`, times in seconds; a point label has start == end. Audacity writes
a second line starting with a backslash for spectral labels (their frequency range), which we
skip. A malformed line is refused with its file and line number, and nothing is imported.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from app.engine.errors import ConfigError


@dataclass(frozen=True, order=True)
class Label:
    start: float
    stop: float
    text: str = ""

    def __post_init__(self) -> None:
        if not (math.isfinite(self.start) and math.isfinite(self.stop)) or not 0 <= self.start <= self.stop:
            raise ValueError(f"a label runs forward from 0 s or later, not {self.start}–{self.stop} s")
        # One label, one line: tabs and line breaks in the text would break the file format.
        object.__setattr__(self, "text", " ".join(self.text.split()))


def read_labels(path: Path) -> list[Label]:
    """Labels from an Audacity label file, sorted by time; ConfigError naming the file and line."""
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError(f"{path.name} cannot be read as a label file: {err}.") from err
    labels = []
    for number, line in enumerate(lines, start=1):
        if not line.strip() or line.startswith("\\"):
            continue
        fields = line.split("\t", 2)
        try:
            start, stop = float(fields[0]), float(fields[1]) if len(fields) > 1 else float(fields[0])
            labels.append(Label(start, stop, fields[2] if len(fields) > 2 else ""))
        except ValueError as err:
            raise ConfigError(f"{path.name}, line {number}, is not a label (start, end and text separated by "
                              f"tabs, times in seconds): {line[:60]!r}.") from err
    return sorted(labels)


def labels_text(labels: list[Label]) -> str:
    """Audacity's label-file text, six decimals as Audacity writes them (saved with
    `export.write_text_atomically`)."""
    return "".join(f"{label.start:.6f}\t{label.stop:.6f}\t{label.text}\n" for label in labels)
