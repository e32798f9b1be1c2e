"""A spin box for a time, shown and typed as the status bar shows it: 12.345 s, 1:02.345, 1:02:03.456.

A position read off the window in an hour-long meeting (1:02:03.456) can be typed back as read,
or as plain seconds; the arrows and the wheel still step it.
"""

from __future__ import annotations

import re

from PySide6.QtGui import QValidator
from PySide6.QtWidgets import QDoubleSpinBox, QWidget

from app.engine.timecode import format_duration, parse_clock

_PARTIAL = re.compile(r"^[\d:.\s]*s?\s*$")      # what a time can look like while it is being typed


class TimeBox(QDoubleSpinBox):
    def __init__(self, value: float = 0.0, maximum: float = 0.0, *, decimals: int = 3, step: float = 0.1,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setDecimals(decimals)
        self.setRange(0.0, max(maximum, 0.0))
        self.setSingleStep(step)
        self.setValue(value)

    def textFromValue(self, value: float) -> str:
        return format_duration(value, self.decimals())

    def valueFromText(self, text: str) -> float:
        if self.specialValueText() and text == self.specialValueText():
            return self.minimum()
        try:
            return parse_clock(text)
        except ValueError:
            return self.value()

    def validate(self, text: str, pos: int) -> tuple[QValidator.State, str, int]:
        if self.specialValueText() and text == self.specialValueText():
            return QValidator.State.Acceptable, text, pos
        try:
            seconds = parse_clock(text)
        except ValueError:
            state = QValidator.State.Intermediate if _PARTIAL.match(text) else QValidator.State.Invalid
            return state, text, pos
        inside = self.minimum() <= round(seconds, self.decimals()) <= self.maximum()
        return (QValidator.State.Acceptable if inside else QValidator.State.Intermediate), text, pos
