"""Process ▸ Label statistics…: each label text's talk time, turns and share of the recording,
every label together and the time two or more overlap (`app.engine.label_stats`), kept up to
date while it is open; Copy takes the table out tab-separated. Compare with a reference… reads
a reference labelling (an RTTM file, say) and shows the labels' diarization error rate against
it (`app.engine.diarization`), kept up to date too."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

NOTE = ("Labels are grouped by their text (a speaker, in who-speaks-when labels); a text's overlapping or "
        "touching labels count once, as one turn. Points are left out.")


class LabelStatsDialog(QDialog):
    def __init__(self, parent: QWidget | None = None) -> None:
        """`compare_button` is connected by the labels controller, which reads the reference."""
        super().__init__(parent)
        self.setWindowTitle("Label statistics")
        self.table: list[list[str]] = []
        self.view = QTableWidget()
        self.view.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.view.verticalHeader().setVisible(False)
        self.empty = QLabel("No labels that span time yet: Process ▸ Label talker activity, or import a labelling.")
        self.empty.setWordWrap(True)
        self.scope = QLabel()
        copy = QPushButton("Copy")
        copy.setToolTip("The table, tab-separated, for a spreadsheet")
        copy.clicked.connect(self.copy_table)
        self.compare_button = QPushButton("Compare with a reference…")
        self.compare_button.setToolTip("The diarization error rate of these labels against a reference labelling "
                                       "(RTTM, Audacity labels, a TextGrid or subtitles), each text a speaker")
        self.diarization = QLabel()
        self.diarization.setWordWrap(True)
        self.diarization.hide()
        close = QPushButton("Close")
        close.clicked.connect(self.close)
        buttons = QHBoxLayout()
        buttons.addWidget(copy)
        buttons.addWidget(self.compare_button)
        buttons.addStretch(1)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.scope)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.empty)
        layout.addWidget(self.diarization)
        note = QLabel(NOTE)
        note.setWordWrap(True)
        note.setStyleSheet("color: #8a8c93")
        layout.addWidget(note)
        layout.addLayout(buttons)
        self.resize(620, 320)

    def set_table(self, table: list[list[str]], scope: str) -> None:
        """`table`: header and rows (`label_stats.statistics_table`); `scope`: over what."""
        self.table = table
        self.scope.setText(scope)
        header, *rows = table or [[]]
        self.view.clear()
        self.view.setColumnCount(len(header))
        self.view.setHorizontalHeaderLabels(header)
        self.view.setRowCount(len(rows))
        for r, row in enumerate(rows):
            for c, text in enumerate(row):
                item = QTableWidgetItem(text)
                if c > 0:                           # figures line up on the right, as in a spreadsheet
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.view.setItem(r, c, item)
        for column in range(len(header)):          # the label's name takes the free width, the figures fit
            mode = QHeaderView.ResizeMode.Stretch if column == 0 else QHeaderView.ResizeMode.ResizeToContents
            self.view.horizontalHeader().setSectionResizeMode(column, mode)
        self.view.setVisible(bool(rows))
        self.empty.setVisible(not rows)

    def set_diarization(self, text: str | None) -> None:
        """The error rate against the reference as a sentence (None: no reference chosen)."""
        self.diarization.setText(text or "")
        self.diarization.setVisible(text is not None)

    def copy_table(self) -> None:
        if self.table:
            QGuiApplication.clipboard().setText("\n".join("\t".join(row) for row in self.table))
