"""View ▸ Channels shown…: which channels' rows the window shows, as Audacity collapses tracks and
Sonic Visualiser hides panes; a 16-microphone array is read a few rows at a time. Each channel is
listed with the recorder it came from in a combined recording, whose recorders can be shown one at a
time; one channel at least stays shown."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.engine.combine import RecorderChannels
from app.gui.dialogs.buttons import accept_cancel


class ChannelsDialog(QDialog):
    def __init__(self, channels: int, hidden: frozenset[int], recorders: Sequence[RecorderChannels] = (),
                 parent: QWidget | None = None) -> None:
        """`hidden`: the channels (0-based) hidden now; `recorders`: a combined recording's."""
        super().__init__(parent)
        self.setWindowTitle("Channels shown")
        names = {c: recorder.name for recorder in recorders for c in recorder.channels}
        self.list = QListWidget()
        for channel in range(channels):
            item = QListWidgetItem(f"Channel {channel + 1}" + (f" · {names[channel]}" if channel in names else ""))
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Unchecked if channel in hidden else Qt.CheckState.Checked)
            self.list.addItem(item)
        self.all_button, self.first_button = QPushButton("Show all"), QPushButton("Only channel 1")
        self.all_button.clicked.connect(lambda _checked=False: self._tick(lambda _row: True))
        self.first_button.clicked.connect(lambda _checked=False: self._tick(lambda row: row == 0))
        self.recorder = QComboBox(visible=bool(recorders))      # a combined recording: one recorder's rows at once
        self.recorder.addItem("Only one recorder's…", None)
        for recorder in recorders:
            self.recorder.addItem(f"Only {recorder.name}", recorder.channels)
        self.recorder.activated.connect(self._only_recorder)
        self.summary = QLabel()
        self.buttons, self.show_button = accept_cancel(self, "Show")
        row = QHBoxLayout()
        row.addWidget(self.all_button)
        row.addWidget(self.first_button)
        row.addWidget(self.recorder)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Tick the channels whose rows to show; the others are folded away (they still play, "
                                "separate and export as before).", wordWrap=True))
        layout.addWidget(self.list)
        layout.addLayout(row)
        layout.addWidget(self.summary)
        layout.addWidget(self.buttons)
        self.list.itemChanged.connect(self._refresh)
        self.resize(360, 420)
        self._refresh()

    def hidden(self) -> frozenset[int]:
        return frozenset(row for row in range(self.list.count())
                         if self.list.item(row).checkState() != Qt.CheckState.Checked)

    def _tick(self, shown: Callable[[int], bool]) -> None:
        for row in range(self.list.count()):
            self.list.item(row).setCheckState(Qt.CheckState.Checked if shown(row) else Qt.CheckState.Unchecked)

    def _only_recorder(self, index: int) -> None:
        channels = self.recorder.itemData(index)
        if channels:
            self._tick(lambda row: row in channels)
        self.recorder.setCurrentIndex(0)

    def _refresh(self) -> None:
        count, hidden = self.list.count(), len(self.hidden())
        self.show_button.setEnabled(hidden < count)
        self.summary.setText("Tick one channel at least." if hidden == count else
                             f"{count - hidden} of {count} channels shown.")
