"""The main window: open a recording, look at every channel, listen to one or two of them.

Errors from the engine arrive as `AppError`s and are shown once, in a non-blocking message box;
the window stays usable. The playhead follows `Player.position`, polled every 30 ms.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAction, QDragEnterEvent, QDropEvent, QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFrame,
    QLabel,
    QMainWindow,
    QMessageBox,
    QScrollArea,
    QToolBar,
)

from app.engine.errors import AppError
from app.engine.files import Recording, open_recording
from app.engine.playback import Loop, Player, RecordingSource
from app.gui.dialogs.settings_dialog import (
    SettingsDialog,
    channels_of,
    monitor_choices,
    monitor_key,
)
from app.gui.dialogs.shortcuts_dialog import ShortcutsDialog
from app.gui.settings import StoredSettings
from app.gui.views.axes import format_duration
from app.gui.views.recording_view import RecordingView
from app.gui.views.time_view_box import SCROLL_FRACTION, ZOOM_STEP

log = logging.getLogger(__name__)

PLAYHEAD_POLL_MS = 30
AUDIO_FILTER = "Audio files (*.wav *.flac *.ogg *.oga *.opus *.mp3 *.aiff *.aif *.caf *.w64 *.rf64);;All files (*)"


def display_name(path: Path) -> str:
    """File name with its folder: takes are often all called mixture.flac or take1.wav."""
    return f"{path.parent.name}/{path.name}" if path.parent.name else path.name


class MainWindow(QMainWindow):
    def __init__(self) -> None:
        super().__init__()
        self.setWindowTitle("MeCo Studio")
        self.setAcceptDrops(True)
        self.resize(1400, 900)
        self.stored = StoredSettings()
        self.recording: Recording | None = None
        self.player = Player(self.stored.output_device())
        self.view = RecordingView(self)
        self.view.set_settings(self.stored.spectrogram())
        scroller = QScrollArea(widgetResizable=True, frameShape=QFrame.Shape.NoFrame)
        scroller.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroller.setFocusPolicy(Qt.FocusPolicy.NoFocus)      # arrow keys scroll time, not the channel list
        scroller.setWidget(self.view)
        self.setCentralWidget(scroller)                      # many channels: rows keep their height, the list scrolls
        self.view.seek_requested.connect(self._on_seek_requested)
        self.view.selection_changed.connect(self._on_selection_changed)
        self.view.cursor_info.connect(self._on_cursor_info)
        self.view.render_failed.connect(self._on_render_failed)
        self.messages: list[QMessageBox] = []

        self.cursor_label = QLabel()
        self.position_label = QLabel()
        self.file_label = QLabel()
        for label in (self.position_label, self.file_label):
            label.setContentsMargins(12, 0, 4, 0)
        self.statusBar().addWidget(self.cursor_label, 1)
        self.statusBar().addPermanentWidget(self.position_label)
        self.statusBar().addPermanentWidget(self.file_label)

        self._build_actions()
        self._build_menus_and_toolbar()
        self.playhead_timer = QTimer(self, interval=PLAYHEAD_POLL_MS)
        self.playhead_timer.timeout.connect(self._on_playhead_tick)
        self._update_transport()

    # --- actions ----------------------------------------------------------------------------
    def _action(self, text: str, shortcuts: list[str] | QKeySequence.StandardKey, slot: Callable[[], object],
                checkable: bool = False) -> QAction:
        """A window-wide action: its shortcut works wherever the focus is in this window."""
        action = QAction(text, self, checkable=checkable)
        if isinstance(shortcuts, QKeySequence.StandardKey):
            action.setShortcut(shortcuts)
        else:
            action.setShortcuts([QKeySequence(s) for s in shortcuts])
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        action.triggered.connect(slot)
        self.addAction(action)
        return action

    def _build_actions(self) -> None:
        self.open_action = self._action("&Open…", QKeySequence.StandardKey.Open, self._on_open_triggered)
        self.quit_action = self._action("&Quit", ["Ctrl+Q"], self.close)
        self.play_action = self._action("&Play", ["Space"], self.toggle_playback)
        self.loop_action = self._action("&Loop selection", ["L"], self._on_loop_toggled, checkable=True)
        self.clear_selection_action = self._action("Clear selection", ["Esc"], lambda: self.view.set_selection(None))
        self.zoom_in_action = self._action("Zoom &in", ["+", "=", "Ctrl++"], lambda: self.view.zoom(1 / ZOOM_STEP, self._zoom_centre()))
        self.zoom_out_action = self._action("Zoom &out", ["-", "Ctrl+-"], lambda: self.view.zoom(ZOOM_STEP, self._zoom_centre()))
        self.fit_action = self._action("Show &all", ["Ctrl+0"], self.view.show_all)
        self.left_action = self._action("Scroll left", ["Left"], lambda: self.view.scroll(-SCROLL_FRACTION))
        self.right_action = self._action("Scroll right", ["Right"], lambda: self.view.scroll(SCROLL_FRACTION))
        self.home_action = self._action("Go to start", ["Home"], lambda: self.seek_seconds(0.0, reveal=True))
        self.end_action = self._action("Go to end", ["End"], lambda: self.seek_seconds(self._duration(), reveal=True))
        self.settings_action = self._action("&Settings…", ["Ctrl+,"], self.open_settings)
        self.shortcuts_action = self._action("&Keyboard and mouse shortcuts", ["F1"], self.show_shortcuts)

    def _build_menus_and_toolbar(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        file_menu.addAction(self.open_action)
        self.recent_menu = file_menu.addMenu("Open &recent")
        self._refresh_recent_menu(self.stored.recent_files())
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)
        view_menu = self.menuBar().addMenu("&View")
        for action in (self.zoom_in_action, self.zoom_out_action, self.fit_action):
            view_menu.addAction(action)
        view_menu.addSeparator()
        view_menu.addAction(self.settings_action)
        play_menu = self.menuBar().addMenu("&Playback")
        for action in (self.play_action, self.loop_action, self.clear_selection_action, self.home_action, self.end_action):
            play_menu.addAction(action)
        help_menu = self.menuBar().addMenu("&Help")
        help_menu.addAction(self.shortcuts_action)

        toolbar = QToolBar("Transport", self)
        toolbar.setMovable(False)
        toolbar.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        toolbar.addAction(self.open_action)
        toolbar.addSeparator()
        toolbar.addAction(self.play_action)
        toolbar.addAction(self.loop_action)
        toolbar.addSeparator()
        toolbar.addWidget(QLabel(" Listen to "))
        self.monitor_combo = QComboBox()
        self.monitor_combo.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.monitor_combo.activated.connect(self._on_monitor_chosen)
        toolbar.addWidget(self.monitor_combo)
        toolbar.addSeparator()
        for action in (self.zoom_in_action, self.zoom_out_action, self.fit_action):
            toolbar.addAction(action)
        toolbar.addSeparator()
        toolbar.addAction(self.settings_action)
        self.addToolBar(toolbar)

    def _refresh_recent_menu(self, files: list[str]) -> None:
        self.recent_menu.clear()
        for path in files:
            action = self.recent_menu.addAction(display_name(Path(path)))
            action.setToolTip(path)
            action.setStatusTip(path)
            action.triggered.connect(lambda _=False, p=path: self.open_path(p))
        self.recent_menu.setEnabled(bool(files))

    # --- opening --------------------------------------------------------------------------
    def open_path(self, path: str | Path) -> bool:
        """Open a recording; on failure show one message and keep what was open."""
        try:
            recording = open_recording(path)
        except AppError as err:
            log.info("could not open %s: %s", path, err)
            self.show_error("Could not open the file", str(err))
            return False
        self.player.load(RecordingSource(recording, (0,)))
        old, self.recording = self.recording, recording
        self.view.set_recording(recording)
        if old is not None:
            old.close()
        self._fill_monitor_combo()
        self._refresh_recent_menu(self.stored.add_recent_file(recording.path))
        info = recording.info
        self.setWindowTitle(f"{display_name(recording.path)} — MeCo Studio")
        self.file_label.setText(f"{display_name(recording.path)} · {info.channels} ch · {info.sample_rate / 1000:g} kHz · "
                                f"{info.subtype} · {format_duration(info.duration_seconds)}")
        if recording.notice:
            self.show_error("The file is incomplete", recording.notice, QMessageBox.Icon.Warning)
        self._update_transport()
        return True

    def _on_open_triggered(self) -> None:
        folder = str(self.recording.path.parent) if self.recording else ""
        path, _ = QFileDialog.getOpenFileName(self, "Open a recording", folder, AUDIO_FILTER)
        if path:
            self.open_path(path)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if any(url.isLocalFile() for url in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        files = [url.toLocalFile() for url in event.mimeData().urls() if url.isLocalFile()]
        if files:
            event.acceptProposedAction()
            self.open_path(files[0])

    def show_error(self, title: str, text: str, icon: QMessageBox.Icon = QMessageBox.Icon.Critical) -> QMessageBox:
        """Non-blocking message box: the window keeps running behind it."""
        box = QMessageBox(icon, title, text, QMessageBox.StandardButton.Ok, self)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.finished.connect(lambda _=0, b=box: self.messages.remove(b) if b in self.messages else None)
        self.messages.append(box)
        box.open()
        return box

    def _on_render_failed(self, message: str) -> None:
        self.show_error("Could not read the file", message)

    # --- playback -------------------------------------------------------------------------
    def _fill_monitor_combo(self) -> None:
        self.monitor_combo.clear()
        channels = self.recording.channels if self.recording else 0
        for label, chosen in monitor_choices(channels):
            self.monitor_combo.addItem(label, monitor_key(chosen))
        index = self.monitor_combo.findData(monitor_key(self.stored.monitor_channels()))
        self.monitor_combo.setCurrentIndex(max(0, index))
        if self.monitor_combo.count():
            self._apply_monitor(channels_of(self.monitor_combo.currentData()))

    def _on_monitor_chosen(self, index: int) -> None:
        chosen = channels_of(self.monitor_combo.itemData(index))
        self.stored.set_monitor_channels(chosen)
        self._apply_monitor(chosen)

    def _apply_monitor(self, channels: tuple[int, ...]) -> None:
        if self.recording is None:
            return
        try:
            self.player.set_source(RecordingSource(self.recording, channels))
        except AppError as err:
            self.show_error("Cannot listen to these channels", str(err))

    def toggle_playback(self) -> None:
        if self.recording is None:
            return
        try:
            was_playing = self.player.is_playing
            self.player.toggle()
            if was_playing:
                self._report_dropouts()
        except AppError as err:
            log.warning("playback failed: %s", err)
            self.show_error("Cannot play", str(err))
        if self.player.notice:
            self.statusBar().showMessage(self.player.notice, 10_000)
        self._update_transport()

    def _report_dropouts(self) -> None:
        """Dropouts mean the disk or CPU could not keep up; say so rather than hide it."""
        if self.player.underflows:
            self.statusBar().showMessage(f"{self.player.underflows} audio dropouts while playing: the disk "
                                         "or CPU could not keep up.", 10_000)

    def seek_seconds(self, seconds: float, reveal: bool = False) -> None:
        if self.recording is None:
            return
        seconds = min(max(seconds, 0.0), self._duration())
        self.player.seek(round(seconds * self.recording.sample_rate))
        self.view.set_playhead(seconds)
        self._show_position(seconds)
        if reveal:
            self._reveal(seconds)

    def _on_seek_requested(self, seconds: float) -> None:
        self.seek_seconds(seconds)

    def _on_selection_changed(self, selection: tuple[float, float] | None) -> None:
        self._apply_loop()

    def _on_loop_toggled(self) -> None:
        self._apply_loop()

    def _apply_loop(self) -> None:
        if self.recording is None:
            return
        selection = self.view.selection
        rate = self.recording.sample_rate
        if self.loop_action.isChecked() and selection is not None:
            self.player.set_loop(Loop(round(selection[0] * rate), round(selection[1] * rate)))
        else:
            self.player.set_loop(None)

    def _on_playhead_tick(self) -> None:
        if self.recording is None:
            return
        if self.player.error is not None:
            error, self.player.error = self.player.error, None
            self.player.pause()
            self.show_error("Playback stopped", str(error))
        if self.player.finished:
            self.player.pause()
            self._report_dropouts()
        seconds = self.player.position / self.recording.sample_rate
        self.view.set_playhead(seconds)
        self._show_position(seconds)
        if self.player.is_playing:
            left, right = self.view.visible_range()
            if not left <= seconds <= right:                  # page along with the playhead
                self.view.set_visible_range(seconds, seconds + (right - left))
        self._update_transport()

    def _update_transport(self) -> None:
        playing = self.player.is_playing
        self.play_action.setText("&Pause" if playing else "&Play")
        if playing and not self.playhead_timer.isActive():
            self.playhead_timer.start()
        elif not playing and self.playhead_timer.isActive():
            self.playhead_timer.stop()
        for action in (self.play_action, self.loop_action, self.zoom_in_action, self.zoom_out_action, self.fit_action):
            action.setEnabled(self.recording is not None)
        self.monitor_combo.setEnabled(self.recording is not None)

    def _show_position(self, seconds: float) -> None:
        self.position_label.setText(f"{format_duration(seconds)} / {format_duration(self._duration())}")

    def _reveal(self, seconds: float) -> None:
        left, right = self.view.visible_range()
        if not left <= seconds <= right:
            half = (right - left) / 2
            self.view.set_visible_range(seconds - half, seconds + half)

    def _zoom_centre(self) -> float | None:
        """Keyboard zoom keeps the playhead in place when it is visible."""
        left, right = self.view.visible_range()
        head = self.view.playhead()
        return head if left <= head <= right else None

    def _duration(self) -> float:
        return self.recording.frames / self.recording.sample_rate if self.recording else 0.0

    def _on_cursor_info(self, text: str) -> None:
        self.cursor_label.setText(text)

    # --- dialogs --------------------------------------------------------------------------
    def open_settings(self) -> SettingsDialog:
        dialog = SettingsDialog(self.view.settings, self.player.device, self.stored.monitor_channels(),
                                self.recording.channels if self.recording else 0, self)
        dialog.accepted.connect(lambda: self._on_settings_accepted(dialog))
        dialog.open()
        return dialog

    def _on_settings_accepted(self, dialog: SettingsDialog) -> None:
        settings = dialog.spectrogram_settings()
        self.stored.set_spectrogram(settings)
        self.view.set_settings(settings)
        device = dialog.output_device()
        self.stored.set_output_device(device)
        if device != self.player.device:
            try:
                self.player.set_device(device)
            except AppError as err:
                self.show_error("Cannot play on this device", str(err))
        monitor = dialog.monitor_channels()
        if monitor is not None:
            self.stored.set_monitor_channels(monitor)
            self.monitor_combo.setCurrentIndex(max(0, self.monitor_combo.findData(monitor_key(monitor))))
            self._apply_monitor(monitor)
        self._update_transport()

    def show_shortcuts(self) -> ShortcutsDialog:
        dialog = ShortcutsDialog(self)
        dialog.open()
        return dialog

    def closeEvent(self, event) -> None:
        self.playhead_timer.stop()
        self.player.close()
        self.view.set_recording(None)
        if self.recording is not None:
            self.recording.close()
            self.recording = None
        self.stored.sync()
        super().closeEvent(event)
