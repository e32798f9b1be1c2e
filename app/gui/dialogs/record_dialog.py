"""File ▸ Record…: record a take from an input device (a microphone array), watching each channel's
level, then open it.

The `Recorder` (engine) does the work in PortAudio's callback and its writer thread; this dialog
only polls it on a timer. Closing the dialog mid-take stops and keeps the take, as Stop does:
a take is never thrown away without Discard.
"""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import QStandardPaths, QTimer
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.engine.capture import CaptureResult, CaptureSettings, Recorder, input_devices
from app.engine.errors import AppError
from app.engine.timecode import format_duration
from app.gui.views.level_meter import LevelMeter
from app.gui.views.time_box import TimeBox

RATES = (8_000, 16_000, 22_050, 32_000, 44_100, 48_000, 96_000)
FORMATS = {"FLAC, 24-bit": (".flac", "PCM_24"), "FLAC, 16-bit": (".flac", "PCM_16"),
           "WAV, 24-bit": (".wav", "PCM_24"), "WAV, 32-bit float": (".wav", "FLOAT")}
POLL_MS = 50
METER_BAR_PIXELS = 10


def default_take_path(folder: Path, suffix: str) -> Path:
    """A new file name in `folder` that names the moment the take began."""
    stem = time.strftime("take-%Y%m%d-%H%M%S")
    path, n = folder / f"{stem}{suffix}", 2
    while path.exists():
        path, n = folder / f"{stem}-{n}{suffix}", n + 1
    return path


class RecordDialog(QDialog):
    def __init__(self, folder: Path | None = None, device: str | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Record")
        self.recorder: Recorder | None = None
        self.result: CaptureResult | None = None
        music = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.MusicLocation)
        self.folder = folder or Path(music or Path.home())

        self.device = QComboBox()
        try:
            self.devices, problem = input_devices(), ""
        except AppError as err:
            self.devices, problem = [], str(err)
        for dev in self.devices:
            self.device.addItem(f"{dev.name} ({dev.max_inputs} ch, {dev.default_sample_rate / 1000:g} kHz)", dev.name)
        if device is not None and (index := self.device.findData(device)) >= 0:
            self.device.setCurrentIndex(index)
        self.channels = QSpinBox()
        self.rate = QComboBox()
        for rate in RATES:
            self.rate.addItem(f"{rate / 1000:g} kHz", rate)
        self.format = QComboBox()
        self.format.addItems(list(FORMATS))
        self.path = QLineEdit()
        self.browse = QPushButton("Browse…")
        self.browse.clicked.connect(self._browse)
        path_row = QHBoxLayout()
        path_row.addWidget(self.path, 1)
        path_row.addWidget(self.browse)
        self.limit = TimeBox(0.0, 24 * 3600, decimals=0, step=60)
        self.limit.setSpecialValueText("no limit")
        self.limit.setToolTip("Stop the take by itself after this long")

        form = QFormLayout()
        form.addRow("Input device", self.device)
        form.addRow("Channels", self.channels)
        form.addRow("Sample rate", self.rate)
        form.addRow("Format", self.format)
        form.addRow("File", path_row)
        form.addRow("Stop after", self.limit)

        self.meter = LevelMeter(numbered=True)
        self.meter.setToolTip("Peak level of each input channel (dBFS); the figure is the highest of the last "
                              "1.5 s. A red light: a sample reached full scale (click to reset).")
        self.elapsed = QLabel()
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.record_button = QPushButton("● Record")
        self.record_button.setDefault(True)
        self.record_button.clicked.connect(self.toggle)
        self.discard_button = QPushButton("Discard")
        self.discard_button.setToolTip("Stop and delete this take")
        self.discard_button.clicked.connect(self.discard)
        self.close_button = QPushButton("Close")
        self.close_button.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addWidget(self.elapsed, 1)
        buttons.addWidget(self.discard_button)
        buttons.addWidget(self.record_button)
        buttons.addWidget(self.close_button)

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.meter)
        layout.addWidget(self.status)
        layout.addLayout(buttons)

        self.timer = QTimer(self)
        self.timer.setInterval(POLL_MS)
        self.timer.timeout.connect(self._poll)
        self.device.currentIndexChanged.connect(self._device_changed)
        self.channels.valueChanged.connect(self._resize_meter)
        self.format.currentIndexChanged.connect(self._format_changed)
        self._device_changed()
        self._format_changed()
        self._update_controls()
        if not self.devices:
            self.status.setText(problem or "No input device was found (PortAudio lists none); connect one and "
                                "reopen this dialog.")

    @property
    def recording(self) -> bool:
        return self.recorder is not None

    def settings(self) -> CaptureSettings:
        suffix, subtype = FORMATS[self.format.currentText()]
        return CaptureSettings(Path(self.path.text()).expanduser(), self.channels.value(), int(self.rate.currentData()),
                               self.device.currentData(), subtype, self.limit.value() or None)

    def toggle(self) -> None:
        if self.recording:
            self.stop()
        else:
            self.start()

    def start(self) -> None:
        try:
            recorder = Recorder(self.settings())
            recorder.start()
        except AppError as err:
            self.status.setText(str(err))
            return
        self.recorder = recorder
        self.status.setText(f"Recording to {recorder.settings.path}")
        self.meter.set_levels(None)
        self.meter.reset_clip()
        self._update_controls()
        self.timer.start()

    def stop(self) -> None:
        """End the take and keep it; the dialog closes with `result` for the window to open."""
        recorder, self.recorder = self.recorder, None
        self.timer.stop()
        if recorder is None:
            return
        self.result = recorder.stop()
        self._update_controls()
        if self.result.path is None:
            self.status.setText(f"Nothing was saved: {self.result.problem}.")
            return
        self.accept()

    def discard(self) -> None:
        recorder, self.recorder = self.recorder, None
        self.timer.stop()
        if recorder is not None:
            recorder.cancel()
            self.status.setText("The take was discarded.")
        self._update_controls()

    def reject(self) -> None:
        if self.recording:        # closing never loses a take: it stops and keeps it
            self.stop()
            return
        super().reject()

    def _poll(self) -> None:
        recorder = self.recorder
        if recorder is None:
            return
        self.meter.set_levels(recorder.peaks())
        seconds = recorder.frames / recorder.settings.sample_rate
        lost = recorder.dropped_frames
        self.elapsed.setText(format_duration(seconds) + (f" · {lost} frames lost" if lost else ""))
        if recorder.ended:
            self.stop()

    def _device_changed(self) -> None:
        dev = next((d for d in self.devices if d.name == self.device.currentData()), None)
        top = min(64, dev.max_inputs) if dev else 2
        self.channels.setRange(1, top)
        self.channels.setValue(min(top, 8) if dev else 2)
        if dev and (index := self.rate.findData(dev.default_sample_rate)) >= 0:
            self.rate.setCurrentIndex(index)
        self._resize_meter()

    def _format_changed(self) -> None:
        suffix, _ = FORMATS[self.format.currentText()]
        current = self.path.text()
        self.path.setText(str(Path(current).with_suffix(suffix) if current else default_take_path(self.folder, suffix)))

    def _resize_meter(self) -> None:
        """One bar per channel, as wide as the form."""
        self.meter.setFixedSize(2 * self.meter.sizeHint().width(), METER_BAR_PIXELS * self.channels.value() + 2)

    def _browse(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Record to", self.path.text(), "FLAC or WAV (*.flac *.wav)")
        if path:
            self.path.setText(path)

    def _update_controls(self) -> None:
        idle = not self.recording
        for widget in (self.device, self.channels, self.rate, self.format, self.path, self.browse, self.limit):
            widget.setEnabled(idle and bool(self.devices))
        self.record_button.setEnabled(bool(self.devices))
        self.record_button.setText("● Record" if idle else "■ Stop")
        self.discard_button.setEnabled(not idle)
        self.close_button.setVisible(idle)      # mid-take, Stop keeps the take and closes
