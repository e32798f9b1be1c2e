"""A panel's Save CSV…: the chosen file is written and named; a file that cannot be is said why."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QLabel, QWidget

from app.engine.errors import ExportError
from app.gui.views.csv_saving import ask_and_save_csv


def test_the_chosen_file_is_saved_and_named(qtbot, monkeypatch, tmp_path):
    parent, status = QWidget(), QLabel()
    qtbot.addWidget(parent)
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *args: (str(tmp_path / "out.csv"), ""))
    saved = []
    ask_and_save_csv(parent, "Save", "x.csv", lambda path: saved.append(path) or Path(path), status)
    assert saved == [str(tmp_path / "out.csv")] and status.text() == "Saved out.csv."


def test_a_file_that_cannot_be_written_says_why_and_a_cancel_does_nothing(qtbot, monkeypatch, tmp_path):
    parent, status = QWidget(), QLabel("before")
    qtbot.addWidget(parent)

    def refuse(path):
        raise ExportError("out.csv could not be written: read-only folder.")

    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *args: ("", ""))
    ask_and_save_csv(parent, "Save", "x.csv", refuse, status)
    assert status.text() == "before"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *args: (str(tmp_path / "out.csv"), ""))
    ask_and_save_csv(parent, "Save", "x.csv", refuse, status)
    assert status.text() == "out.csv could not be written: read-only folder."
