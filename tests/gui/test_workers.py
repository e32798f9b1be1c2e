"""The window's background threads: the newest-only request thread keeps serving after a request
fails in a way no one planned for, and a set of job workers delivers every worker's result."""

from __future__ import annotations

import threading

from app.engine.jobs import Job, Progress
from app.gui.workers import JobWorker, NewestOnly, WorkerSet


def test_a_request_that_fails_does_not_end_the_newest_only_thread():
    handled, done = [], threading.Event()

    def handle(request: int) -> None:
        if request == 1:
            raise ValueError("a bug in one request")
        handled.append(request)
        done.set()

    worker = NewestOnly(handle, "test-worker")
    try:
        worker.put(1)
        while not worker.idle:
            threading.Event().wait(0.005)
        worker.put(2)
        assert done.wait(5) and handled == [2]
    finally:
        worker.close()


def _answer(value: int) -> Job[int]:
    yield Progress("answer", 1, 1)
    return value


def test_a_worker_set_delivers_every_result_when_the_threads_end_before_the_gui_thread_looks(qtbot):
    """Two workers whose threads both end before either result is handled: the first result's
    slot must not drop the second worker, still holding its queued result, with that result."""
    workers, results = WorkerSet(), []
    pair = [JobWorker(_answer(value)) for value in (1, 2)]
    for worker in pair:
        worker.finished.connect(results.append)
        workers.start(worker)
    del worker
    for worker in pair:
        assert worker.wait(5)
    pair.clear()                                 # the set holds them alone now, as a view does
    qtbot.waitUntil(lambda: len(workers) == 0, timeout=5_000)
    assert sorted(results) == [1, 2]
