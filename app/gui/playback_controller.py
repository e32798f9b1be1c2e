"""Playback in the main window: the file player (the channels chosen under "Listen to") and the A/B
player, one of them active; Space plays the selection from its start, L loops it, Shift+F5 to F8
play a second before or after its edges, a spectral area plays its band alone, speed changes keep
the pitch, Home/End and clicks seek. The playhead, the position and the level meter follow the
active player, polled every 30 ms; the audio callback itself only copies buffers
(`app.engine.playback`)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QTimer

from app.engine.errors import AppError, PlaybackError
from app.engine.files import ArraySource, Recording
from app.engine.playback import SPEEDS, ABPlayer, Loop, Player, RecordingSource
from app.engine.timecode import format_duration
from app.gui.dialogs.settings_dialog import channels_of, monitor_choices, monitor_key

if TYPE_CHECKING:
    from app.gui.main_window import MainWindow

log = logging.getLogger(__name__)

PLAYHEAD_POLL_MS = 30
EDGE_SECONDS = 1.0          # heard before or after a selection's edge (Audacity's default)


class PlaybackController:
    def __init__(self, window: MainWindow) -> None:
        self.window = window
        self.player = Player(window.stored.output_device())
        self.ab_player = ABPlayer(window.stored.output_device())
        self.ab_active = False                # True once an A/B lane was chosen; "Listen to" goes back
        self._edge_play = False               # playing around an edge: the selection's stop comes back after
        self.timer = QTimer(window, interval=PLAYHEAD_POLL_MS)
        self.timer.timeout.connect(self._on_tick)
        self.preview_player = Player(window.stored.output_device())   # a dialog's preview, outside the session
        self._preview_ended: Callable[[], None] | None = None
        self._preview_timer = QTimer(window, interval=PLAYHEAD_POLL_MS)
        self._preview_timer.timeout.connect(self._on_preview_tick)

    def open(self, recording: Recording) -> None:
        """A newly opened recording plays its first channel on the file player until the channels
        to listen to are chosen."""
        self.player.load(RecordingSource(recording, (0,)))
        self.window.level_meter.reset_clip()
        self.ab_player.pause()
        self.ab_active = False

    def pause(self) -> None:
        self.player.pause()
        self.ab_player.pause()
        self.stop_preview()

    def close(self) -> None:
        self.timer.stop()
        self.stop_preview()
        self.player.close()
        self.ab_player.close()

    def set_device(self, device: str | None) -> None:
        if device == self.player.device:
            return
        self.stop_preview()
        self.preview_player.device = device
        try:
            self.player.set_device(device)
            self.ab_player.pause()
            self.ab_player.device = device
        except AppError as err:
            self.window.show_error("Cannot play on this device", str(err))

    # --- a dialog's preview ----------------------------------------------------------------------
    @property
    def previewing(self) -> bool:
        return self.preview_player.is_playing

    def play_preview(self, audio: np.ndarray, sample_rate: int, ended: Callable[[], None]) -> None:
        """Play `audio` (what a dialog's settings would make: not part of the session) once, on its
        own player, the session's paused first; `ended` is called when it stops, however it stops."""
        self.stop_preview()
        self.player.pause()
        self.ab_player.pause()
        self.window.update_transport()
        self.preview_player.load(RecordingSource(ArraySource(np.asarray(audio)[None], sample_rate, "preview"), (0,)))
        try:
            self.preview_player.play()
        except AppError as err:
            ended()
            self.window.show_error("Cannot play the preview", str(err))
            return
        self._preview_ended = ended
        self._preview_timer.start()

    def stop_preview(self) -> None:
        self.preview_player.pause()
        self._preview_timer.stop()
        ended, self._preview_ended = self._preview_ended, None
        if ended is not None:
            ended()

    def _on_preview_tick(self) -> None:
        player = self.preview_player
        if player.error is not None:
            error, player.error = player.error, None
            self.stop_preview()
            self.window.show_error("The preview stopped", str(error))
        elif player.finished:
            self.stop_preview()

    # --- the channels the file player plays ----------------------------------------------------
    def fill_monitor_choices(self) -> None:
        window = self.window
        combo = window.monitor_combo
        combo.clear()
        for label, chosen in monitor_choices(window.recording.channels if window.recording else 0, window.recorders):
            combo.addItem(label, monitor_key(chosen))
        combo.setCurrentIndex(max(0, combo.findData(monitor_key(window.stored.monitor_channels()))))
        if combo.count():
            self.listen_to_channels(channels_of(combo.currentData()))

    def choose_monitor(self, index: int) -> None:
        chosen = channels_of(self.window.monitor_combo.itemData(index))
        self.window.stored.set_monitor_channels(chosen)
        self.listen_to_channels(chosen)

    def listen_alone(self, channel: int) -> None:
        """A click on a channel's number: "Listen to" that channel alone, remembered as a choice there is."""
        self.window.stored.set_monitor_channels((channel,))
        self.show_monitor((channel,))
        self.window.statusBar().showMessage(f"Listening to {self.window.monitor_combo.currentText()} alone", 5_000)

    def show_monitor(self, channels: tuple[int, ...]) -> None:
        """The toolbar's "Listen to" shows `channels`, and the file player plays them."""
        combo = self.window.monitor_combo
        combo.setCurrentIndex(max(0, combo.findData(monitor_key(channels))))
        self.listen_to_channels(channels)

    def listen_to_channels(self, channels: tuple[int, ...]) -> None:
        window = self.window
        if window.recording is None:
            return
        try:
            self.player.set_source(RecordingSource(window.recording, channels))
        except AppError as err:
            window.show_error("Cannot listen to these channels", str(err))
            return
        if self.ab_active:
            self.switch_player(ab=False)

    # --- which player plays ----------------------------------------------------------------------
    @property
    def active_player(self) -> Player | ABPlayer:
        return self.ab_player if self.ab_active else self.player

    def switch_player(self, ab: bool) -> None:
        """Hand over between the file player and the A/B player at the same position."""
        window = self.window
        old, new = self.active_player, (self.ab_player if ab else self.player)
        if old is new:
            return
        playing, position = old.is_playing, old.position
        old.pause()
        self.ab_active = ab
        new.seek(position)
        if playing:
            try:
                new.play()
            except AppError as err:
                window.show_error("Cannot play", str(err))
        window.tracks.set_active(window.ab.lane_version_id(self.ab_player.current) if ab else None)
        window.versions_panel.set_current_lane(self.ab_player.current if ab else -1)
        window.update_transport()

    def toggle(self) -> None:
        window = self.window
        if window.recording is None:
            return
        self.stop_preview()
        self._end_edge_play()
        try:
            player = self.active_player
            was_playing = player.is_playing
            selection = window.view.selection
            if not was_playing and selection is not None and not window.loop_action.isChecked():
                start, stop = (round(t * window.recording.sample_rate) for t in selection)
                if not start <= player.position < stop:
                    self.seek(selection[0])     # play the selection from its start
            player.toggle()
            if was_playing:
                self._report_dropouts()
        except AppError as err:
            log.warning("playback failed: %s", err)
            window.show_error("Cannot play", str(err))
        if self.active_player.notice:
            window.statusBar().showMessage(self.active_player.notice, 10_000)
        window.update_transport()

    def play_around_edge(self, edge: int, after: bool) -> None:
        """`EDGE_SECONDS` before or after the selection's start (edge 0) or end (edge 1), or the
        playhead without one, then stop, as Audacity's Play to / after selection start / end:
        whether a swap, a silenced span or a cut joins what is around it, heard without
        reselecting. The selection's own playing and looping come back afterwards."""
        window = self.window
        if window.recording is None:
            return
        selection = window.view.selection
        at = window.view.playhead() if selection is None else selection[edge]
        start, stop = (at, at + EDGE_SECONDS) if after else (at - EDGE_SECONDS, at)
        start, stop = max(start, 0.0), min(stop, window.duration())
        if stop <= start:
            return
        player = self.active_player
        player.pause()
        self.stop_preview()
        rate = window.recording.sample_rate
        for each in (self.player, self.ab_player):
            each.set_loop(None)
            each.set_stop(round(stop * rate))
        self._edge_play = True
        self.seek(start)
        try:
            player.play()
        except AppError as err:
            self._end_edge_play()
            window.show_error("Cannot play", str(err))
        window.update_transport()

    def _end_edge_play(self) -> None:
        if self._edge_play:
            self._edge_play = False
            self.apply_loop()

    def _report_dropouts(self) -> None:
        """Dropouts mean the disk or CPU could not keep up; say so rather than hide it."""
        if self.active_player.underflows:
            self.window.statusBar().showMessage(f"{self.active_player.underflows} audio dropouts while playing: the "
                                                "disk or CPU could not keep up.", 10_000)

    # --- where and what it plays -------------------------------------------------------------------
    def seek(self, seconds: float, reveal: bool = False) -> None:
        window = self.window
        if window.recording is None:
            return
        seconds = min(max(seconds, 0.0), window.duration())
        for player in (self.player, self.ab_player):
            player.seek(round(seconds * window.recording.sample_rate))
        window.view.set_playhead(seconds)
        window.tracks.set_playhead(seconds)
        self.show_position(seconds)
        if reveal:
            self._reveal(seconds)

    def show_position(self, seconds: float) -> None:
        window = self.window
        window.position_label.setText(f"{format_duration(seconds)} / {format_duration(window.duration())}")
        window.delays.panel.set_playhead(seconds)

    def _reveal(self, seconds: float) -> None:
        view = self.window.view
        left, right = view.visible_range()
        if not left <= seconds <= right:
            half = (right - left) / 2
            view.set_visible_range(seconds - half, seconds + half)

    def _page_to(self, seconds: float) -> None:
        """Follow playback a page at a time, as Sonic Visualiser's page mode does: once the playhead
        leaves the view, the next page starts at it (the view is read, not scrolled, between)."""
        view = self.window.view
        left, right = view.visible_range()
        if not left <= seconds < right and right - left < self.window.duration():
            view.set_visible_range(seconds, seconds + right - left)

    def apply_band(self) -> None:
        """While an area is selected, playback and A/B play its band alone, as RX plays a spectral
        selection (or, with Playback ▸ Hear the area's band taken away, all but the band)."""
        window = self.window
        for player in (self.player, self.ab_player):
            player.set_band(window.view.band, keep=not window.band_removed_action.isChecked())

    def apply_loop(self) -> None:
        window = self.window
        if window.recording is None:
            return
        selection = window.view.selection
        rate = window.recording.sample_rate
        loop = None
        if window.loop_action.isChecked() and selection is not None:
            loop = Loop(round(selection[0] * rate), round(selection[1] * rate))
        stop = round(selection[1] * rate) if selection is not None and loop is None else None
        for player in (self.player, self.ab_player):
            player.set_loop(loop)
            player.set_stop(stop)            # a selection plays once, then stops (as in Audacity)

    def set_speed(self, speed: float) -> None:
        """Play (the channels and A/B alike) at `speed` times real time, at the same pitch: slower to
        transcribe, faster to skim. Playing goes on from where it is."""
        window = self.window
        try:
            for player in (self.player, self.ab_player):
                player.set_speed(speed)
        except PlaybackError as err:
            window.show_error("Cannot play", str(err))
        window.speed_actions[speed].setChecked(True)
        window.speed_label.setText("" if speed == 1.0 else f"{speed:g}×")
        window.speed_label.setToolTip(f"Playing at {speed:g}× speed, pitch kept (Playback ▸ Speed; [ and ])")
        window.update_transport()

    def step_speed(self, step: int) -> None:
        """The next slower (−1) or faster (+1) of the offered speeds."""
        at = SPEEDS.index(self.player.speed) if self.player.speed in SPEEDS else SPEEDS.index(1.0)
        self.set_speed(SPEEDS[min(max(at + step, 0), len(SPEEDS) - 1)])

    # --- following the active player -----------------------------------------------------------------
    def _on_tick(self) -> None:
        window = self.window
        if window.recording is None:
            return
        player = self.active_player
        if player.error is not None:
            error, player.error = player.error, None
            player.pause()
            window.show_error("Playback stopped", str(error))
        if player.finished:
            player.pause()
            self._report_dropouts()
            self._end_edge_play()
        seconds = player.position / window.recording.sample_rate
        window.view.set_playhead(seconds)
        window.tracks.set_playhead(seconds)
        if player.is_playing and window.follow_action.isChecked():
            self._page_to(seconds)
        self.show_position(seconds)
        window.slices.at_playhead(seconds)
        window.level_meter.set_levels(player.level())
        window.update_transport()

    def sync(self) -> None:
        """Play or Pause on the button; the playhead polled only while playing."""
        playing = self.active_player.is_playing
        self.window.play_action.setText("&Pause" if playing else "&Play")
        if playing and not self.timer.isActive():
            self.timer.start()
        elif not playing and self.timer.isActive():
            self.timer.stop()
            self.window.level_meter.set_levels(None)
