"""Batch separation: many recordings to talker tracks on disk, as `meco-studio separate` does.

The user gathers files (or whole folders, searched for audio; added or dropped on the dialog), each
listed with its channels, rate and length and marked where the choice below cannot separate it (read
from its header on the list's own thread, checked again as the choice changes), picks the output
folder, the method, channels and reference (as in Separate with options…) and what follows the
separator (MeCo, a student, noise reduction, a blend with the mixture, a loudness target); the
window then runs the batch as one job. Each recording goes to `<folder>/<stem>/spk{k}.wav`; an
existing track is replaced only when "Replace" is ticked.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QHBoxLayout,
    QVBoxLayout,
    QWidget,
)

from app.engine.batch import BatchSettings, check_file
from app.engine.correction import CorrectSettings
from app.engine.enhancement import EnhanceSettings
from app.engine.errors import ConfigError
from app.engine.export import AudioFormat, ExportSettings, SampleFormat
from app.engine.pipeline import ModelEntry
from app.engine.separation import SeparateSettings
from app.gui.dialogs.buttons import accept_cancel
from app.gui.dialogs.remembered import Remembered
from app.gui.dialogs.choices import choice_combo
from app.gui.dialogs.export_dialog import LOUDNESS_CHOICES, SAMPLE_FORMAT_LABELS
from app.gui.dialogs.batch_files_dialog import BatchFilesDialog
from app.gui.dialogs.separate_dialog import SeparationChoice, SeparationFields


BLEND_CHOICES = [("None: the tracks as separated", None),
                 *((f"The rest of the mixture at {db} dB", float(db)) for db in (-30, -20, -12))]

NOISE_CHOICES = [("None", None), *((f"{db} dB down, learnt from each track's quietest frames", float(db))
                                   for db in (6, 12, 18))]


@dataclass(frozen=True)
class BatchRequest:
    files: list[Path]
    folder: Path
    settings: BatchSettings


class BatchDialog(BatchFilesDialog):
    def __init__(self, separate: SeparateSettings, separators: list[ModelEntry], choice: SeparationChoice,
                 corrector: CorrectSettings | None, students: list[str], folder: Path,
                 parent: QWidget | None = None) -> None:
        """`separate`: device, chunk and the Settings' separator; `separators`: the installed ones;
        `choice`: the method, channels and reference to start from; `corrector`: MeCo's settings
        when one is installed; `students`: installed enhancer names."""
        super().__init__("Batch separation", "Recordings to separate", folder, parent)
        self.separation = SeparationFields(separators, choice, None)
        self.separate = separate
        self.corrector = corrector
        self.correct = QCheckBox("Correct each talker with MeCo")
        self.correct.setChecked(corrector is not None)
        self.correct.setEnabled(corrector is not None)
        if corrector is None:
            self.correct.setToolTip("No MeCo corrector is installed")
        self.keep_uncorrected = QCheckBox("Also keep the separator's output (spk{k}_separated.wav)")
        self.keep_uncorrected.setEnabled(self.correct.isChecked())
        self.correct.toggled.connect(self.keep_uncorrected.setEnabled)
        self.enhance = choice_combo([("None", None)] + [(name, name) for name in students])
        self.enhance.setEnabled(bool(students))
        self.loudness = choice_combo(LOUDNESS_CHOICES)
        self.noise = choice_combo(NOISE_CHOICES)
        self.noise.setToolTip("Lower each track's steady noise (hiss, fan, room tone), as Edit ▸ Reduce noise… does")
        self.blend = choice_combo(BLEND_CHOICES)
        self.between_turns = QCheckBox("Silence each talker between its turns (the crosstalk left there)")
        self.declip = QCheckBox("Redraw clipped runs before separating (as Process ▸ Repair clipping… does)")
        self.dropouts = QCheckBox("Redraw dropouts of up to 20 ms before separating (as Process ▸ Repair the "
                                  "recording… does)")
        self.declick = QCheckBox("Redraw clicks before separating (as Edit ▸ Remove clicks does, every channel)")
        self.dereverb = QCheckBox("Dereverberate before separating (as Process ▸ Dereverberate (WPE)… does)")
        self.dereverb.setToolTip("WPE, every channel from all of them: lifts AuxIVA and ILRMA most and the shipped "
                                 "separator less, and takes longer than separating (evaluate separation --dereverb)")
        self.overwrite = QCheckBox("Replace tracks that already exist")
        self.format = choice_combo((fmt.value.upper(), fmt) for fmt in AudioFormat)
        self.format.setToolTip("OGG is Vorbis and MP3 is MPEG Layer III, both lossy; a format other than WAV is "
                               "written last, from the finished tracks")
        self.sample_format = choice_combo(((label, fmt) for fmt, label in SAMPLE_FORMAT_LABELS.items()),
                                          SampleFormat.PCM_16)
        formats = QHBoxLayout()
        formats.setContentsMargins(0, 0, 0, 0)
        formats.addWidget(self.format)
        formats.addWidget(self.sample_format, 1)

        form = QFormLayout()
        self.add_file_rows(form)
        self.separation.add_rows(form)
        form.addRow("MeCo", self.correct)
        form.addRow("", self.keep_uncorrected)
        form.addRow("Enhance with", self.enhance)
        form.addRow("Reduce noise", self.noise)
        form.addRow("Blend", self.blend)
        form.addRow("Loudness", self.loudness)
        form.addRow("Format", formats)
        form.addRow("Clipping", self.declip)
        form.addRow("Dropouts", self.dropouts)
        form.addRow("Clicks", self.declick)
        form.addRow("Reverberation", self.dereverb)
        form.addRow("Turns", self.between_turns)
        form.addRow("", self.overwrite)
        form.addRow("", self.summary)
        self.buttons, self.run_button = accept_cancel(self, "Separate")
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.buttons)
        self.separation.on_change(self._refresh)
        self.separation.on_change(self._recheck)
        self.format.currentIndexChanged.connect(self._refresh)
        self.sample_format.currentIndexChanged.connect(self._refresh)
        self.resize(620, 480)
        self._recheck()
        self._refresh()

    def remembered(self) -> Remembered:
        """The choices offered again next time, the output folder with them (the separation's own come
        from the window's last)."""
        return {"folder": self.folder, "correct": self.correct, "keep_uncorrected": self.keep_uncorrected,
                "enhance": self.enhance, "noise": self.noise, "blend": self.blend, "loudness": self.loudness,
                "declip": self.declip, "dropouts": self.dropouts, "declick": self.declick, "dereverb": self.dereverb,
                "between_turns": self.between_turns, "overwrite": self.overwrite, "format": self.format,
                "sample_format": self.sample_format}

    def request(self) -> BatchRequest:
        """What to run; ConfigError when a choice cannot work."""
        folder = self.output_folder()
        correct = self.corrector if self.correct.isChecked() else None
        student = self.enhance.currentData()
        enhance = EnhanceSettings(model=student, device=self.separate.device, chunk=self.separate.chunk) \
            if student else None
        keep = correct is not None and self.keep_uncorrected.isChecked()
        settings = BatchSettings(self.separation.choice().settings(self.separate), correct, keep, enhance,
                                 self.loudness.currentData(), self.overwrite.isChecked(),
                                 silence_between_turns=self.between_turns.isChecked(),
                                 blend_db=self.blend.currentData(), reduce_noise_db=self.noise.currentData(),
                                 declip=self.declip.isChecked(), dropouts=self.dropouts.isChecked(),
                                 declick=self.declick.isChecked(), dereverb=self.dereverb.isChecked(),
                                 format=self.format.currentData(), sample_format=self.sample_format.currentData())
        return BatchRequest(self.files.paths(), folder, settings)

    def _recheck(self) -> None:
        """Check every file against the separation chosen now (on the list's thread)."""
        try:
            settings = BatchSettings(self.separation.choice().settings(self.separate))
        except ConfigError:
            return                # the summary says why; the files keep their last check
        self.files.check_with(lambda path: check_file(path, settings))

    def _refresh(self) -> None:
        count = self.files.count()
        self.run_button.setText(f"Separate {count} recording{'s' if count != 1 else ''}")
        refused = self.files.show_facts()
        fmt = AudioFormat(self.format.currentData())
        self.sample_format.setEnabled(not fmt.lossy)
        try:
            self.separation.choice()
            ExportSettings(fmt, self.sample_format.currentData())
        except ConfigError as err:
            self.run_button.setEnabled(False)
            self.summary.setText(str(err))
            return
        self.run_button.setEnabled(count > 0 and bool(self.folder.text().strip()))
        if not count:
            self.summary.setText("Add recordings or folders to separate.")
            return
        said = [self.files_said()]
        if refused:
            said.append(f"{refused} cannot be separated as chosen (marked ⚠; hover for why): the batch goes on past "
                        "them and lists them at the end.")
        said.append(f"Each recording goes to {self.folder.text().strip() or '…'}/<name>/spk1.{fmt.value}, "
                    f"spk2.{fmt.value}.")
        self.summary.setText(" ".join(said))

