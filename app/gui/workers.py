"""Background work for the GUI: spectrogram images and long jobs, computed off the GUI thread, and
`NewestOnly`, the thread that handles only the newest of its requests (redraws, autosaves).

The view asks for the range it shows; while one image is being computed newer requests
replace older ones, so a fast zoom computes only the latest view. Results arrive as a queued
signal; only GUI-thread slots touch widgets.
"""

from __future__ import annotations

import logging
import threading
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, Signal

from app.engine.errors import AppError, JobCancelled
from app.engine.files import Recording
from app.engine.jobs import Job, Progress, drive
from app.engine.spectrogram import (
    SpectrogramImage,
    SpectrogramSettings,
    TileCache,
    exact_envelope,
    image_steps,
    to_color_indices,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RenderRequest:
    start_frame: int
    stop_frame: int
    columns: int
    rows: int
    settings: SpectrogramSettings
    channels: tuple[int, ...] | None = None     # those shown (0-based), in order; None: all


@dataclass(frozen=True)
class RenderResult:
    recording: Recording          # results still queued after a file change are recognised and dropped
    request: RenderRequest
    image: SpectrogramImage
    colors: np.ndarray            # (channels shown, columns, rows) uint8 colormap indices
    envelope_start_frame: int
    envelope_stride: float        # frames per envelope column
    envelope_min: np.ndarray      # (channels, columns)
    envelope_max: np.ndarray


def render_steps(recording: Recording, request: RenderRequest, cache: TileCache) -> Iterator[RenderResult]:
    """A redraw's data as it grows: spectrogram tiles, colours, and an exact waveform envelope
    when the visible span is short enough to read whole (zoomed in to the real hop or closer)."""
    s = request.settings
    exact = None
    for image in image_steps(recording, request.start_frame, request.stop_frame, request.columns, s,
                             request.rows, request.channels, cache=cache):
        colors = to_color_indices(image.level_db, s.floor_db, s.ceiling_db)
        if image.stride > s.hop:
            envelope = (image.start_frame, float(image.stride), image.envelope_min, image.envelope_max)
        else:
            if exact is None:
                start, per_column, low, high = exact_envelope(recording, request.start_frame, request.stop_frame,
                                                              request.columns)
                exact = (start, per_column, low[list(image.channels)], high[list(image.channels)])
            envelope = exact
        yield RenderResult(recording, request, image, colors, *envelope)


class SpectrogramWorker(QObject):
    """One thread per open recording; `request` never blocks the caller."""

    ready = Signal(object)     # RenderResult
    failed = Signal(str)       # an AppError's message

    def __init__(self, recording: Recording) -> None:
        super().__init__()
        self.recording = recording
        self.cache = TileCache()          # per recording: tiles of another file never match
        self._reported = False     # a damaged file is reported once, not on every redraw
        self._latest = NewestOnly(self._render, "spectrogram-worker")

    def request(self, request: RenderRequest) -> None:
        self._latest.put(request)

    def close(self) -> None:
        """Stop after the image in progress; waits for the thread."""
        self._latest.close()

    def _render(self, request: RenderRequest) -> None:
        steps = render_steps(self.recording, request, self.cache)
        try:
            for result in steps:
                self.ready.emit(result)
                if self._latest.superseded:        # the view moved on
                    break
        except AppError as err:      # the thread's edge: said once, other ranges still draw
            log.exception("spectrogram failed")
            if not self._reported:
                self._reported = True
                self.failed.emit(str(err))
        finally:
            steps.close()


class NewestOnly:
    """A thread that handles requests one at a time, and only the newest: a request made while
    one is handled replaces any still waiting (a fast zoom draws only where it stopped; a burst
    of edits costs one autosave)."""

    def __init__(self, handle: Callable[[Any], None], name: str, finish: Callable[[], None] | None = None) -> None:
        self._handle, self._finish = handle, finish
        self._wake = threading.Condition()
        self._pending: Any = None
        self._busy = False
        self.closing = False
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def put(self, request: Any) -> None:
        with self._wake:
            self._pending = request
            self._wake.notify()

    @property
    def superseded(self) -> bool:
        """A newer request waits, or the thread is closing: the one in hand may stop early."""
        return self._pending is not None or self.closing

    @property
    def idle(self) -> bool:
        with self._wake:
            return self._pending is None and not self._busy

    def close(self) -> None:
        """Stop after the request in hand (which may stop early, see `superseded`); runs `finish`
        in the thread, then waits for it."""
        with self._wake:
            self.closing = True
            self._wake.notify()
        self._thread.join()

    def _run(self) -> None:
        while True:
            with self._wake:
                while self._pending is None and not self.closing:
                    self._wake.wait()
                if self.closing:
                    break
                request, self._pending, self._busy = self._pending, None, True
            try:
                self._handle(request)
            except Exception:        # the thread's edge: one request's bug must not end the thread
                log.exception("%s failed on a request; it goes on with the next", self._thread.name)
            finally:
                with self._wake:
                    self._busy = False
        if self._finish is not None:
            self._finish()


class JobState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    CANCELLING = "cancelling"
    CANCELLED = "cancelled"
    FAILED = "failed"
    DONE = "done"


FINAL_STATES = (JobState.CANCELLED, JobState.FAILED, JobState.DONE)


class JobWorker(QObject):
    """Runs one job generator in its own thread (superqt's GeneratorWorker semantics).

    Each `yield Progress` becomes `progress`, and is the only place a `cancel()` takes effect:
    the generator is closed there (its `finally` removes partial output) and `cancelled` is
    emitted instead of `finished`. Exactly one of `finished`, `failed`, `cancelled` arrives.
    Signals cross to the GUI thread queued; only GUI-thread slots touch widgets.
    """

    progress = Signal(object)      # Progress
    finished = Signal(object)      # the job's return value
    failed = Signal(str, str)      # a sentence for the user, and details (traceback) to copy
    cancelled = Signal()

    def __init__(self, job: Job) -> None:
        super().__init__()
        self.job = job
        self._cancel = threading.Event()
        self._thread = threading.Thread(target=self._run, name="job-worker", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def cancel(self) -> None:
        self._cancel.set()

    def wait(self, timeout_seconds: float | None = None) -> bool:
        """Block until the job ended (after a cancel: within one chunk); True if it did."""
        if self._thread.is_alive():
            self._thread.join(timeout_seconds)
        return not self._thread.is_alive()

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def _run(self) -> None:
        try:
            result = drive(self.job, self.progress.emit, self._cancel.is_set)
        except JobCancelled:
            self.cancelled.emit()
        except AppError as err:          # the thread's edge: the user reads the sentence
            log.info("job failed: %s", err)
            self.failed.emit(str(err), traceback.format_exc())
        except Exception as err:         # a bug: still shown, with details to report
            log.exception("job crashed")
            self.failed.emit(f"The job stopped because of an internal error ({type(err).__name__}: {err}). "
                             "Copy the details and report them.", traceback.format_exc())
        else:
            self.finished.emit(result)


class WorkerSet:
    """Workers started and held until their own last signal has reached the GUI thread.

    A worker is dropped by the slot that its last signal queues after the caller's slots, never
    because its thread has ended: one dropped while its signal is still queued (another worker's
    slot pruning the finished ones) is deleted with the signal, which then never arrives.
    """

    def __init__(self) -> None:
        self._workers: list[JobWorker] = []

    def start(self, worker: JobWorker) -> JobWorker:
        """Start `worker`; connect its slots first, so that they run before it is dropped."""
        for signal in (worker.finished, worker.failed, worker.cancelled):
            signal.connect(lambda *_, w=worker: self._drop(w))
        self._workers.append(worker)
        worker.start()
        return worker

    def _drop(self, worker: JobWorker) -> None:
        if worker in self._workers:
            self._workers.remove(worker)

    def __len__(self) -> int:
        return len(self._workers)

    def cancel(self, wait: bool = False) -> None:
        """Cancel them all (each ends within one chunk); `wait`: until they have."""
        for worker in self._workers:
            worker.cancel()
            if wait:
                worker.wait()


@dataclass(eq=False)
class JobEntry:
    """One row of the job queue; `make` builds the generator when the job starts, so it sees
    the session as it is then."""

    title: str
    make: Callable[[], Job]
    on_result: Callable[[object], None]
    state: JobState = JobState.QUEUED
    progress: Progress | None = None
    message: str = ""
    details: str = ""
    worker: JobWorker | None = None


class JobQueue(QObject):
    """Jobs run one at a time, in order (the CPU is shared; two models at once only thrash)."""

    changed = Signal(object)       # JobEntry whose state or progress changed
    failed = Signal(object)        # JobEntry that failed: the window shows its message

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.entries: list[JobEntry] = []
        self.current: JobEntry | None = None

    def submit(self, title: str, make: Callable[[], Job], on_result: Callable[[object], None]) -> JobEntry:
        entry = JobEntry(title, make, on_result)
        self.entries.append(entry)
        self.changed.emit(entry)
        self._start_next()
        return entry

    @property
    def busy(self) -> bool:
        return any(e.state in (JobState.QUEUED, JobState.RUNNING, JobState.CANCELLING) for e in self.entries)

    def cancel(self, entry: JobEntry) -> None:
        if entry.state is JobState.QUEUED:
            entry.state = JobState.CANCELLED
            self.changed.emit(entry)
        elif entry.state is JobState.RUNNING and entry.worker is not None:
            entry.state = JobState.CANCELLING
            entry.worker.cancel()
            self.changed.emit(entry)

    def cancel_all(self) -> None:
        for entry in list(self.entries):
            self.cancel(entry)

    def shutdown(self) -> None:
        """Cancel everything and wait for the running job to stop at its next chunk."""
        self.cancel_all()
        current = self.current
        if current is not None and current.worker is not None:
            current.worker.wait()
            self._end(current, JobState.CANCELLED)

    def clear_finished(self) -> None:
        self.entries = [e for e in self.entries if e.state not in FINAL_STATES]

    def _start_next(self) -> None:
        if self.current is not None:
            return
        entry = next((e for e in self.entries if e.state is JobState.QUEUED), None)
        if entry is None:
            return
        self.current = entry
        entry.state = JobState.RUNNING
        try:
            job = entry.make()
        except AppError as err:
            entry.message, entry.details = str(err), traceback.format_exc()
            self._end(entry, JobState.FAILED)
            self.failed.emit(entry)
            return
        worker = JobWorker(job)
        entry.worker = worker
        worker.progress.connect(lambda p, e=entry: self._on_progress(e, p))
        worker.finished.connect(lambda result, e=entry: self._on_finished(e, result))
        worker.failed.connect(lambda message, details, e=entry: self._on_failed(e, message, details))
        worker.cancelled.connect(lambda e=entry: self._end(e, JobState.CANCELLED))
        self.changed.emit(entry)
        worker.start()
        log.info("job started: %s", entry.title)

    def _on_progress(self, entry: JobEntry, progress: Progress) -> None:
        if entry.state in FINAL_STATES:
            return
        entry.progress = progress
        self.changed.emit(entry)

    def _on_finished(self, entry: JobEntry, result: object) -> None:
        if entry.state in FINAL_STATES:
            return
        try:
            entry.on_result(result)
        except AppError as err:
            entry.message, entry.details = str(err), traceback.format_exc()
            self._end(entry, JobState.FAILED)
            self.failed.emit(entry)
            return
        self._end(entry, JobState.DONE)

    def _on_failed(self, entry: JobEntry, message: str, details: str) -> None:
        if entry.state in FINAL_STATES:
            return
        entry.message, entry.details = message, details
        self._end(entry, JobState.FAILED)
        self.failed.emit(entry)

    def _end(self, entry: JobEntry, state: JobState) -> None:
        if entry.state in FINAL_STATES:
            return
        entry.state = state
        log.info("job %s: %s", state, entry.title)
        if self.current is entry:
            self.current = None
        self.changed.emit(entry)
        self._start_next()
