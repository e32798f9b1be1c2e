"""An output folder's field with its Browse… button, as the export and batch dialogs ask for one."""

from __future__ import annotations

from PySide6.QtWidgets import QFileDialog, QHBoxLayout, QLineEdit, QPushButton, QWidget


def folder_row(parent: QWidget, line: QLineEdit, title: str) -> QHBoxLayout:
    """`line` with a Browse… button beside it that chooses a folder (`title` names the chooser)."""
    browse = QPushButton("Browse…")

    def choose() -> None:
        chosen = QFileDialog.getExistingDirectory(parent, title, line.text())
        if chosen:
            line.setText(chosen)

    browse.clicked.connect(lambda _checked=False: choose())
    row = QHBoxLayout()
    row.addWidget(line, 1)
    row.addWidget(browse)
    return row
