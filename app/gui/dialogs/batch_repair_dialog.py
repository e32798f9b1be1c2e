"""Process ▸ Batch repair…: many recordings repaired into copies on disk, as `meco-studio repair` does
and as RX's Batch Processor runs a chain of repairs over files: the files (or folders, searched for
audio; added or dropped on the dialog, each listed with its channels, rate and length, read on the
list's own thread), the output folder and the repairs, made in their order (clipping, dropouts,
clicks, the late reverberation, the steady noise, then mains hum). Each recording becomes
`<folder>/<stem>.wav`; an existing file is replaced only when "Replace" is ticked, and a recording
is never written."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtWidgets import QCheckBox, QFormLayout, QVBoxLayout, QWidget

from app.engine.batch import file_facts
from app.engine.errors import ConfigError
from app.engine.inpainting import MAX_REPAIR_SECONDS
from app.engine.noise_reduction import NoiseSettings
from app.engine.restoration import Restoration
from app.gui.dialogs.batch_files_dialog import BatchFilesDialog
from app.gui.dialogs.buttons import accept_cancel
from app.gui.dialogs.choices import REPAIR_NOISE_CHOICES, choice_combo


@dataclass(frozen=True)
class BatchRepairRequest:
    files: list[Path]
    folder: Path
    restoration: Restoration
    overwrite: bool


class BatchRepairDialog(BatchFilesDialog):
    def __init__(self, folder: Path, parent: QWidget | None = None) -> None:
        """`folder`: the output folder offered."""
        super().__init__("Batch repair", "Recordings to repair", folder, parent)
        self.declip = QCheckBox("Redraw clipped runs (as Process ▸ Repair clipping… does)", checked=True)
        self.dropouts = QCheckBox(f"Redraw dropouts of up to {1000 * MAX_REPAIR_SECONDS:g} ms", checked=True)
        self.declick = QCheckBox("Redraw clicks (as Edit ▸ Remove clicks does, every channel)", checked=True)
        self.dereverb = QCheckBox("Take out the late reverberation (WPE, as Process ▸ Dereverberate does)")
        self.noise = choice_combo(REPAIR_NOISE_CHOICES)
        self.noise.setToolTip("Last, the hiss, fan or room tone lowered as Edit ▸ Reduce noise… does, each channel "
                              "by the profile of its own quietest frames")
        self.dehum = QCheckBox("Notch out mains hum (50 or 60 Hz and harmonics, found in each recording)")
        self.dehum.setToolTip("Last, as Edit ▸ Remove mains hum does; a recording where no hum stands out is left as "
                              "it is, with a note")
        self.overwrite = QCheckBox("Replace files that already exist")
        form = QFormLayout()
        self.add_file_rows(form)
        form.addRow("Repairs", self.declip)
        for box in (self.dropouts, self.declick, self.dereverb, self.noise, self.dehum, self.overwrite):
            form.addRow("", box)
        form.addRow("", self.summary)
        self.buttons, self.run_button = accept_cancel(self, "Repair")
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.buttons)
        for box in (self.declip, self.dropouts, self.declick, self.dereverb, self.dehum):
            box.toggled.connect(self._refresh)
        self.noise.currentIndexChanged.connect(self._refresh)
        self.files.check_with(file_facts)
        self.resize(620, 460)
        self._refresh()

    def restoration(self) -> Restoration:
        db = self.noise.currentData()
        return Restoration(declip=self.declip.isChecked(), dropouts=self.dropouts.isChecked(),
                           declick=self.declick.isChecked(), dereverb=self.dereverb.isChecked(),
                           noise=None if db is None else NoiseSettings(reduction_db=db), dehum=self.dehum.isChecked())

    def request(self) -> BatchRepairRequest:
        """What to run; ConfigError when a choice cannot work."""
        folder = self.output_folder()
        if not self.restoration().chosen:
            raise ConfigError("Choose at least one repair.")
        return BatchRepairRequest(self.files.paths(), folder, self.restoration(), self.overwrite.isChecked())

    def _refresh(self) -> None:
        count = self.files.count()
        unreadable = self.files.show_facts()
        self.run_button.setText(f"Repair {count} recording{'s' if count != 1 else ''}")
        self.run_button.setEnabled(count > 0 and bool(self.folder.text().strip()) and self.restoration().chosen)
        if not count:
            self.summary.setText("Add recordings or folders to repair.")
            return
        if not self.restoration().chosen:
            self.summary.setText("Choose at least one repair.")
            return
        said = [self.files_said()]
        if unreadable:
            said.append(f"{unreadable} cannot be read (marked ⚠): the batch goes on past them and lists them at "
                        "the end.")
        said.append(f"Each becomes {self.folder.text().strip() or '…'}/<name>.wav, "
                    f"{'32-bit float (redrawn peaks rise above full scale)' if self.declip.isChecked() else '24-bit'}"
                    "; the recordings themselves are never written.")
        self.summary.setText(" ".join(said))
