"""Blind A/B in the main window: while a trial runs, the window's A/B lanes are the talker's in the
trial's shuffled order under letters (`arrange`), so keys, the lanes list and the Play buttons
need nothing else; no track lights up and no gain is shown; the mixture stays lane 1. Ends with
the dialog, or when the versions or the talker change under it."""

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
        lanes = window.ab.talker_lanes()
        models = [""] + [window.session.find(key).model for _, key in lanes[1:]]
        try:
            trial = new_trial([name for name, _ in lanes], [key for _, key in lanes], models, window.ab.talker,
                              window.view.selection)
        except ValueError:
            window.show_error("Cannot compare blind", f"Talker {window.ab.talker + 1} has {len(lanes) - 1} visible "
                              "version(s); a blind comparison needs two or more (choose the talker in the Versions "
                              "panel).")
            return None
        self.trial = trial
        self.dialog = BlindDialog(trial, window)
        self.dialog.play_requested.connect(window.ab.select_lane)
        self.dialog.toggle_requested.connect(window.playback.toggle)
        self.dialog.finished.connect(lambda _: self.end())
        window.ab.reload()
        window.ab.select_lane(1)
        window.playback.active_player.pause()
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
        self.window.ab.reload()

    def arrange(self, lanes: list[tuple[str, str | None]]) -> list[tuple[str, str | None]]:
        """The talker's (name, version id) lanes as A/B plays them: in the trial's order under its
        letters, or as they are without a trial."""
        trial = self.trial
        if trial is None:
            return lanes
        return [(trial.title(position), trial.ids[lane]) for position, lane in enumerate(trial.order)]

    def check_lanes(self, ids: list[str | None]) -> bool:
        """End the trial if the talker's lanes are no longer those it hides (a new version, another
        talker); True when it ended (the window's lanes were reloaded then)."""
        if self.trial is None or ids == self.trial.ids:
            return False
        self.end("the talker's versions changed")
        return True
