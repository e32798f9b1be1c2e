"""Edit ▸ Blend with the mixture…: the level at which what separation took away (the other
talkers, the noise, the room) comes back into the chosen versions (`app.engine.blend`); Preview
plays a few seconds of one as it would come back, changing nothing."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QDoubleSpinBox, QFormLayout, QLabel, QWidget

from app.gui.dialogs.buttons import accept_cancel
from app.gui.dialogs.preview_row import PreviewRow

DEFAULT_DB = -20.0
LOWEST_DB = -60.0


class BlendDialog(QDialog):
    def __init__(self, targets: list[str], gain_db: float = DEFAULT_DB, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Blend with the mixture")
        self.gain = QDoubleSpinBox(decimals=1, minimum=LOWEST_DB, maximum=0.0, singleStep=3.0, suffix=" dB")
        self.gain.setValue(gain_db)
        self.buttons, self.accept_button = accept_cancel(self, "Blend")
        self.preview = PreviewRow(targets)
        form = QFormLayout(self)
        form.addRow(QLabel("Each of these gets a new version: itself, plus what separation took away from the\n"
                           "mixture (the other talkers, the noise, the room) at this level, to mask a hard\n"
                           "separation's artefacts. 0 dB gives the mixture back."))
        form.addRow(QLabel("\n".join(f"  • {name}" for name in targets)))
        form.addRow("The rest at", self.gain)
        form.addRow("Preview", self.preview)
        form.addRow(self.buttons)

    def gain_db(self) -> float:
        return self.gain.value()
