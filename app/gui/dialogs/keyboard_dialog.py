"""View ▸ Customize keyboard shortcuts…: every window action with its keys and where it sits in the
menus, found by typing part of its name, menu or keys; a row's keys are set by pressing them,
cleared, or put back to the default, as in Audacity's Preferences ▸ Keyboard. A key another action
had is taken from it, and the note under the table says so (Default on that action gives it back)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QKeySequenceEdit,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.engine.errors import AppError
from app.engine.export import write_text_atomically
from app.gui import keyboard
from app.gui.dialogs.buttons import accept_cancel


class KeyboardDialog(QDialog):
    def __init__(self, actions: list[QAction], parent: QWidget | None = None) -> None:
        """`actions`: the window's customizable actions, with the keys they have now."""
        super().__init__(parent)
        self.setWindowTitle("Customize keyboard shortcuts")
        actions = sorted(actions, key=lambda a: keyboard.menu_path(a).lower())      # grouped by menu
        self.defaults = {a.objectName(): keyboard.default_keys(a) for a in actions}
        self.keys = {a.objectName(): [k.toString(keyboard.PORTABLE) for k in a.shortcuts()] for a in actions}
        self.names = list(self.keys)
        self.paths = [keyboard.menu_path(a) for a in actions]

        self.search = QLineEdit(placeholderText="Search actions, menus or keys")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self._filter)
        self.table = QTableWidget(len(self.names), 2)
        self.table.setHorizontalHeaderLabels(["Action", "Shortcut"])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        for row, path in enumerate(self.paths):
            self.table.setItem(row, 0, QTableWidgetItem(path))
            self.table.setItem(row, 1, QTableWidgetItem())
        self.table.itemSelectionChanged.connect(self._on_row_changed)

        self.key_edit = QKeySequenceEdit()
        self.key_edit.setMaximumSequenceLength(1)
        self.key_edit.setToolTip("Click here, then press the keys (Ctrl, Shift, Alt with a key)")
        self.key_edit.editingFinished.connect(self._on_keys_pressed)
        self.clear_button = QPushButton("Clear")
        self.clear_button.setToolTip("No shortcut for this action")
        self.clear_button.clicked.connect(lambda _checked=False: self.set_keys(self.current(), []))
        self.default_button = QPushButton("Default")
        self.default_button.setToolTip("This action's own shortcut, as the app comes")
        self.default_button.clicked.connect(lambda _checked=False: self.set_keys(self.current(),
                                                                                 self.defaults[self.current()]))
        self.import_button = QPushButton("Import…")
        self.import_button.setToolTip("Take the shortcuts of a file exported here or on another machine")
        self.import_button.clicked.connect(lambda _checked=False: self._on_import())
        self.export_button = QPushButton("Export…")
        self.export_button.setToolTip("Write every action's shortcuts to a file, for another machine")
        self.export_button.clicked.connect(lambda _checked=False: self._on_export())
        self.reset_all_button = QPushButton("Reset all")
        self.reset_all_button.setToolTip("Every action's own shortcut, as the app comes")
        self.reset_all_button.clicked.connect(self.reset_all)
        row = QHBoxLayout()
        row.addWidget(QLabel("Shortcut"))
        row.addWidget(self.key_edit, 1)
        row.addWidget(self.clear_button)
        row.addWidget(self.default_button)
        row.addStretch(1)
        row.addWidget(self.import_button)
        row.addWidget(self.export_button)
        row.addWidget(self.reset_all_button)
        self.note = QLabel(wordWrap=True)

        self.buttons, _ = accept_cancel(self, "OK")
        layout = QVBoxLayout(self)
        layout.addWidget(self.search)
        layout.addWidget(self.table, 1)
        layout.addLayout(row)
        layout.addWidget(self.note)
        layout.addWidget(self.buttons)
        self.resize(560, 620)
        self._show_keys()
        self.table.selectRow(0)

    def current(self) -> str:
        return self.names[self.table.currentRow()]

    def select(self, name: str) -> None:
        self.table.selectRow(self.names.index(name))

    def changes(self) -> dict[str, list[str]]:
        """The actions whose keys now differ from their defaults, as stored."""
        return keyboard.changes(self.keys, self.defaults)

    def set_keys(self, name: str, keys: list[str]) -> None:
        """Give `name` these keys; an action that had one of them loses it, which the note says."""
        taken = []
        for other, theirs in self.keys.items():
            lost = [k for k in theirs if k in keys]
            if other != name and lost:
                self.keys[other] = [k for k in theirs if k not in keys]
                now = keyboard.shown(self.keys[other]) or "no shortcut"
                taken.append(f"{keyboard.shown(lost)} was the shortcut of {other}, which now has {now}")
        self.keys[name] = list(keys)
        self.note.setText("; ".join(taken) + ("." if taken else ""))
        self._show_keys()
        self._on_row_changed()

    def import_keys(self, path: Path) -> None:
        """Take the keys a shortcuts file gives the actions known here (kept on OK); the note says
        what was taken, and names the actions this version does not have, or why the file was refused."""
        try:
            given = keyboard.read_keymap(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as err:
            self.note.setText(f"{path.name} was not read: {err}.")
            return
        known = {name: keys for name, keys in given.items() if name in self.keys}
        for name in self.names:               # the file's keys replace every one of these actions' keys
            if name in known:
                self.keys[name] = []
        for name, keys in known.items():
            self.set_keys(name, keys)
        unknown = sorted(set(given) - set(known))
        said = f"Took the shortcuts of {len(known)} action{'s' if len(known) != 1 else ''} from {path.name}"
        self.note.setText(said + (f"; not here: {', '.join(unknown)}." if unknown else "."))

    def export_keys(self, path: Path) -> None:
        try:
            write_text_atomically(path, keyboard.keymap_text(self.keys))
        except AppError as err:
            self.note.setText(str(err))
            return
        self.note.setText(f"Wrote every action's shortcuts to {path}.")

    def _on_import(self) -> None:
        chosen, _ = QFileDialog.getOpenFileName(self, "Import shortcuts", str(Path.home()),
                                                "Shortcuts (*.json);;All files (*)")
        if chosen:
            self.import_keys(Path(chosen))

    def _on_export(self) -> None:
        chosen, _ = QFileDialog.getSaveFileName(self, "Export shortcuts", str(Path.home() / "meco-shortcuts.json"),
                                                "Shortcuts (*.json)")
        if chosen:
            self.export_keys(Path(chosen))

    def reset_all(self) -> None:
        self.keys = {name: list(keys) for name, keys in self.defaults.items()}
        self.note.setText("Every action has its own shortcut again.")
        self._show_keys()
        self._on_row_changed()

    def _on_keys_pressed(self) -> None:
        sequence = self.key_edit.keySequence()
        if sequence.isEmpty() or self.table.currentRow() < 0:
            return
        self.set_keys(self.current(), [sequence.toString(keyboard.PORTABLE)])

    def _on_row_changed(self) -> None:
        if self.table.currentRow() < 0:
            return
        name = self.current()
        keys = self.keys[name]
        self.key_edit.setKeySequence(QKeySequence(keys[0]) if keys else QKeySequence())
        self.clear_button.setEnabled(bool(keys))
        self.default_button.setEnabled(keys != self.defaults[name])

    def _show_keys(self) -> None:
        for row, name in enumerate(self.names):
            item = self.table.item(row, 1)
            item.setText(keyboard.shown(self.keys[name]))
            font = item.font()
            font.setBold(self.keys[name] != self.defaults[name])     # changed from the default
            item.setFont(font)
        self._filter()

    def _filter(self) -> None:
        wanted = self.search.text().strip().lower()
        for row, path in enumerate(self.paths):
            found = wanted in path.lower() or wanted in self.table.item(row, 1).text().lower()
            self.table.setRowHidden(row, bool(wanted) and not found)

