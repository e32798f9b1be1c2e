"""Export versions: format, sample format, rate, loudness target, name template, peak handling
(each purpose's usual choice of them set at once by a preset),
target folder, and the range: whole versions, only the selection, the range versions of a
selection were made from (what they hold: the default then, rather than files of silence around
it), or one file per label (Audacity's Export Multiple), e.g. each utterance of each talker for
a transcription or ASR set.

The dialog only collects an `ExportRequest`; the window runs the export as a job (temporary
files renamed at the end; nothing left on cancel) and asks before overwriting.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.engine.documents import Version
from app.engine.errors import ConfigError, ExportError
from app.engine.export import (
    PRESETS,
    AudioFormat,
    ExportPreset,
    ExportSettings,
    PeakPolicy,
    SampleFormat,
    check_rate,
    export_paths,
    peak_warnings,
)
from app.engine.labels import Label
from app.engine.timecode import format_duration
from app.engine.workflow import version_span
from app.gui.dialogs.buttons import accept_cancel
from app.gui.dialogs.choices import choice_combo
from app.gui.dialogs.folder_row import folder_row
from app.gui.settings import ExportChoices

MODEL_RATE = 16_000      # the shipped models' rate
SAMPLE_FORMAT_LABELS = {SampleFormat.PCM_16: "PCM 16-bit", SampleFormat.PCM_24: "PCM 24-bit",
                        SampleFormat.FLOAT: "32-bit float"}
PEAK_LABELS = {PeakPolicy.LIMIT: "Limit (soft knee above −1 dBFS)", PeakPolicy.NORMALIZE: "Normalise to −1 dBFS",
               PeakPolicy.CLIP: "Clip at full scale", PeakPolicy.NONE: "Keep (float only)"}
LOUDNESS_CHOICES = [("Keep each file's level", None), ("−14 LUFS (streaming)", -14.0),
                    ("−16 LUFS (podcasts)", -16.0), ("−23 LUFS (EBU R128 broadcast)", -23.0),
                    ("−24 LUFS (ATSC A/85)", -24.0)]


CUSTOM = "Custom"


@dataclass(frozen=True)
class ExportRequest:
    versions: list[Version]
    folder: Path
    template: str
    settings: ExportSettings
    sample_rate: int | None          # None: each version's own rate
    span: tuple[float, float] | None = None    # seconds; None: whole versions
    labels: list[Label] | None = None          # one file per version and label (`span` is then None)
    multichannel: bool = False                 # one file, a channel per version


WHOLE, SELECTION, MADE_OVER, EACH_LABEL = "whole", "selection", "made-over", "labels"


def preset_key(name: str) -> str:
    """Where a preset of yours named `name` is stored: letters, digits and dashes."""
    return "-".join("".join(c if c.isalnum() else " " for c in name.lower()).split()) or "preset"


class ExportDialog(QDialog):
    preset_saved = Signal(object)        # an ExportPreset the user named
    preset_deleted = Signal(str)         # the key of one of theirs they deleted

    def __init__(self, versions: list[Version], recording: str, source_rate: int, folder: Path,
                 parent: QWidget | None = None, selection: tuple[float, float] | None = None,
                 labels: list[Label] | None = None, remembered: ExportChoices = ExportChoices(),
                 user_presets: list[ExportPreset] | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export versions")
        self.recording = recording
        self.all_versions = versions
        self.list = QListWidget()
        for version in versions:
            item = QListWidgetItem(version.name)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Unchecked if version.hidden else Qt.CheckState.Checked)
            self.list.addItem(item)
        self.list.setMaximumHeight(110)
        self.list.itemChanged.connect(self._refresh)
        self.folder = QLineEdit(str(remembered.folder or folder))
        folder_field = folder_row(self, self.folder, "Export into")
        self.format = choice_combo((fmt.value.upper(), fmt) for fmt in AudioFormat)
        self.sample_format = choice_combo((label, fmt) for fmt, label in SAMPLE_FORMAT_LABELS.items())
        rates = [(f"Source rate ({source_rate / 1000:g} kHz)", source_rate)]
        if source_rate != MODEL_RATE:
            rates.append((f"Model rate ({MODEL_RATE / 1000:g} kHz)", MODEL_RATE))
        self.rate = choice_combo(rates)
        self.peak = choice_combo((label, policy) for policy, label in PEAK_LABELS.items())
        self.loudness = choice_combo(LOUDNESS_CHOICES)
        self.loudness.setToolTip("Measure each file's integrated loudness (BS.1770) and scale it to this target; "
                                 "the peak handling then acts on the scaled audio")
        self.selection = selection
        self.made_over = version_span(versions)      # versions processed from a selection: that span
        self.labels = [label for label in labels or [] if label.stop > label.start]
        self.range = choice_combo([
            ("Whole versions", WHOLE),
            ("Only the selection" + (f" ({format_duration(selection[0])} – {format_duration(selection[1])})"
                                     if selection else " (drag over the spectrogram first)"), SELECTION),
            (f"The range they were made from ({format_duration(self.made_over[0])} – "
             f"{format_duration(self.made_over[1])})" if self.made_over else
             "The range they were made from (versions of a selection)", MADE_OVER),
            (f"Each label: {len(self.labels)} file(s) per version" if self.labels else
             "Each label (label a selection with Ctrl+B first)", EACH_LABEL)],
            MADE_OVER if self.made_over and selection is None else WHOLE)
        model = self.range.model()
        model.item(self.range.findData(SELECTION)).setEnabled(selection is not None)
        model.item(self.range.findData(MADE_OVER)).setEnabled(self.made_over is not None)
        model.item(self.range.findData(EACH_LABEL)).setEnabled(bool(self.labels))
        self.range.currentIndexChanged.connect(self._refresh)
        self.template = QLineEdit(remembered.template)
        self.template.setToolTip("Fields: {recording} {talker} {kind} {name} {model}; each label also {label} "
                                 "and {n} (otherwise _{n}_{label} is added)")
        self.preview = QLabel(wordWrap=True)
        self.warning = QLabel(wordWrap=True)
        self.warning.setStyleSheet("color: #ffb454")
        for widget in (self.format, self.sample_format, self.rate, self.peak, self.loudness):
            widget.currentIndexChanged.connect(self._refresh)
        self.template.textChanged.connect(self._refresh)
        self.folder.textChanged.connect(self._refresh)
        self.multichannel = QCheckBox("One file, a channel per version")
        self.multichannel.setToolTip("The ticked versions as the channels of one file, in list order (per label "
                                     "with Each label), as ELAN and Praat show a conversation's talkers")
        self.multichannel.setChecked(remembered.multichannel)
        self.multichannel.toggled.connect(self._refresh)
        self.source_rate = source_rate
        self.presets = list(PRESETS) + list(user_presets or [])
        self.preset = QComboBox()
        self.preset.setToolTip("A purpose's usual format, samples, rate, loudness and peaks, set at once (yours "
                               "after the built-in ones); changing any of them makes the choice Custom")
        self._fill_presets()
        self.preset.activated.connect(lambda _: self.apply_preset(self.preset.currentData()))
        self.save_preset_button = QPushButton("Save as preset…")
        self.save_preset_button.setToolTip("Keep these format, samples, rate, loudness and peaks under a name")
        self.save_preset_button.clicked.connect(self._ask_preset_name)
        self.delete_preset_button = QPushButton("Delete")
        self.delete_preset_button.setToolTip("Forget the preset you saved that is chosen")
        self.delete_preset_button.clicked.connect(self._delete_chosen_preset)
        preset_row = QHBoxLayout()
        preset_row.addWidget(self.preset, 1)
        preset_row.addWidget(self.save_preset_button)
        preset_row.addWidget(self.delete_preset_button)

        form = QFormLayout()
        form.addRow("Preset", preset_row)
        form.addRow("Versions", self.list)
        form.addRow("Folder", folder_field)
        form.addRow("Format", self.format)
        form.addRow("Samples", self.sample_format)
        form.addRow("Rate", self.rate)
        form.addRow("Loudness", self.loudness)
        form.addRow("Peaks", self.peak)
        form.addRow("Range", self.range)
        form.addRow("Channels", self.multichannel)
        form.addRow("File names", self.template)
        form.addRow("", self.preview)
        self.buttons, self.export_button = accept_cancel(self, "Export")
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.warning)
        layout.addWidget(self.buttons)
        self.resize(560, 420)
        chosen = remembered.settings
        self.set_choice(chosen.format, chosen.sample_format, chosen.peak)
        self.set_loudness(chosen.loudness_lufs)
        self._refresh()

    def _fill_presets(self) -> None:
        self.preset.clear()
        self.preset.addItem(CUSTOM, None)
        for k, preset in enumerate(self.presets):
            self.preset.addItem(preset.name + (" (yours)" if k >= len(PRESETS) else ""), k)

    def apply_preset(self, index: int | None) -> None:
        """Set the fields to preset `index` of `presets` (None: Custom, nothing changes)."""
        if index is None:
            return
        preset = self.presets[index]
        self.format.setCurrentIndex(self.format.findData(preset.format))
        self.sample_format.setCurrentIndex(self.sample_format.findData(preset.sample_format))
        self.set_loudness(preset.loudness_lufs)
        self.rate.setCurrentIndex(max(0, self.rate.findData(MODEL_RATE if preset.model_rate else self.source_rate)))
        self.peak.setCurrentIndex(self.peak.findData(preset.peak))
        self._refresh()

    def current_preset(self, name: str) -> ExportPreset:
        """The fields as a preset named `name`."""
        fmt, sample_format, peak = self._choice()
        return ExportPreset(preset_key(name), name, fmt, sample_format,
                            self.rate.currentData() == MODEL_RATE != self.source_rate,
                            self.loudness.currentData(), peak)

    def _ask_preset_name(self) -> None:
        name, ok = QInputDialog.getText(self, "Save as preset", "Name of the preset:")
        name = " ".join(name.split())
        if ok and name:
            self.save_preset(name)

    def save_preset(self, name: str) -> ExportPreset:
        """Keep the fields as a preset of yours named `name` (replacing one of that name), chosen; the
        window stores it (`preset_saved`)."""
        preset = self.current_preset(name)
        self.presets = [p for p in self.presets if p.key != preset.key or p in PRESETS] + [preset]
        self._fill_presets()
        self._refresh()
        self.preset_saved.emit(preset)
        return preset

    def _delete_chosen_preset(self) -> None:
        index = self.preset.currentData()
        if index is None or index < len(PRESETS):
            return
        preset = self.presets.pop(index)
        self._fill_presets()
        self._refresh()
        self.preset_deleted.emit(preset.key)

    def _matching_preset(self) -> int | None:
        """The preset the fields now hold, if any (the built-in one first)."""
        fmt, sample_format, peak = self._choice()
        for k, preset in enumerate(self.presets):
            if (preset.format is fmt and (fmt.lossy or preset.sample_format is sample_format)
                    and preset.peak is peak and preset.loudness_lufs == self.loudness.currentData()
                    and (MODEL_RATE if preset.model_rate else self.source_rate) == self.rate.currentData()):
                return k
        return None

    def chosen_versions(self) -> list[Version]:
        return [v for i, v in enumerate(self.all_versions)
                if self.list.item(i).checkState() == Qt.CheckState.Checked]

    def set_choice(self, fmt: AudioFormat, sample_format: SampleFormat, peak: PeakPolicy) -> None:
        self.format.setCurrentIndex(self.format.findData(fmt))
        self.sample_format.setCurrentIndex(self.sample_format.findData(sample_format))
        self.peak.setCurrentIndex(self.peak.findData(peak))

    def _choice(self) -> tuple[AudioFormat, SampleFormat, PeakPolicy]:
        """The combos' values as enums (Qt hands StrEnum item data back as plain str)."""
        return (AudioFormat(self.format.currentData()), SampleFormat(self.sample_format.currentData()),
                PeakPolicy(self.peak.currentData()))

    def set_loudness(self, target_lufs: float | None) -> None:
        """Pick a preset target; one that is not a preset keeps the level."""
        self.loudness.setCurrentIndex(max(0, self.loudness.findData(target_lufs)))

    def _settings(self) -> ExportSettings:
        loudness = self.loudness.currentData()
        return ExportSettings(*self._choice(), loudness_lufs=None if loudness is None else float(loudness))

    def choices(self) -> ExportChoices:
        """What to offer next time: these settings, template and folder."""
        return ExportChoices(self._settings(), self.template.text(), Path(self.folder.text()).expanduser(),
                             self.multichannel.isChecked())

    def tick_only(self, version_id: str) -> None:
        """Tick the one version `version_id` ("Export this version…" on a track)."""
        for row, version in enumerate(self.all_versions):
            self.list.item(row).setCheckState(Qt.CheckState.Checked if version.id == version_id
                                              else Qt.CheckState.Unchecked)

    def request(self) -> ExportRequest:
        """What to export; ConfigError when the choice cannot work."""
        versions = self.chosen_versions()
        if not versions:
            raise ConfigError("Tick at least one version to export.")
        settings = self._settings()
        rate = self.rate.currentData()
        folder = Path(self.folder.text()).expanduser()
        scope = self.range.currentData()
        labels = self.labels if scope == EACH_LABEL else None
        multichannel = self.multichannel.isChecked()
        export_paths(versions, folder, self.template.text(), self.recording, settings, labels, multichannel)
        rates = {v.sample_rate for v in versions}
        if multichannel and rate is None and len(rates) > 1:
            raise ConfigError(f"The versions are at {', '.join(f'{r / 1000:g} kHz' for r in sorted(rates))}; one "
                              "file needs one rate: export at the model rate.")
        return ExportRequest(versions, folder, self.template.text(), settings,
                             None if rate is None else int(rate),
                             {SELECTION: self.selection, MADE_OVER: self.made_over}.get(scope), labels, multichannel)

    def _refresh(self) -> None:
        fmt = AudioFormat(self.format.currentData())
        model = self.sample_format.model()
        float_item = model.item(self.sample_format.findData(SampleFormat.FLOAT))
        float_item.setEnabled(fmt is AudioFormat.WAV)
        if fmt is not AudioFormat.WAV and self.sample_format.currentData() == SampleFormat.FLOAT:
            self.sample_format.setCurrentIndex(self.sample_format.findData(SampleFormat.PCM_24))
        self.sample_format.setEnabled(not fmt.lossy)
        self.sample_format.setToolTip(f"{fmt.value.upper()} is lossy and has no sample format" if fmt.lossy else
                                      "FLAC stores integers only" if fmt is AudioFormat.FLAC else "")
        none_item = self.peak.model().item(self.peak.findData(PeakPolicy.NONE))
        float_out = self.sample_format.currentData() == SampleFormat.FLOAT and fmt is AudioFormat.WAV
        none_item.setEnabled(float_out)
        if not float_out and self.peak.currentData() == PeakPolicy.NONE:
            self.peak.setCurrentIndex(self.peak.findData(PeakPolicy.LIMIT))
        versions = self.chosen_versions()
        problems = peak_warnings(versions)
        try:
            request = self.request()
            paths = export_paths(request.versions, request.folder, request.template, self.recording, request.settings,
                                 request.labels, request.multichannel)
            for version in request.versions:
                check_rate(request.settings, request.sample_rate or version.sample_rate, version.name)
            self.preview.setText("<small>" + "<br>".join(p.name for p in paths[:4])
                                 + ("<br>…" if len(paths) > 4 else "") + "</small>")
            taken = [p.name for p in paths if p.exists()]
            if taken:
                problems.append(f"{', '.join(taken)} already exist(s); you will be asked before overwriting.")
            self.export_button.setEnabled(True)
        except (ConfigError, ExportError) as err:
            self.preview.setText(f"<small>{err}</small>")
            self.export_button.setEnabled(False)
        policy = PEAK_LABELS[PeakPolicy(self.peak.currentData())].split(' (')[0].lower()
        if self.loudness.currentData() is not None:
            problems.append(f"Each file is scaled to {self.loudness.currentText().split(' (')[0]}; where that takes "
                            f"peaks above 0 dBFS, {policy} will be applied.")
        elif any("peaks" in p for p in problems):
            problems.append(f"Peaks above 0 dBFS: {policy} will be applied.")
        self.warning.setText("\n".join(problems))
        self.preset.setCurrentIndex(max(0, self.preset.findData(self._matching_preset())))
        chosen = self.preset.currentData()
        self.delete_preset_button.setEnabled(chosen is not None and chosen >= len(PRESETS))

