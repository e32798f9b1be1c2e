"""Labels: named time ranges on a recording (who speaks when, a cough, a region to score).

They travel as Audacity label files, which Sonic Visualiser and ELAN also read: one label per
line, `start<TAB>end<TAB>text`, times in seconds; a point label has start == end. Audacity writes
a second line starting with a backslash for spectral labels (their frequency range), which we
skip. A malformed line is refused with its file and line number, and nothing is imported.
Who-speaks-when labels also travel as RTTM, the format diarization tools score.
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


# --- RTTM: the diarization community's format (NIST Rich Transcription; pyannote, dscore, DIHARD) ---
RTTM_SUFFIX = ".rttm"


def rttm_text(labels: list[Label], file_id: str) -> str:
    """Labels as RTTM SPEAKER lines of recording `file_id`, the label text as the speaker (RTTM
    fields are separated by spaces, so spaces in a name become underscores), so who-speaks-when
    labels can be scored with the diarization tools researchers use."""
    def field(text: str, empty: str) -> str:
        return "_".join(text.split()) or empty
    return "".join(f"SPEAKER {field(file_id, 'recording')} 1 {label.start:.3f} {label.stop - label.start:.3f} "
                   f"<NA> <NA> {field(label.text, 'unknown')} <NA> <NA>\n" for label in labels)


def read_rttm(path: Path, file_id: str | None = None) -> list[Label]:
    """The SPEAKER turns of an RTTM file as labels named after their speaker, sorted by time.
    A file that covers several recordings gives those of `file_id` (the recording's stem); other
    line types are skipped; a malformed SPEAKER line is refused with the file and line number."""
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError(f"{path.name} cannot be read as an RTTM file: {err}.") from err
    turns: dict[str, list[Label]] = {}
    for number, line in enumerate(lines, start=1):
        fields = line.split()
        if not fields or fields[0] != "SPEAKER":
            continue
        try:
            start, duration = float(fields[3]), float(fields[4])
            turns.setdefault(fields[1], []).append(Label(start, start + duration, fields[7]))
        except (IndexError, ValueError) as err:
            raise ConfigError(f"{path.name}, line {number}, is not an RTTM speaker turn (SPEAKER file channel "
                              f"start duration <NA> <NA> speaker …): {line[:60]!r}.") from err
    if len(turns) > 1:
        if file_id not in turns:
            raise ConfigError(f"{path.name} holds the turns of {len(turns)} recordings ({', '.join(sorted(turns))}), "
                              f"none of them named {file_id!r}; nothing was imported.")
        return sorted(turns[file_id])
    return sorted(next(iter(turns.values()), []))


def read_label_file(path: Path, file_id: str | None = None) -> list[Label]:
    """Labels from an RTTM file (by its suffix) or an Audacity label file."""
    return read_rttm(path, file_id) if Path(path).suffix.lower() == RTTM_SUFFIX else read_labels(path)


def label_file_text(labels: list[Label], path: Path, file_id: str) -> str:
    """What a label file at `path` holds: RTTM for a `.rttm` name, Audacity's format otherwise."""
    return rttm_text(labels, file_id) if Path(path).suffix.lower() == RTTM_SUFFIX else labels_text(labels)
