"""Right-click menus, as every audio editor has them: on a version (its track, or its row in the
Versions panel), on a label's row in the Labels panel, and on the channels (there, hiding one).

A version's menu first makes that version the one selected in the Versions panel, so the
window's own actions (silence, attenuate a band, blend, swap) apply to it as they would from the
Edit menu; the menu holds those same actions, enabled and named as they are there.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QPoint
from PySide6.QtWidgets import QMenu

if TYPE_CHECKING:
    from app.gui.main_window import MainWindow


class ContextMenus:
    def __init__(self, window: MainWindow) -> None:
        self.window = window
        self.menu: QMenu | None = None          # the latest one shown (tests read it)
        window.tracks.context_requested.connect(self.show_version_menu)
        window.versions_panel.context_requested.connect(self.show_version_menu)
        window.view.context_requested.connect(self.show_view_menu)
        window.labels_panel.context_requested.connect(self.show_label_menu)

    def version_menu(self, version_id: str) -> QMenu:
        window = self.window
        version = window.session.find(version_id)
        window.versions_panel.select_only(version_id)
        menu = QMenu(window)
        menu.addAction("Listen (A/B)", lambda: window.ab.listen_to_version(version_id))
        menu.addAction("Rename…", lambda: window.versions_panel.edit_name(version_id))
        menu.addAction("Show" if version.hidden else "Hide",
                       lambda: window.set_version_hidden(version_id, not version.hidden))
        menu.addAction("Remove", lambda: window.remove_version(version_id))
        menu.addSeparator()
        for action in (window.silence_action, window.level_action, window.fade_in_action, window.fade_out_action,
                       window.attenuate_action, window.learn_noise_action, window.reduce_noise_action,
                       window.dehum_action, window.blend_action, window.align_action,
                       window.swap_action):
            menu.addAction(action)
        menu.addSeparator()
        menu.addAction("Export this version…", lambda: window.exporter.open(only=version_id))
        return menu

    def label_menu(self, index: int) -> QMenu:
        """A label's row: select or play its range, rename it, move it to the selection, remove it
        (with the other selected rows); and every label's statistics."""
        window = self.window
        menu = QMenu(window)
        menu.addAction("Select its range", lambda: window.labels.choose(index))
        menu.addAction("Play it", lambda: self._play_label(index))
        menu.addAction("Rename…", lambda: window.labels_panel.edit_text(index))
        to_selection = menu.addAction("To selection", window.labels.move_to_selection)
        to_selection.setEnabled(window.view.selection is not None)
        menu.addSeparator()
        menu.addAction("Remove", window.labels_panel.remove_selected)
        menu.addSeparator()
        menu.addAction(window.label_stats_action)
        return menu

    def _play_label(self, index: int) -> None:
        self.window.labels.choose(index)
        if not self.window.playback.active_player.is_playing:
            self.window.playback.toggle()

    def view_menu(self, channel: int) -> QMenu:
        """A right click on `channel`'s row (0-based): playing, labels, zoom and selection; hiding the
        row, or showing the hidden ones; analysis."""
        window = self.window
        menu = QMenu(window)
        for action in (window.play_action, window.loop_action, None, window.add_label_action,
                       window.zoom_selection_action, window.select_all_action, window.clear_selection_action, None,
                       window.attenuate_action, window.analyze_action, window.export_image_action):
            if action is None:
                menu.addSeparator()
            else:
                menu.addAction(action)
        menu.addSeparator()
        hide = menu.addAction(f"Hide channel {channel + 1}", lambda: window.channels.hide(channel))
        hide.setEnabled(window.channels.can_hide(channel))
        hidden = len(window.channels.hidden)
        show = menu.addAction(f"Show every channel ({hidden} hidden)" if hidden else "Show every channel",
                              window.channels.show_all)
        show.setEnabled(hidden > 0)
        menu.addAction(window.channels_action)
        return menu

    def show_version_menu(self, version_id: str, where: QPoint) -> None:
        if any(v.id == version_id for v in self.window.session.versions):
            self.menu = self.version_menu(version_id)
            self.menu.popup(where)

    def show_label_menu(self, index: int, where: QPoint) -> None:
        self.menu = self.label_menu(index)
        self.menu.popup(where)

    def show_view_menu(self, channel: int, where: QPoint) -> None:
        if self.window.recording is not None:
            self.menu = self.view_menu(channel)
            self.menu.popup(where)
