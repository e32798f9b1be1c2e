"""File ▸ Combine recorders into one array…: the files of separate recorders, in order (the first
one's clock is kept; added with Add files… or dropped on the dialog), and how to combine them
(`app.engine.combine`); Combine… then asks where the combined recording goes."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDialog,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.engine.combine import MAX_OFFSET_LIMIT_S, CombineSettings, Keep
from app.engine.errors import AppError
from app.engine.files import MAX_CHANNELS, expand_inputs, open_recording
from app.engine.timecode import format_duration
from app.gui.dialogs.buttons import accept_cancel
from app.gui.dialogs.choices import choice_combo
from app.gui.dialogs.file_filters import AUDIO_FILTER

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
        self.setAcceptDrops(True)
        self.folder = folder
        self.files = QListWidget()
        self.files.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.files.setMinimumHeight(120)
        self.files.itemSelectionChanged.connect(self._refresh)
        self.add_button, self.remove_button = QPushButton("Add files…"), QPushButton("Remove")
        self.up_button, self.down_button = QPushButton("Move up"), QPushButton("Move down")
        self.add_button.clicked.connect(self._on_add_files)
        self.remove_button.clicked.connect(self.remove_selected)
        self.up_button.clicked.connect(lambda: self.move_selected(-1))
        self.down_button.clicked.connect(lambda: self.move_selected(1))
        file_buttons = QHBoxLayout()
        for button in (self.add_button, self.remove_button, self.up_button, self.down_button):
            file_buttons.addWidget(button)
        file_buttons.addStretch(1)
        self.rate = choice_combo(RATE_CHOICES, settings.sample_rate)
        self.reach = QDoubleSpinBox(decimals=0, minimum=1, maximum=MAX_OFFSET_LIMIT_S, value=settings.max_offset_s,
                                    suffix=" s", prefix="± ")
        self.reach.setToolTip("How far apart the recorders may have started: a longer search takes longer")
        self.keep = choice_combo(KEEP_CHOICES, settings.keep)
        self.drift = QCheckBox("Take out a clock drift where one is found")
        self.drift.setChecked(settings.drift)
        self.problems = QLabel(wordWrap=True, visible=False)
        self.summary = QLabel(wordWrap=True)
        form = QFormLayout()
        form.addRow(QLabel(INTRO, wordWrap=True))
        form.addRow("Recordings", self.files)
        form.addRow("", file_buttons)
        form.addRow("", self.problems)
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
        self._refresh()

    def add_inputs(self, inputs: list[Path]) -> None:
        """Add each file (and the audio files in folders) once, in the order given; a file that
        cannot be read is named under the list, not added."""
        present, problems = set(self.paths()), []
        for path in expand_inputs(inputs):
            if path in present:
                continue
            try:
                with open_recording(path) as rec:
                    facts = (rec.channels, rec.sample_rate, rec.frames / rec.sample_rate)
            except AppError as err:
                problems.append(str(err))
                continue
            present.add(path)
            item = QListWidgetItem()
            item.setData(Qt.ItemDataRole.UserRole, (str(path), *facts))
            self.files.addItem(item)
        self.problems.setText("\n".join(problems))
        self.problems.setVisible(bool(problems))
        self._refresh()

    def remove_selected(self) -> None:
        for item in self.files.selectedItems():
            self.files.takeItem(self.files.row(item))
        self._refresh()

    def move_selected(self, step: int) -> None:
        """The selected recording one place up (`step` −1) or down: the first's clock is kept."""
        rows = sorted(self.files.row(item) for item in self.files.selectedItems())
        if len(rows) != 1 or not 0 <= rows[0] + step < self.files.count():
            return
        item = self.files.takeItem(rows[0])
        self.files.insertItem(rows[0] + step, item)
        self.files.setCurrentItem(item)
        self._refresh()

    def paths(self) -> list[Path]:
        return [Path(self._facts(row)[0]) for row in range(self.files.count())]

    def settings(self) -> CombineSettings:
        return CombineSettings(self.rate.currentData(), self.reach.value(), Keep(self.keep.currentData()),
                               self.drift.isChecked())

    def _facts(self, row: int) -> tuple[str, int, int, float]:
        return self.files.item(row).data(Qt.ItemDataRole.UserRole)

    def _refresh(self) -> None:
        channel = 1
        for row in range(self.files.count()):
            path, channels, rate, seconds = self._facts(row)
            span = f"channel {channel}" if channels == 1 else f"channels {channel}–{channel + channels - 1}"
            role = "its clock is kept" if row == 0 else "placed on the first's clock"
            self.files.item(row).setText(f"{row + 1}. {Path(path).name}: {channels} ch, {rate / 1000:g} kHz, "
                                         f"{format_duration(seconds)} → {span}; {role}")
            channel += channels
        total, count = channel - 1, self.files.count()
        rows = [self.files.row(item) for item in self.files.selectedItems()]
        self.remove_button.setEnabled(bool(rows))
        self.up_button.setEnabled(len(rows) == 1 and rows[0] > 0)
        self.down_button.setEnabled(len(rows) == 1 and rows[0] < count - 1)
        if count < 2:
            self.summary.setText("Add the recordings of two or more recorders, the one whose clock to keep first.")
        elif total > MAX_CHANNELS:
            self.summary.setText(f"Together they have {total} channels; MeCo Studio reads at most {MAX_CHANNELS}.")
        else:
            rates = {self._facts(row)[2] for row in range(count)}
            rate = self.rate.currentData() or max(rates)
            self.summary.setText(f"One recording of {total} channels at {rate / 1000:g} kHz; it opens here when done.")
        self.run_button.setEnabled(count >= 2 and total <= MAX_CHANNELS)

    def _on_add_files(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(self, "Recordings to combine", str(self.folder), AUDIO_FILTER)
        self.add_inputs([Path(p) for p in paths])

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if any(url.isLocalFile() for url in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        """Files (or folders) dropped from a file manager join the list at its end."""
        files = [Path(url.toLocalFile()) for url in event.mimeData().urls() if url.isLocalFile()]
        if files:
            event.acceptProposedAction()
            self.add_inputs(files)

    def keyPressEvent(self, event) -> None:
        if event.key() == Qt.Key.Key_Delete and self.files.hasFocus():
            self.remove_selected()
            return
        super().keyPressEvent(event)
