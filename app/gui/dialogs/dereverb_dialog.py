"""Process ▸ Dereverberate (WPE)…: how much is kept as it arrived (the delay), how far back the late
reverberation is predicted from (the filter) and WPE's iterations (`app.engine.dereverb`); Preview
plays a few seconds of one channel as the copy will hold it, or what it takes away, changing
nothing; Save copy… asks where to write it."""

from __future__ import annotations

from PySide6.QtWidgets import QCheckBox, QDialog, QDoubleSpinBox, QFormLayout, QLabel, QSpinBox, QWidget

from app.engine.dereverb import check_settings
from app.gui.dialogs.buttons import accept_cancel
from app.gui.dialogs.preview_row import PreviewRow
from models.baselines.wpe import WpeSettings


class DereverbDialog(QDialog):
    def __init__(self, channels: int, settings: WpeSettings = WpeSettings(), parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Dereverberate (WPE)")
        self.delay = QDoubleSpinBox(decimals=0, minimum=0.0, maximum=100.0, singleStep=8.0, suffix=" ms")
        self.delay.setValue(settings.delay_ms)
        self.delay.setToolTip("What arrives within this of the direct sound is kept: 48 ms keeps the first 50 ms of "
                              "reflections, as the separator's targets do")
        self.taps = QDoubleSpinBox(decimals=0, minimum=10.0, maximum=500.0, singleStep=20.0, suffix=" ms")
        self.taps.setValue(settings.taps_ms)
        self.taps.setToolTip("How far back the late reverberation is predicted from: longer for a longer "
                             "reverberation, at a cost that grows fast with it")
        self.iterations = QSpinBox(minimum=1, maximum=10)
        self.iterations.setValue(settings.iterations)
        self.preview_removed = QCheckBox("What is taken away")
        self.preview_removed.setToolTip("Play the late reverberation the copy takes away rather than what it keeps")
        self.preview = PreviewRow([f"channel {c + 1}" for c in range(channels)], (self.preview_removed,))
        self.buttons, self.accept_button = accept_cancel(self, "Save copy…")
        form = QFormLayout(self)
        form.addRow(QLabel("A copy of the recording with each channel's late reverberation, predicted from the\n"
                           "delayed past of every channel, taken away (weighted prediction error); the channels\n"
                           "keep their spatial cues, so the copy can be separated as the recording is."))
        form.addRow("Keep what arrives within", self.delay)
        form.addRow("Predict from", self.taps)
        form.addRow("Iterations", self.iterations)
        form.addRow("Preview", self.preview)
        form.addRow(self.buttons)

    def settings(self) -> WpeSettings:
        settings = WpeSettings(self.taps.value(), self.delay.value(), self.iterations.value())
        check_settings(settings)
        return settings
