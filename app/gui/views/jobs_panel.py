"""The job queue: every job with its state, progress and time left; cancel one or all."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.gui.workers import FINAL_STATES, JobEntry, JobQueue, JobState

STATE_COLORS = {JobState.QUEUED: "#8a8c93", JobState.RUNNING: "#6fb3e8", JobState.CANCELLING: "#ffd24a",
                JobState.CANCELLED: "#8a8c93", JobState.FAILED: "#ff6b6b", JobState.DONE: "#7fd18b"}


def format_eta(seconds: float) -> str:
    seconds = round(seconds)
    return f"{seconds // 60}:{seconds % 60:02d} left" if seconds >= 60 else f"{seconds} s left"


def progress_text(entry: JobEntry) -> tuple[str, str]:
    """(progress, time left) as shown in the panel and the status bar."""
    p = entry.progress
    if p is None or entry.state in FINAL_STATES:
        return ("100 %" if entry.state is JobState.DONE else "", "")
    eta = p.eta_seconds
    return f"{p.stage} {p.done}/{p.total} · {100 * p.fraction:.0f} %", ("" if eta is None else format_eta(eta))


class JobsPanel(QWidget):
    def __init__(self, queue: JobQueue, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.queue = queue
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["Job", "State", "Progress", "Time left"])
        self.tree.setRootIsDecorated(False)
        fit_columns(self.tree, stretch=0)
        self._items: dict[int, QTreeWidgetItem] = {}
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Cancel the selected job (a running job stops at its next chunk)")
        self.cancel_button.clicked.connect(self._on_cancel_clicked)
        self.clear_button = QPushButton("Clear finished")
        self.clear_button.clicked.connect(self._on_clear_clicked)
        buttons = QHBoxLayout()
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.clear_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.tree)
        layout.addLayout(buttons)
        queue.changed.connect(self._on_changed)

    def item_for(self, entry: JobEntry) -> QTreeWidgetItem:
        return self._items[id(entry)]

    def _on_changed(self, entry: JobEntry) -> None:
        item = self._items.get(id(entry))
        if item is None:
            item = QTreeWidgetItem([entry.title, "", "", ""])
            item.setData(0, Qt.ItemDataRole.UserRole, entry)
            self._items[id(entry)] = item
            self.tree.addTopLevelItem(item)
        progress, eta = progress_text(entry)
        item.setText(1, str(entry.state))
        item.setForeground(1, _brush(STATE_COLORS[entry.state]))
        item.setText(2, progress)
        item.setText(3, eta)
        item.setToolTip(0, entry.message or entry.title)

    def _on_cancel_clicked(self) -> None:
        for item in self.tree.selectedItems() or self.tree.findItems("*", Qt.MatchFlag.MatchWildcard):
            self.queue.cancel(item.data(0, Qt.ItemDataRole.UserRole))

    def _on_clear_clicked(self) -> None:
        self.queue.clear_finished()
        for key, item in list(self._items.items()):
            entry = item.data(0, Qt.ItemDataRole.UserRole)
            if entry.state in FINAL_STATES:
                self.tree.takeTopLevelItem(self.tree.indexOfTopLevelItem(item))
                del self._items[key]


def fit_columns(tree: QTreeWidget, stretch: int) -> None:
    """Column `stretch` takes the free width; the others fit their contents (nothing hidden
    off the right edge of a narrow dock)."""
    header = tree.header()
    header.setStretchLastSection(False)
    for column in range(tree.columnCount()):
        mode = QHeaderView.ResizeMode.Stretch if column == stretch else QHeaderView.ResizeMode.ResizeToContents
        header.setSectionResizeMode(column, mode)


def _brush(color: str):
    from PySide6.QtGui import QBrush, QColor

    return QBrush(QColor(color))
