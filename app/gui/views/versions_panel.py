"""The session's versions (rename by editing, hide by unticking, remove) and the A/B lanes of
one talker: the mixture's reference channel and that talker's visible versions, numbered as
the number keys select them, with their playback gain and a mute box."""

from __future__ import annotations

import math
from typing import Any

from PySide6.QtCore import QItemSelectionModel, Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QToolButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.engine.documents import Version
from app.engine.workflow import setting_text
from app.gui.views.jobs_panel import fit_columns

ID_ROLE = Qt.ItemDataRole.UserRole


def setting_lines(settings: dict[str, Any]) -> list[str]:
    return [f"{key.replace('_', ' ')}: {setting_text(key, value)}" for key, value in settings.items()]


class VersionsPanel(QWidget):
    rename_requested = Signal(str, str)       # version id, new name
    hidden_changed = Signal(str, bool)
    remove_requested = Signal(str)
    difference_requested = Signal(str, str)   # version ids: the later minus the earlier
    talker_chosen = Signal(int)
    lane_chosen = Signal(int)
    mute_changed = Signal(int, bool)
    loudness_toggled = Signal(bool)
    context_requested = Signal(str, object)   # version id, screen position: a right click on its row

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._filling = False
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["Version", "Model", "Made (UTC)"])
        self.tree.setRootIsDecorated(False)
        self.tree.setSelectionMode(QTreeWidget.SelectionMode.ExtendedSelection)
        fit_columns(self.tree, stretch=0)
        self.tree.setToolTip("Double-click a name to rename it; untick to hide its track")
        self.tree.itemChanged.connect(self._on_item_changed)
        self.tree.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.tree.customContextMenuRequested.connect(self._on_context_menu)
        self.remove_button = QPushButton("Remove")
        self.remove_button.setToolTip("Remove the selected versions from the session (the files on disk are untouched)")
        self.remove_button.clicked.connect(self._on_remove_clicked)
        self.difference_button = QPushButton("Difference")
        self.difference_button.setToolTip("Select two versions: a new version holds the later minus the earlier, "
                                          "to hear and see what a run changed")
        self.difference_button.clicked.connect(self._on_difference_clicked)
        self.tree.itemSelectionChanged.connect(
            lambda: self.difference_button.setEnabled(len(self.tree.selectedItems()) == 2))

        self.talker_combo = QComboBox()
        self.talker_combo.activated.connect(lambda i: self.talker_chosen.emit(self.talker_combo.itemData(i)))
        self.lanes = QTreeWidget()
        self.lanes.setHeaderLabels(["Key", "A/B: listen to", "Gain", "Mute"])
        self.lanes.setRootIsDecorated(False)
        fit_columns(self.lanes, stretch=1)
        self.lanes.itemClicked.connect(self._on_lane_clicked)
        self.lanes.itemChanged.connect(self._on_lane_changed)
        self.loudness_box = QCheckBox("Match loudness (BS.1770, playback only)")
        self.loudness_box.setChecked(True)
        self.loudness_box.toggled.connect(self.loudness_toggled)

        top = QHBoxLayout()
        top.addWidget(QLabel("Talker"))
        top.addWidget(self.talker_combo, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.tree, 3)
        self.buttons = QHBoxLayout()
        self.buttons.addWidget(self.remove_button)
        self.buttons.addWidget(self.difference_button)
        self.buttons.addStretch(1)
        layout.addLayout(self.buttons)
        layout.addLayout(top)
        layout.addWidget(self.lanes, 2)
        layout.addWidget(self.loudness_box)
        layout.addWidget(QLabel("<small>Keys 1–9 pick a lane at the same position; T toggles the last two.</small>"))

    def add_button(self, action: QAction) -> QToolButton:
        """A button for one of the window's actions on the versions (it follows the action's state)."""
        button = QToolButton()
        button.setDefaultAction(action)
        self.buttons.insertWidget(self.buttons.count() - 1, button)
        return button

    def _on_context_menu(self, pos) -> None:
        item = self.tree.itemAt(pos)
        if item is not None:
            self.context_requested.emit(item.data(0, ID_ROLE), self.tree.viewport().mapToGlobal(pos))

    def _item(self, version_id: str) -> QTreeWidgetItem | None:
        return next((self.tree.topLevelItem(row) for row in range(self.tree.topLevelItemCount())
                     if self.tree.topLevelItem(row).data(0, ID_ROLE) == version_id), None)

    def select_only(self, version_id: str) -> None:
        """Make `version_id` the one selected version (what a right click on its track chooses)."""
        item = self._item(version_id)
        if item is not None and item.isSelected() and len(self.tree.selectedItems()) > 1:
            return                        # a right click inside a selection keeps it, as file managers do
        self.tree.clearSelection()
        if item is not None:
            item.setSelected(True)
            # made current without a selection command: one read off the keyboard (Ctrl held) toggles it off
            self.tree.setCurrentItem(item, 0, QItemSelectionModel.SelectionFlag.NoUpdate)

    def edit_name(self, version_id: str) -> None:
        """Start typing a new name for the version."""
        item = self._item(version_id)
        if item is not None:
            self.tree.editItem(item, 0)

    def selected_ids(self) -> list[str]:
        """The selected versions' ids, in list order."""
        rows = sorted(self.tree.indexOfTopLevelItem(item) for item in self.tree.selectedItems())
        return [self.tree.topLevelItem(row).data(0, ID_ROLE) for row in rows]

    def set_versions(self, versions: list[Version]) -> None:
        self._filling = True
        self.tree.clear()
        for version in versions:
            item = QTreeWidgetItem([version.name, version.model, version.created[11:16]])
            item.setData(0, ID_ROLE, version.id)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsEditable | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(0, Qt.CheckState.Unchecked if version.hidden else Qt.CheckState.Checked)
            item.setToolTip(0, "\n".join([f"{version.name}: {version.model} on {version.device}, {version.created}"]
                                          + setting_lines(version.settings)))
            self.tree.addTopLevelItem(item)
        self._filling = False
        self.remove_button.setEnabled(bool(versions))
        self.difference_button.setEnabled(False)

    def set_talkers(self, talkers: list[int], current: int) -> None:
        self.talker_combo.clear()
        for talker in talkers:
            self.talker_combo.addItem(f"talker {talker + 1}", talker)
        self.talker_combo.setCurrentIndex(max(0, self.talker_combo.findData(current)))
        self.talker_combo.setEnabled(bool(talkers))

    def set_lanes(self, names: list[str], current: int, muted: list[bool]) -> None:
        """The lanes by key; their gains come with `show_gains`."""
        self._filling = True
        self.lanes.clear()
        for lane, name in enumerate(names):
            item = QTreeWidgetItem([str(lane + 1) if lane < 9 else "", name, "", ""])
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(3, Qt.CheckState.Checked if muted[lane] else Qt.CheckState.Unchecked)
            self.lanes.addTopLevelItem(item)
        self._filling = False
        self.set_current_lane(current)

    def show_gains(self, gains: list[float]) -> None:
        """Each lane's playback gain in dB; NaN shows none (a blind trial hides them)."""
        for lane, gain in enumerate(gains[:self.lanes.topLevelItemCount()]):
            db = 20 * math.log10(gain) if gain > 0 else -math.inf
            self.lanes.topLevelItem(lane).setText(2, "—" if math.isnan(gain) else f"{db:+.1f} dB")

    def set_current_lane(self, lane: int) -> None:
        for i in range(self.lanes.topLevelItemCount()):
            item = self.lanes.topLevelItem(i)
            font = item.font(1)
            font.setBold(i == lane)
            item.setFont(1, font)
            item.setText(0, ("▶ " if i == lane else "") + (str(i + 1) if i < 9 else ""))

    def _on_item_changed(self, item: QTreeWidgetItem, column: int) -> None:
        if self._filling:
            return
        version_id, name, hidden = item.data(0, ID_ROLE), item.text(0), item.checkState(0) != Qt.CheckState.Checked
        if column == 0:              # each emit may rebuild the list: read the item first
            self.rename_requested.emit(version_id, name)
            self.hidden_changed.emit(version_id, hidden)

    def _on_remove_clicked(self) -> None:
        for version_id in [item.data(0, ID_ROLE) for item in self.tree.selectedItems()]:   # each emit rebuilds
            self.remove_requested.emit(version_id)

    def _on_difference_clicked(self) -> None:
        rows = sorted(self.tree.indexOfTopLevelItem(item) for item in self.tree.selectedItems())
        if len(rows) == 2:
            earlier, later = (self.tree.topLevelItem(row).data(0, ID_ROLE) for row in rows)
            self.difference_requested.emit(later, earlier)

    def _on_lane_clicked(self, item: QTreeWidgetItem, column: int) -> None:
        if column != 3:
            self.lane_chosen.emit(self.lanes.indexOfTopLevelItem(item))

    def _on_lane_changed(self, item: QTreeWidgetItem, column: int) -> None:
        if not self._filling and column == 3:
            self.mute_changed.emit(self.lanes.indexOfTopLevelItem(item), item.checkState(3) == Qt.CheckState.Checked)
