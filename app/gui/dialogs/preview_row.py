"""The Preview row of an effect dialog: which of its versions to hear (when there are several),
any choices of what to hear, and Play, which turns into Stop while the preview plays
(`app.engine.preview`; the edits controller works the preview out and plays it)."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QPushButton, QWidget

from app.engine.preview import PREVIEW_SECONDS


class PreviewRow(QWidget):
    clicked = Signal()              # play (or, while playing, stop) the preview of `target()`
    ready = Signal(object)          # (samples, rate): the preview worked out; gone with the row

    def __init__(self, targets: list[str], choices: tuple[QWidget, ...] = (), parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.choice = QComboBox()
        self.choice.addItems(targets)
        self.choice.setVisible(len(targets) > 1)
        self.button = QPushButton("Play")
        self.button.setToolTip(f"Play {PREVIEW_SECONDS:g} s of the version as these settings make it (from the "
                               "selection's start, or from the playhead), without changing anything")
        self.button.clicked.connect(self.clicked)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.choice, 1)
        for widget in choices:
            row.addWidget(widget)
        row.addWidget(self.button)
        if len(targets) == 1:
            row.insertStretch(0, 1)

    def set_playing(self, playing: bool) -> None:
        self.button.setText("Stop" if playing else "Play")

    def target(self) -> int:
        """Which of the targets to hear."""
        return self.choice.currentIndex()
