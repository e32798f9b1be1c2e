"""Feeds the Delays panel (`views.delays_panel`): Process ▸ Track the delay between two channels,
or the panel's Track, reads the channels and reach chosen on the GUI thread and tracks the delay
over the selection (the whole recording without one) as a job; the result is drawn when it
comes, unless another recording was opened meanwhile. From what is drawn, Label sources adds the
sources' labels, and Take out the drift… writes a copy with the drifting recorder's channels back
on the reference's clock and opens it."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt

from app.engine.clock_drift import DriftCorrection, corrected_copy_job
from app.engine.delay_track import (DelayTrack, check_pair, delay_track_job, describe, drift, drifts, source_labels,
                                     strongest_delays)
from app.engine.errors import ConfigError
from app.engine.files import Recording, Span
from app.engine.spectrogram import Colormap
from app.engine.timecode import format_span
from app.gui.dialogs.drift_dialog import DriftDialog
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
        self.panel.drift_requested.connect(self.open_drift_dialog)

    def open(self, recording: Recording) -> None:
        self.panel.set_channels(recording.channels, self.window.recorders)
        self.panel.reach.setValue(self.window.stored.delays_reach_s() * 1000)

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
        window.stored.set_delays_reach_s(reach)              # offered again, for this array's next recording
        rate, selection = recording.sample_rate, window.view.selection
        start, stop = selection if selection is not None else (0.0, recording.frames / rate)
        source = Span(recording, round(start * rate), round(stop * rate))
        heading = (f"Channel {pair[1] + 1} against channel {pair[0] + 1}, {format_span(start, stop, decimals=3)} "
                   f"of {display_name(recording.path)}")
        colormap = window.view.settings.colormap
        return window.jobs.submit(f"Track the delay of channel {pair[1] + 1} against {pair[0] + 1}",
                                  lambda: delay_track_job(source, pair, reach),
                                  lambda track: self._on_tracked(recording, track, heading, colormap))

    def _on_tracked(self, recording: Recording, track: DelayTrack, heading: str, colormap: Colormap) -> None:
        window = self.window
        if recording is not window.recording:          # the file changed meanwhile
            return
        modes, moved = strongest_delays(track), drift(track)
        self.panel.show_track(track, modes, heading, describe(track, modes, moved), colormap,
                              moved if drifts(track, moved) else None)
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

    def open_drift_dialog(self) -> DriftDialog | None:
        """Ask which channels share the drifting clock; Save copy… takes the drift out of them."""
        panel, window = self.panel, self.window
        if panel.track is None or panel.drift is None or window.recording is None:
            return None
        reference, measured = panel.track.pair
        dialog = DriftDialog(window.recording.channels, reference, measured, panel.drift.ppm, panel.drift.error_ppm,
                             window, window.recorders)
        dialog.accepted.connect(lambda: self.take_out_drift(dialog.chosen()))
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()
        return dialog

    def take_out_drift(self, chosen: list[int], target: Path | None = None) -> JobEntry | None:
        """Write a copy with `chosen` resampled onto the reference's clock (`target`, else asked for),
        and open it in place of the recording."""
        window, recording, moved = self.window, self.window.recording, self.panel.drift
        if recording is None or moved is None:
            return None
        target = target or window.processing.copy_target(recording, "in-step", "in-step")
        if target is None:
            return None
        return window.jobs.submit(f"Take the drift out of {display_name(recording.path)}",
                                  lambda: corrected_copy_job(recording, target, chosen, moved.ppm),
                                  lambda result: self._on_corrected(recording, target, result))

    def _on_corrected(self, recording: Recording, target: Path, result: DriftCorrection) -> None:
        channels = ", ".join(str(c + 1) for c in result.channels)
        self.window.statusBar().showMessage(f"A drift of {result.ppm:+.2f} ppm taken out of channel(s) {channels} "
                                            f"in {target.name}", 15_000)
        self.window.processing.open_copy(recording, target)
