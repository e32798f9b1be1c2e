"""The session's labels: start, end and text, in time order. A click selects the label's range
in the window (as a click on an Audacity label does); a double-click edits a text, or a time to
the millisecond (Audacity's Label Editor); the buttons add one from the selection, move the chosen
one to the selection, remove, import and export label files."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QPushButton,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.engine.labels import Label
from app.engine.timecode import format_duration
from app.gui.views.jobs_panel import fit_columns
from app.gui.views.time_box import TimeBox

START_COLUMN, END_COLUMN, TEXT_COLUMN = 0, 1, 2


class TimeDelegate(QStyledItemDelegate):
    """A start or end typed to the millisecond (seconds, m:ss.sss or h:mm:ss.sss), within the recording;
    the panel hears of it."""

    def __init__(self, panel: LabelsPanel) -> None:
        super().__init__(panel.tree)
        self.panel = panel

    def createEditor(self, parent: QWidget, option: object, index: QModelIndex) -> TimeBox:
        editor = TimeBox(maximum=self.panel.duration, step=0.01, parent=parent)
        editor.setKeyboardTracking(False)
        return editor

    def updateEditorGeometry(self, editor: TimeBox, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        """As wide as the editor needs, reaching into the next column: a column fits its text
        (1:02:03.456), and the editor adds its arrows."""
        rect = option.rect
        editor.setGeometry(rect.x(), rect.y(), max(rect.width(), editor.sizeHint().width()), rect.height())

    def setEditorData(self, editor: TimeBox, index: QModelIndex) -> None:
        label = self.panel.labels[index.row()]
        editor.setValue(label.start if index.column() == START_COLUMN else label.stop)

    def setModelData(self, editor: TimeBox, model: object, index: QModelIndex) -> None:
        label = self.panel.labels[index.row()]
        value = round(editor.value(), 3)
        start, stop = (value, label.stop) if index.column() == START_COLUMN else (label.start, value)
        if (start, stop) != (label.start, label.stop):
            self.panel.times_edited.emit(index.row(), start, stop)


class LabelsPanel(QWidget):
    text_edited = Signal(int, str)       # label index, new text
    times_edited = Signal(int, float, float)   # label index, new start and end (seconds)
    label_chosen = Signal(int)
    remove_requested = Signal(list)      # label indices
    context_requested = Signal(int, object)    # label index, screen position: a right click on its row

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._filling = False
        self.labels: list[Label] = []
        self.duration = 0.0                  # of the recording: no time typed past its end
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["Start", "End", "Label"])
        self.tree.setRootIsDecorated(False)
        self.tree.setSelectionMode(QTreeWidget.SelectionMode.ExtendedSelection)
        self.tree.setEditTriggers(QTreeWidget.EditTrigger.DoubleClicked | QTreeWidget.EditTrigger.EditKeyPressed)
        fit_columns(self.tree, stretch=TEXT_COLUMN)
        self._times = TimeDelegate(self)
        for column in (START_COLUMN, END_COLUMN):
            self.tree.setItemDelegateForColumn(column, self._times)
        self.tree.setToolTip("Click a label to select its range; double-click its text to rename it, or a time to "
                             "type it")
        self.tree.itemChanged.connect(self._on_item_changed)
        self.tree.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.tree.customContextMenuRequested.connect(self._on_context_menu)
        self.tree.itemClicked.connect(lambda item, _: self.label_chosen.emit(self.tree.indexOfTopLevelItem(item)))
        self.add_button = QPushButton("Add")
        self.add_button.setToolTip("Label the selection, or the playhead without one (Ctrl+B)")
        self.move_button = QPushButton("To selection")
        self.move_button.setToolTip("Move the chosen label to the selection: drag a new range, then click")
        self.remove_button = QPushButton("Remove")
        self.remove_button.clicked.connect(self.remove_selected)
        self.import_button = QPushButton("Import…")
        self.export_button = QPushButton("Export…")
        buttons = QHBoxLayout()
        for button in (self.add_button, self.move_button, self.remove_button, self.import_button, self.export_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.tree, 1)
        layout.addLayout(buttons)
        self.set_labels([])

    def set_labels(self, labels: list[Label], duration: float = 0.0) -> None:
        self._filling = True
        self.labels, self.duration = list(labels), duration
        self.tree.clear()
        for label in labels:
            item = QTreeWidgetItem([format_duration(label.start), format_duration(label.stop), label.text])
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsEditable)
            self.tree.addTopLevelItem(item)
        self._filling = False
        for button in (self.remove_button, self.export_button, self.move_button):
            button.setEnabled(bool(labels))

    def current_index(self) -> int | None:
        """The chosen label (the panel's current row), None without one."""
        item = self.tree.currentItem()
        return self.tree.indexOfTopLevelItem(item) if item is not None else None

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

    def _on_context_menu(self, pos) -> None:
        item = self.tree.itemAt(pos)
        if item is None:
            return
        if not item.isSelected():
            self.tree.clearSelection()
            item.setSelected(True)
        self.tree.setCurrentItem(item)
        self.context_requested.emit(self.tree.indexOfTopLevelItem(item), self.tree.viewport().mapToGlobal(pos))

    def remove_selected(self) -> None:
        rows = sorted(self.tree.indexOfTopLevelItem(item) for item in self.tree.selectedItems())
        if rows:
            self.remove_requested.emit(rows)
