"""File ▸ Record…: record a take from an input device (a microphone array), or from several at once
(an ad hoc array: a file each, then Combine), watching each channel's level, then open it.

The `TakeGroup` (engine) does the work in PortAudio's callbacks and its writer threads; this dialog
only polls it on a timer. Closing the dialog mid-take stops and keeps the take, as Stop does:
a take is never thrown away without Discard.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PySide6.QtCore import QStandardPaths, Qt, QTimer
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLayout,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.engine.capture import CaptureResult, CaptureSettings, InputDevice, InputMonitor, input_devices
from app.engine.errors import AppError
from app.engine.take_group import TakeGroup, device_take_paths
from app.engine.timecode import format_duration
from app.gui.views.level_meter import LevelMeter
from app.gui.views.time_box import TimeBox

RATES = (8_000, 16_000, 22_050, 32_000, 44_100, 48_000, 96_000)
FORMATS = {"FLAC, 24-bit": (".flac", "PCM_24"), "FLAC, 16-bit": (".flac", "PCM_16"),
           "WAV, 24-bit": (".wav", "PCM_24"), "WAV, 32-bit float": (".wav", "FLOAT")}
POLL_MS = 50
MONITOR_AGAIN_MS = 150     # a change of device, channels or rate reopens the monitors this long after the last
MONITORING = "Showing the input levels; nothing is recorded until Record."
METER_BAR_PIXELS = 10


def default_take_path(folder: Path, suffix: str) -> Path:
    """A new file name in `folder` that names the moment the take began."""
    stem = time.strftime("take-%Y%m%d-%H%M%S")
    path, n = folder / f"{stem}{suffix}", 2
    while path.exists():
        path, n = folder / f"{stem}-{n}{suffix}", n + 1
    return path


class DeviceRow(QWidget):
    """One input device of the take and the channels to record from it; a further device's row can
    be removed."""

    def __init__(self, devices: list[InputDevice], removable: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.devices = devices
        self.device = QComboBox()
        for dev in devices:
            self.device.addItem(f"{dev.name} ({dev.max_inputs} ch, {dev.default_sample_rate / 1000:g} kHz)", dev.name)
        self.channels = QSpinBox()
        self.channels.setSuffix(" ch")
        self.channels.setToolTip("Channels to record from this device, from its first")
        self.rate = QComboBox()
        for rate in RATES:
            self.rate.addItem(f"{rate / 1000:g} kHz", rate)
        self.rate.setToolTip("This device's sample rate: its own to start with (devices that cannot convert take "
                             "no other); Combine brings devices at different rates to one")
        self.remove = QPushButton("Remove")
        self.remove.setToolTip("Record without this device")
        policy = self.remove.sizePolicy()
        policy.setRetainSizeWhenHidden(True)       # the rows' columns line up
        self.remove.setSizePolicy(policy)
        self.remove.setVisible(removable)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.device, 1)
        row.addWidget(self.channels)
        row.addWidget(self.rate)
        row.addWidget(self.remove)
        self.device.currentIndexChanged.connect(self._device_changed)
        self._device_changed()

    def chosen(self) -> InputDevice | None:
        return next((d for d in self.devices if d.name == self.device.currentData()), None)

    def _device_changed(self) -> None:
        """The channels (up to 8 to start with) and rate follow the device's own."""
        dev = self.chosen()
        top = min(64, dev.max_inputs) if dev else 2
        self.channels.setRange(1, top)
        self.channels.setValue(min(top, 8) if dev else 2)
        if dev and (index := self.rate.findData(dev.default_sample_rate)) >= 0:
            self.rate.setCurrentIndex(index)


class RecordDialog(QDialog):
    def __init__(self, folder: Path | None = None, device: str | None = None,
                 parent: QWidget | None = None, further: Sequence[str] = (), levels: bool = True) -> None:
        """`device` first, and a row for each of the `further` devices still listed (as last time);
        `levels`: show the input levels before the take."""
        super().__init__(parent)
        self.setWindowTitle("Record")
        self.take: TakeGroup | None = None
        self.results: tuple[CaptureResult, ...] = ()
        self.taken: tuple[CaptureSettings, ...] = ()      # what each of `results` was asked for
        music = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.MusicLocation)
        self.folder = folder or Path(music or Path.home())

        try:
            self.devices, problem = input_devices(), ""
        except AppError as err:
            self.devices, problem = [], str(err)
        first = DeviceRow(self.devices, removable=False)
        self.device, self.channels, self.rate = first.device, first.channels, first.rate
        if device is not None and (index := self.device.findData(device)) >= 0:
            self.device.setCurrentIndex(index)
        self.rows: list[DeviceRow] = [first]
        self.device_rows = QVBoxLayout()
        self.device_rows.setContentsMargins(0, 0, 0, 0)
        self.device_rows.addWidget(first)
        self.add_device = QPushButton("Add a device")
        self.add_device.setToolTip("Record from another input device at the same time (a USB microphone, a "
                                   "second interface): a file each, which Combine then makes one array recording")
        self.add_device.clicked.connect(lambda _checked=False: self.add_row())
        self.device_rows.addWidget(self.add_device, 0, Qt.AlignmentFlag.AlignLeft)
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

        self.files_note = QLabel()
        self.files_note.setWordWrap(True)
        self.files_note.setVisible(False)

        form = QFormLayout()
        form.addRow("Input device", self.device_rows)
        form.addRow("Format", self.format)
        form.addRow("File", path_row)
        form.addRow("Stop after", self.limit)
        self.monitor_box = QCheckBox("Show the input levels before recording, to set the gain", checked=levels)
        form.addRow("Levels", self.monitor_box)

        self.meter = LevelMeter(numbered=True)
        self.meter.setToolTip("Peak level of each input channel (dBFS), the devices' one after another as Combine "
                              "numbers them; the figure is the highest of the last 1.5 s. A red light: a sample "
                              "reached full scale (click to reset).")
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
        layout.setSizeConstraint(QLayout.SizeConstraint.SetMinimumSize)   # grows with the rows and the messages
        layout.addLayout(form)
        layout.addWidget(self.files_note)
        layout.addWidget(self.meter)
        layout.addWidget(self.status)
        layout.addLayout(buttons)

        self.timer = QTimer(self)
        self.timer.setInterval(POLL_MS)
        self.timer.timeout.connect(self._poll)
        self.monitors: list[InputMonitor] = []
        self._monitor_again = QTimer(self, singleShot=True, interval=MONITOR_AGAIN_MS)
        self._monitor_again.timeout.connect(self._monitor)
        self.monitor_box.toggled.connect(lambda _on: self._monitor_again.start())
        self.rate.currentIndexChanged.connect(lambda _index: self._monitor_again.start())
        self.rate.currentIndexChanged.connect(self._show_files)
        self.device.currentIndexChanged.connect(self._first_device_changed)
        self.channels.valueChanged.connect(self._resize_meter)
        self.format.currentIndexChanged.connect(self._format_changed)
        self.path.textChanged.connect(self._show_files)
        self._first_device_changed()
        self._format_changed()
        for name in further:
            if name != self.device.currentData() and (index := self.device.findData(name)) >= 0:
                self.add_row().device.setCurrentIndex(index)
        self._update_controls()
        if not self.devices:
            self.status.setText(problem or "No input device was found (PortAudio lists none); connect one and "
                                "reopen this dialog.")
        self._monitor_again.start()

    @property
    def recording(self) -> bool:
        return self.take is not None

    @property
    def result(self) -> CaptureResult | None:
        """The first device's take (the only one, unless devices were added)."""
        return self.results[0] if self.results else None

    def add_row(self) -> DeviceRow:
        """A further device, at first the next one listed that no row has."""
        row = DeviceRow(self.devices, removable=True)
        taken = {r.device.currentData() for r in self.rows}
        free = next((i for i, d in enumerate(self.devices) if d.name not in taken), None)
        if free is not None:
            row.device.setCurrentIndex(free)
        row.remove.clicked.connect(lambda _checked=False: self.remove_row(row))
        row.device.currentIndexChanged.connect(self._show_files)
        row.device.currentIndexChanged.connect(lambda _index: self._monitor_again.start())
        row.channels.valueChanged.connect(self._resize_meter)
        row.rate.currentIndexChanged.connect(self._show_files)
        row.rate.currentIndexChanged.connect(lambda _index: self._monitor_again.start())
        self.rows.append(row)
        self.device_rows.insertWidget(len(self.rows) - 1, row)
        self._devices_changed()
        return row

    def remove_row(self, row: DeviceRow) -> None:
        self.rows.remove(row)
        row.setParent(None)
        row.deleteLater()
        self._devices_changed()

    def settings(self) -> CaptureSettings:
        """The take's settings for the first device, at the file named."""
        return self.all_settings()[0]

    def base_path(self) -> Path:
        """The file named: the take's with one device; with several, what each device's file is named after."""
        return Path(self.path.text()).expanduser()

    def all_settings(self) -> list[CaptureSettings]:
        """One device's settings each; with several, each device's file is named after it."""
        _, subtype = FORMATS[self.format.currentText()]
        path = self.base_path()
        devices = [r.device.currentData() for r in self.rows]
        paths = [path] if len(devices) == 1 else device_take_paths(path, devices)
        return [CaptureSettings(p, r.channels.value(), int(r.rate.currentData()), d, subtype,
                                self.limit.value() or None) for p, r, d in zip(paths, self.rows, devices)]

    def toggle(self) -> None:
        if self.recording:
            self.stop()
        else:
            self.start()

    def start(self) -> None:
        self._stop_monitors()     # a device is opened once: the take's streams replace the monitors'
        try:
            take = TakeGroup(self.all_settings())
            take.start()
        except AppError as err:
            self.status.setText(str(err))
            self._monitor_again.start()
            return
        self.take = take
        self.status.setText(f"Recording to {', '.join(str(s.path) for s in take.settings)}")
        self.meter.set_levels(None)
        self.meter.reset_clip()
        self._update_controls()
        self.timer.start()

    def stop(self) -> None:
        """End the take and keep it; the dialog closes with `results` for the window to open."""
        take, self.take = self.take, None
        self.timer.stop()
        if take is None:
            return
        self.results, self.taken = take.stop(), take.settings
        self._update_controls()
        if all(r.path is None for r in self.results):
            self.status.setText(" ".join(f"Nothing was saved: {r.problem}." for r in self.results))
            self._monitor_again.start()
            return
        self.accept()

    def discard(self) -> None:
        take, self.take = self.take, None
        self.timer.stop()
        if take is not None:
            take.cancel()
            self.status.setText("The take was discarded.")
        self._update_controls()
        self._monitor_again.start()

    def done(self, result: int) -> None:
        self._monitor_again.stop()
        self._stop_monitors()
        super().done(result)

    def end_with_window(self) -> list[Path]:
        """The window closes under the dialog: a take in progress ends and is kept, the monitors
        close; the files kept, for the recent list."""
        take, self.take = self.take, None
        self.timer.stop()
        self._monitor_again.stop()
        self._stop_monitors()
        if take is None:
            return []
        self.results, self.taken = take.stop(), take.settings
        return [r.path for r in self.results if r.path is not None]

    def reject(self) -> None:
        if self.recording:        # closing never loses a take: it stops and keeps it
            self.stop()
            return
        super().reject()

    def _monitor(self) -> None:
        """Show each device's levels while no take runs (the devices, channels and rate chosen now)."""
        self._stop_monitors()
        if self.recording or not self.monitor_box.isChecked() or not self.devices or not self.isVisible():
            if self.status.text() == MONITORING:
                self.status.clear()
            return
        try:
            for row in self.rows:
                monitor = InputMonitor(row.device.currentData(), row.channels.value(), int(row.rate.currentData()))
                monitor.start()
                self.monitors.append(monitor)
        except AppError as err:
            self._stop_monitors()
            self.status.setText(str(err))
            return
        if not self.status.text() or self.status.text() == MONITORING:
            self.status.setText(MONITORING)
        self.timer.start()

    def _stop_monitors(self) -> None:
        monitors, self.monitors = self.monitors, []
        for monitor in monitors:
            monitor.stop()
        if not self.recording:
            self.timer.stop()
            self.meter.set_levels(None)

    def _poll(self) -> None:
        take = self.take
        if take is None:
            if self.monitors:
                self.meter.set_levels(np.concatenate([m.peaks() for m in self.monitors]))
            return
        self.meter.set_levels(np.concatenate([r.peaks() for r in take.recorders]))
        lost = take.dropped_frames
        self.elapsed.setText(format_duration(take.seconds) + (f" · {lost} frames lost" if lost else ""))
        if take.ended:
            self.stop()
            return
        gone = [r for r in take.recorders if r.device_gone]
        if gone:                  # an unplugged device's file ends there; the others go on
            said = "; ".join(f"{r.settings.device} stopped delivering audio at "
                             f"{format_duration(r.frames / r.settings.sample_rate, 1)}" for r in gone)
            self.status.setText(f"{said}. The other devices go on recording; Stop keeps every file.")

    def _first_device_changed(self) -> None:
        self._show_files()
        self._resize_meter()
        self._monitor_again.start()

    def _devices_changed(self) -> None:
        self.add_device.setEnabled(len(self.rows) < len(self.devices))
        self._show_files()
        self._resize_meter()
        self._monitor_again.start()
        QTimer.singleShot(0, self.adjustSize)   # once the new row shows: room for it, or none left over

    def _show_files(self) -> None:
        """With several devices, the file names each one's take will have."""
        several = len(self.rows) > 1
        self.files_note.setVisible(several)
        if several and self.path.text():
            names = ", ".join(s.path.name for s in self.all_settings())
            rates = {s.sample_rate for s in self.all_settings()}
            also = " and brings their rates to one" if len(rates) > 1 else ""
            self.files_note.setText(f"A file each: {names}. Their clocks are not locked together; Combine opens on "
                                    f"them when the take ends, to make them one array recording{also}.")

    def _format_changed(self) -> None:
        suffix, _ = FORMATS[self.format.currentText()]
        current = self.path.text()
        self.path.setText(str(Path(current).with_suffix(suffix) if current else default_take_path(self.folder, suffix)))

    def _resize_meter(self) -> None:
        """One bar per channel of every device, as wide as the form; the monitors follow the channels."""
        channels = sum(r.channels.value() for r in self.rows)
        self.meter.setFixedSize(2 * self.meter.sizeHint().width(), METER_BAR_PIXELS * channels + 2)
        self._monitor_again.start()

    def _browse(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Record to", self.path.text(), "FLAC or WAV (*.flac *.wav)")
        if path:
            self.path.setText(path)

    def _update_controls(self) -> None:
        idle = not self.recording
        for widget in (*self.rows, self.format, self.path, self.browse, self.limit, self.monitor_box):
            widget.setEnabled(idle and bool(self.devices))
        self.add_device.setEnabled(idle and len(self.rows) < len(self.devices))
        self.record_button.setEnabled(bool(self.devices))
        self.record_button.setText("● Record" if idle else "■ Stop")
        self.discard_button.setEnabled(not idle)
        self.close_button.setVisible(idle)      # mid-take, Stop keeps the take and closes
