"""File ▸ Session notes…: the user's own words about the session (what was recorded, what was
tried, what to check), saved with it and printed at the top of its report."""

from __future__ import annotations

from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QDialog, QLabel, QPlainTextEdit, QVBoxLayout, QWidget

from app.gui.dialogs.buttons import accept_cancel


class NotesDialog(QDialog):
    def __init__(self, notes: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Session notes")
        self.editor = QPlainTextEdit(notes)
        self.editor.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.editor.setPlaceholderText("Where and how this was recorded, what you tried, what to listen for…")
        self.buttons, _ = accept_cancel(self, "Keep")
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Saved with the session and printed at the top of its report (markdown is kept as "
                                "typed).", wordWrap=True))
        layout.addWidget(self.editor, 1)
        layout.addWidget(self.buttons)
        self.resize(560, 380)

    def text(self) -> str:
        return self.editor.toPlainText()
