"""Process ▸ Repair the recording… (RX's Repair Assistant): what was found wrong with the recording,
kind by kind with its count (`app.engine.restoration.damage_job`, run as the dialog opens), and
labelled where it is when asked (Label them), each repair offered and chosen where something was
found (the mains hum too), the late reverberation and
the steady noise offered too; Save copy… asks where to write the repaired copy; Preview plays a few
seconds of a channel repaired, or what the repairs take away."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtWidgets import QCheckBox, QDialog, QFormLayout, QHBoxLayout, QLabel, QPushButton, QWidget

from app.engine.inpainting import MAX_REPAIR_SECONDS
from app.engine.dehum import Hum
from app.engine.restoration import Damage, Restoration, count_of
from app.gui.dialogs.buttons import accept_cancel
from app.gui.dialogs.choices import choice_combo, repair_noise_choices, repairs_chosen
from app.gui.dialogs.preview_row import PreviewRow


class RepairDialog(QDialog):
    def __init__(self, name: str, channels: int, enhancers: Sequence[str] = (), parent: QWidget | None = None) -> None:
        """`enhancers`: the speech enhancers installed, offered to take the noise out."""
        super().__init__(parent)
        self.setWindowTitle("Repair the recording")
        self.found = QLabel(f"Looking through {name} for clipping, dropouts and clicks…", wordWrap=True)
        self.declip = QCheckBox("Redraw the clipped runs")
        self.dropouts = QCheckBox(f"Redraw the dropouts of up to {1000 * MAX_REPAIR_SECONDS:g} ms")
        self.declick = QCheckBox("Redraw the clicks")
        for box in (self.declip, self.dropouts, self.declick):
            box.setEnabled(False)
        self.dereverb = QCheckBox("Take out the late reverberation (WPE, as Process ▸ Dereverberate does)")
        self.noise = choice_combo(repair_noise_choices(enhancers))
        self.noise.setToolTip("The hiss, fan or room tone lowered as Edit ▸ Reduce noise… does, each channel by the "
                              "profile of its own quietest frames")
        self.dehum = QCheckBox("Notch out the mains hum")
        self.dehum.setEnabled(False)
        self.hum: Hum | None = None          # what the count found
        self.damage: Damage | None = None
        self.label_button = QPushButton("Label them")
        self.label_button.setToolTip("Add a label at each stretch found (\"clipped ch 1\", \"click ch 3\"), to look at "
                                     "and hear each before repairing; Alt+→ steps through them")
        self.label_button.setEnabled(False)
        self.preview_removed = QCheckBox("What is taken away")
        self.preview_removed.setToolTip("Play what the chosen repairs take away rather than what they leave")
        self.preview = PreviewRow([f"channel {c + 1}" for c in range(channels)], (self.preview_removed,))
        self.buttons, self.accept_button = accept_cancel(self, "Save copy…")
        self.accept_button.setEnabled(False)
        self.dereverb.toggled.connect(self._refresh)
        self.noise.currentIndexChanged.connect(self._refresh)
        self.dehum.toggled.connect(self._refresh)
        form = QFormLayout(self)
        form.addRow(QLabel("A copy of the recording with the chosen repairs, in this order; the recording itself\n"
                           "is never written."))
        form.addRow(self.found)
        found_row = QHBoxLayout()
        found_row.addWidget(self.label_button)
        found_row.addStretch(1)
        form.addRow(found_row)
        for box in (self.declip, self.dropouts, self.declick, self.dereverb, self.noise, self.dehum):
            form.addRow(box)
        form.addRow("Preview", self.preview)
        form.addRow(self.buttons)

    def show_damage(self, damage: Damage) -> None:
        """The counts found, each repair chosen where there is something to repair."""
        for box, count, what in ((self.declip, damage.clipped, "clipped run"),
                                 (self.dropouts, damage.dropouts, "dropout"), (self.declick, damage.clicks, "click")):
            box.setText(f"{box.text()} ({count_of(count, what)})")
            box.setEnabled(count > 0)
            box.setChecked(count > 0)
            box.toggled.connect(self._refresh)
        self.damage, hum = damage, damage.hum
        self.hum = hum
        self.label_button.setText(f"Label them ({len(damage.labels)} stretch{'es' if len(damage.labels) != 1 else ''})")
        self.label_button.setEnabled(bool(damage.labels))
        self.dehum.setText(f"{self.dehum.text()} ({hum.hz:g} Hz, {hum.lines} lines)" if hum else
                           f"{self.dehum.text()} (none stands out)")
        self.dehum.setEnabled(hum is not None)
        self.dehum.setChecked(hum is not None)
        self.found.setText(f"Found {damage.said}.")
        self._refresh()

    def _refresh(self) -> None:
        self.accept_button.setEnabled(self.restoration().chosen)

    def restoration(self) -> Restoration:
        return repairs_chosen(self.declip, self.dropouts, self.declick, self.dereverb, self.noise, self.dehum)
