"""Playback ▸ Blind A/B…: rate one talker's versions by ear under letters, then reveal them.

The window plays the lanes (keys 2, 3, … or the Play buttons) without naming them or lighting
their tracks; the mixture stays lane 1, a known anchor. Each version gets a 0–100 rating (as in
MUSHRA); Reveal names them, and Save appends the trial to a results CSV and shows every version's
mean rating with its 95 % CI over the trials in that file.
"""

from __future__ import annotations

import math
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QGridLayout,
    QLabel,
    QPushButton,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from app.engine.errors import AppError
from app.engine.listening import BlindTrial, rating_summary, read_results, save_trial

DEFAULT_RATING = 50


class BlindDialog(QDialog):
    """Not modal: the window's transport stays at hand, and the dialog takes its keys too (digits
    pick a position, Space plays or pauses)."""

    play_requested = Signal(int)          # a position (0: the mixture, 1: Version A, ...)
    toggle_requested = Signal()

    def __init__(self, trial: BlindTrial, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Blind A/B · talker {trial.talker + 1}")
        self.setModal(False)
        for position in range(min(len(trial.order), 9)):
            QShortcut(QKeySequence(str(position + 1)), self, lambda p=position: self.play_requested.emit(p))
        QShortcut(QKeySequence("Space"), self, self.toggle_requested.emit)
        self.trial = trial
        self.sliders: dict[int, QSlider] = {}
        self.values: dict[int, QLabel] = {}
        self.names: dict[int, QLabel] = {}
        intro = QLabel("Listen with the Play buttons or keys 2, 3, … (1 plays the mixture, a known anchor; Space "
                       "plays or pauses) and rate "
                       "each version from 0 (bad) to 100 (excellent). The names stay hidden until Reveal.",
                       wordWrap=True)
        grid = QGridLayout()
        for row, position in enumerate(trial.positions):
            play = QPushButton(f"Play {trial.letter(position)} ({position + 1})")
            play.setFocusPolicy(Qt.FocusPolicy.NoFocus)       # Space plays, as in the window
            play.clicked.connect(lambda _=False, p=position: self.play_requested.emit(p))
            slider = QSlider(Qt.Orientation.Horizontal, minimum=0, maximum=100, value=DEFAULT_RATING)
            slider.setFocusPolicy(Qt.FocusPolicy.NoFocus)     # the number keys keep switching lanes
            value = QLabel()
            slider.valueChanged.connect(lambda v, label=value: label.setText(f"{v:3d}"))
            slider.valueChanged.connect(self._on_rated)
            value.setText(f"{slider.value():3d}")
            name = QLabel()
            grid.addWidget(play, row, 0)
            grid.addWidget(slider, row, 1)
            grid.addWidget(value, row, 2)
            grid.addWidget(name, row, 3)
            self.sliders[position], self.values[position], self.names[position] = slider, value, name
        grid.setColumnStretch(1, 1)
        self.summary = QLabel(wordWrap=True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        self.reveal_button = buttons.addButton("Reveal", QDialogButtonBox.ButtonRole.ActionRole)
        self.reveal_button.clicked.connect(self.reveal)
        self.save_button = buttons.addButton("Save results…", QDialogButtonBox.ButtonRole.ActionRole)
        self.save_button.clicked.connect(self._on_save_clicked)
        self.save_button.setEnabled(False)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(grid)
        layout.addWidget(self.summary)
        layout.addWidget(buttons)
        self.resize(620, 120 + 40 * len(self.sliders))
        self._on_rated()

    def _on_rated(self) -> None:
        for position, slider in self.sliders.items():
            self.trial.ratings[self.trial.order[position]] = float(slider.value())

    def reveal(self) -> None:
        """Name every letter (its ratings stay as given); the trial can then be saved."""
        self._on_rated()
        for position, label in self.names.items():
            label.setText(self.trial.names[self.trial.order[position]])
        for slider in self.sliders.values():
            slider.setEnabled(False)
        self.reveal_button.setEnabled(False)
        self.save_button.setEnabled(True)

    def save(self, path: Path) -> Path:
        """Append the trial to the results CSV at `path` and show the ratings over all its trials."""
        try:
            written = save_trial(path, self.trial)
            summary = rating_summary(read_results(written))
        except AppError as err:
            self.summary.setText(str(err))
            raise
        lines = [f"{name}: {mean:.1f}" + ("" if math.isnan(half) else f" ± {half:.1f}") + f" (n = {n})"
                 for name, mean, half, n in summary]
        self.summary.setText(f"Saved to {written.name}. Mean rating ± 95 % CI over its trials:\n" + "\n".join(lines))
        self.save_button.setEnabled(False)
        return written

    def _on_save_clicked(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Append the trial to a results file", "listening.csv",
                                              "CSV files (*.csv)", options=QFileDialog.Option.DontConfirmOverwrite)
        if path:
            try:
                self.save(Path(path) if path.endswith(".csv") else Path(f"{path}.csv"))
            except AppError:
                pass                              # said in the dialog
