"""Edit ▸ Attenuate a frequency band…: the area to attenuate (a range of seconds and a band of
Hz) and by how much.

The fields start from the area Ctrl+dragged on a spectrogram (or the selection, or the whole
recording), so a drawn area is refined to the hertz, and a hum's band over the whole recording
is typed without drawing anything. The lowest gain removes the band; "down to the level around it"
lowers the band only as far as the sound just before and after the span (a cough gone, the room
under it kept). Preview plays a few seconds of the area's start in one version as the settings
would leave it (or what they take away), changing nothing.
"""

from __future__ import annotations

import math

from PySide6.QtWidgets import QCheckBox, QDialog, QDoubleSpinBox, QFormLayout, QLabel, QWidget

from app.engine.spectral_edits import AROUND, Gain
from app.gui.dialogs.buttons import accept_cancel
from app.gui.dialogs.preview_row import PreviewRow
from app.gui.views.time_box import TimeBox

LOWEST_DB = -100.0          # shown as "remove": the band goes entirely
DEFAULT_DB = -20.0


def hertz_box(value: float, top: float) -> QDoubleSpinBox:
    box = QDoubleSpinBox(decimals=1, minimum=0.0, maximum=top, singleStep=10.0, suffix=" Hz")
    box.setValue(value)
    return box


class BandDialog(QDialog):
    def __init__(self, targets: list[str], duration: float, nyquist: float, selection: tuple[float, float] | None,
                 band: tuple[float, float] | None, gain_db: Gain = DEFAULT_DB, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Attenuate a frequency band")
        start, stop = selection if selection is not None else (0.0, duration)
        low, high = band if band is not None else (0.0, nyquist)
        self.start, self.stop = TimeBox(start, duration), TimeBox(stop, duration)
        self.low, self.high = hertz_box(low, nyquist), hertz_box(min(high, nyquist), nyquist)
        self.gain = QDoubleSpinBox(decimals=1, minimum=LOWEST_DB, maximum=0.0, singleStep=3.0, suffix=" dB")
        self.gain.setSpecialValueText("remove")
        self.gain.setValue(DEFAULT_DB if gain_db == AROUND else LOWEST_DB if gain_db == -math.inf else float(gain_db))
        self.around = QCheckBox("Down to the level around it (the sound just before and after the span)")
        self.around.toggled.connect(lambda on: self.gain.setEnabled(not on))
        self.around.setChecked(gain_db == AROUND)
        self.problem = QLabel()
        self.preview_removed = QCheckBox("What is taken away")
        self.preview_removed.setToolTip("Play what the attenuation takes away rather than what it leaves: the "
                                        "cough or the whistle alone means the area is drawn well")
        self.preview = PreviewRow(targets, (self.preview_removed,))
        self.buttons, self.accept_button = accept_cancel(self, "Attenuate")
        form = QFormLayout(self)
        form.addRow(QLabel("Each of these gets a new version with the band lowered over this time; the rest of its\n"
                           "spectrum stays:"))
        form.addRow(QLabel("\n".join(f"  • {name}" for name in targets)))
        form.addRow("Start", self.start)
        form.addRow("End", self.stop)
        form.addRow("From", self.low)
        form.addRow("To", self.high)
        form.addRow("Gain", self.gain)
        form.addRow("", self.around)
        form.addRow("Preview", self.preview)
        form.addRow(self.problem)
        form.addRow(self.buttons)
        for box in (self.start, self.stop, self.low, self.high):
            box.valueChanged.connect(self._update)
        self._update()

    def span(self) -> tuple[float, float]:
        return self.start.value(), self.stop.value()

    def band(self) -> tuple[float, float]:
        return self.low.value(), self.high.value()

    def gain_db(self) -> Gain:
        """The gain in dB (−inf at the lowest setting, "remove"), or `AROUND`."""
        if self.around.isChecked():
            return AROUND
        return -math.inf if self.gain.value() <= LOWEST_DB else self.gain.value()

    def _update(self) -> None:
        (start, stop), (low, high) = self.span(), self.band()
        problem = ("The end must come after the start." if stop <= start else
                   "The upper edge must lie above the lower edge." if high <= low else "")
        self.problem.setText(problem)
        self.accept_button.setEnabled(not problem)
        self.preview.button.setEnabled(not problem)
