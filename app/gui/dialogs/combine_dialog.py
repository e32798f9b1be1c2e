"""File ▸ Combine recorders into one array…: the files of separate recorders, in order (the first
one's clock is kept; added with Add files… or dropped on the dialog), and how to combine them
(`app.engine.combine`); Combine… then asks where the combined recording goes. A file of a take
recorded from several devices at once brings the take's other files with it (`take_files`), once:
one removed stays removed."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from app.engine.combine import MAX_OFFSET_LIMIT_S, CombineSettings, Keep
from app.engine.errors import AppError
from app.engine.files import MAX_CHANNELS, open_recording
from app.engine.take_group import take_files
from app.engine.timecode import format_duration
from app.gui.dialogs.buttons import accept_cancel
from app.gui.dialogs.choices import choice_combo
from app.gui.dialogs.file_list import FileList

RATE_CHOICES = [("The highest of the recordings", None),
                *((f"{rate / 1000:g} kHz", rate) for rate in (16_000, 22_050, 44_100, 48_000, 96_000))]
KEEP_CHOICES = [("Only where every recorder ran", Keep.OVERLAP),
                ("All of every recording (silence where one had not started or had stopped)", Keep.ALL)]
INTRO = ("Recordings made at the same time on separate devices (phones, a camera, handheld recorders) become one "
         "recording with their channels side by side, for the separator. The first recording's clock is kept; "
         "each further one is placed on it by the sounds both heard: when it started, how fast its clock drifts "
         "(taken out by resampling), whether it reads inverted. The files are only read.")


class CombineDialog(QDialog):
    def __init__(self, folder: Path, settings: CombineSettings = CombineSettings(),
                 parent: QWidget | None = None) -> None:
        """`folder`: where Add files… starts; `settings`: the choices to start from."""
        super().__init__(parent)
        self.setWindowTitle("Combine recorders into one array")
        self.folder = folder
        self.files = FileList("Recordings to combine", lambda: str(self.folder), ordered=True)
        self.files.accept_drops_on(self)
        self.files.changed.connect(self._refresh)
        self.files.checked.connect(self._add_takes)
        self._brought: set[Path] = set()          # files whose take's other files were added
        self.joined = ""                           # which files were added with which
        self.files.check_with(_facts)
        self.rate = choice_combo(RATE_CHOICES, settings.sample_rate)
        self.reach = QDoubleSpinBox(decimals=0, minimum=1, maximum=MAX_OFFSET_LIMIT_S, value=settings.max_offset_s,
                                    suffix=" s", prefix="± ")
        self.reach.setToolTip("How far apart the recorders may have started: a longer search takes longer")
        self.keep = choice_combo(KEEP_CHOICES, settings.keep)
        self.drift = QCheckBox("Take out a clock drift where one is found")
        self.drift.setChecked(settings.drift)
        self.summary = QLabel(wordWrap=True)
        form = QFormLayout()
        form.addRow(QLabel(INTRO, wordWrap=True))
        form.addRow("Recordings", self.files)
        form.addRow("Sample rate", self.rate)
        form.addRow("Search", self.reach)
        form.addRow("Keep", self.keep)
        form.addRow("Clocks", self.drift)
        form.addRow("", self.summary)
        self.buttons, self.run_button = accept_cancel(self, "Combine…")
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.buttons)
        self.resize(640, 520)
        self.rate.currentIndexChanged.connect(self._refresh)
        self._refresh()

    def settings(self) -> CombineSettings:
        return CombineSettings(self.rate.currentData(), self.reach.value(), Keep(self.keep.currentData()),
                               self.drift.isChecked())

    def done(self, result: int) -> None:
        self.files.stop_checks()
        super().done(result)

    def _add_takes(self) -> None:
        """The other files of each listed file's take, added once, at the end."""
        present, added = set(self.files.paths()), []
        for row, path in enumerate(self.files.paths()):
            facts = self.files.facts(row)
            if isinstance(facts, _Facts) and path not in self._brought:
                self._brought.add(path)
                new = [other for other in facts.take if other not in present]
                present.update(new)
                added += new
                if new:
                    them = "it" if len(new) == 1 else "them"
                    self.joined = (f"Added {' and '.join(other.name for other in new)}, recorded in the same take as "
                                   f"{path.name} (Remove {them} to leave {them} out).")
        if added:
            self.files.add_inputs(added)
        self._refresh()

    def _refresh(self) -> None:
        """Each recording with the channels it becomes, once every one before it has been read."""
        channel, count = 1, self.files.count()
        for row, path in enumerate(self.files.paths()):
            facts, item = self.files.facts(row), self.files.list.item(row)
            item.setToolTip(str(facts) if isinstance(facts, AppError) else str(path))
            if not isinstance(facts, _Facts):
                item.setText(f"{row + 1}. {path.name}: " + ("reading…" if facts is None else "⚠ cannot be read"))
                channel = None
                continue
            channels, rate, seconds = facts.channels, facts.sample_rate, facts.seconds
            said = f"{row + 1}. {path.name}: {channels} ch, {rate / 1000:g} kHz, {format_duration(seconds)}"
            if channel is not None:
                span = f"channel {channel}" if channels == 1 else f"channels {channel}–{channel + channels - 1}"
                role = "its clock is kept" if row == 0 else "placed on the first's clock"
                said += f" → {span}; {role}"
                channel += channels
            item.setText(said)
        facts = [self.files.facts(row) for row in range(count)]
        self.files.remove_marked_button.setVisible(any(isinstance(f, AppError) for f in facts))
        ready = False
        if count < 2:
            self.summary.setText("Add the recordings of two or more recorders, the one whose clock to keep first.")
        elif any(isinstance(f, AppError) for f in facts):
            self.summary.setText("Remove the recordings that cannot be read (marked ⚠; hover for why).")
        elif channel is None:
            self.summary.setText("Reading the recordings…")
        elif channel - 1 > MAX_CHANNELS:
            self.summary.setText(f"Together they have {channel - 1} channels; MeCo Studio reads at most "
                                 f"{MAX_CHANNELS}.")
        else:
            rate = self.rate.currentData() or max(f.sample_rate for f in facts)
            self.summary.setText(f"One recording of {channel - 1} channels at {rate / 1000:g} kHz; it opens here "
                                 "when done." + (f" {self.joined}" if self.joined else ""))
            ready = True
        self.run_button.setEnabled(ready)


@dataclass(frozen=True)
class _Facts:
    channels: int
    sample_rate: int
    seconds: float
    take: tuple[Path, ...]          # the other files of the take it was recorded in (`take_files`)


def _facts(path: Path) -> _Facts:
    """A recording's channels, rate and length, which the list shows, and the other files of its take;
    AppError when it cannot be read."""
    with open_recording(path) as rec:
        return _Facts(rec.channels, rec.sample_rate, rec.frames / rec.sample_rate, tuple(take_files(path)[1:]))
