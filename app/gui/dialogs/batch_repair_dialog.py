"""Process ▸ Batch repair…: many recordings repaired into copies on disk, as `meco-studio repair` does
and as RX's Batch Processor runs a chain of repairs over files: the files (or folders, searched for
audio; added or dropped on the dialog, each listed with its channels, rate and length, read on the
list's own thread), the output folder and the repairs, made in their order (clipping, dropouts,
clicks, the late reverberation, the steady noise, then mains hum). With "Only what each needs" each
recording's damage is counted first, shown in the list as it is found (the Repair Assistant's
count, file by file), and only the redraws (and notches) it calls for are made. Each recording
becomes `<folder>/<stem>.wav`; an existing file is replaced only when "Replace" is ticked, and a
recording is never written."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtWidgets import QCheckBox, QFormLayout, QVBoxLayout, QWidget

from app.engine.batch import FileFacts, damage_facts, file_facts
from app.engine.errors import ConfigError
from app.engine.export import ExportSettings, SampleFormat
from app.engine.inpainting import MAX_REPAIR_SECONDS
from app.engine.restoration import Damage, Restoration
from app.gui.dialogs.batch_files_dialog import BatchFilesDialog
from app.gui.dialogs.buttons import accept_cancel
from app.gui.dialogs.export_dialog import SAMPLE_FORMAT_LABELS
from app.gui.dialogs.choices import choice_combo, repair_noise_choices, repairs_chosen
from app.gui.dialogs.remembered import Remembered


COPY_FORMATS = [("WAV, as the repairs need: float where clipped runs are redrawn, else 24-bit", None),
                *((f"{fmt.upper()}, {SAMPLE_FORMAT_LABELS[SampleFormat(samples)]}", f"{fmt}/{samples}")
                  for fmt, samples in (("wav", "PCM_24"), ("wav", "PCM_16"), ("wav", "FLOAT"), ("flac", "PCM_24"),
                                       ("flac", "PCM_16")))]


@dataclass(frozen=True)
class BatchRepairRequest:
    files: list[Path]
    folder: Path
    restoration: Restoration
    overwrite: bool
    as_needed: bool = False                                       # each file's damage counted, only its repairs made
    damages: dict[Path, Damage] = field(default_factory=dict)     # those the list counted already
    export: ExportSettings | None = None                          # the copies' format; None: as the repairs need


class BatchRepairDialog(BatchFilesDialog):
    def __init__(self, folder: Path, enhancers: Sequence[str] = (), parent: QWidget | None = None) -> None:
        """`folder`: the output folder offered; `enhancers`: the speech enhancers installed."""
        super().__init__("Batch repair", "Recordings to repair", folder, parent)
        self.declip = QCheckBox("Redraw clipped runs (as Process ▸ Repair clipping… does)", checked=True)
        self.dropouts = QCheckBox(f"Redraw dropouts of up to {1000 * MAX_REPAIR_SECONDS:g} ms", checked=True)
        self.declick = QCheckBox("Redraw clicks (as Edit ▸ Remove clicks does, every channel)", checked=True)
        self.dereverb = QCheckBox("Take out the late reverberation (WPE, as Process ▸ Dereverberate does)")
        self.noise = choice_combo(repair_noise_choices(enhancers))
        self.noise.setToolTip("Last, the hiss, fan or room tone lowered as Edit ▸ Reduce noise… does, each channel "
                              "by the profile of its own quietest frames")
        self.dehum = QCheckBox("Notch out mains hum (50 or 60 Hz and harmonics, found in each recording)")
        self.dehum.setToolTip("Last, as Edit ▸ Remove mains hum does; a recording where no hum stands out is left as "
                              "it is, with a note")
        self.as_needed = QCheckBox("Only what each needs: count each recording's damage first and make only the "
                                   "redraws and notches it calls for")
        self.as_needed.setToolTip("As Process ▸ Repair the recording… offers them: a redraw only where that kind of "
                                  "damage was found, the hum notched only where one stands out. Counting reads each "
                                  "recording through once more; the list shows what it finds as it goes.")
        self.overwrite = QCheckBox("Replace files that already exist")
        self.format = choice_combo(COPY_FORMATS)
        self.format.setToolTip("FLAC takes less room than WAV and loses nothing; peaks that the redrawing raises "
                               "above full scale are kept only in a float WAV, and softly limited otherwise")
        form = QFormLayout()
        self.add_file_rows(form)
        form.addRow("Repairs", self.declip)
        for box in (self.dropouts, self.declick, self.dereverb, self.noise, self.dehum, self.as_needed,
                    self.overwrite):
            form.addRow("", box)
        form.addRow("Format", self.format)
        form.addRow("", self.summary)
        self.buttons, self.run_button = accept_cancel(self, "Repair")
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.buttons)
        for box in (self.declip, self.dropouts, self.declick, self.dereverb, self.dehum):
            box.toggled.connect(self._refresh)
        self.noise.currentIndexChanged.connect(self._refresh)
        self.format.currentIndexChanged.connect(self._refresh)
        self.as_needed.toggled.connect(self._check_files)
        self._check_files()
        self.resize(620, 460)
        self._refresh()

    def remembered(self) -> Remembered:
        """The choices offered again next time, the output folder with them (the files change each time)."""
        return {"folder": self.folder, "declip": self.declip, "dropouts": self.dropouts, "declick": self.declick,
                "dereverb": self.dereverb, "noise": self.noise, "dehum": self.dehum, "as_needed": self.as_needed,
                "overwrite": self.overwrite, "format": self.format}

    def restoration(self) -> Restoration:
        return repairs_chosen(self.declip, self.dropouts, self.declick, self.dereverb, self.noise, self.dehum)

    def request(self) -> BatchRepairRequest:
        """What to run; ConfigError when a choice cannot work."""
        folder = self.output_folder()
        if not self.restoration().chosen:
            raise ConfigError("Choose at least one repair.")
        return BatchRepairRequest(self.files.paths(), folder, self.restoration(), self.overwrite.isChecked(),
                                  self.as_needed.isChecked(), self.damages() if self.as_needed.isChecked() else {},
                                  self.export())

    def export(self) -> ExportSettings | None:
        chosen = self.format.currentData()
        return None if chosen is None else ExportSettings(*chosen.split("/"))

    def damages(self) -> dict[Path, Damage]:
        """The damage the list has counted so far, by file."""
        facts = {path: self.files.facts(row) for row, path in enumerate(self.files.paths())}
        return {path: f.damage for path, f in facts.items() if isinstance(f, FileFacts) and f.damage is not None}

    def _check_files(self) -> None:
        self.files.check_with(damage_facts if self.as_needed.isChecked() else file_facts)
        self._refresh()

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
        if self.as_needed.isChecked():
            left = count - unreadable - len(self.damages())
            said.append("Each one's damage is counted" + (f" ({left} still to count: the batch counts what the list "
                                                          "has not)" if left else "") + "; only what it calls for is "
                        "redrawn or notched.")
        export = self.export()
        kind = (f"{export.format.value.upper()}, {SAMPLE_FORMAT_LABELS[export.sample_format]}" if export else
                "32-bit float (redrawn peaks rise above full scale)" if self.declip.isChecked() else "24-bit")
        suffix = export.format.value if export else "wav"
        said.append(f"Each becomes {self.folder.text().strip() or '…'}/<name>.{suffix}, {kind}; the recordings "
                    "themselves are never written.")
        self.summary.setText(" ".join(said))
