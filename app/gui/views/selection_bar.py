"""Audacity's Selection toolbar: the selection's start, end and length, shown as the window writes
times and typed the same way (seconds, m:ss.sss, h:mm:ss.sss).

A drag is quick but coarse; a transcriber or a researcher scoring the same span of every version
types it, and reads a drawn selection to the millisecond, without opening a dialog. Enter (or
leaving a field) applies what was typed: a start and an end, or a start and a length.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QLabel, QToolBar, QWidget

from app.gui.views.time_box import TimeBox


class SelectionBar(QToolBar):
    typed = Signal(float, float)          # a selection typed in the fields: start, end (seconds)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Selection", parent)
        self.setObjectName("selection")          # saveState keys each bar by its name
        self.start, self.end, self.length = TimeBox(step=0.01), TimeBox(step=0.01), TimeBox(step=0.01)
        for text, box, tip in (("Start", self.start, "Where the selection starts"),
                               ("End", self.end, "Where it ends"),
                               ("Length", self.length, "Its length: typed, it moves the end")):
            label = QLabel(f" {text} ")
            label.setBuddy(box)
            box.setToolTip(f"{tip}: seconds, m:ss.sss or h:mm:ss.sss; Enter applies it")
            box.setKeyboardTracking(False)
            self.addWidget(label)
            self.addWidget(box)
            box.editingFinished.connect(lambda edited=box: self._on_edited(edited))
        self._shown: tuple[float, float] = (0.0, 0.0)
        self.setEnabled(False)

    def set_duration(self, seconds: float) -> None:
        """A new recording: the fields reach to its end."""
        for box in (self.start, self.end, self.length):
            box.setMaximum(max(seconds, 0.0))
        self.setEnabled(seconds > 0)
        self.show_selection(None, 0.0)

    def show_selection(self, selection: tuple[float, float] | None, playhead: float) -> None:
        """The selection's figures; without one, the playhead as both ends (as Audacity shows)."""
        start, stop = selection if selection is not None else (playhead, playhead)
        self._shown = (start, stop)
        for box, value in ((self.start, start), (self.end, stop), (self.length, stop - start)):
            box.blockSignals(True)
            box.setValue(value)
            box.blockSignals(False)

    def _on_edited(self, edited: TimeBox) -> None:
        start = self.start.value()
        stop = start + self.length.value() if edited is self.length else self.end.value()
        stop = min(stop, self.end.maximum())
        if stop > start and (start, stop) != self._shown:
            self.typed.emit(start, stop)
        elif stop <= start:
            self.show_selection(self._shown, self._shown[0])        # not a range: the last one stays shown
