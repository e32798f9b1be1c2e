"""Which channels' rows the window shows (View ▸ Channels shown…, and a channel's right-click menu):
the choice lives in the session's settings (`hidden_channels`, 1-based as the window numbers them),
so a saved session reopens with the same rows folded away. Hiding a row changes no audio: every
channel still plays, separates and exports."""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.engine.channel_lists import channel_list_text
from app.gui.dialogs.channels_dialog import ChannelsDialog

if TYPE_CHECKING:
    from app.gui.main_window import MainWindow

SETTING = "hidden_channels"


class ChannelsController:
    def __init__(self, window: MainWindow) -> None:
        self.window = window

    @property
    def hidden(self) -> frozenset[int]:
        return self.window.view.hidden

    def open_dialog(self) -> ChannelsDialog | None:
        window = self.window
        if window.recording is None:
            return None
        dialog = ChannelsDialog(window.recording.channels, self.hidden, window.recorders, window)
        dialog.accepted.connect(lambda: self.set_hidden(dialog.hidden()))
        dialog.open()
        return dialog

    def can_hide(self, channel: int) -> bool:
        """False for the last channel shown."""
        return self.window.view.channel_rows - len(self.hidden | {channel}) > 0

    def hide(self, channel: int) -> None:
        if self.can_hide(channel):
            self.set_hidden(self.hidden | {channel})

    def show_all(self) -> None:
        self.set_hidden(frozenset())

    def set_hidden(self, hidden: frozenset[int]) -> None:
        """Fold away the rows of `hidden` (0-based) and say so in the status bar."""
        window = self.window
        window.view.set_hidden_channels(hidden)
        window.pitch.track_next()             # a row shown again gets its pitch track
        hidden = window.view.hidden
        if hidden:
            window.session.settings[SETTING] = [c + 1 for c in sorted(hidden)]
            window.statusBar().showMessage(
                f"{'Channel' if len(hidden) == 1 else 'Channels'} {channel_list_text(sorted(hidden))} hidden "
                "(View ▸ Channels shown… shows them again)", 10_000)
        else:
            window.session.settings.pop(SETTING, None)
            window.statusBar().showMessage("Every channel shown", 5_000)

    def restore(self) -> None:
        """The rows the session's settings hide (those that exist, one left shown at least)."""
        stored = self.window.session.settings.get(SETTING, [])
        channels = self.window.view.channel_rows
        hidden = frozenset(int(c) - 1 for c in stored if isinstance(c, int) and 1 <= c <= channels)
        if hidden and len(hidden) < channels:
            self.window.view.set_hidden_channels(hidden)
