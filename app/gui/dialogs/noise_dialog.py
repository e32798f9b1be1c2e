"""Edit ▸ Reduce noise…: Audacity's Noise Reduction step 2 (and RX's Spectral De-noise) on the
chosen versions: where the noise profile comes from, how far the noise goes down, how far above
it a sound must rise to be kept, how widely the gains are smoothed across frequency, and over what
(`app.engine.noise_reduction`); Preview plays a few seconds of one version as these settings would
make it, changing nothing."""

from __future__ import annotations

from PySide6.QtWidgets import (QButtonGroup, QCheckBox, QDialog, QDoubleSpinBox, QFormLayout, QLabel, QRadioButton,
                               QSpinBox, QVBoxLayout, QWidget)

from app.engine.noise_reduction import TRACKED, NoiseFrom, NoiseSettings
from app.engine.timecode import format_span
from app.gui.dialogs.buttons import accept_cancel
from app.gui.dialogs.preview_row import PreviewRow

Seconds = tuple[float, float]


def _choice(texts: list[str], checked: int) -> tuple[QWidget, QButtonGroup]:
    """Radio buttons under one another, the `checked`-th on; a disabled text ("") is left out."""
    box, group = QWidget(), QButtonGroup()
    layout = QVBoxLayout(box)
    layout.setContentsMargins(0, 0, 0, 0)
    for index, text in enumerate(texts):
        button = QRadioButton(text)
        button.setEnabled(bool(text))
        button.setVisible(bool(text))
        button.setChecked(index == checked)
        group.addButton(button, index)
        layout.addWidget(button)
    return box, group


class NoiseDialog(QDialog):
    def __init__(self, targets: list[str], learnt: Seconds | None, selection: Seconds | None,
                 settings: NoiseSettings = NoiseSettings(), parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Reduce noise")
        self._learnt, self._selection = learnt, selection
        profile_box, self.profile = _choice(
            [f"Learnt from {format_span(*learnt)} of each version" if learnt else "",
             "The quietest tenth of each version's first minute",
             "Tracked over time, for noise that changes"], 0 if learnt else 1)
        self.profile.button(2).setToolTip("Each moment's noise is the quietest of each frequency in the 2 s around "
                                          "it: a pause of the talker once in 2 s is enough")
        over_selection = selection is not None and selection != learnt
        over_box, self.over = _choice(["The whole of each version",
                                       f"The selection, {format_span(*selection)}" if selection else ""],
                                      1 if over_selection else 0)
        self.reduction = QDoubleSpinBox(decimals=1, minimum=1.0, maximum=60.0, singleStep=1.0, suffix=" dB")
        self.reduction.setValue(settings.reduction_db)
        self.reduction.setToolTip("How far the noise goes down")
        self.sensitivity = QDoubleSpinBox(decimals=1, minimum=0.0, maximum=24.0, singleStep=1.0, suffix=" dB")
        self.sensitivity.setValue(settings.sensitivity_db)
        self.sensitivity.setToolTip("How far above the noise's level a sound must rise to be kept: higher takes more "
                                    "noise and more of the quiet speech")
        self.smoothing = QSpinBox(minimum=0, maximum=12, suffix=" bins")
        self.smoothing.setValue(settings.smoothing_bins)
        self.smoothing.setToolTip("The gains are averaged over this many frequency bins either side, so what noise "
                                  "is left does not twinkle")
        self.buttons, self.accept_button = accept_cancel(self, "Reduce")
        self.preview_removed = QCheckBox("What is taken away")
        self.preview_removed.setToolTip("Play the noise the reduction takes away rather than what it leaves: speech "
                                        "heard in it means the reduction or the sensitivity is too high")
        self.preview = PreviewRow(targets, (self.preview_removed,))
        form = QFormLayout(self)
        form.addRow(QLabel("Each of these gets a new version with its background noise lowered (hiss, fan, room "
                                  "tone):"))
        form.addRow(QLabel("\n".join(f"  • {name}" for name in targets)))
        form.addRow("Noise profile", profile_box)
        if not learnt:
            form.addRow("", QLabel("To learn it from a stretch of noise alone, select it and choose\n"
                                   "Edit ▸ Learn the noise profile from the selection first."))
        form.addRow("Reduce over", over_box)
        form.addRow("Noise reduction", self.reduction)
        form.addRow("Sensitivity", self.sensitivity)
        form.addRow("Frequency smoothing", self.smoothing)
        form.addRow("Preview", self.preview)
        form.addRow(self.buttons)

    def settings(self) -> NoiseSettings:
        return NoiseSettings(self.reduction.value(), self.sensitivity.value(), self.smoothing.value())

    def noise_from(self) -> NoiseFrom:
        """The span the profile is learnt from, TRACKED, or None for each version's quietest frames."""
        return {0: self._learnt, 1: None, 2: TRACKED}[self.profile.checkedId()]

    def span(self) -> Seconds | None:
        """What is reduced: the selection, or None for the whole of each version."""
        return self._selection if self.over.checkedId() == 1 else None
