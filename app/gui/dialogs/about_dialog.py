"""Help ▸ About: versions, folders and installed models, with Copy for a bug report."""

from __future__ import annotations

import PySide6
from PySide6.QtCore import qVersion
from PySide6.QtGui import QFontDatabase, QGuiApplication
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QPlainTextEdit, QVBoxLayout, QWidget

from app.engine.about import about_text


class AboutDialog(QDialog):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("About MeCo Studio")
        intro = QLabel("<b>MeCo Studio</b> separates the talkers of microphone-array recordings, polishes each "
                       "with MeCo (a MeanFlow one-step corrector) and shows how DISPatch students were "
                       "distilled. Copy this report into a bug report, or a paper's methods section.", wordWrap=True)
        self.report = QPlainTextEdit(about_text([("Qt", qVersion()), ("PySide6", PySide6.__version__)]))
        self.report.setReadOnly(True)
        self.report.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.report.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        copy = buttons.addButton("Copy", QDialogButtonBox.ButtonRole.ActionRole)
        copy.clicked.connect(self.copy)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.report, 1)
        layout.addWidget(buttons)
        self.resize(900, 440)

    def copy(self) -> None:
        QGuiApplication.clipboard().setText(self.report.toPlainText())
