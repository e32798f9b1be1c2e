"""Edit ▸ History…: every edit of the session's versions and labels in order, as Audacity's
History window lists them. The current state is selected; a click on an earlier row undoes back to
it, on a later (greyed) row redoes up to it, so a long chain of mends is walked in one step.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QDialog, QLabel, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

UNDONE_COLOR = "#8a8c93"
START = "(before these edits)"


class HistoryDialog(QDialog):
    def __init__(self, history: Callable[[], tuple[list[str], list[str]]], go_to: Callable[[int], None],
                 parent: QWidget | None = None) -> None:
        """`history`: the session's (done, undone) edits; `go_to(k)`: reach the state after the
        first `k` of them (negative is not asked for)."""
        super().__init__(parent)
        self.setWindowTitle("History")
        self._history, self._go_to = history, go_to
        self.list = QListWidget()
        self.list.itemClicked.connect(self._on_clicked)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Click a step to go back to it (or forward, to a greyed one)."))
        layout.addWidget(self.list)
        self.resize(420, 360)
        self.refresh()

    def refresh(self) -> None:
        done, undone = self._history()
        self.list.clear()
        for row, what in enumerate([START, *done, *undone]):
            item = QListWidgetItem(what[0].upper() + what[1:] if what else what)
            if row > len(done):
                item.setForeground(QBrush(QColor(UNDONE_COLOR)))
            self.list.addItem(item)
        self.list.setCurrentRow(len(done))

    def _on_clicked(self, item: QListWidgetItem) -> None:
        self._go_to(self.list.row(item))

    def keyPressEvent(self, event) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.list.currentItem() is not None:
            self._go_to(self.list.currentRow())
            return
        super().keyPressEvent(event)
