"""Edit ▸ Select range…: type a selection's start and end, to the millisecond (as seconds, m:ss.sss
or h:mm:ss.sss, as the status bar shows them).

A drag is quick but imprecise; a researcher scoring the same 4.5 s of every version, or lining
up with a transcript, wants exact figures. The length follows as they type, and OK needs a
range that is not empty.
"""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLabel, QWidget

from app.engine.timecode import format_duration
from app.gui.views.time_box import TimeBox


class RangeDialog(QDialog):
    def __init__(self, duration: float, current: tuple[float, float] | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Select range")
        start, stop = current if current is not None else (0.0, duration)
        self.start = TimeBox(start, duration)
        self.stop = TimeBox(stop, duration)
        self.length = QLabel()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow("Start", self.start)
        form.addRow("End", self.stop)
        form.addRow("Length", self.length)
        form.addRow(self.buttons)
        for box in (self.start, self.stop):
            box.valueChanged.connect(self._update)
        self._update()

    def selection(self) -> tuple[float, float]:
        return self.start.value(), self.stop.value()

    def _update(self) -> None:
        start, stop = self.selection()
        self.length.setText(format_duration(stop - start) if stop > start else "— (the end must come after the start)")
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(stop > start)
