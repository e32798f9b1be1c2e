"""Process ▸ Models…: the installed models and what their cards say; the user's own are installed
(a card and its weights, checked against the card's sha256, as a job) and removed here."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QFontDatabase
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QSplitter,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.engine.errors import ModelLoadError
from app.engine.jobs import Job
from app.engine.model_store import install_model_job, is_shipped, remove_model
from app.engine.pipeline import ModelEntry, list_models, read_entry, user_models_dir
from app.gui.views.jobs_panel import fit_columns

CARD_DETAILS = ("architecture", "sample_rate", "parameters", "training", "data", "metrics", "inference")
Submit = Callable[[str, Callable[[], Job], Callable[[object], None]], object]


def card_text(entry: ModelEntry) -> str:
    """What the card says that a user weighs a model by, as indented JSON, then where it lies."""
    details = {key: entry.card[key] for key in CARD_DETAILS if key in entry.card}
    details["weights"] = entry.card.get("weights")
    return f"{entry.name} ({entry.task})\n\n{json.dumps(details, indent=2)}\n\ncard: {entry.card_path}"


class ModelsDialog(QDialog):
    changed = Signal()           # a model was installed or removed: the windows' menus follow

    def __init__(self, submit: Submit, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Models")
        self._submit = submit
        self.entries: list[ModelEntry] = []
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["Model", "Task", "Architecture", "Parameters", "Trained", "Kind"])
        self.tree.setRootIsDecorated(False)
        fit_columns(self.tree, stretch=0)
        self.tree.itemSelectionChanged.connect(self._on_selected)
        self.details = QPlainTextEdit(readOnly=True)
        self.details.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.tree)
        split.addWidget(self.details)
        split.setSizes([220, 260])
        note = QLabel(f"Your own models are kept in {user_models_dir()}; install one from the card (.json) a "
                      "training recipe wrote beside its weights.", wordWrap=True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        self.install_button = buttons.addButton("Install…", QDialogButtonBox.ButtonRole.ActionRole)
        self.install_button.clicked.connect(self.ask_install)
        self.remove_button = buttons.addButton("Remove", QDialogButtonBox.ButtonRole.ActionRole)
        self.remove_button.clicked.connect(self.remove_selected)
        folder = buttons.addButton("Open folder", QDialogButtonBox.ButtonRole.ActionRole)
        folder.clicked.connect(self._open_folder)
        buttons.rejected.connect(self.reject)
        self.status = QLabel(wordWrap=True)
        layout = QVBoxLayout(self)
        layout.addWidget(note)
        layout.addWidget(split, 1)
        layout.addWidget(self.status)
        layout.addWidget(buttons)
        self.resize(860, 560)
        self.refresh()

    def refresh(self) -> None:
        self.entries = list_models()
        self.tree.clear()
        for entry in self.entries:
            training = entry.card.get("training", {})
            steps = training.get("steps")
            trained = " on ".join(str(part) for part in (f"{steps} steps" if steps else None, training.get("device"))
                                  if part)
            params = entry.card.get("parameters")
            self.tree.addTopLevelItem(QTreeWidgetItem([
                entry.name, str(entry.task), entry.card["architecture"], f"{params / 1e6:.2f} M" if params else "",
                trained, "shipped" if is_shipped(entry) else "yours"]))
        self.tree.resizeColumnToContents(0)
        self.remove_button.setEnabled(False)
        self.details.setPlainText("")

    def selected(self) -> ModelEntry | None:
        items = self.tree.selectedItems()
        return self.entries[self.tree.indexOfTopLevelItem(items[0])] if items else None

    def _on_selected(self) -> None:
        entry = self.selected()
        self.details.setPlainText(card_text(entry) if entry else "")
        self.remove_button.setEnabled(entry is not None and not is_shipped(entry))

    def ask_install(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Install a model: its card", "", "Model cards (*.json)")
        if path:
            self.install(Path(path))

    def install(self, card: Path) -> None:
        """Install the card at `card` as a job; a user model of the same name is replaced only
        once the user says so."""
        try:
            name = read_entry(card.resolve()).name
        except ModelLoadError as err:
            self.status.setText(str(err))
            return
        mine = [e for e in self.entries if e.name == name and not is_shipped(e)]
        if mine:
            box = QMessageBox(QMessageBox.Icon.Question, "Replace the model?",
                              f"A model called {name} is installed already ({mine[0].card_path}). Replace it?",
                              QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel, self)
            box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            box.accepted.connect(lambda: self._start_install(card, overwrite=True))
            box.open()
            return
        self._start_install(card, overwrite=False)

    def _start_install(self, card: Path, overwrite: bool) -> None:
        self.status.setText(f"Installing {card.name}… (the Jobs panel shows how far)")
        self._submit(f"Install the model {card.name}", lambda: install_model_job(card, overwrite),
                     self._on_installed)

    def _on_installed(self, entry: object) -> None:
        assert isinstance(entry, ModelEntry)
        self.status.setText(f"Installed {entry.name} ({entry.task}).")
        self.refresh()
        self.changed.emit()

    def remove_selected(self) -> None:
        entry = self.selected()
        if entry is None:
            return
        try:
            remove_model(entry.name)
        except ModelLoadError as err:
            self.status.setText(str(err))
            return
        self.status.setText(f"Removed {entry.name}.")
        self.refresh()
        self.changed.emit()

    def _open_folder(self) -> None:
        folder = user_models_dir()
        folder.mkdir(parents=True, exist_ok=True)
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))
