"""The session's labels: start, end and text, in time order. A click selects the label's range
in the window (as a click on an Audacity label does); a double-click on the text edits it; the
buttons add one from the selection, remove, import and export Audacity label files."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QPushButton,
    QStyledItemDelegate,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.engine.labels import Label
from app.gui.views.axes import format_duration
from app.gui.views.jobs_panel import fit_columns

TEXT_COLUMN = 2


class ReadOnlyDelegate(QStyledItemDelegate):
    """A column that shows but never edits (the times: a label's range comes from a selection)."""

    def createEditor(self, *args) -> None:
        return None


class LabelsPanel(QWidget):
    text_edited = Signal(int, str)       # label index, new text
    label_chosen = Signal(int)
    remove_requested = Signal(list)      # label indices

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._filling = False
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["Start", "End", "Label"])
        self.tree.setRootIsDecorated(False)
        self.tree.setSelectionMode(QTreeWidget.SelectionMode.ExtendedSelection)
        self.tree.setEditTriggers(QTreeWidget.EditTrigger.DoubleClicked | QTreeWidget.EditTrigger.EditKeyPressed)
        fit_columns(self.tree, stretch=TEXT_COLUMN)
        self._read_only = ReadOnlyDelegate(self.tree)
        for column in range(TEXT_COLUMN):
            self.tree.setItemDelegateForColumn(column, self._read_only)
        self.tree.setToolTip("Click a label to select its range; double-click its text to rename it")
        self.tree.itemChanged.connect(self._on_item_changed)
        self.tree.itemClicked.connect(lambda item, _: self.label_chosen.emit(self.tree.indexOfTopLevelItem(item)))
        self.add_button = QPushButton("Add")
        self.add_button.setToolTip("Label the selection, or the playhead without one (Ctrl+B)")
        self.remove_button = QPushButton("Remove")
        self.remove_button.clicked.connect(self._on_remove_clicked)
        self.import_button = QPushButton("Import…")
        self.export_button = QPushButton("Export…")
        buttons = QHBoxLayout()
        for button in (self.add_button, self.remove_button, self.import_button, self.export_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.tree, 1)
        layout.addLayout(buttons)
        self.set_labels([])

    def set_labels(self, labels: list[Label]) -> None:
        self._filling = True
        self.tree.clear()
        for label in labels:
            item = QTreeWidgetItem([format_duration(label.start), format_duration(label.stop), label.text])
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsEditable)
            self.tree.addTopLevelItem(item)
        self._filling = False
        self.remove_button.setEnabled(bool(labels))
        self.export_button.setEnabled(bool(labels))

    def show_current(self, index: int) -> None:
        """Highlight label `index` (chosen from the keyboard) without starting to edit it."""
        self.tree.setCurrentItem(self.tree.topLevelItem(index))

    def edit_text(self, index: int) -> None:
        """Start typing the text of label `index` (a new label)."""
        item = self.tree.topLevelItem(index)
        self.tree.setCurrentItem(item)
        self.tree.editItem(item, TEXT_COLUMN)

    def _on_item_changed(self, item: QTreeWidgetItem, column: int) -> None:
        if not self._filling and column == TEXT_COLUMN:
            self.text_edited.emit(self.tree.indexOfTopLevelItem(item), item.text(TEXT_COLUMN))

    def _on_remove_clicked(self) -> None:
        rows = sorted(self.tree.indexOfTopLevelItem(item) for item in self.tree.selectedItems())
        if rows:
            self.remove_requested.emit(rows)
