"""The file list of the batch dialogs: each file checked on the list's own thread, a long check
shown as it goes and closed as soon as it is no longer wanted."""

from __future__ import annotations

import threading
import time

import numpy as np
import soundfile as sf

from app.engine.batch import FileFacts
from app.gui.dialogs.file_list import FileList


def listed(qtbot, tmp_path) -> FileList:
    files = FileList("Recordings", lambda: str(tmp_path))
    qtbot.addWidget(files)
    sf.write(tmp_path / "a.wav", np.zeros(1600, dtype=np.float32), 16_000)
    files.add_inputs([tmp_path / "a.wav"])
    return files


def test_a_long_check_shows_how_far_it_has_got_then_what_it_found(qtbot, tmp_path):
    files, release = listed(qtbot, tmp_path), threading.Event()

    def check(_path):
        yield FileFacts(1, 16_000, 0.1, found="counting")
        release.wait(5)
        return FileFacts(1, 16_000, 0.1, found="found nothing")

    files.check_with(check)
    qtbot.waitUntil(lambda: getattr(files.facts(0), "found", "") == "counting", timeout=5000)
    files.show_facts()
    assert files.list.item(0).text() == f"a.wav — 1 ch, 16 kHz, 0.1 s; counting · {tmp_path}"
    release.set()
    qtbot.waitUntil(lambda: files.facts(0).found == "found nothing", timeout=5000)
    files.stop_checks()


def endless(closed: threading.Event):
    def check(_path):
        try:
            while True:
                time.sleep(0.01)
                yield FileFacts(1, 16_000, 0.1, found="still counting")
        finally:
            closed.set()
    return check


def test_a_newer_check_closes_a_long_one_and_takes_its_place(qtbot, tmp_path):
    files, closed = listed(qtbot, tmp_path), threading.Event()
    files.check_with(endless(closed))
    qtbot.waitUntil(lambda: files.facts(0) is not None, timeout=5000)
    files.check_with(lambda _path: FileFacts(1, 16_000, 0.1))
    assert closed.wait(5)
    qtbot.waitUntil(lambda: files.facts(0).found == "", timeout=5000)
    files.stop_checks()


def test_stopping_the_checks_closes_a_long_one(qtbot, tmp_path):
    files, closed = listed(qtbot, tmp_path), threading.Event()
    files.check_with(endless(closed))
    qtbot.waitUntil(lambda: files.facts(0) is not None, timeout=5000)
    files.stop_checks()
    assert closed.wait(5)
