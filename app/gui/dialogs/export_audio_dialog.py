"""File ▸ Export the recording's audio…, for a recording of several channels: which channels to
copy (all of them, a list such as 1-4, or one recorder's of a combined recording) over the
selection or the whole; Save as… then asks where (Audacity's Export Selected Audio)."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtWidgets import QDialog, QFormLayout, QLabel, QVBoxLayout, QWidget

from app.engine.combine import RecorderChannels
from app.engine.errors import ConfigError
from app.engine.export import channels_to_copy
from app.engine.files import Recording
from app.engine.timecode import format_duration, format_span
from app.gui.dialogs.buttons import accept_cancel
from app.gui.dialogs.channel_choice import ChannelChoice


class ExportAudioDialog(QDialog):
    def __init__(self, recording: Recording, recorders: Sequence[RecorderChannels], span: tuple[float, float] | None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export the recording's audio")
        self.recording = recording
        self.pick = ChannelChoice(None, recorders, f"all {recording.channels}")
        self.summary = QLabel(wordWrap=True)
        self.summary.setMinimumWidth(420)
        self.summary.setMinimumHeight(3 * self.summary.fontMetrics().lineSpacing())    # the longest, without resizing
        form = QFormLayout()
        self.pick.add_rows(form)
        duration = recording.frames / recording.sample_rate
        form.addRow("Range", QLabel(f"the selection, {format_span(*span)}" if span is not None else
                                    f"the whole recording, {format_duration(duration)}"))
        form.addRow("", self.summary)
        self.buttons, self.save_button = accept_cancel(self, "Save as…")
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.buttons)
        self.pick.channels.textChanged.connect(self._refresh)
        self._refresh()

    def channels(self) -> tuple[int, ...] | None:
        """The channels to copy (0-based, in the order typed; None: all); ConfigError naming what is wrong."""
        chosen = self.pick.chosen()
        channels_to_copy(self.recording, chosen)            # the engine's own rule, checked as typed
        return chosen

    def _refresh(self) -> None:
        try:
            chosen = self.channels()
        except ConfigError as err:
            self.summary.setText(str(err))
            self.save_button.setEnabled(False)
            return
        total = self.recording.channels
        self.summary.setText(f"Copies all {total} channels into one file at {self.recording.sample_rate} Hz."
                             if chosen is None else
                             f"Copies {len(chosen)} of {total} channels ({', '.join(str(c + 1) for c in chosen)}), in "
                             f"that order, into one file at {self.recording.sample_rate} Hz.")
        self.save_button.setEnabled(True)
