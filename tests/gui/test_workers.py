"""The window's background threads: the newest-only request thread keeps serving after a request
fails in a way no one planned for."""

from __future__ import annotations

import threading

from app.gui.workers import NewestOnly


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
