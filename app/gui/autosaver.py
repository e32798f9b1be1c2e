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

log = logging.getLogger(__name__)

_CLEAR = object()        # a request to empty the slot: the session was saved, or its changes discarded


class Autosaver(QObject):
    failed = Signal(str)           # why an autosave could not be written, for the status bar

    def __init__(self, root: Path) -> None:
        super().__init__()
        self._root = root
        self._slot: RecoverySlot | None = None
        self._pending: tuple[int, SessionSnapshot | object] | None = None
        self._generation = 0           # advances at each clear: a write begun before it counts for nothing
        self._busy = False
        self._closing = False
        self._wake = threading.Condition()
        self.written_revision: int | None = None       # the revision the slot holds; None when empty
        self._thread = threading.Thread(target=self._run, name="autosave", daemon=True)
        self._thread.start()

    @property
    def idle(self) -> bool:
        with self._wake:
            return self._pending is None and not self._busy

    @property
    def slot_path(self) -> Path | None:
        return self._slot.path if self._slot is not None else None

    def submit(self, snapshot: SessionSnapshot) -> None:
        with self._wake:
            self._pending = (self._generation, snapshot)
            self._wake.notify()

    def clear(self) -> None:
        """Empty the slot; from now on it holds no revision, even while an older write finishes."""
        with self._wake:
            self._generation += 1
            self.written_revision = None
            self._pending = (self._generation, _CLEAR)
            self._wake.notify()

    def close(self) -> None:
        """Stop (a write in progress stops at its next block) and remove the slot: nothing is left to recover."""
        with self._wake:
            self._closing = True
            self._wake.notify()
        self._thread.join()

    def _run(self) -> None:
        while True:
            with self._wake:
                while self._pending is None and not self._closing:
                    self._wake.wait()
                if self._closing:
                    break
                (generation, what), self._pending, self._busy = self._pending, None, True
            try:
                self._write(generation, what)
            finally:
                with self._wake:
                    self._busy = False
        if self._slot is not None:
            self._slot.close()

    def _write(self, generation: int, what: SessionSnapshot | object) -> None:
        if what is _CLEAR:
            if self._slot is not None:
                self._slot.clear()
            return
        try:
            if self._slot is None:
                self._slot = RecoverySlot(self._root)
            drive(self._slot.save(what), should_stop=lambda: self._closing)
        except JobCancelled:
            return
        except (AppError, OSError) as err:
            log.warning("autosave failed: %s", err)
            self.failed.emit(str(err))
            return
        with self._wake:
            if generation == self._generation:
                self.written_revision = what.revision
