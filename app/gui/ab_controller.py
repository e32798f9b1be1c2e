"""A/B listening in the main window: the lanes of the chosen talker (the mixture's reference
channel, then the talker's visible versions), which lane plays, T between the last two, mutes and
loudness matching. The lanes' audio is read and measured in the background (`LaneAudio`, one per
recording); the window's `ABPlayer` crossfades between lanes at the same position, and the window
hands playback over between it and the file player."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtWidgets import QMessageBox

from app.engine.files import Recording
from app.gui.lane_audio import LaneAudio, LaneKey

if TYPE_CHECKING:
    from app.gui.main_window import MainWindow


class ABController:
    def __init__(self, window: MainWindow) -> None:
        self.window = window
        self.talker = 0
        self.history: list[int] = []          # lanes chosen, latest last: T toggles the last two
        self.lane_audio: LaneAudio | None = None

    def open(self, recording: Recording) -> None:
        """Lanes for a newly opened recording; the last one's background work stops first."""
        self.close()
        self.lane_audio = LaneAudio(recording)
        self.lane_audio.mixture_arrived.connect(self.reload)
        self.lane_audio.lane_arrived.connect(self.reload)
        self.lane_audio.mixture_failed.connect(lambda message: self.window.show_error(
            "A/B plays silence for the mixture", message, QMessageBox.Icon.Warning))
        self.lane_audio.loudness_measured.connect(self._on_loudness_measured)
        self.history = []

    def close(self, wait_for_measurements: bool = False) -> None:
        if self.lane_audio is not None:
            self.lane_audio.close(wait_for_measurements=wait_for_measurements)

    def talker_lanes(self) -> list[tuple[str, LaneKey]]:
        """(name, version id) per lane of the A/B talker: the mixture's reference channel, then the
        talker's visible versions."""
        return [("Mixture · ch 1", None)] + [(v.name, v.id) for v in self.window.session.versions_of(self.talker)]

    def lanes(self) -> list[tuple[str, LaneKey]]:
        """The lanes as A/B plays them: the talker's, or during a blind trial its shuffled letters."""
        return self.window.blind.arrange(self.talker_lanes())

    def version_id(self) -> str | None:
        """The version A/B plays (or would resume), None for the mixture or when A/B is off."""
        window = self.window
        return self.lane_version_id(window.playback.ab_player.current) if window.playback.ab_active else None

    def lane_version_id(self, lane: int) -> str | None:
        lanes = self.lanes()
        return lanes[lane][1] if 0 <= lane < len(lanes) else None

    def reload(self) -> None:
        """Load the lanes as they now are into the A/B player (versions, talker or trial changed)."""
        window = self.window
        if window.recording is None or self.lane_audio is None:
            return
        rate, source, player = window.recording.sample_rate, self.lane_audio, window.playback.ab_player
        if window.blind.check_lanes([key for _, key in self.talker_lanes()]):
            return                           # the trial ended, and the lanes were reloaded as they are
        lanes = self.lanes()
        if len(lanes) == 1:                  # nothing to compare yet: the mixture is not read
            player.load([], np.zeros((0, 0), np.float32), rate, [])
            window.versions_panel.set_lanes([], -1, [])
            if window.playback.ab_active:
                window.playback.switch_player(ab=False)
            return
        audio = [source.mixture()] + [source.version(window.session.find(key)) for _, key in lanes[1:]]
        keys = [key for _, key in lanes]
        known = [source.loudness(key) for key in keys]
        peaks = [source.peak(key) for key in keys]
        complete = all(value is not None for value in known + peaks)
        player.load([name for name, _ in lanes], audio, rate, known if complete else None,
                    peaks if complete else None)
        if not complete:
            source.measure_loudness(keys, audio)
        self.history = [lane for lane in self.history if lane < len(lanes)]
        current = player.current if window.playback.ab_active else -1
        window.versions_panel.set_lanes([name for name, _ in lanes], current, [False] * len(lanes))
        self.show_gains()
        if window.playback.ab_active and not window.blind.active:
            window.tracks.set_active(self.lane_version_id(player.current))

    @property
    def mixture_ready(self) -> bool:
        return self.lane_audio is not None and self.lane_audio.mixture_ready

    @property
    def loudness_ready(self) -> bool:
        return self.lane_audio is not None and \
            all(self.lane_audio.loudness(key) is not None for _, key in self.lanes())

    def _on_loudness_measured(self, keys: list[LaneKey]) -> None:
        if keys == [key for _, key in self.lanes()] and self.loudness_ready:
            self.window.playback.ab_player.set_loudness([self.lane_audio.loudness(key) for key in keys],
                                               [self.lane_audio.peak(key) for key in keys])
            self.show_gains()

    def select_lane(self, lane: int) -> None:
        """Listen to A/B lane `lane` (0: the mixture) from the same position, crossfaded; during a
        blind trial no track lights up to say which version it is."""
        window = self.window
        if window.recording is None or not 0 <= lane < len(window.playback.ab_player.names):
            return
        window.playback.ab_player.select(lane)
        if not self.history or self.history[-1] != lane:
            self.history = (self.history + [lane])[-2:]
        window.playback.switch_player(ab=True)
        if not window.blind.active:
            window.tracks.set_active(self.lane_version_id(lane))
            self._reveal_track(self.lane_version_id(lane))
        window.versions_panel.set_current_lane(lane)
        window.statusBar().showMessage(f"A/B: {window.playback.ab_player.names[lane]}", 3000)
        window.update_transport()

    def listen_to_version(self, version_id: str) -> None:
        """A/B to this version (a double-click on its track), switching to its talker's lanes first;
        not during a blind trial (it would name what plays)."""
        window = self.window
        if window.blind.active:
            window.statusBar().showMessage("Blind A/B: pick the versions by letter (keys 2, 3, …).", 5000)
            return
        version = window.session.find(version_id)
        if version.talker != self.talker:
            window.versions_panel.set_talkers(window.session.talkers(), version.talker)
            self.choose_talker(version.talker)
        keys = [key for _, key in self.lanes()]
        if version_id in keys:
            self.select_lane(keys.index(version_id))

    def _reveal_track(self, version_id: str | None) -> None:
        """Scroll the tracks so the one A/B plays is in view."""
        span = self.window.tracks.row_span(version_id)
        if span is not None:
            top, bottom = span
            self.window.tracks_scroller.ensureVisible(0, (top + bottom) // 2, 0, (bottom - top) // 2 + 4)

    def toggle_last_two(self) -> None:
        if len(self.history) >= 2:
            self.select_lane(self.history[-2])

    def choose_talker(self, talker: int) -> None:
        if talker != self.talker:
            self.window.blind.end("another talker was chosen")
        self.talker = talker
        self.history = []
        self.reload()
        self.window.update_transport()        # Blind A/B needs two versions of this talker

    def set_muted(self, lane: int, muted: bool) -> None:
        self.window.playback.ab_player.set_muted(lane, muted)

    def set_loudness_matched(self, matched: bool) -> None:
        """The Versions panel's box and Playback ▸ Match loudness say the same."""
        self.window.playback.ab_player.set_loudness_matched(matched)
        self.window.loudness_action.setChecked(matched)
        self.show_gains()

    def on_loudness_action(self) -> None:
        self.window.versions_panel.loudness_box.setChecked(self.window.loudness_action.isChecked())

    def show_gains(self) -> None:
        """Each lane's playback gain; hidden during a blind trial (a level would hint at the version)."""
        gains = self.window.playback.ab_player.gains
        self.window.versions_panel.show_gains([math.nan if self.window.blind.active else float(gain)
                                               for gain in gains])
