"""The window's autosave: its session's latest snapshot, kept in a recovery slot by a thread of its own.

`submit` replaces a snapshot still waiting, so a burst of edits costs one write; each write adds
only the versions the slot lacks (`app.engine.recovery`). The slot is created at the first
autosave, so a window that never has unsaved work leaves no trace.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from app.engine.documents import SessionSnapshot
from app.engine.errors import AppError, JobCancelled
from app.engine.jobs import drive
from app.engine.recovery import RecoverySlot
from app.gui.workers import NewestOnly

log = logging.getLogger(__name__)

_CLEAR = object()        # a request to empty the slot: the session was saved, or its changes discarded


class Autosaver(QObject):
    failed = Signal(str)           # why an autosave could not be written, for the status bar

    def __init__(self, root: Path) -> None:
        super().__init__()
        self._root = root
        self._slot: RecoverySlot | None = None
        self._lock = threading.Lock()
        self._generation = 0           # advances at each clear: a write begun before it counts for nothing
        self.written_revision: int | None = None       # the revision the slot holds; None when empty
        self._latest = NewestOnly(self._write, "autosave", finish=self._close_slot)

    @property
    def idle(self) -> bool:
        return self._latest.idle

    @property
    def slot_path(self) -> Path | None:
        return self._slot.path if self._slot is not None else None

    def submit(self, snapshot: SessionSnapshot) -> None:
        with self._lock:
            self._latest.put((self._generation, snapshot))

    def clear(self) -> None:
        """Empty the slot; from now on it holds no revision, even while an older write finishes."""
        with self._lock:
            self._generation += 1
            self.written_revision = None
            self._latest.put((self._generation, _CLEAR))

    def close(self) -> None:
        """Stop (a write in progress stops at its next block) and remove the slot: nothing is left to recover."""
        self._latest.close()

    def _close_slot(self) -> None:
        if self._slot is not None:
            self._slot.close()

    def _write(self, request: tuple[int, SessionSnapshot | object]) -> None:
        generation, what = request
        if what is _CLEAR:
            if self._slot is not None:
                self._slot.clear()
            return
        try:
            if self._slot is None:
                self._slot = RecoverySlot(self._root)
            drive(self._slot.save(what), should_stop=lambda: self._latest.closing)
        except JobCancelled:
            return
        except (AppError, OSError) as err:
            log.warning("autosave failed: %s", err)
            self.failed.emit(str(err))
            return
        with self._lock:
            if generation == self._generation:
                self.written_revision = what.revision
