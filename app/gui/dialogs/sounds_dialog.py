"""Process ▸ Label sounds…: Audacity's Label Sounds on one lane: which lane, the threshold, the
shortest silence that separates two sounds, the shortest sound kept, and the labels' text
(`app.engine.sound_labels`)."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QDialog, QDoubleSpinBox, QFormLayout, QLabel, QLineEdit, QWidget

from app.engine.sound_labels import ANY_CHANNEL, SoundSettings
from app.gui.dialogs.buttons import accept_cancel

Lane = tuple[str, int | str]        # ("channel", index or ANY_CHANNEL) or ("version", its id)


class SoundsDialog(QDialog):
    def __init__(self, channels: int, versions: list[tuple[str, str]], settings: SoundSettings = SoundSettings(),
                 parent: QWidget | None = None) -> None:
        """`versions`: (id, name) of the versions that may be read instead of the recording."""
        super().__init__(parent)
        self.setWindowTitle("Label sounds")
        self.lane = QComboBox()
        if channels > 1:
            self.lane.addItem("The recording: its loudest channel at each moment", ("channel", ANY_CHANNEL))
        for channel in range(channels):
            self.lane.addItem(f"The recording's channel {channel + 1}", ("channel", channel))
        for version_id, name in versions:
            self.lane.addItem(name, ("version", version_id))
        self.threshold = QDoubleSpinBox(decimals=1, minimum=-100.0, maximum=-1.0, singleStep=1.0, suffix=" dBFS")
        self.threshold.setValue(settings.threshold_dbfs)
        self.threshold.setToolTip("A 10 ms frame whose RMS level rises above this is sound")
        self.silence = QDoubleSpinBox(decimals=2, minimum=0.0, maximum=60.0, singleStep=0.1, suffix=" s")
        self.silence.setValue(settings.min_silence_seconds)
        self.silence.setToolTip("A pause shorter than this does not split a sound in two")
        self.shortest = QDoubleSpinBox(decimals=2, minimum=0.0, maximum=60.0, singleStep=0.05, suffix=" s")
        self.shortest.setValue(settings.min_sound_seconds)
        self.shortest.setToolTip("A sound shorter than this (a click, a knock) gets no label")
        self.text = QLineEdit(settings.text)
        self.buttons, self.accept_button = accept_cancel(self, "Label")
        form = QFormLayout(self)
        form.addRow(QLabel("A label over each stretch whose level rises above the threshold (Audacity's Label "
                           "Sounds),\nnumbered: each utterance of one talker, to export or score one by one."))
        form.addRow("Read", self.lane)
        form.addRow("Threshold", self.threshold)
        form.addRow("Shortest silence between sounds", self.silence)
        form.addRow("Shortest sound", self.shortest)
        form.addRow("Label text", self.text)
        form.addRow(self.buttons)
        self.text.textChanged.connect(lambda text: self.accept_button.setEnabled(bool(text.strip())))

    def settings(self) -> SoundSettings:
        return SoundSettings(self.threshold.value(), self.silence.value(), self.shortest.value(),
                             self.text.text().strip())

    def chosen_lane(self) -> Lane:
        return self.lane.currentData()
