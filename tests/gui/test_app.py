"""Starting the app: the given file, or the first demo recording."""

from __future__ import annotations

import json
import sys

from app.engine.demo import first_demo_path
from app.gui.app import GIL_SWITCH_SECONDS, configure_application, start_main_window


def test_start_opens_the_given_file(qtbot, qapp, make_recording):
    window = start_main_window(qapp, str(make_recording("start.wav", channels=2)))
    qtbot.addWidget(window)
    path = window.recording.path
    assert window.isVisible() and window.windowTitle() == f"{path.parent.name}/start.wav[*] — MeCo Studio"
    assert not window.isWindowModified()
    assert window.view.channel_rows == 2


def test_start_without_a_file_opens_the_first_demo(qtbot, qapp):
    demo = first_demo_path()
    assert demo is not None, "resources/demo/manifest.jsonl should list a mixture"
    window = start_main_window(qapp, None)
    qtbot.addWidget(window)
    assert window.recording.path == demo and not window.messages


def test_start_without_a_file_or_demo_is_an_empty_window(qtbot, qapp, monkeypatch, tmp_path):
    monkeypatch.setattr("app.gui.app.first_demo_path", lambda: None)
    window = start_main_window(qapp, None)
    qtbot.addWidget(window)
    assert window.recording is None and window.view.channel_rows == 0 and not window.messages


def test_first_demo_is_the_first_manifest_line(tmp_path):
    (tmp_path / "mixtures").mkdir()
    (tmp_path / "mixtures" / "a.wav").write_bytes(b"RIFF")
    (tmp_path / "mixtures" / "b.wav").write_bytes(b"RIFF")
    lines = [{"mixture": "mixtures/a.wav", "talkers": 2}, {"mixture": "mixtures/b.wav"}]
    (tmp_path / "manifest.jsonl").write_text("\n".join(json.dumps(line) for line in lines))
    assert first_demo_path(tmp_path) == tmp_path / "mixtures" / "a.wav"


def test_no_demo_without_a_manifest_or_its_file(tmp_path):
    assert first_demo_path(tmp_path) is None
    (tmp_path / "manifest.jsonl").write_text(json.dumps({"mixture": "missing.wav"}) + "\n")
    assert first_demo_path(tmp_path) is None


def test_the_configured_app_lets_workers_hold_the_gil_for_at_most_a_millisecond(qapp):
    previous = sys.getswitchinterval()
    try:
        sys.setswitchinterval(0.005)
        configure_application(qapp)
        assert sys.getswitchinterval() == GIL_SWITCH_SECONDS <= 0.001
    finally:
        sys.setswitchinterval(previous)
