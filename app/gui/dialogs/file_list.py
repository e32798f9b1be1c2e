"""The list of input files in a dialog that takes many (batch separation, combining recorders):
Add files…, Add folder… (searched with its subfolders for audio), Remove or the Delete key, Move
up and down where the order matters, and files or folders dropped on the dialog; each file once,
in the order given. Each file can be checked (its header read) on a thread of the list's own
(`check_with`), so a folder of a thousand recordings never holds up the window; a check that
takes long (counting each recording's damage) says how far it has got, and stops when no longer
wanted."""

from __future__ import annotations

import threading
from collections.abc import Callable, Generator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.engine.batch import FileFacts
from app.engine.errors import AppError
from app.engine.files import expand_inputs
from app.engine.timecode import format_duration
from app.gui.dialogs.file_filters import AUDIO_FILTER


class FileList(QWidget):
    """`changed` is emitted when files are added, removed or moved, or the selection changes;
    `checked` when a file's check (`check_with`) has come back."""

    changed = Signal()
    checked = Signal()
    _check_done = Signal(object, int, object)    # path, the checks' generation, what the check returned or raised

    def __init__(self, caption: str, start: Callable[[], str], folders: bool = False, ordered: bool = False,
                 parent: QWidget | None = None) -> None:
        """`caption`: the file chooser's title; `start`: the folder it opens in; `folders`: offer Add
        folder…; `ordered`: offer Move up and down."""
        super().__init__(parent)
        self.caption, self.start = caption, start
        self._check: Callable[[Path], Any] | None = None
        self._checks: ThreadPoolExecutor | None = None
        self._queued: list[Future] = []
        self._generation = 0
        self._stale = threading.Event()        # set when the current check's results are no longer wanted
        self._check_done.connect(self._on_check_done)
        self.list = QListWidget()
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.list.setMinimumHeight(120)
        self.list.itemSelectionChanged.connect(self._changed)
        self.list.installEventFilter(self)
        self.add_button, self.remove_button = QPushButton("Add files…"), QPushButton("Remove")
        self.remove_marked_button = QPushButton("Remove ⚠", visible=False)
        self.remove_marked_button.setToolTip("Take off every file marked ⚠ (unreadable, or not to be done as chosen)")
        self.remove_marked_button.clicked.connect(lambda _checked=False: self.remove_marked())
        self.folder_button = QPushButton("Add folder…", visible=folders)
        self.up_button, self.down_button = QPushButton("Move up", visible=ordered), QPushButton("Move down",
                                                                                              visible=ordered)
        self.add_button.clicked.connect(self._on_add_files)
        self.folder_button.clicked.connect(self._on_add_folder)
        self.remove_button.clicked.connect(self.remove_selected)
        self.up_button.clicked.connect(lambda: self.move_selected(-1))
        self.down_button.clicked.connect(lambda: self.move_selected(1))
        buttons = QHBoxLayout()
        for button in (self.add_button, self.folder_button, self.remove_button, self.remove_marked_button,
                       self.up_button, self.down_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.list)
        layout.addLayout(buttons)
        self._changed()

    def accept_drops_on(self, widget: QWidget) -> None:
        """Files or folders dropped anywhere on `widget` (the dialog) join the list at its end."""
        widget.setAcceptDrops(True)
        widget.installEventFilter(self)

    def add_inputs(self, inputs: list[Path]) -> None:
        """Add each file, and the audio files found in folders, once, in the order given."""
        present = set(self.paths())
        for path in expand_inputs(inputs):
            if path in present:
                continue
            present.add(path)
            item = QListWidgetItem(str(path))
            item.setData(Qt.ItemDataRole.UserRole, (path, None))
            self.list.addItem(item)
            if self._check is not None:
                self._submit(path)
        self._changed()

    def check_with(self, check: Callable[[Path], Any]) -> None:
        """Run `check` on every file, now and as files join, on the list's thread; a row's `facts`
        become what it returned, or the AppError it raised, and `checked` is emitted. `check` must
        not touch widgets: make it from values read here, on the GUI thread. A newer check's
        results replace an older one's, whose late results are dropped. A `check` that returns a
        generator is shown as it goes: each value it yields becomes the row's facts for now, what it
        returns at last; a newer check, or `stop_checks`, closes it at its next yield."""
        self._new_generation()
        self._check = check
        if self._checks is None:
            self._checks = ThreadPoolExecutor(1, thread_name_prefix="file-check")
        for queued in self._queued:          # an older check's files not yet read: not read at all
            queued.cancel()
        self._queued = []
        for path in self.paths():
            self._submit(path)

    def stop_checks(self) -> None:
        """Drop the checks not yet run (the dialog closes)."""
        self._new_generation()
        self._check = None
        if self._checks is not None:
            self._checks.shutdown(wait=False, cancel_futures=True)
            self._checks = None

    def _new_generation(self) -> None:
        self._stale.set()
        self._stale, self._generation = threading.Event(), self._generation + 1

    def _submit(self, path: Path) -> None:
        check, generation, stale, signal = self._check, self._generation, self._stale, self._check_done
        assert check is not None and self._checks is not None

        def emit(facts: Any) -> None:
            try:
                signal.emit(path, generation, facts)
            except RuntimeError:          # the list is gone (its dialog closed) meanwhile
                pass

        def run() -> None:
            try:
                facts: Any = check(path)
                if isinstance(facts, Generator):
                    facts = _followed(facts, emit, stale)
            except AppError as err:
                facts = err
            if not stale.is_set():
                emit(facts)

        self._queued.append(self._checks.submit(run))

    def _on_check_done(self, path: Path, generation: int, facts: Any) -> None:
        if generation != self._generation:
            return
        for row, present in enumerate(self.paths()):
            if present == path:
                self.list.item(row).setData(Qt.ItemDataRole.UserRole, (path, facts))
        self.checked.emit()

    def show_facts(self) -> int:
        """Each row as "name — 4 ch, 16 kHz, 1:02.5 · folder" (and what a longer check found: "; found
        3 clipped runs, …"), from its check's `FileFacts`, marked ⚠
        with the reason on hovering where the check found a problem or could not read the file; how
        many are marked."""
        marked = 0
        for row, path in enumerate(self.paths()):
            facts, item = self.facts(row), self.list.item(row)
            problem = _problem(facts)
            if isinstance(facts, FileFacts):
                said = f"{facts.channels} ch, {facts.sample_rate / 1000:g} kHz, {format_duration(facts.seconds, 1)}" \
                    + (f"; {facts.found}" if facts.found else "")
            else:
                said = "reading…" if facts is None else "cannot be read"
            item.setText(f"{'⚠ ' if problem else ''}{path.name} — {said} · {path.parent}")
            item.setToolTip("\n".join(filter(None, [str(path), problem])))
            marked += bool(problem)
        self.remove_marked_button.setVisible(marked > 0)
        return marked

    def remove_marked(self) -> None:
        """Take off every file `show_facts` marked."""
        for row in reversed(range(self.count())):
            if _problem(self.facts(row)):
                self.list.takeItem(row)
        self._changed()

    def remove_selected(self) -> None:
        for item in self.list.selectedItems():
            self.list.takeItem(self.list.row(item))
        self._changed()

    def move_selected(self, step: int) -> None:
        """The one selected file a place up (`step` −1) or down."""
        rows = self._selected_rows()
        if len(rows) != 1 or not 0 <= rows[0] + step < self.list.count():
            return
        item = self.list.takeItem(rows[0])
        self.list.insertItem(rows[0] + step, item)
        self.list.setCurrentItem(item)
        self._changed()

    def paths(self) -> list[Path]:
        return [self.list.item(row).data(Qt.ItemDataRole.UserRole)[0] for row in range(self.list.count())]

    def facts(self, row: int) -> Any:
        """What the file at `row`'s check came back with (None until then)."""
        return self.list.item(row).data(Qt.ItemDataRole.UserRole)[1]

    def count(self) -> int:
        return self.list.count()

    def clear(self) -> None:
        self.list.clear()
        self._changed()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.list and event.type() == QEvent.Type.KeyPress and \
                isinstance(event, QKeyEvent) and event.key() == Qt.Key.Key_Delete:
            self.remove_selected()
            return True
        if isinstance(event, QDragEnterEvent) and any(url.isLocalFile() for url in event.mimeData().urls()):
            event.acceptProposedAction()
            return True
        if isinstance(event, QDropEvent) and event.type() == QEvent.Type.Drop:
            files = [Path(url.toLocalFile()) for url in event.mimeData().urls() if url.isLocalFile()]
            if files:
                event.acceptProposedAction()
                self.add_inputs(files)
                return True
        return super().eventFilter(watched, event)

    def _selected_rows(self) -> list[int]:
        return sorted(self.list.row(item) for item in self.list.selectedItems())

    def _changed(self) -> None:
        rows = self._selected_rows()
        self.remove_button.setEnabled(bool(rows))
        self.up_button.setEnabled(len(rows) == 1 and rows[0] > 0)
        self.down_button.setEnabled(len(rows) == 1 and rows[0] < self.list.count() - 1)
        self.changed.emit()

    def _on_add_files(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(self, self.caption, self.start(), AUDIO_FILTER)
        self.add_inputs([Path(p) for p in paths])

    def _on_add_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "A folder of recordings (searched with its subfolders)",
                                                self.start())
        if path:
            self.add_inputs([Path(path)])


def _followed(check: Generator[Any, None, Any], emit: Callable[[Any], None], stale: threading.Event) -> Any:
    """What `check` returns, each value it yields emitted meanwhile; closed as soon as `stale` is set."""
    try:
        while not stale.is_set():
            emit(next(check))
    except StopIteration as stop:
        return stop.value
    finally:
        check.close()
    return None


def _problem(facts: Any) -> str:
    """Why a file's check marks it: it could not be read, or what it found; "" when neither."""
    return str(facts) if isinstance(facts, AppError) else getattr(facts, "problem", "")

