"""Feeds the Delays panel (`views.delays_panel`): Process ▸ Track the delay between two channels,
or the panel's Track, reads the channels and reach chosen on the GUI thread and tracks the delay
over the selection (the whole recording without one) as a job; the result is drawn when it
comes, unless another recording was opened meanwhile."""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.engine.delay_track import (DelayTrack, check_pair, delay_track_job, describe, drift, source_labels,
                                     strongest_delays)
from app.engine.errors import ConfigError
from app.engine.files import Recording, Span
from app.engine.spectrogram import Colormap
from app.engine.timecode import format_span
from app.gui.names import display_name
from app.gui.views.delays_panel import DelaysPanel

if TYPE_CHECKING:
    from app.gui.main_window import MainWindow
    from app.gui.workers import JobEntry


class DelaysController:
    def __init__(self, window: MainWindow) -> None:
        self.window = window
        self.panel = DelaysPanel(window)
        self.panel.track_requested.connect(self.track)
        self.panel.seek_requested.connect(lambda seconds: window.playback.seek(seconds))
        self.panel.label_requested.connect(self.label_sources)

    def open(self, recording: Recording) -> None:
        self.panel.set_channels(recording.channels)

    def track(self) -> JobEntry | None:
        """Queue the delay between the chosen channels over the selection (or the whole recording)."""
        window, recording = self.window, self.window.recording
        if recording is None:
            return None
        pair, reach = self.panel.pair(), self.panel.reach_s()
        try:
            check_pair(recording.channels, pair, reach)
        except ConfigError as err:
            window.show_error("Cannot track the delay", str(err))
            return None
        rate, selection = recording.sample_rate, window.view.selection
        start, stop = selection if selection is not None else (0.0, recording.frames / rate)
        source = Span(recording, round(start * rate), round(stop * rate))
        heading = (f"Channel {pair[1] + 1} against channel {pair[0] + 1}, {format_span(start, stop, decimals=3)} "
                   f"of {display_name(recording.path)}")
        colormap = window.view.settings.colormap
        return window.jobs.submit(f"Track the delay of channel {pair[1] + 1} against {pair[0] + 1}",
                                  lambda: delay_track_job(source, pair, reach, start),
                                  lambda track: self._on_tracked(recording, track, heading, colormap))

    def _on_tracked(self, recording: Recording, track: DelayTrack, heading: str, colormap: Colormap) -> None:
        window = self.window
        if recording is not window.recording:          # the file changed meanwhile
            return
        modes = strongest_delays(track)
        self.panel.show_track(track, modes, heading, describe(track, modes, drift(track)), colormap)
        window.delays_dock.show()
        window.delays_dock.raise_()

    def label_sources(self) -> None:
        """A label per stretch heard from each delay marked, added as one undo step."""
        panel, window = self.panel, self.window
        if panel.track is None:
            return
        labels = source_labels(panel.track, panel.found)
        if not labels:
            window.statusBar().showMessage("No stretch long enough is heard from one of the delays marked.", 10_000)
            return
        window.labels.add_many(labels, f"label the delays' sources ({len(labels)} labels)")
        window.statusBar().showMessage(f"{len(labels)} labels of {len(panel.found)} source(s); Alt+→ steps "
                                       "through them", 10_000)
