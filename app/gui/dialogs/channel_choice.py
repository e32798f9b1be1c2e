"""Which of a recording's channels a dialog works on: a list typed as users count them ("1-4,6";
empty: all of them) and, for a recording combined from several recorders (File ▸ Combine
recorders into one array…), a Recorder row offering each recorder's own channels by name. The
separation dialogs and Export the recording's audio… share it."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QSignalBlocker
from PySide6.QtWidgets import QComboBox, QFormLayout, QLineEdit

from app.engine.combine import RecorderChannels
from app.engine.errors import ConfigError
from app.engine.channel_lists import channel_list_text, parse_channel_list

ALL = "All of them"


class ChannelChoice:
    def __init__(self, channels: tuple[int, ...] | None = None, recorders: Sequence[RecorderChannels] = (),
                 placeholder: str = "all") -> None:
        """`channels`: the list to start from (0-based; None: all)."""
        self.recorders = tuple(recorders)
        self.channels = QLineEdit("" if channels is None else channel_list_text(channels))
        self.channels.setPlaceholderText(placeholder)
        self.channels.setToolTip("Channels counted from 1: a list and ranges such as 1-4,6. Empty: all of them.")
        self.recorder = QComboBox()
        self.recorder.addItems([ALL] + [recorder.describe() for recorder in self.recorders])
        self.recorder.setToolTip("The recorders this recording was combined from, each with its own channels")
        self.recorder.activated.connect(self._use_recorder)
        self.channels.textChanged.connect(self._show_recorder)
        self._show_recorder()

    def add_rows(self, form: QFormLayout) -> None:
        if self.recorders:
            form.addRow("Recorder", self.recorder)
        form.addRow("Channels", self.channels)

    def chosen(self) -> tuple[int, ...] | None:
        """The channels typed (0-based; None: all); ConfigError when the list cannot be read."""
        text = self.channels.text().strip()
        return parse_channel_list(text) if text else None

    def recorder_channels(self, index: int) -> tuple[int, ...] | None:
        """The channels of the Recorder row's item `index` (None: all of them)."""
        return self.recorders[index - 1].channels if index > 0 else None

    def set_enabled(self, enabled: bool) -> None:
        self.channels.setEnabled(enabled)
        self.recorder.setEnabled(enabled)

    def _use_recorder(self, index: int) -> None:
        channels = self.recorder_channels(index)
        self.channels.setText("" if channels is None else channel_list_text(channels))

    def _show_recorder(self) -> None:
        """The recorder whose channels are typed, if any (blank for another list)."""
        try:
            typed = self.chosen()
        except ConfigError:
            typed = ()
        owners = [k + 1 for k, recorder in enumerate(self.recorders) if recorder.channels == typed]
        with QSignalBlocker(self.recorder):
            self.recorder.setCurrentIndex(0 if typed is None else owners[0] if owners else -1)
