"""The main window: open a recording, look at every channel, run jobs that add versions,
listen A/B between them, export them.

Errors from the engine arrive as `AppError`s and are shown once, in a non-blocking message box
(a failed job's with its details to copy); the window stays usable. Long jobs run one at a time
in `JobQueue` worker threads; the window only reacts to their signals. Playback follows the
active player, the file `Player` or the `ABPlayer` once an A/B lane is chosen
(`PlaybackController`, `ABController`). Edits of the versions go through the session, which keeps
them undoable.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from pathlib import Path

import pyqtgraph as pg
from PySide6.QtCore import QPoint, Qt, QTimer
from PySide6.QtGui import QAction, QActionGroup, QDragEnterEvent, QDropEvent, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QDockWidget,
    QFileDialog,
    QFrame,
    QLabel,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSplitter,
    QToolBar,
)

from app.engine import band_filter
from app.engine.documents import (
    ESTIMATE_KINDS,
    SESSION_SUFFIX,
    Session,
    Version,
    load_session_job,
)
from app.engine.errors import AppError, AudioFileError
from app.engine.combine import RecorderChannels, recorders_of
from app.engine.decoding import decode_job, decoded_path, needs_decoding
from app.engine.take_group import take_files
from app.engine.files import Recording, open_recording
from app.engine.jobs import Job
from app.engine.labels import LABEL_SUFFIXES
from app.engine.pipeline import Task, list_models
from app.engine.playback import (
    SPEEDS,
)
from app.engine.provenance import read_tags
from app.engine.recovery import RecoverableSession, discard
from app.engine.timecode import format_duration
from app.engine.workflow import (
    demo_references,
    difference_job,
)
from app.gui.ab_controller import ABController
from app.gui.blind_controller import BlindController
from app.gui.context_menus import ContextMenus
from app.gui.channels_controller import ChannelsController
from app.gui.combine_controller import CombineController
from app.gui.delays_controller import DelaysController
from app.gui.dialogs.about_dialog import AboutDialog
from app.gui.dialogs.error_dialog import ErrorDialog
from app.gui.dialogs.file_filters import AUDIO_FILTER
from app.gui.dialogs.history_dialog import HistoryDialog
from app.gui.dialogs.models_dialog import ModelsDialog
from app.gui.dialogs.notes_dialog import NotesDialog
from app.gui.dialogs.range_dialog import RangeDialog
from app.gui.dialogs.keyboard_dialog import KeyboardDialog
from app.gui.dialogs.record_dialog import RecordDialog
from app.gui.dialogs.settings_dialog import (
    TOP_FREQUENCIES,
    ComputePreferences,
    SettingsDialog,
)
from app.gui.dialogs.shortcuts_dialog import ShortcutsDialog
from app.gui.edits_controller import EditsController
from app.gui.export_controller import ExportController
from app.gui.labels_controller import LabelsController
from app.gui.names import display_name, distinct_names
from app.gui.pitch_controller import PitchController
from app.gui.playback_controller import PlaybackController
from app.gui.process_controller import ProcessController
from app.gui.session_keeper import SessionKeeper
from app.gui.slice_controller import SliceController
from app.gui import keyboard
from app.gui.settings import StoredSettings
from app.gui.theme import apply_preferences
from app.gui.views.axes import format_hz
from app.gui.views.selection_bar import SelectionBar
from app.gui.views.inspector_view import InspectorView
from app.gui.views.plot_style import restyle
from app.gui.views.jobs_panel import JobsPanel, progress_text
from app.gui.views.level_meter import LevelMeter
from app.gui.views.analysis_panel import AnalysisPanel
from app.gui.views.labels_panel import LabelsPanel
from app.gui.views.metrics_panel import MetricsPanel
from app.gui.views.recording_view import RecordingView
from app.gui.views.time_view_box import SCROLL_FRACTION, ZOOM_STEP
from app.gui.views.tracks_view import TracksView
from app.gui.views.versions_panel import VersionsPanel
from app.gui.workers import JobEntry, JobQueue, JobState

log = logging.getLogger(__name__)

LAYOUT_VERSION = 1            # of the stored dock layout: raise it when the docks change
NEW_WINDOW_OFFSET = 32        # pixels: a new window opens down and right of the one it came from
OTHER_WINDOWS: set[MainWindow] = set()      # windows opened with File ▸ New window
AB_LANE_KEYS = 9
DOCK_PIXELS = 380


def apply_shortcuts_everywhere(changes: dict[str, list[str]]) -> None:
    """The user changed keyboard shortcuts: every window's actions follow."""
    for widget in QApplication.topLevelWidgets():
        if isinstance(widget, MainWindow):
            keyboard.apply(widget.actions(), changes)


def refresh_models_everywhere() -> None:
    """A model was installed or removed: every window's menus and model choices follow."""
    for widget in QApplication.topLevelWidgets():
        if isinstance(widget, MainWindow):
            widget.refresh_models()


def decoded_in_use() -> frozenset[Path]:
    """The decoded copies the open windows' recordings read."""
    windows = [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow)]
    return frozenset(w.recording.decoded for w in windows if w.recording is not None and w.recording.decoded)


class MainWindow(QMainWindow):
    def __init__(self) -> None:
        super().__init__()
        self.setWindowTitle("MeCo Studio")
        self.setAcceptDrops(True)
        self.resize(1400, 900)
        self.stored = StoredSettings()
        self.recording: Recording | None = None
        self.recorders: tuple[RecorderChannels, ...] = ()       # a combined recording's, which name its channels
        self.playback = PlaybackController(self)
        self.session = Session()
        self.jobs = JobQueue(self)
        self.jobs.changed.connect(self._on_job_changed)
        self.jobs.failed.connect(self._on_job_failed)
        self._closing_after_jobs = False
        self._close_confirmed = False         # the user saved or discarded the session's changes: close
        self.sessions = SessionKeeper(self)
        self.exporter = ExportController(self)
        self.processing = ProcessController(self)
        self.error_dialog: ErrorDialog | None = None        # the latest open dialogs, for tests and re-use
        self.close_box: QMessageBox | None = None
        self.inspector: InspectorView | None = None
        self.history_dialog: HistoryDialog | None = None
        self.ab = ABController(self)
        self.view = RecordingView(self)
        self.view.set_settings(self.stored.spectrogram())
        scroller = QScrollArea(widgetResizable=True, frameShape=QFrame.Shape.NoFrame)
        scroller.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroller.setFocusPolicy(Qt.FocusPolicy.NoFocus)      # arrow keys scroll time, not the channel list
        scroller.setWidget(self.view)
        self.tracks = TracksView(self)
        self.tracks.set_settings(self.view.settings)
        self.tracks.seek_requested.connect(self.playback.seek)
        self.tracks.listen_requested.connect(self.ab.listen_to_version)
        self.tracks.drag_selected.connect(self._on_track_dragged)
        self.tracks.rows_ready.connect(self._on_track_rows_ready)
        self.pitch = PitchController(self, self.stored.pitch_settings())
        self._lanes_stale = False
        tracks_scroller = QScrollArea(widgetResizable=True, frameShape=QFrame.Shape.NoFrame)
        tracks_scroller.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        tracks_scroller.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        tracks_scroller.setWidget(self.tracks)
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.addWidget(scroller)                    # many channels: rows keep their height, the list scrolls
        self.splitter.addWidget(tracks_scroller)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.tracks_scroller = tracks_scroller
        self.setCentralWidget(self.splitter)
        self.versions_panel = VersionsPanel(self)
        self.versions_panel.rename_requested.connect(self._on_rename_requested)
        self.versions_panel.hidden_changed.connect(self.set_version_hidden)
        self.versions_panel.remove_requested.connect(self.remove_version)
        self.versions_panel.difference_requested.connect(self.add_difference)
        self.versions_panel.talker_chosen.connect(self.ab.choose_talker)
        self.versions_panel.lane_chosen.connect(self.ab.select_lane)
        self.versions_panel.mute_changed.connect(self.ab.set_muted)
        self.versions_panel.loudness_toggled.connect(self.ab.set_loudness_matched)
        self.versions_dock = QDockWidget("Versions and A/B", self)
        self.versions_dock.setObjectName("versions")
        self.versions_dock.setWidget(self.versions_panel)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.versions_dock)
        self.metrics_panel = MetricsPanel(self)
        self.metrics_dock = QDockWidget("Metrics", self)
        self.metrics_dock.setObjectName("metrics")
        self.metrics_dock.setWidget(self.metrics_panel)
        self.analysis_panel = AnalysisPanel(self)
        self.analysis_dock = QDockWidget("Analysis", self)
        self.analysis_dock.setObjectName("analysis")
        self.analysis_dock.setWidget(self.analysis_panel)
        self.slices = SliceController(self)
        self.slice_dock = QDockWidget("Spectrum", self)
        self.slice_dock.setObjectName("spectrum")
        self.slice_dock.setWidget(self.slices.panel)
        self.slice_dock.visibilityChanged.connect(lambda shown: shown and self.slices.draw())
        self.delays = DelaysController(self)
        self.combining = CombineController(self)
        self.channels = ChannelsController(self)
        self.delays_dock = QDockWidget("Delays", self)
        self.delays_dock.setObjectName("delays")
        self.delays_dock.setWidget(self.delays.panel)
        self.labels_panel = LabelsPanel(self)
        self.labels = LabelsController(self)
        self.blind = BlindController(self)
        self.edits = EditsController(self)
        self.labels_dock = QDockWidget("Labels", self)
        self.labels_dock.setObjectName("labels")
        self.labels_dock.setWidget(self.labels_panel)
        self.jobs_panel = JobsPanel(self.jobs, self)
        self.jobs_dock = QDockWidget("Jobs", self)
        self.jobs_dock.setObjectName("jobs")
        self.jobs_dock.setWidget(self.jobs_panel)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.jobs_dock)
        self.tabifyDockWidget(self.jobs_dock, self.metrics_dock)      # metrics beside the jobs that made them
        self.tabifyDockWidget(self.metrics_dock, self.analysis_dock)
        self.tabifyDockWidget(self.analysis_dock, self.slice_dock)
        self.tabifyDockWidget(self.slice_dock, self.delays_dock)
        self.tabifyDockWidget(self.delays_dock, self.labels_dock)
        self.jobs_dock.raise_()
        self.resizeDocks([self.versions_dock], [DOCK_PIXELS], Qt.Orientation.Horizontal)   # the channels get the room
        self.view.seek_requested.connect(self.playback.seek)
        self.view.channel_clicked.connect(self.playback.listen_alone)
        self.view.selection_changed.connect(self._on_selection_changed)
        self.view.cursor_info.connect(self._on_cursor_info)
        self.view.hover_time.connect(self.slices.at_cursor)
        self.tracks.hover_time.connect(self.slices.at_cursor)
        self.tracks.cursor_info.connect(self._on_cursor_info)
        self.view.render_failed.connect(self._on_render_failed)
        self.messages: list[QMessageBox] = []
        self.models_dialog: ModelsDialog | None = None

        self.cursor_label = QLabel()
        self.selection_label = QLabel()
        self.position_label = QLabel()
        self.file_label = QLabel()
        self.speed_label = QLabel()
        for label in (self.selection_label, self.position_label, self.file_label):
            label.setContentsMargins(12, 0, 4, 0)
        widest = self.position_label.fontMetrics().horizontalAdvance("0:00:00.000 / 0:00:00.000")
        self.position_label.setMinimumWidth(widest + 16)
        self.job_label = QLabel()
        self.job_bar = QProgressBar(maximumWidth=160, textVisible=True)
        self.job_cancel = QPushButton("Cancel")
        self.job_cancel.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.job_cancel.clicked.connect(self._on_job_cancel_clicked)
        self.statusBar().addWidget(self.cursor_label, 1)
        for widget in (self.job_label, self.job_bar, self.job_cancel):
            self.statusBar().addPermanentWidget(widget)
            widget.setVisible(False)
        self.level_meter = LevelMeter()
        self.statusBar().addPermanentWidget(self.level_meter)
        self.statusBar().addPermanentWidget(self.selection_label)
        self.statusBar().addPermanentWidget(self.speed_label)
        self.statusBar().addPermanentWidget(self.position_label)
        self.statusBar().addPermanentWidget(self.file_label)

        self._installed: dict[Task, bool] = {}
        self._build_actions()
        keyboard.apply(self.actions(), self.stored.shortcut_changes())
        self.context_menus = ContextMenus(self)
        self._build_menus_and_toolbar()
        self.update_edit_actions()
        self.labels.refresh()                 # what can be done with labels: nothing yet
        self.refresh_models()
        self._restore_layout()

    def _restore_layout(self) -> None:
        """Size, position, docks and the channels/tracks split as the window was last closed."""
        layout = self.stored.window_layout()
        restored = [self.restoreGeometry(layout["geometry"]) if "geometry" in layout else True,
                    self.restoreState(layout["docks"], LAYOUT_VERSION) if "docks" in layout else True,
                    self.splitter.restoreState(layout["splitter"]) if "splitter" in layout else True]
        if not all(restored):
            log.warning("part of the stored window layout could not be restored")

    def _store_layout(self) -> None:
        self.stored.set_window_layout({"geometry": self.saveGeometry(), "docks": self.saveState(LAYOUT_VERSION),
                                       "splitter": self.splitter.saveState()})

    # --- actions ----------------------------------------------------------------------------
    def _action(self, text: str, shortcuts: list[str] | QKeySequence.StandardKey, slot: Callable[[], object],
                checkable: bool = False) -> QAction:
        """A window-wide action: its shortcut works wherever the focus is in this window."""
        action = QAction(text, self, checkable=checkable)
        keys = QKeySequence.keyBindings(shortcuts) if isinstance(shortcuts, QKeySequence.StandardKey) else \
            [QKeySequence(s) for s in shortcuts]
        action.setShortcuts(keys)
        keyboard.register(action, keys)
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        action.triggered.connect(slot)
        self.addAction(action)
        return action

    def _build_actions(self) -> None:
        self.open_action = self._action("&Open…", QKeySequence.StandardKey.Open, self._on_open_triggered)
        self.new_window_action = self._action("&New window", QKeySequence.StandardKey.New, self.open_new_window)
        self.record_action = self._action("&Record…", ["Shift+R"], self.open_record)
        self.combine_action = self._action("Co&mbine recorders into one array…", [],
                                           lambda: self.combining.open_dialog())
        self.quit_action = self._action("&Quit", ["Ctrl+Q"], self.close)
        self.undo_action = self._action("&Undo", ["Ctrl+Z"], self.undo)
        self.redo_action = self._action("&Redo", ["Ctrl+Shift+Z", "Ctrl+Y"], self.redo)
        self.history_action = self._action("&History…", [], self.open_history)
        self.play_action = self._action("&Play", ["Space"], self.playback.toggle)
        self.loop_action = self._action("&Loop selection", ["L"], self.playback.apply_loop, checkable=True)
        self.edge_actions = [
            self._action(text, [key], lambda _checked=False, e=edge, a=after: self.playback.play_around_edge(e, a))
            for text, key, edge, after in (("A second up &to the selection's start", "Shift+F5", 0, False),
                                           ("A second &from the selection's start", "Shift+F6", 0, True),
                                           ("A second up to the selection's &end", "Shift+F7", 1, False),
                                           ("A second &after the selection's end", "Shift+F8", 1, True))]
        self.clear_selection_action = self._action("Clear selection", ["Esc"], lambda: self.view.set_selection(None))
        self.select_all_action = self._action("Select &all", QKeySequence.StandardKey.SelectAll, self.select_all)
        self.select_range_action = self._action("Select &range…", ["Ctrl+Shift+J"], self.open_select_range)
        self.add_label_action = self._action("Add &label", ["Ctrl+B"], self.labels.add)
        self.swap_action = self._action("S&wap two talkers over the selection", ["Ctrl+Shift+X"],
                                        lambda: self.edits.swap_talkers())
        self.swap_action.setIconText("Swap over selection")
        self.silence_action = self._action("Si&lence the selection", ["Ctrl+L"], lambda: self.edits.silence_selection())
        self.level_action = self._action("Change the le&vel of the selection…", ["Ctrl+Shift+G"],
                                         lambda: self.edits.open_change_level())
        self.fade_in_action = self._action("&Fade in the selection", [], lambda: self.edits.fade_selection(True))
        self.fade_out_action = self._action("Fade &out the selection", [], lambda: self.edits.fade_selection(False))
        self.repair_action = self._action("Re&pair the selection", [], lambda: self.edits.repair_selection())
        self.repair_action.setStatusTip("Redraw a click or a dropout of up to 20 ms in the chosen versions from the "
                                        "sound either side, as Audacity's Repair does")
        self.declick_action = self._action("Remove cl&icks", [], lambda: self.edits.remove_clicks())
        self.declick_action.setStatusTip("Find every click in the chosen versions (over the selection, or the whole) "
                                         "and redraw it from the sound around it, as RX's De-click does")
        self.dehum_action = self._action("Remove mains &hum", [], lambda: self.edits.remove_hum())
        self.dehum_action.setStatusTip("Find a 50 or 60 Hz hum in the chosen versions and notch out its lines, as RX's "
                                       "De-hum does")
        self.learn_noise_action = self._action("Learn the noise profile from the selec&tion", [],
                                               lambda: self.edits.learn_noise_profile())
        self.learn_noise_action.setStatusTip("Select a stretch where the chosen versions hold noise alone; Reduce "
                                             "noise then takes that noise out (Audacity's Get Noise Profile)")
        self.reduce_noise_action = self._action("Redu&ce noise…", ["Ctrl+Shift+N"],
                                                lambda: self.edits.open_reduce_noise())
        self.reduce_noise_action.setStatusTip("Lower the steady noise (hiss, fan, room tone) of the chosen versions, "
                                              "as Audacity's Noise Reduction and RX's Spectral De-noise do")
        self.align_action = self._action("Align with the &mixture", [], lambda: self.edits.align_with_mixture())
        self.align_action.setStatusTip("Shift the chosen versions to the mixture's timing (and polarity), found by "
                                       "GCC-PHAT: another system's late estimates")
        self.silence_turns_action = self._action("Silence each talker &between its turns", [],
                                                 lambda: self.edits.silence_between_turns())
        self.attenuate_action = self._action("Attenuate a frequency &band…", ["Ctrl+Shift+F"],
                                             lambda: self.edits.open_attenuate_band())
        self.blend_action = self._action("Blen&d with the mixture…", [], lambda: self.edits.open_blend())
        self.next_label_action = self._action("&Next label", ["Alt+Right"], lambda: self.labels.step(1))
        self.previous_label_action = self._action("&Previous label", ["Alt+Left"], lambda: self.labels.step(-1))
        self.import_labels_action = self._action("&Import labels…", [], self.labels.ask_import)
        self.export_labels_action = self._action("Export &labels…", [], self.labels.ask_export)
        self.export_image_action = self._action("Export ima&ge of the view…", [], lambda: self.exporter.ask_image())
        self.export_pitch_action = self._action("Export pitch trac&ks (CSV)…", [], lambda: self.exporter.ask_pitch())
        self.export_report_action = self._action("Export the session's re&port…", [],
                                                 lambda: self.exporter.ask_report())
        self.zoom_in_action = self._action("Zoom &in", ["+", "=", "Ctrl++"],
                                           lambda: self.view.zoom(1 / ZOOM_STEP, self._zoom_centre()))
        self.zoom_out_action = self._action("Zoom &out", ["-", "Ctrl+-"],
                                            lambda: self.view.zoom(ZOOM_STEP, self._zoom_centre()))
        self.fit_action = self._action("Show &all", ["Ctrl+0"], self.view.show_all)
        self.follow_action = self._action("&Follow playback", [], lambda: None, checkable=True)
        self.follow_action.setChecked(self.stored.follow_playback())
        self.follow_action.toggled.connect(self.stored.set_follow_playback)
        self.channels_action = self._action("&Channels shown…", [], lambda: self.channels.open_dialog())
        self.channels_action.setStatusTip("Choose which channels' rows to show; the others are folded away")
        self.pitch_action = self._action("&Pitch track", ["Shift+P"], lambda: None, checkable=True)
        self.pitch_action.setStatusTip("Draw each channel's and version's F0 (pYIN) over its spectrogram")
        self.pitch_action.setChecked(self.stored.pitch_shown())
        self.pitch.set_shown(self.pitch_action.isChecked())
        self.pitch_action.toggled.connect(self.stored.set_pitch_shown)
        self.pitch_action.toggled.connect(self.pitch.set_shown)
        self.zoom_selection_action = self._action("Zoom to &selection", ["Z"], self.zoom_to_selection)
        self.left_action = self._action("Scroll left", ["Left"], lambda: self.view.scroll(-SCROLL_FRACTION))
        self.right_action = self._action("Scroll right", ["Right"], lambda: self.view.scroll(SCROLL_FRACTION))
        self.home_action = self._action("Go to start", ["Home"], lambda: self.playback.seek(0.0, reveal=True))
        self.end_action = self._action("Go to end", ["End"], lambda: self.playback.seek(self.duration(), reveal=True))
        self.select_to_start_action = self._action("Select to start", ["Shift+Home"],
                                                   lambda: self.view.extend_selection(0.0))
        self.select_to_end_action = self._action("Select to end", ["Shift+End"],
                                                 lambda: self.view.extend_selection(self.duration()))
        self.settings_action = self._action("&Settings…", ["Ctrl+,"], self.open_settings)
        self.keyboard_action = self._action("Customize &keyboard shortcuts…", [], self.open_keyboard)
        self.shortcuts_action = self._action("&Keyboard and mouse shortcuts", ["F1"], self.show_shortcuts)
        self.about_action = self._action("&About MeCo Studio", [], self.show_about)
        self.separate_action = self._action("&Separate talkers", ["Ctrl+R"], lambda: self.processing.run_separation())
        self.separate_options_action = self._action("Separate with &options…", ["Ctrl+Alt+R"],
                                                    lambda: self.processing.open_separate_options())
        self.batch_action = self._action("&Batch separation…", ["Ctrl+Shift+B"], lambda: self.processing.open_batch())
        self.correct_action = self._action("&Correct with MeCo", ["Ctrl+M"], self.processing.run_correction)
        self.enhance_action = self._action("&Enhance with a student", ["Ctrl+Shift+E"],
                                           lambda: self.processing.run_enhancement())
        self.export_action = self._action("&Export versions…", ["Ctrl+E"], lambda: self.exporter.open())
        self.import_estimate_action = self._action("&Import talkers' estimates…", [],
                                                   self.processing.ask_import_estimate)
        self.export_audio_action = self._action("Export the recording's au&dio…", [],
                                                lambda: self.exporter.recording_audio())
        self.inspector_action = self._action("DISPatch &inspector…", ["Ctrl+I"], self.processing.open_inspector)
        self.models_action = self._action("&Models…", [], self.open_models)
        self.notes_action = self._action("Session &notes…", [], self.open_notes)
        self.evaluate_action = self._action("E&valuate versions", ["Ctrl+Shift+M"], self.processing.run_evaluation)
        self.evaluate_labels_action = self._action("Evaluate versions over each la&bel", [],
                                                   self.processing.run_label_evaluation)
        self.analyze_action = self._action("&Analyze levels and spectrum", ["Ctrl+Shift+A"],
                                           self.processing.run_analysis)
        self.delays_action = self._action("Track the dela&y between two channels", ["Ctrl+Shift+D"],
                                          lambda: self.delays.track())
        self.delays_action.setStatusTip("Where each sound comes from, over time: the delay between two microphones "
                                        "(GCC-PHAT), a line per talker, in the Delays panel")
        self.activity_action = self._action("&Label talker activity", ["Ctrl+Shift+L"], self.processing.run_activity)
        self.sounds_action = self._action("Label so&unds…", [], lambda: self.processing.open_sounds())
        self.sounds_action.setStatusTip("Label each stretch of a channel or version above a level (Audacity's Label "
                                        "Sounds): each utterance, to export or score one by one")
        self.clipping_action = self._action("Label &clipping", [], lambda: self.processing.run_clipping())
        self.clipping_action.setStatusTip("Label every stretch where a channel of the recording sits at full scale "
                                          "for three samples or more (Audacity's Find Clipping)")
        self.dropouts_action = self._action("Label &dropouts", [], lambda: self.processing.run_dropouts())
        self.dropouts_action.setStatusTip("Label every stretch where a channel of the recording drops to exact zero "
                                          "in the middle of sound: samples a USB array or a stream lost")
        self.clicks_action = self._action("Label clic&ks", [], lambda: self.processing.run_clicks())
        self.clicks_action.setStatusTip("Label every click in the recording's channels: a burst of up to 5 ms that the "
                                        "sound around it does not predict")
        self.declip_action = self._action("Repair cli&pping…", [], lambda: self.processing.repair_clipping())
        self.declip_action.setStatusTip("Write a copy of the recording with every clipped run redrawn from the "
                                        "waveform around it (RX's De-clip) and open it, to separate")
        self.restore_action = self._action("Repair t&he recording…", [], lambda: self.processing.open_repair())
        self.restore_action.setStatusTip("Find the recording's clipping, dropouts and clicks, and write a copy with "
                                         "the ones you choose repaired (RX's Repair Assistant)")
        self.batch_repair_action = self._action("Batch re&pair…", [], lambda: self.processing.open_batch_repair())
        self.batch_repair_action.setStatusTip("Repair many recordings into copies on disk (clipping, dropouts, clicks, "
                                              "reverberation, steady noise), as one job")
        self.dereverb_action = self._action("De&reverberate (WPE)…", [], lambda: self.processing.open_dereverb())
        self.dereverb_action.setStatusTip("Write a copy of the recording with its late reverberation taken out, every "
                                          "channel from all of them (WPE, the CHiME front end), and open it")
        self.label_stats_action = self._action("Label s&tatistics…", [], lambda: self.labels.open_statistics())
        self.label_stats_action.setStatusTip("Talk time, turns and overlap of each label text (each talker)")
        self.reference_action = self._action("Load clean &reference…", ["Ctrl+Shift+R"],
                                             self.processing.ask_reference)
        self.save_session_action = self._action("&Save session", QKeySequence.StandardKey.Save,
                                                lambda: self.sessions.save())
        self.save_session_as_action = self._action("Save session &as…", ["Ctrl+Shift+S"],
                                                   lambda: self.sessions.save_as())
        self.open_session_action = self._action("Open s&ession…", ["Ctrl+Shift+O"], self._on_open_session_triggered)
        self.toggle_ab_action = self._action("&Toggle the last two A/B lanes", ["T"], self.ab.toggle_last_two)
        self.loudness_action = self._action("&Match loudness", ["Shift+L"], self.ab.on_loudness_action, checkable=True)
        self.loudness_action.setChecked(True)
        self.lane_actions = [self._action(f"A/B lane {k + 1}", [str(k + 1)],
                                          lambda _=False, k=k: self.ab.select_lane(k)) for k in range(AB_LANE_KEYS)]
        self.blind_action = self._action("&Blind A/B…", ["Ctrl+Shift+H"], lambda: self.blind.start())
        self.speed_group = QActionGroup(self)
        self.speed_actions = {speed: self._action(f"{speed:g}×", [],
                                                  lambda _=False, v=speed: self.playback.set_speed(v), checkable=True)
                              for speed in SPEEDS}
        for action in self.speed_actions.values():
            self.speed_group.addAction(action)
        self.speed_actions[1.0].setChecked(True)
        self.band_removed_action = self._action("Hear the area's band &taken away", ["Shift+B"],
                                                self.playback.apply_band, checkable=True)
        self.slower_action = self._action("&Slower", ["["], lambda: self.playback.step_speed(-1))
        self.faster_action = self._action("&Faster", ["]"], lambda: self.playback.step_speed(1))
        self.top_group = QActionGroup(self)
        self.top_actions = {hz: self._action(label, [], lambda _=False, v=hz: self.set_top_frequency(v),
                                             checkable=True) for label, hz in TOP_FREQUENCIES}
        for action in self.top_actions.values():
            self.top_group.addAction(action)
        self.top_actions.get(self.view.settings.max_frequency_hz, self.top_actions[None]).setChecked(True)
        self.lower_top_action = self._action("Zoom in on &lower frequencies", ["Shift+Up"],
                                             lambda: self.step_top_frequency(1))
        self.raise_top_action = self._action("Show &higher frequencies", ["Shift+Down"],
                                             lambda: self.step_top_frequency(-1))

    def _build_menus_and_toolbar(self) -> None:
        self.selection_bar = SelectionBar(self)
        self.selection_bar.typed.connect(lambda start, stop: self.view.set_selection((start, stop)))
        file_menu = self.menuBar().addMenu("&File")
        file_menu.addAction(self.new_window_action)
        file_menu.addAction(self.open_action)
        file_menu.addAction(self.record_action)
        file_menu.addAction(self.combine_action)
        self.recent_menu = file_menu.addMenu("Open &recent")
        self.recent_menu.aboutToShow.connect(self._refresh_recent_menu)
        self._refresh_recent_menu()
        for group in ((self.open_session_action, self.save_session_action, self.save_session_as_action,
                       self.notes_action),
                      (self.import_estimate_action, self.import_labels_action, self.reference_action),
                      (self.export_action, self.export_audio_action, self.export_labels_action,
                       self.export_image_action, self.export_pitch_action, self.export_report_action),
                      (self.quit_action,)):
            file_menu.addSeparator()
            for action in group:
                file_menu.addAction(action)
        edit_menu = self.menuBar().addMenu("&Edit")
        edit_menu.addAction(self.undo_action)
        edit_menu.addAction(self.redo_action)
        edit_menu.addAction(self.history_action)
        edit_menu.addSeparator()
        for action in (self.select_all_action, self.select_range_action, self.select_to_start_action,
                       self.select_to_end_action, self.clear_selection_action,
                       self.add_label_action, self.next_label_action, self.previous_label_action):
            edit_menu.addAction(action)
        edit_menu.addSeparator()
        for group in ((self.swap_action, self.silence_action, self.level_action, self.fade_in_action,
                       self.fade_out_action, self.repair_action, self.silence_turns_action),
                      (self.attenuate_action, self.learn_noise_action, self.reduce_noise_action, self.dehum_action,
                       self.declick_action),
                      (self.align_action, self.blend_action)):
            edit_menu.addActions(list(group))
            edit_menu.addSeparator()
        self.versions_panel.add_button(self.swap_action)
        view_menu = self.menuBar().addMenu("&View")
        for action in (self.zoom_in_action, self.zoom_out_action, self.zoom_selection_action, self.fit_action):
            view_menu.addAction(action)
        view_menu.addAction(self.follow_action)
        view_menu.addAction(self.pitch_action)
        view_menu.addAction(self.channels_action)
        top_menu = view_menu.addMenu("&Top frequency")
        top_menu.addActions(list(self.top_actions.values()))
        top_menu.addSeparator()
        top_menu.addActions([self.lower_top_action, self.raise_top_action])
        view_menu.addSeparator()
        view_menu.addAction(self.settings_action)
        view_menu.addAction(self.keyboard_action)
        view_menu.addAction(self.versions_dock.toggleViewAction())
        view_menu.addAction(self.jobs_dock.toggleViewAction())
        view_menu.addAction(self.metrics_dock.toggleViewAction())
        view_menu.addAction(self.analysis_dock.toggleViewAction())
        view_menu.addAction(self.slice_dock.toggleViewAction())
        view_menu.addAction(self.delays_dock.toggleViewAction())
        view_menu.addAction(self.labels_dock.toggleViewAction())
        view_menu.addAction(self.selection_bar.toggleViewAction())
        process_menu = self.menuBar().addMenu("P&rocess")
        for action in (self.separate_action, self.separate_options_action, self.correct_action, self.enhance_action):
            process_menu.addAction(action)
        self.enhance_menu = process_menu.addMenu("Enhance with a &chosen model")
        process_menu.addAction(self.batch_action)
        process_menu.addSeparator()
        process_menu.addAction(self.evaluate_action)
        process_menu.addAction(self.evaluate_labels_action)
        process_menu.addAction(self.analyze_action)
        process_menu.addAction(self.delays_action)
        process_menu.addAction(self.activity_action)
        process_menu.addAction(self.sounds_action)
        process_menu.addAction(self.clipping_action)
        process_menu.addAction(self.dropouts_action)
        process_menu.addAction(self.clicks_action)
        process_menu.addAction(self.label_stats_action)
        process_menu.addSeparator()
        process_menu.addAction(self.restore_action)
        process_menu.addAction(self.batch_repair_action)
        process_menu.addAction(self.declip_action)
        process_menu.addAction(self.dereverb_action)
        process_menu.addSeparator()
        process_menu.addAction(self.inspector_action)
        process_menu.addAction(self.models_action)
        play_menu = self.menuBar().addMenu("&Playback")
        for action in (self.play_action, self.loop_action, self.clear_selection_action, self.home_action,
                       self.end_action, self.toggle_ab_action, self.loudness_action, self.blind_action,
                       self.band_removed_action):
            play_menu.addAction(action)
        edge_menu = play_menu.addMenu("Around the selection's e&dges")
        for action in self.edge_actions:
            edge_menu.addAction(action)
        speed_menu = play_menu.addMenu("Sp&eed (pitch kept)")
        for action in (self.slower_action, self.faster_action):
            speed_menu.addAction(action)
        speed_menu.addSeparator()
        for action in self.speed_actions.values():
            speed_menu.addAction(action)
        help_menu = self.menuBar().addMenu("&Help")
        help_menu.addAction(self.shortcuts_action)
        help_menu.addAction(self.about_action)

        toolbar = QToolBar("Transport", self)
        toolbar.setObjectName("transport")       # saveState keys each bar by its name
        toolbar.setMovable(False)
        toolbar.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        toolbar.addAction(self.open_action)
        toolbar.addAction(self.record_action)
        toolbar.addSeparator()
        toolbar.addAction(self.play_action)
        toolbar.addAction(self.loop_action)
        toolbar.addSeparator()
        toolbar.addWidget(QLabel(" Listen to "))
        self.monitor_combo = QComboBox()
        self.monitor_combo.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.monitor_combo.activated.connect(self.playback.choose_monitor)
        toolbar.addWidget(self.monitor_combo)
        toolbar.addSeparator()
        for action in (self.separate_action, self.correct_action, self.export_action):
            toolbar.addAction(action)
        toolbar.addSeparator()
        for action in (self.zoom_in_action, self.zoom_out_action, self.fit_action):
            toolbar.addAction(action)
        toolbar.addSeparator()
        toolbar.addAction(self.settings_action)
        self.addToolBar(toolbar)
        self.addToolBar(Qt.ToolBarArea.BottomToolBarArea, self.selection_bar)

    def _refresh_recent_menu(self, files: list[str] | None = None) -> None:
        """Rebuilt each time it opens, as another window may have added to the list and a file may
        have gone since (a deleted copy, an unplugged disk: listed greyed, not dropped)."""
        files = self.stored.recent_files() if files is None else files
        self.recent_menu.clear()
        for number, (path, name) in enumerate(zip(files, distinct_names([Path(f) for f in files])), start=1):
            present = Path(path).exists()
            prefix = f"&{number} " if number < 10 else ""
            action = self.recent_menu.addAction(prefix + name.replace("&", "&&") + ("" if present else " (not found)"))
            action.setToolTip(path)
            action.setStatusTip(path)
            action.setEnabled(present)
            action.triggered.connect(lambda _=False, p=path: self.open_recent(p))
        if files:
            self.recent_menu.addSeparator()
            self.recent_menu.addAction("&Clear the list", self._clear_recent)
        else:
            self.recent_menu.addAction("No recent files").setEnabled(False)

    def _clear_recent(self) -> None:
        self.stored.clear_recent_files()
        self._refresh_recent_menu([])

    def open_recent(self, path: str | Path) -> None:
        """A recent recording, or a recent session (a `.mecosession` folder) with its versions."""
        if Path(path).suffix == SESSION_SUFFIX:
            self.open_session(path)
        else:
            self.open_path(path)

    def remember_session(self, path: Path) -> None:
        """A session just saved or opened goes to the top of File ▸ Open recent."""
        self._refresh_recent_menu(self.stored.add_recent_file(path))

    # --- opening --------------------------------------------------------------------------
    def open_path(self, path: str | Path) -> bool:
        """Open a recording; on failure show one message and keep what was open. False also while
        the user is asked what to do with the open session's unsaved changes (it opens after)."""
        return self._open(path, None)

    def _open(self, path: str | Path, session: Session | None, after: Callable[[], object] | None = None) -> bool:
        """Open the recording at `path` with `session` (a new one when None), then run `after`. A
        format FFmpeg must decode (AAC, a video's sound) is decoded in a job first, unless the cache
        holds it, and opens when that job is done."""
        if needs_decoding(Path(path)) and Path(path).is_file() and not decoded_path(Path(path)).exists():
            if self.jobs.busy:
                return self._say_jobs_running()
            self.jobs.submit(f"Decode {Path(path).name}", lambda: decode_job(Path(path)),     # then open it, once
                             lambda _decoded: QTimer.singleShot(0, lambda: self._open(path, session, after)))  # ended
            return False
        try:
            recording = open_recording(path)
        except AppError as err:
            log.info("could not open %s: %s", path, err)
            self.show_error("Could not open the file", str(err))
            return False
        if self.jobs.busy:
            recording.close()
            return self._say_jobs_running()

        def show() -> None:
            self._show_recording(recording, session)
            if after is not None:
                after()

        if not self.sessions.confirm(f"opening {Path(path).name}", show, recording.close):
            return False
        show()
        return True

    def _say_jobs_running(self) -> bool:
        self.show_error("Jobs are running", "Wait for the running jobs to finish, or cancel them, before "
                        "opening another recording.", QMessageBox.Icon.Information)
        return False

    def _show_recording(self, recording: Recording, session: Session | None) -> None:
        self.playback.open(recording)
        old, self.recording = self.recording, recording
        tags = read_tags(recording.path, carried_only=False)       # a take's device, a track's models
        self.recorders = recorders_of(tags.get("comment", ""), recording.channels)
        self.view.set_recording(recording, self.recorders)
        self.selection_label.clear()             # a new recording starts without a selection
        self.selection_bar.set_duration(self.duration())
        self.tracks.link_to(self.view.time_box())
        self.ab.open(recording)
        self.pitch.open(recording)
        if old is not None:
            old.close()
        if session is None:
            session = Session(recording.path)
            session.references = demo_references(recording.path)
        self.sessions.restart()
        self.session = session
        self.channels.restore()
        self.edits.new_recording()
        self.slices.clear()
        self.delays.open(recording)
        self.refresh_models()                 # cards installed since the last file count now
        self.refresh_versions()
        self.playback.show_position(0.0)
        self.playback.fill_monitor_choices()
        self._refresh_recent_menu(self.stored.add_recent_file(recording.path))
        info = recording.info
        self.setWindowTitle(f"{display_name(recording.path)}[*] — MeCo Studio")
        self.file_label.setText(f"{display_name(recording.path)} · {info.channels} ch · "
                                f"{info.sample_rate / 1000:g} kHz · {info.subtype} · "
                                f"{format_duration(info.duration_seconds)}")
        self.file_label.setToolTip("\n".join([str(recording.path)] + [f"{k}: {v}" for k, v in tags.items()]))
        take = take_files(recording.path)
        if len(take) > 1:
            self.statusBar().showMessage(f"{recording.path.name} was recorded in one take with "
                                         f"{' and '.join(p.name for p in take[1:])}: File ▸ Combine recorders into "
                                         "one array… makes them one recording", 15_000)
        if recording.notice:
            self.show_error("The file is incomplete", recording.notice, QMessageBox.Icon.Warning)
        self.update_transport()

    def open_new_window(self) -> MainWindow:
        """Another window, for a second recording side by side: its own session, jobs and autosave."""
        window = MainWindow()
        window.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        window.move(self.pos() + QPoint(NEW_WINDOW_OFFSET, NEW_WINDOW_OFFSET))
        OTHER_WINDOWS.add(window)                   # a window without a parent lives while Python holds it
        window.destroyed.connect(lambda: OTHER_WINDOWS.discard(window))
        window.show()
        return window

    def _on_open_triggered(self) -> None:
        folder = str(self.recording.path.parent) if self.recording else ""
        path, _ = QFileDialog.getOpenFileName(self, "Open a recording", folder, AUDIO_FILTER)
        if path:
            self.open_path(path)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if any(url.isLocalFile() for url in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        """One file opens (a saved session opens as one; a label file's labels join the recording
        open); several, or a folder, go to batch separation (the dialog lists them)."""
        files = [Path(url.toLocalFile()) for url in event.mimeData().urls() if url.isLocalFile()]
        if not files:
            return
        event.acceptProposedAction()
        if len(files) == 1 and files[0].suffix == SESSION_SUFFIX:
            self.open_session(files[0])
        elif len(files) == 1 and self.recording is not None and files[0].suffix.lower() in LABEL_SUFFIXES:
            self.labels.import_file(files[0])
        elif len(files) == 1 and not files[0].is_dir():
            self.open_path(files[0])
        elif self._installed[Task.SEPARATION]:
            self.processing.open_batch(files)
        else:
            self.show_error("No separator is installed", "Several recordings dropped at once are separated in a "
                            "batch, which needs a separation card in resources/models or your models folder.")

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

    def zoom_to_selection(self) -> None:
        """Fit the selected range to the view (as Audacity's Zoom to Selection)."""
        selection = self.view.selection
        if self.recording is not None and selection is not None:
            self.view.set_visible_range(*selection)

    def _on_track_dragged(self, anchor: float, current: float, finished: bool,
                          band: tuple[float, float] | None) -> None:
        """A drag on a track selects as one on the channels does (shown on the tracks as it goes)."""
        self.view.drag_select(anchor, current, finished, band)
        if not finished:
            self.tracks.set_selection((min(anchor, current), max(anchor, current)), band and (min(band), max(band)))

    def select_all(self) -> None:
        if self.recording is not None:
            self.view.set_selection((0.0, self.duration()))

    def open_select_range(self) -> RangeDialog | None:
        """Type the selection's start and end (non-modal, so tests and users can keep the window)."""
        if self.recording is None:
            return None
        dialog = RangeDialog(self.duration(), self.view.selection, self)
        dialog.accepted.connect(lambda: self.view.set_selection(dialog.selection()))
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()
        return dialog

    def _on_selection_changed(self, selection: tuple[float, float] | None) -> None:
        band = self.view.band
        self.tracks.set_selection(selection, band)
        self.playback.apply_band()
        if band is not None:
            band_filter.warm_up()                           # its filter's library, before Space asks for it
        self.selection_bar.show_selection(selection, self.view.playhead())
        self.selection_label.setText("" if selection is None else
                                     f"Selection {format_duration(selection[0])} – {format_duration(selection[1])} "
                                     f"({format_duration(selection[1] - selection[0])})"
                                     + ("" if band is None else f", {format_hz(band[0])} – {format_hz(band[1])} Hz"))
        self.silence_action.setText("Si&lence the selected area" if band is not None else "Si&lence the selection")
        where = "" if selection is None else " (selection)"        # they process only it, as Audacity's effects do
        self.separate_action.setText(f"&Separate talkers{where}")
        self.separate_options_action.setText(f"Separate with &options…{where}")
        self.correct_action.setText(f"&Correct with MeCo{where}")
        self.enhance_action.setText(f"&Enhance with a student{where}")
        self.playback.apply_loop()
        self.update_transport()

    def update_transport(self) -> None:
        self.playback.sync()
        for action in (self.play_action, self.loop_action, self.zoom_in_action, self.zoom_out_action, self.fit_action):
            action.setEnabled(self.recording is not None)
        self.zoom_selection_action.setEnabled(self.recording is not None and self.view.selection is not None)
        self.select_all_action.setEnabled(self.recording is not None)
        self.add_label_action.setEnabled(self.recording is not None)
        self.import_labels_action.setEnabled(self.recording is not None)
        self.export_image_action.setEnabled(self.recording is not None)
        self.export_pitch_action.setEnabled(self.recording is not None)
        self.export_report_action.setEnabled(self.recording is not None)
        self.export_audio_action.setEnabled(self.recording is not None)
        self.import_estimate_action.setEnabled(self.recording is not None)
        self.select_range_action.setEnabled(self.recording is not None)
        self.channels_action.setEnabled(self.recording is not None)
        self.monitor_combo.setEnabled(self.recording is not None)
        idle = self.recording is not None
        separator = self._installed[Task.SEPARATION]
        self.separate_action.setEnabled(idle and separator)
        self.separate_options_action.setEnabled(idle)          # AuxIVA and ILRMA need no model
        self.batch_action.setEnabled(separator)
        self.separate_action.setToolTip("Separate the talkers of the open recording (Ctrl+R)" if separator else
                                        "No separator is installed: put a separation card in resources/models "
                                        "or your models folder")
        separated = [v for v in self.session.versions if v.kind in ESTIMATE_KINDS and not v.hidden]
        corrector = self._installed[Task.CORRECTION]
        self.correct_action.setEnabled(idle and bool(separated) and corrector)
        self.correct_action.setToolTip("Correct the latest estimate of each talker (separated or imported) with "
                                       "MeCo (Ctrl+M)" if corrector else
                                       "No MeCo corrector is installed: put a correction card in resources/models "
                                       "or your models folder")
        enhancers = self._installed[Task.ENHANCEMENT]
        self.enhance_action.setEnabled(idle and bool(separated) and enhancers)
        self.enhance_menu.setEnabled(idle and bool(separated) and enhancers)
        self.enhance_action.setToolTip("Enhance the latest separated talkers with a distilled student" if enhancers
                                       else "No enhancement student is installed")
        self.export_action.setEnabled(bool(self.session.versions))
        self.evaluate_action.setEnabled(bool(self.session.versions))
        self.reference_action.setEnabled(self.recording is not None)
        self.analyze_action.setEnabled(self.recording is not None)
        self.delays_action.setEnabled(self.recording is not None and self.recording.channels > 1)
        self.activity_action.setEnabled(idle and len(self.session.talkers()) > 1)
        self.clipping_action.setEnabled(self.recording is not None)
        self.declip_action.setEnabled(self.recording is not None)
        self.dereverb_action.setEnabled(self.recording is not None)
        self.restore_action.setEnabled(self.recording is not None)
        self.dropouts_action.setEnabled(self.recording is not None)
        self.clicks_action.setEnabled(self.recording is not None)
        self.sounds_action.setEnabled(self.recording is not None)
        self.swap_action.setEnabled(idle and self.view.selection is not None and len(self.session.talkers()) > 1)
        self.silence_action.setEnabled(idle and self.view.selection is not None and bool(self.session.versions))
        for action in (self.level_action, self.fade_in_action, self.fade_out_action, self.repair_action):
            action.setEnabled(self.silence_action.isEnabled())
        self.silence_turns_action.setEnabled(idle and bool(self.session.versions) and bool(self.session.labels))
        self.attenuate_action.setEnabled(idle and bool(self.session.versions))
        self.blend_action.setEnabled(idle and bool(self.session.versions))
        self.align_action.setEnabled(idle and bool(self.session.versions))
        self.dehum_action.setEnabled(idle and bool(self.session.versions))
        self.declick_action.setEnabled(idle and bool(self.session.versions))
        self.reduce_noise_action.setEnabled(idle and bool(self.session.versions))
        self.learn_noise_action.setEnabled(self.silence_action.isEnabled())
        self.blind_action.setEnabled(idle and len(self.session.versions_of(self.ab.talker)) >= 2)
        self.inspector_action.setEnabled(self.recording is not None)
        self.save_session_action.setEnabled(self.recording is not None)
        self.save_session_as_action.setEnabled(self.recording is not None)
        self.notes_action.setEnabled(self.recording is not None)
        self.toggle_ab_action.setEnabled(len(self.ab.history) >= 2)

    def update_edit_actions(self) -> None:
        """Undo and Redo say what they would do (only session edits change that)."""
        for action, verb, what in ((self.undo_action, "Undo", self.session.undo_text),
                                   (self.redo_action, "Redo", self.session.redo_text)):
            action.setEnabled(what is not None)
            action.setText(f"&{verb} {what.replace('&', '&&')}" if what else f"&{verb}")
        if self.history_dialog is not None:
            self.history_dialog.refresh()
        self.sessions.note_state()

    def _zoom_centre(self) -> float | None:
        """Keyboard zoom keeps the playhead in place when it is visible."""
        left, right = self.view.visible_range()
        head = self.view.playhead()
        return head if left <= head <= right else None

    def duration(self) -> float:
        return self.recording.frames / self.recording.sample_rate if self.recording else 0.0

    def _on_cursor_info(self, text: str) -> None:
        self.cursor_label.setText(text)

    # --- dialogs --------------------------------------------------------------------------
    def open_settings(self) -> SettingsDialog:
        compute = ComputePreferences(self.stored.compute_device(), self.stored.threads(), self.stored.chunk().seconds,
                                     self.stored.theme(), self.stored.model(Task.SEPARATION),
                                     self.stored.model(Task.CORRECTION))
        dialog = SettingsDialog(self.view.settings, self.playback.player.device, self.stored.monitor_channels(),
                                self.recording.channels if self.recording else 0, self, compute, self.pitch.settings,
                                self.recorders, decoded_in_use())
        dialog.accepted.connect(lambda: self._on_settings_accepted(dialog))
        dialog.open()
        return dialog

    def open_keyboard(self) -> KeyboardDialog:
        """View ▸ Customize keyboard shortcuts…: the changes are kept and every window takes them."""
        dialog = KeyboardDialog(keyboard.customizable(self.actions()), self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self._keep_shortcuts(dialog.changes()))
        dialog.open()
        return dialog

    def _keep_shortcuts(self, changes: dict[str, list[str]]) -> None:
        self.stored.set_shortcut_changes(changes)
        apply_shortcuts_everywhere(changes)

    def open_notes(self) -> NotesDialog:
        """File ▸ Session notes…: kept with the session (an edit to save) when the dialog says Keep."""
        dialog = NotesDialog(self.session.notes, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        session = self.session
        dialog.accepted.connect(lambda: self._keep_notes(session, dialog.text()))
        dialog.open()
        return dialog

    def _keep_notes(self, session: Session, text: str) -> None:
        if session is self.session:                  # not another file opened meanwhile
            session.set_notes(text)
            self.update_edit_actions()

    def open_models(self) -> ModelsDialog:
        """Process ▸ Models…: one dialog per window, kept, so an install finishing after it was
        closed still reports there."""
        if self.models_dialog is None:
            self.models_dialog = ModelsDialog(self.jobs.submit, self)
            self.models_dialog.changed.connect(refresh_models_everywhere)
        self.models_dialog.refresh()
        self.models_dialog.open()
        return self.models_dialog

    def set_top_frequency(self, hz: float | None) -> None:
        """View ▸ Top frequency: the spectrograms' rows all go to the band below `hz` (None: up to
        half the sample rate), the vertical zoom of Sonic Visualiser; kept as the Settings' own."""
        settings = dataclasses.replace(self.view.settings, max_frequency_hz=hz)
        self.stored.set_spectrogram(settings)
        self.view.set_settings(settings)
        self.tracks.set_settings(settings)
        self.top_actions.get(hz, self.top_actions[None]).setChecked(True)

    def step_top_frequency(self, step: int) -> None:
        """Shift+Up shows a lower band (zooms in on it), Shift+Down a higher one."""
        tops = [hz for _, hz in TOP_FREQUENCIES]           # widest first
        at = tops.index(self.view.settings.max_frequency_hz) if self.view.settings.max_frequency_hz in tops else 0
        self.set_top_frequency(tops[min(max(at + step, 0), len(tops) - 1)])

    def _on_settings_accepted(self, dialog: SettingsDialog) -> None:
        settings = dialog.spectrogram_settings()
        self.stored.set_spectrogram(settings)
        compute = dialog.compute_preferences()
        self.stored.set_compute_device(compute.device)
        self.stored.set_threads(compute.threads)
        self.stored.set_chunk_seconds(compute.chunk_seconds)
        self.stored.set_theme(compute.theme)
        self.stored.set_model(Task.SEPARATION, compute.separator)
        self.stored.set_model(Task.CORRECTION, compute.corrector)
        apply_preferences(self.stored)
        for widget in self.findChildren(pg.GraphicsView):     # plots follow the theme
            restyle(widget)
        self.view.set_labels(self.session.labels)              # their text boxes too
        self.tracks.refresh_labels()
        self.view.set_settings(settings)
        device = dialog.output_device()
        self.stored.set_output_device(device)
        self.tracks.set_settings(settings)
        self.top_actions.get(settings.max_frequency_hz, self.top_actions[None]).setChecked(True)
        self.stored.set_pitch_settings(dialog.pitch_settings())
        self.pitch.set_settings(dialog.pitch_settings())
        self.playback.set_device(device)
        monitor = dialog.monitor_channels()
        if monitor is not None:
            self.stored.set_monitor_channels(monitor)
            self.playback.show_monitor(monitor)
        self.update_transport()

    def refresh_models(self) -> None:
        """Which tasks have an installed card (read once, not on every state change: cards are files)."""
        self._installed = {task: bool(list_models(task)) for task in Task}
        self.enhance_menu.clear()
        for entry in list_models(Task.ENHANCEMENT):
            action = self.enhance_menu.addAction(entry.summary)
            action.triggered.connect(lambda _=False, name=entry.name: self.processing.run_enhancement(name))
        self.update_transport()

    # --- jobs -------------------------------------------------------------------------------------
    def add_versions_from(self, recording: Recording, versions: list[Version]) -> None:
        """Add a job's versions, unless the recording they were made from is no longer open."""
        if recording is not self.recording:       # the file changed meanwhile: not this session's
            return
        self.add_versions(versions)
        notes = dict.fromkeys(note for version in versions for note in version.settings.get("notes", []))
        if notes:
            self.statusBar().showMessage(" ".join(notes), 15_000)

    def add_versions(self, versions: list[Version]) -> None:
        """Add versions of the open recording to the session and show them."""
        self.session.add(versions)
        self.refresh_versions()

    def _on_job_changed(self, entry: JobEntry) -> None:
        current = self.jobs.current
        for widget in (self.job_label, self.job_bar, self.job_cancel):
            widget.setVisible(current is not None)
        if current is not None:
            _, eta = progress_text(current)
            self.job_label.setText(f"{current.title} · {eta or current.state}")
            self.job_bar.setValue(round(100 * current.progress.fraction) if current.progress else 0)
            self.job_cancel.setEnabled(current.state is JobState.RUNNING)
        self.update_transport()

    def _on_job_cancel_clicked(self) -> None:
        if self.jobs.current is not None:
            self.jobs.cancel(self.jobs.current)

    def _on_job_failed(self, entry: JobEntry) -> ErrorDialog:
        dialog = ErrorDialog(f"{entry.title} failed", entry.message, entry.details, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.error_dialog = dialog
        dialog.open()
        return dialog

    def _ask_to_close(self) -> QMessageBox:
        box = QMessageBox(QMessageBox.Icon.Question, "Jobs are running",
                          "Jobs are still running. Cancel them and close? Nothing half-done is kept.",
                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, self)
        box.setDefaultButton(QMessageBox.StandardButton.No)
        box.finished.connect(self._on_close_answer)
        self.close_box = box
        box.open()
        return box

    def _on_close_answer(self, answer: int) -> None:
        if answer == QMessageBox.StandardButton.Yes:
            self._closing_after_jobs = True
            self.jobs.shutdown()
            self.close()

    # --- versions and A/B --------------------------------------------------------------------------
    def refresh_versions(self) -> None:
        """Show the session's versions: tracks, the list, and the A/B lanes of the chosen talker."""
        versions = self.session.versions
        self.versions_panel.set_versions(versions)
        visible = sorted((v for v in versions if not v.hidden), key=lambda v: v.talker)   # a talker's versions together
        self.tracks.set_versions(visible)
        talkers = self.session.talkers()
        if talkers and self.ab.talker not in talkers:
            self.ab.talker = talkers[0]
        self.versions_panel.set_talkers(talkers, self.ab.talker)
        if self.tracks.rows_pending:
            self._lanes_stale = True         # loaded when the rows are built: its workers would slow them
        else:
            self.ab.reload()
        self.labels.refresh()
        self.update_edit_actions()
        self.update_transport()

    def _on_track_rows_ready(self) -> None:
        self.pitch.versions_changed()
        if self._lanes_stale:
            self._lanes_stale = False
            self.ab.reload()

    def _on_rename_requested(self, version_id: str, name: str) -> None:
        if self.session.find(version_id).name != name:
            self.session.rename(version_id, name)
            self.refresh_versions()

    def set_version_hidden(self, version_id: str, hidden: bool) -> None:
        if self.session.find(version_id).hidden != hidden:
            self.session.set_hidden(version_id, hidden)
            self.refresh_versions()

    def remove_version(self, version_id: str) -> None:
        self.session.remove(version_id)
        self.refresh_versions()

    def add_difference(self, minuend_id: str, subtrahend_id: str) -> JobEntry | None:
        """Queue a new version, one minus the other (undoable like any run's); a job, since an
        hour at 48 kHz is 170 million samples to subtract."""
        if self.recording is None:
            return None
        minuend, subtrahend, recording = self.session.find(minuend_id), self.session.find(subtrahend_id), self.recording
        return self.jobs.submit(f"Difference {minuend.name} − {subtrahend.name}",
                                lambda: difference_job(minuend, subtrahend),
                                lambda version: self.add_versions_from(recording, [version]))

    def undo(self) -> None:
        """Undo the last edit of the versions (a run's new versions, a rename, hide or removal) or labels."""
        self._step_history(self.session.undo, "Undid")

    def redo(self) -> None:
        self._step_history(self.session.redo, "Redid")

    def go_to_step(self, steps: int) -> None:
        """Undo or redo until the first `steps` edits of the history are done (Edit ▸ History…)."""
        done = len(self.session.history[0])
        backwards = steps < done
        step, verb, where = (self.session.undo, "Undid", "back to before") if backwards else \
            (self.session.redo, "Redid", "up to")
        count = abs(steps - done)

        def many() -> str | None:
            made = [step() for _ in range(count)]
            if not made or count == 1:
                return made[-1] if made else None
            return f"{count} steps, {where} “{made[-1]}”"
        self._step_history(many, verb)

    def open_history(self) -> HistoryDialog:
        """The History window (non-modal; it follows every edit while it is open)."""
        if self.history_dialog is None:
            self.history_dialog = HistoryDialog(lambda: self.session.history, self.go_to_step, self)
        self.history_dialog.refresh()
        self.history_dialog.show()
        self.history_dialog.raise_()
        return self.history_dialog

    def _step_history(self, step: Callable[[], str | None], verb: str) -> None:
        versions = self.session.versions
        what = step()
        if what is None:
            return
        if self.session.versions == versions:        # a label edit: the tracks and A/B lanes stay as they are
            self.labels.after_edit()
        else:
            self.refresh_versions()
        self.statusBar().showMessage(f"{verb} {what}", 5000)

    # --- recording ------------------------------------------------------------------------------------
    def open_record(self) -> RecordDialog:
        """File ▸ Record…: the take opens here when it ends (playback pauses meanwhile: no feedback)."""
        self.playback.pause()
        dialog = RecordDialog(self.stored.record_folder(), self.stored.input_device(), self,
                              further=self.stored.further_input_devices(), levels=self.stored.record_levels())
        dialog.finished.connect(lambda _: self._on_record_finished(dialog))
        dialog.open()
        return dialog

    def _on_record_finished(self, dialog: RecordDialog) -> None:
        self.stored.set_record_levels(dialog.monitor_box.isChecked())
        if dialog.device.currentData():
            self.stored.set_input_device(dialog.device.currentData())
            self.stored.set_further_input_devices([row.device.currentData() for row in dialog.rows[1:]])
        kept = [r for r in dialog.results if r.path is not None]
        if not kept:
            return
        self.stored.set_record_folder(kept[0].path.parent)
        several = len(dialog.results) > 1
        taken = list(zip(dialog.results, dialog.taken))
        problems = [f"{asked.path.name}: {r.problem}" if several else r.problem for r, asked in taken if r.problem]
        problems += [f"{asked.path.name}: {r.dropped_frames} frames were lost" if several else
                     f"{r.dropped_frames} frames were lost: the disk or the CPU fell behind the device"
                     for r, asked in taken if r.path is not None and r.dropped_frames]
        if several:               # a file per device, listed in File ▸ Recent; Combine makes them one recording
            for result in kept:
                self._refresh_recent_menu(self.stored.add_recent_file(result.path))
            if problems:
                self.show_error("The take is incomplete", "; ".join(problems) + ".", QMessageBox.Icon.Warning)
            if len(kept) > 1:
                self.combining.open_dialog([r.path for r in kept], suggested=dialog.base_path().with_suffix(".wav"))
            else:
                self.open_path(kept[0].path)
        elif self.jobs.busy:      # the open recording's jobs go on; the take waits in File ▸ Recent
            result = kept[0]
            self._refresh_recent_menu(self.stored.add_recent_file(result.path))
            self.show_error("The take is saved", f"{result.path} is saved; open it (File ▸ Recent) once the "
                            "running jobs finish. " + "; ".join(problems), QMessageBox.Icon.Information)
        elif self.open_path(kept[0].path) and problems:
            self.show_error("The take is incomplete", "; ".join(problems) + ".", QMessageBox.Icon.Warning)

    # --- sessions ------------------------------------------------------------------------------------
    def _on_open_session_triggered(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Open a session (.mecosession folder)")
        if path:
            self.open_session(path)

    def open_session(self, path: str | Path) -> JobEntry | None:
        """Read a saved session in a job (its versions' audio can be gigabytes), then open its
        recording with it; None, with a message, while other jobs run."""
        path = Path(path)
        return self._open_session_job(f"Open {path.name}", lambda: load_session_job(path),
                                      lambda: self.remember_session(path))

    def recover(self, found: RecoverableSession) -> JobEntry | None:
        """Open an autosave's recording and session, unsaved; its folder goes once it is open."""
        return self._open_session_job("Recover unsaved work", found.load_job, lambda: discard(found.path))

    def _open_session_job(self, title: str, make: Callable[[], Job[Session]],
                          after: Callable[[], object]) -> JobEntry | None:
        if self.jobs.busy:
            self.show_error("Jobs are running", "Wait for the running jobs to finish, or cancel them, before "
                            "opening a session.", QMessageBox.Icon.Information)
            return None

        def loaded(session: Session) -> None:
            if session.recording_path is None:
                raise AudioFileError("The session names no recording.")
            # once this job has ended: opening is refused while jobs run
            QTimer.singleShot(0, lambda: self._open(session.recording_path, session, after=after))

        return self.jobs.submit(title, make, loaded)

    def show_shortcuts(self) -> ShortcutsDialog:
        stored = self.stored.shortcut_changes()
        changed = {action.objectName(): (keyboard.shown(keyboard.default_keys(action)[:1]),
                                          keyboard.shown(stored[action.objectName()]))
                   for action in keyboard.customizable(self.actions()) if action.objectName() in stored}
        dialog = ShortcutsDialog(self, changed)
        dialog.customize_button.clicked.connect(dialog.accept)
        dialog.customize_button.clicked.connect(lambda _checked=False: self.open_keyboard())
        dialog.open()
        return dialog

    def show_about(self) -> AboutDialog:
        dialog = AboutDialog(self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    def _close_now(self) -> None:
        self._close_confirmed = True
        self.close()

    def closeEvent(self, event) -> None:
        if self.jobs.busy and not self._closing_after_jobs:
            event.ignore()
            self._ask_to_close()
            return
        if not self._close_confirmed and not self.sessions.confirm("closing", self._close_now):
            event.ignore()
            self._closing_after_jobs = False
            return
        for dialog in self.findChildren(RecordDialog):      # a take in progress is kept, the devices closed
            for path in dialog.end_with_window():
                self.stored.add_recent_file(path)
        self._store_layout()
        self.sessions.close()
        self.jobs.shutdown()
        self.tracks.close_workers()
        self.pitch.close(wait=True)
        self.ab.close(wait_for_measurements=True)
        self.playback.close()
        self.view.set_recording(None)
        if self.recording is not None:
            self.recording.close()
            self.recording = None
        self.stored.sync()
        super().closeEvent(event)
