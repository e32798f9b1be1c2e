"""Autosave and crash recovery: unsaved work outlives a crash, a killed process or a power cut.

Each running window owns one *slot* in the recovery folder: `<stamp>.mecosession/`, an ordinary
session folder that autosaves rewrite (new versions written, earlier ones hard-linked), and
`<stamp>.lock`, which the owning process holds locked while it lives. The operating system
drops the lock when the process dies however it dies, so a slot whose lock nobody holds is
work to recover; one still locked belongs to a window that is running and is left alone.
A window that closes normally (saved, or its changes discarded) removes its slot.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO

from app.engine.documents import SESSION_SUFFIX, Session, SessionSnapshot, contents_text, load_session_job, save_steps
from app.engine.jobs import Job, drive
from app.engine.paths import app_data_dir

log = logging.getLogger(__name__)

LOCK_SUFFIX = ".lock"

if os.name == "nt":
    import msvcrt

    def _try_lock(handle: IO[str]) -> bool:
        try:
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
else:
    import fcntl

    def _try_lock(handle: IO[str]) -> bool:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return False
        return True


def recovery_dir() -> Path:
    return app_data_dir() / "recovery"


def _held(lock_path: Path) -> bool:
    """True while a running process holds `lock_path` (flock locks conflict within one process too)."""
    if not lock_path.exists():
        return False
    try:
        handle = open(lock_path, "a+")
    except OSError:
        return False
    with handle:
        return not _try_lock(handle)


class RecoverySlot:
    """This window's autosave folder in `root`, locked from creation to `close`."""

    def __init__(self, root: Path) -> None:
        root.mkdir(parents=True, exist_ok=True)
        stamp = f"{datetime.now():%Y%m%d-%H%M%S}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self.path = root / f"{stamp}{SESSION_SUFFIX}"
        self._lock_path = root / f"{stamp}{LOCK_SUFFIX}"
        self._lock: IO[str] | None = open(self._lock_path, "a+")
        if not _try_lock(self._lock):
            raise OSError(f"the recovery lock {self._lock_path} is taken")

    def save(self, snapshot: SessionSnapshot) -> Job[Path]:
        """Autosave `snapshot` over the slot's previous one, writing only versions it lacks."""
        return save_steps(snapshot, self.path, overwrite=True, reuse=self.path)

    def clear(self) -> None:
        """Nothing left to recover (the session was saved, or its changes discarded)."""
        _remove_folder(self.path)

    def close(self) -> None:
        """Remove the slot and give up its lock: the window closed without leaving work behind."""
        self.clear()
        if self._lock is not None:
            self._lock.close()
            self._lock = None
            self._lock_path.unlink(missing_ok=True)


@dataclass(frozen=True)
class RecoverableSession:
    """An autosave left by a window that did not close normally."""

    path: Path
    recording: Path | None
    versions: int
    labels: int
    saved_at: datetime
    problem: str = ""          # why a damaged autosave cannot be read; it is kept, not deleted

    def summary(self) -> str:
        if self.problem:
            return f"{self.path.name}, autosaved {self.saved_at:%Y-%m-%d %H:%M}, cannot be read: {self.problem}"
        name = self.recording.name if self.recording else "an unnamed recording"
        return f"{name}: {contents_text(self.versions, self.labels)}, autosaved {self.saved_at:%Y-%m-%d %H:%M}"

    def load(self) -> Session:
        """The session as it was autosaved, marked unsaved (its folder is not one the user chose)."""
        return drive(self.load_job())

    def load_job(self) -> Job[Session]:
        """`load` a version at a time, for the window's jobs."""
        session = yield from load_session_job(self.path)
        session.path = None
        session.revision = session.saved_revision + 1
        return session


def recoverable_sessions(root: Path) -> list[RecoverableSession]:
    """Autosaves whose window is gone, newest first; leftovers of an interrupted write are removed.

    An autosave that cannot be read (a damaged disk) is listed with its problem and kept: its
    audio files may still be copied out by hand, so only the user discards it.
    """
    found = []
    for folder in sorted(root.glob(f"*{SESSION_SUFFIX}")):
        lock = folder.with_suffix(LOCK_SUFFIX)
        if _held(lock):
            continue
        try:
            document = json.loads((folder / "session.json").read_text())
            recording = document.get("recording")
            found.append(RecoverableSession(folder, Path(recording) if recording else None,
                                            len(document.get("versions", [])), len(document.get("labels", [])),
                                            datetime.fromtimestamp((folder / "session.json").stat().st_mtime)))
        except (OSError, ValueError, TypeError, AttributeError) as err:
            log.warning("unreadable autosave %s kept: %s", folder, err)
            found.append(RecoverableSession(folder, None, 0, 0, datetime.fromtimestamp(_mtime(folder)),
                                            problem=_reason(err)))
    for lock in root.glob(f"*{LOCK_SUFFIX}"):           # a slot that crashed before its first autosave
        if not lock.with_suffix(SESSION_SUFFIX).exists() and not _held(lock):
            discard(lock.with_suffix(SESSION_SUFFIX))
    return sorted(found, key=lambda r: r.saved_at, reverse=True)


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def _reason(err: Exception) -> str:
    if isinstance(err, FileNotFoundError):
        return "its session.json is missing"
    if isinstance(err, OSError):
        return f"its session.json cannot be read ({err.strerror or err})"
    return "its session.json is damaged"


def discard(folder: Path) -> None:
    """Remove an orphaned autosave, its lock and any half-written copy of it."""
    _remove_folder(folder)
    folder.with_suffix(LOCK_SUFFIX).unlink(missing_ok=True)


def _remove_folder(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)
    for leftover in folder.parent.glob(f".{folder.stem}.*"):      # save_steps' .part and .old folders
        shutil.rmtree(leftover, ignore_errors=True)
