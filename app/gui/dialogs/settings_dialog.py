"""Spectrogram, output device and monitored channels in one dialog."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
)

from app.engine.combine import RecorderChannels
from app.engine.decoding import decoded_dir, decoded_usage, remove_decoded
from app.engine.errors import ConfigError, PlaybackError
from app.engine.pipeline import Task, list_models
from app.engine.pitch import MAX_CEILING_HZ, MIN_FLOOR_HZ, PitchSettings
from app.engine.playback import output_devices
from app.engine.spectrogram import Colormap, FrequencyScale, SpectrogramSettings, Window
from app.gui.dialogs.choices import choice_combo, enum_choices
from app.gui.names import channel_names, for_recorder
from app.gui.settings import Theme, compute_devices
from models.inference.chunked import ChunkConfig

FFT_SIZES = (256, 512, 1024, 2048, 4096, 8192)
TOP_FREQUENCIES = [("Half the sample rate (everything)", None), ("16 kHz", 16_000.0),
                   ("8 kHz (wideband speech)", 8_000.0), ("4 kHz (narrowband speech)", 4_000.0), ("2 kHz", 2_000.0),
                   ("1 kHz (voice pitch, hum)", 1_000.0)]


def monitor_choices(channels: int, recorders: Sequence[RecorderChannels] = ()) -> list[tuple[str, tuple[int, ...]]]:
    """Each channel alone (to both ears), then neighbouring pairs as left/right; in a recording
    combined from several recorders, each channel named for its recorder and pairs only within
    one (a stereo recorder's two channels, not one recorder's last with the next one's first)."""
    groups = [recorder.channels for recorder in recorders] or [tuple(range(channels))]
    pairs = [(for_recorder(f"Ch {g[k] + 1} + {g[k] + 2} (L/R)", g[k], recorders), (g[k], g[k] + 1))
             for g in groups for k in range(0, len(g) - 1, 2)]
    return [(name, (c,)) for c, name in enumerate(channel_names(channels, recorders))] + pairs


def monitor_key(channels: tuple[int, ...]) -> str:
    """Combo-box data for a channel choice: Qt would turn a tuple into a list, a string stays."""
    return ",".join(str(c) for c in channels)


def channels_of(key: str) -> tuple[int, ...]:
    return tuple(int(c) for c in key.split(","))


@dataclass(frozen=True)
class ComputePreferences:
    device: str = "cpu"            # "cpu" or "cuda:N"
    threads: int = 0               # torch CPU threads; 0: torch's choice
    chunk_seconds: float = ChunkConfig.seconds     # job chunk: the cancel granularity and the memory a job needs
    theme: Theme = Theme.DARK
    separator: str | None = None   # card name; None: the first installed
    corrector: str | None = None


class SettingsDialog(QDialog):
    def __init__(self, settings: SpectrogramSettings, device: str | None, monitor: tuple[int, ...],
                 channels: int, parent=None, compute: ComputePreferences = ComputePreferences(),
                 pitch: PitchSettings = PitchSettings(), recorders: Sequence[RecorderChannels] = (),
                 decoded_in_use: frozenset[Path] = frozenset()) -> None:
        """`channels`, `recorders`: the open recording's, for Listen to; `decoded_in_use`: the decoded
        copies open recordings read, which Remove keeps."""
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self._settings = settings

        self.fft = choice_combo(((str(size), size) for size in FFT_SIZES), settings.n_fft)
        self.hop = QSpinBox(minimum=1, maximum=max(FFT_SIZES), value=settings.hop, suffix=" samples")
        self.window = choice_combo(enum_choices(Window), settings.window)
        self.floor = QDoubleSpinBox(minimum=-200, maximum=20, value=settings.floor_db, suffix=" dB", decimals=0)
        self.ceiling = QDoubleSpinBox(minimum=-200, maximum=20, value=settings.ceiling_db, suffix=" dB", decimals=0)
        self.scale = choice_combo(enum_choices(FrequencyScale), settings.frequency_scale)
        self.colormap = choice_combo(enum_choices(Colormap), settings.colormap)
        self.top = choice_combo(TOP_FREQUENCIES, settings.max_frequency_hz)
        self.top.setToolTip("The highest frequency the spectrograms show: all display rows go to the band below it")
        self.pitch_floor, self.pitch_ceiling = (
            QDoubleSpinBox(minimum=MIN_FLOOR_HZ, maximum=MAX_CEILING_HZ, value=hz, suffix=" Hz", decimals=0)
            for hz in (pitch.floor_hz, pitch.ceiling_hz))
        pitch_range = QHBoxLayout()
        pitch_range.addWidget(self.pitch_floor, 1)
        pitch_range.addWidget(QLabel("to"))
        pitch_range.addWidget(self.pitch_ceiling, 1)
        self.pitch_floor.setToolTip("The F0 range View ▸ Pitch track searches: lower the floor for a deep voice, "
                                    "raise the ceiling for a child's")
        spectrogram = QGroupBox("Spectrogram")
        form = QFormLayout(spectrogram)
        form.addRow("FFT size", self.fft)
        form.addRow("Hop", self.hop)
        form.addRow("Window", self.window)
        form.addRow("Floor", self.floor)
        form.addRow("Ceiling", self.ceiling)
        form.addRow("Frequency axis", self.scale)
        form.addRow("Top frequency", self.top)
        form.addRow("Colours", self.colormap)
        form.addRow("Pitch range", pitch_range)

        self.device = QComboBox()
        self.device.addItem("System default", None)
        playback = QGroupBox("Playback")
        play_form = QFormLayout(playback)
        try:
            for dev in output_devices():
                self.device.addItem(f"{dev.name} ({dev.max_outputs} ch, {dev.default_sample_rate} Hz)", dev.name)
        except PlaybackError as err:
            play_form.addRow(QLabel(str(err), wordWrap=True))
        self.device.setCurrentIndex(max(0, self.device.findData(device)))
        self.monitor = choice_combo(((label, monitor_key(chosen))
                                     for label, chosen in monitor_choices(channels, recorders)), monitor_key(monitor))
        self.monitor.setEnabled(channels > 0)
        play_form.addRow("Output device", self.device)
        play_form.addRow("Listen to", self.monitor)

        self.compute_device = choice_combo(((label, key) for key, label in compute_devices().items()),
                                           compute.device)
        self.threads = QSpinBox(minimum=0, maximum=max(1, os.cpu_count() or 1), value=compute.threads,
                                specialValueText="automatic")
        self.chunk = QDoubleSpinBox(minimum=0.5, maximum=60.0, value=compute.chunk_seconds, suffix=" s", decimals=1)
        self.chunk.setToolTip("Longer chunks use more memory; Cancel takes effect at the end of a chunk")
        self.theme = choice_combo(((theme.value.capitalize(), theme) for theme in Theme), compute.theme)
        self.separator = _model_combo(Task.SEPARATION, compute.separator)
        self.corrector = _model_combo(Task.CORRECTION, compute.corrector)
        processing = QGroupBox("Processing and appearance")
        compute_form = QFormLayout(processing)
        compute_form.addRow("Separator", self.separator)
        compute_form.addRow("MeCo corrector", self.corrector)
        compute_form.addRow("Compute device", self.compute_device)
        compute_form.addRow("CPU threads", self.threads)
        compute_form.addRow("Chunk length", self.chunk)
        compute_form.addRow("Theme", self.theme)
        self.decoded_in_use = decoded_in_use
        self.decoded = QLabel()
        self.decoded.setToolTip(f"Phones' AAC and videos' sound, decoded once to be read, in {decoded_dir()}; "
                                "a recording whose copy is removed is decoded again when next opened")
        self.remove_decoded = QPushButton("Remove")
        self.remove_decoded.clicked.connect(self._on_remove_decoded)
        decoded_row = QHBoxLayout()
        decoded_row.addWidget(self.decoded, 1)
        decoded_row.addWidget(self.remove_decoded)
        compute_form.addRow("Decoded copies", decoded_row)
        self._show_decoded()

        self.problem = QLabel(wordWrap=True)
        self.problem.setStyleSheet("color: #ff8a80")
        self.problem.hide()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(spectrogram)
        layout.addWidget(playback)
        layout.addWidget(processing)
        layout.addWidget(self.problem)
        layout.addWidget(buttons)

    def _show_decoded(self) -> None:
        count, size = decoded_usage()
        room = f"{size / 1e9:.2f} GB" if size >= 1e9 else f"{max(size / 1e6, 0.1):.1f} MB"
        self.decoded.setText(f"{count} file{'s' if count != 1 else ''}, {room}" if count else "none")
        self.remove_decoded.setEnabled(count > len(self.decoded_in_use))

    def _on_remove_decoded(self) -> None:
        remove_decoded(set(self.decoded_in_use))
        self._show_decoded()

    def spectrogram_settings(self) -> SpectrogramSettings:
        """Raises ConfigError naming the bad field."""
        return SpectrogramSettings(
            n_fft=int(self.fft.currentData()), hop=self.hop.value(), window=self.window.currentData(),
            floor_db=self.floor.value(), ceiling_db=self.ceiling.value(),
            frequency_scale=self.scale.currentData(), colormap=self.colormap.currentData(),
            max_frequency_hz=self.top.currentData(),
        )

    def pitch_settings(self) -> PitchSettings:
        """Raises ConfigError naming the impossible range."""
        return PitchSettings(self.pitch_floor.value(), self.pitch_ceiling.value())

    def compute_preferences(self) -> ComputePreferences:
        return ComputePreferences(self.compute_device.currentData(), self.threads.value(), self.chunk.value(),
                                  Theme(self.theme.currentData()), self.separator.currentData(),
                                  self.corrector.currentData())

    def output_device(self) -> str | None:
        return self.device.currentData()

    def monitor_channels(self) -> tuple[int, ...] | None:
        chosen = self.monitor.currentData()
        return channels_of(chosen) if chosen else None

    def accept(self) -> None:
        try:
            self._settings = self.spectrogram_settings()
            self.pitch_settings()
        except ConfigError as err:
            self.problem.setText(str(err))
            self.problem.show()
            return
        super().accept()


def _model_combo(task: Task, current: str | None) -> QComboBox:
    combo = choice_combo([("First installed", None)] + [(entry.summary, entry.name) for entry in list_models(task)],
                         current)
    combo.setEnabled(combo.count() > 1)
    return combo
