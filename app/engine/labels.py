"""Labels: named time ranges on a recording (who speaks when, a cough, a region to score).

They travel as Audacity label files, which Sonic Visualiser and ELAN also read: one label per
line, `start<TAB>end<TAB>text`, times in seconds; a point label has start == end. Audacity writes
a second line starting with a backslash for spectral labels (their frequency range), which we
skip. A malformed line is refused with its file and line number, and nothing is imported.
Who-speaks-when labels also travel as RTTM, the format diarization tools score, and any labels as
Praat TextGrids (read and written with praatio), which phoneticians annotate in and ELAN imports,
and as WebVTT or SubRip subtitles (read with webvtt-py), which transcription services deliver and
every video player shows: a meeting's transcript beside its separated tracks.
"""

from __future__ import annotations

import io
import math
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

import webvtt
from webvtt import Caption, WebVTT

from app.engine.errors import ConfigError
from app.engine.timecode import format_clock, parse_clock


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


# --- Praat TextGrids: tiers of intervals and points ------------------------------------------------
TEXTGRID_SUFFIX = ".textgrid"          # compared lower-case; Praat writes `.TextGrid`
TALKER_TIER = re.compile(r"talker \d+")


def _tiers(labels: list[Label]) -> dict[str, list[Label]]:
    """Labels in tiers that Praat accepts (no two intervals of a tier overlap): each "talker k"
    label in its talker's tier, as who speaks when is annotated in Praat and ELAN; the other
    ranges in "labels", with overlapping ones in "labels 2", "labels 3", …; points in "points"."""
    tiers: dict[str, list[Label]] = {}
    ends: dict[str, float] = {}                   # where each tier's last interval stops

    def place(name: str, label: Label) -> None:
        tiers.setdefault(name, []).append(label)
        ends[name] = label.stop

    for label in sorted(labels):
        if label.stop == label.start:
            tiers.setdefault("points", []).append(label)
        elif TALKER_TIER.fullmatch(label.text) and label.start >= ends.get(label.text, 0.0):
            place(label.text, label)
        else:
            n = 1
            while label.start < ends.get("labels" if n == 1 else f"labels {n}", 0.0):
                n += 1
            place("labels" if n == 1 else f"labels {n}", label)

    def order(name: str) -> tuple[int, int]:          # talkers first, then labels, then points
        number = int(name.split()[-1]) if name[-1].isdigit() else 1
        return (0 if name.startswith("talker") else 1 if name.startswith("labels") else 2), number
    return {name: tiers[name] for name in sorted(tiers, key=order)}


def textgrid_text(labels: list[Label], duration: float) -> str:
    """Labels as a Praat TextGrid (long text format) spanning [0, `duration`] seconds."""
    from praatio import textgrid

    grid = textgrid.Textgrid(0.0, duration)
    for name, members in _tiers(labels).items():
        if name == "points":
            grid.addTier(textgrid.PointTier(name, [(x.start, x.text) for x in members], 0.0, duration))
        else:
            grid.addTier(textgrid.IntervalTier(name, [(x.start, x.stop, x.text) for x in members], 0.0, duration))
    with tempfile.TemporaryDirectory(prefix="meco-textgrid-") as folder:   # praatio writes files only
        written = Path(folder) / "labels.TextGrid"
        grid.save(str(written), format="long_textgrid", includeBlankSpaces=True, reportingMode="silence")
        return written.read_text(encoding="utf-8")


def read_textgrid(path: Path) -> list[Label]:
    """Every labelled interval and point of every tier of a Praat TextGrid (long or short text
    format), sorted by time; ConfigError naming the file when it is not one."""
    from praatio import textgrid

    path = Path(path)
    try:
        grid = textgrid.openTextgrid(str(path), includeEmptyIntervals=False, reportingMode="silence",
                                     duplicateNamesMode="rename")
    except Exception as err:        # praatio raises many kinds for a file that is not a TextGrid
        raise ConfigError(f"{path.name} cannot be read as a Praat TextGrid: {err or type(err).__name__}.") from err
    labels = []
    for name in grid.tierNames:
        for entry in grid.getTier(name).entries:
            start, stop = (entry[0], entry[0]) if len(entry) == 2 else (entry[0], entry[1])
            if not entry[-1].strip():
                continue
            try:
                labels.append(Label(float(start), float(stop), entry[-1]))
            except ValueError as err:           # Praat allows times before 0; a recording does not
                raise ConfigError(f"{path.name}: “{entry[-1]}” in tier “{name}” runs {start:g}–{stop:g} s, not "
                                  "from 0 s on; nothing was imported.") from err
    return sorted(labels)


# --- Subtitles: WebVTT and SubRip cues, from transcription services and for video players ---
VTT_SUFFIX, SRT_SUFFIX = ".vtt", ".srt"
SUBTITLE_SUFFIXES = (VTT_SUFFIX, SRT_SUFFIX)


def subtitles_text(labels: list[Label], srt: bool) -> str:
    """The labels as cues, WebVTT (or SubRip with `srt`), times to the millisecond; a label
    without text becomes a cue "label n", as a cue needs a line."""
    def cue_time(seconds: float) -> str:        # HH:MM:SS.mmm
        return format_clock(seconds, 3, fields=3).zfill(12)
    captions = [Caption(cue_time(label.start), cue_time(label.stop), label.text or f"label {n}")
                for n, label in enumerate(sorted(labels), start=1)]
    text = io.StringIO()
    WebVTT(captions=captions).write(text, format="srt" if srt else "vtt")
    return text.getvalue().rstrip("\n") + "\n"


def read_subtitles(path: Path) -> list[Label]:
    """The cues of a WebVTT or SubRip file (by its suffix) as labels, a cue's lines joined and a
    voice tag (`<v Ann>`) kept as the speaker's name before its text; ConfigError naming the file."""
    path = Path(path)
    try:
        cues = webvtt.from_srt(str(path)) if path.suffix.lower() == SRT_SUFFIX else webvtt.read(str(path))
        labels = [Label(parse_clock(cue.start), parse_clock(cue.end),
                        f"{cue.voice}: {cue.text}" if cue.voice else cue.text) for cue in cues]
    except (OSError, UnicodeDecodeError, ValueError, webvtt.errors.MalformedFileError,
            webvtt.errors.MalformedCaptionError) as err:
        raise ConfigError(f"{path.name} cannot be read as a {_subtitle_kind(path)} file: {err}.") from err
    if not labels and path.read_text(encoding="utf-8-sig", errors="replace").strip().removeprefix("WEBVTT").strip():
        raise ConfigError(f"{path.name} holds no {_subtitle_kind(path)} cue that can be read (a line "
                          "'00:00:01.000 --> 00:00:02.500' and its text); nothing was imported.")
    return sorted(labels)


def _subtitle_kind(path: Path) -> str:
    return "SubRip" if path.suffix.lower() == SRT_SUFFIX else "WebVTT"


def label_talker(text: str) -> int | None:
    """The talker (0-based) a label names, "talker 2" as Label talker activity writes; None for any other text."""
    match = re.fullmatch(r"\s*talker\s+(\d+)\s*", text, flags=re.IGNORECASE)
    return int(match.group(1)) - 1 if match and int(match.group(1)) >= 1 else None


LABEL_SUFFIXES = (".txt", RTTM_SUFFIX, TEXTGRID_SUFFIX, *SUBTITLE_SUFFIXES)     # lower-case: files read as labels


def read_label_file(path: Path, file_id: str | None = None) -> list[Label]:
    """Labels from an RTTM file, a Praat TextGrid or subtitles (by their suffixes), or an Audacity
    label file."""
    suffix = Path(path).suffix.lower()
    if suffix == RTTM_SUFFIX:
        return read_rttm(path, file_id)
    if suffix in SUBTITLE_SUFFIXES:
        return read_subtitles(path)
    return read_textgrid(path) if suffix == TEXTGRID_SUFFIX else read_labels(path)


def label_file_text(labels: list[Label], path: Path, file_id: str, duration: float) -> str:
    """What a label file at `path` holds: RTTM for a `.rttm` name, a TextGrid spanning the
    recording's `duration` for a `.TextGrid` name, subtitles for `.vtt` and `.srt`, Audacity's
    format otherwise."""
    suffix = Path(path).suffix.lower()
    if suffix == RTTM_SUFFIX:
        return rttm_text(labels, file_id)
    if suffix in SUBTITLE_SUFFIXES:
        return subtitles_text(labels, srt=suffix == SRT_SUFFIX)
    return textgrid_text(labels, duration) if suffix == TEXTGRID_SUFFIX else labels_text(labels)
