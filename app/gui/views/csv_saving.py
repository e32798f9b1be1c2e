"""Save CSV… of a panel (Analysis, Spectrum, Metrics, Delays): ask where, write, and say so."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QLabel, QWidget

from app.engine.errors import ExportError


def ask_and_save_csv(parent: QWidget, title: str, suggested: str, save: Callable[[str], Path], status: QLabel) -> None:
    """Ask for a CSV path (titled `title`, starting at `suggested`) and `save` to it; `status` says
    what was saved, or why it could not be."""
    path, _ = QFileDialog.getSaveFileName(parent, title, suggested, "CSV files (*.csv)")
    if path:
        try:
            status.setText(f"Saved {save(path).name}.")
        except ExportError as err:
            status.setText(str(err))
