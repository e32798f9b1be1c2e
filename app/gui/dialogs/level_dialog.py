"""Edit ▸ Change the level of the selection…: Audacity's Amplify over the selection, on the
chosen versions (a laugh brought down, a quiet aside brought up), faded in and out at its edges."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QDoubleSpinBox, QFormLayout, QLabel, QWidget

from app.engine.timecode import format_span
from app.gui.dialogs.buttons import accept_cancel

DEFAULT_DB = -6.0


class LevelDialog(QDialog):
    def __init__(self, targets: list[str], selection: tuple[float, float], gain_db: float = DEFAULT_DB,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Change the level of the selection")
        self.gain = QDoubleSpinBox(decimals=1, minimum=-40.0, maximum=20.0, singleStep=1.0, suffix=" dB")
        self.gain.setValue(gain_db)
        self.buttons, self.accept_button = accept_cancel(self, "Change")
        form = QFormLayout(self)
        form.addRow(QLabel(f"Each of these gets a new version with {format_span(*selection)} raised or "
                           "lowered\\n(versions are kept as floating point: a raise does not clip until export):"))
        form.addRow(QLabel("\\n".join(f"  • {name}" for name in targets)))
        form.addRow("Change by", self.gain)
        form.addRow(self.buttons)
        self.gain.valueChanged.connect(lambda value: self.accept_button.setEnabled(value != 0.0))

    def gain_db(self) -> float:
        return self.gain.value()
