"""Blind A/B in the main window: while a trial runs, the A/B lanes of the talker are heard under
letters in a shuffled order (keys, the lanes list and the Play buttons all go by position), no
track lights up and no name is shown; the mixture stays lane 1. Ends with the dialog, or when the
versions or the talker change under it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.engine.listening import BlindTrial, new_trial
from app.gui.dialogs.blind_dialog import BlindDialog

if TYPE_CHECKING:
    from app.gui.main_window import MainWindow


class BlindController:
    def __init__(self, window: MainWindow) -> None:
        self.window = window
        self.trial: BlindTrial | None = None
        self.dialog: BlindDialog | None = None

    @property
    def active(self) -> bool:
        return self.trial is not None

    def start(self) -> BlindDialog | None:
        """Playback ▸ Blind A/B…: a trial over the A/B talker's visible versions, over the selection if any."""
        window = self.window
        if window.recording is None or self.active:
            return self.dialog
        lanes = window.ab_lanes()
        models = [""] + [window.session.find(key).model for _, key in lanes[1:]]
        try:
            trial = new_trial([name for name, _ in lanes], [key for _, key in lanes], models, window.ab_talker,
                              window.view.selection)
        except ValueError:
            window.show_error("Cannot compare blind", f"Talker {window.ab_talker + 1} has {len(lanes) - 1} visible "
                              "version(s); a blind comparison needs two or more (choose the talker in the Versions "
                              "panel).")
            return None
        self.trial = trial
        self.dialog = BlindDialog(trial, window)
        self.dialog.play_requested.connect(window.select_lane)
        self.dialog.toggle_requested.connect(window.toggle_playback)
        self.dialog.finished.connect(lambda _: self.end())
        window.reload_lanes()
        window.select_lane(1)
        window.active_player.pause()
        window.tracks.set_active(None)              # no track says which version plays
        self.dialog.show()
        return self.dialog

    def end(self, reason: str = "") -> None:
        """Back to named A/B (the dialog closed, or `reason` ended the trial under it)."""
        if self.trial is None:
            return
        self.trial, dialog, self.dialog = None, self.dialog, None
        if dialog is not None and dialog.isVisible():
            dialog.done(0)
        if reason:
            self.window.statusBar().showMessage(f"Blind A/B ended: {reason}.", 10_000)
        self.window.reload_lanes()

    def lane(self, position: int) -> int:
        """The A/B lane heard at `position` (the same number without a trial)."""
        return self.trial.order[position] if self.trial is not None and position < len(self.trial.order) else position

    def position(self, lane: int) -> int:
        return self.trial.order.index(lane) if self.trial is not None and lane in self.trial.order else lane

    def check_lanes(self, ids: list[str | None]) -> None:
        """End the trial if the lanes are no longer those it hides (a new version, another talker)."""
        if self.trial is not None and ids != self.trial.ids:
            self.end("the talker's versions changed")
