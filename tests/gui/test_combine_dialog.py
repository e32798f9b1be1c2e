"""File ▸ Combine recorders into one array…: the recorders listed in order with the channels each
becomes, and the combined recording written as a job and opened."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.engine.combine import CombineSettings, Keep
from tests.engine.test_combine import RATE, _recorder, _scene
from tests.gui.test_workflow import save_screenshot, wait_done


@pytest.fixture
def recorders(tmp_path) -> list[Path]:
    sound = _scene(45)
    return [_recorder(tmp_path / "table-array.wav", sound, 2.0, 40, channels=4),
            _recorder(tmp_path / "phone.wav", sound, 0.0, 42, rate=48_000),
            _recorder(tmp_path / "camera.wav", sound, 3.0, 40, rate=44_100, channels=2)]


def read_dialog(qtbot, window, paths: list[Path]):
    """The combine dialog on `paths`, once each file's header has been read on the list's thread."""
    dialog = window.combining.open_dialog(paths)
    qtbot.waitUntil(lambda: all(dialog.files.facts(row) is not None for row in range(dialog.files.count())),
                    timeout=5000)
    return dialog


def test_the_recorders_are_listed_with_the_channels_each_becomes(qtbot, window, recorders):
    dialog = read_dialog(qtbot, window, recorders)
    assert dialog.files.paths() == recorders and dialog.run_button.isEnabled()
    assert dialog.files.list.item(0).text().startswith("1. table-array.wav: 4 ch, 16 kHz, 40.000 s → channels 1–4")
    assert "→ channel 5; placed on the first's clock" in dialog.files.list.item(1).text()
    assert "7 channels at 48 kHz" in dialog.summary.text()
    save_screenshot(dialog, "combine-dialog.png")
    dialog.reject()


def test_moving_a_recorder_first_makes_its_clock_the_one_kept(qtbot, window, recorders):
    dialog = read_dialog(qtbot, window, recorders)
    dialog.files.list.setCurrentRow(1)
    assert dialog.files.down_button.isEnabled() and dialog.files.up_button.isEnabled()
    dialog.files.move_selected(-1)
    assert dialog.files.paths()[0].name == "phone.wav" and "its clock is kept" in dialog.files.list.item(0).text()
    dialog.reject()


def test_one_recorder_is_not_enough_and_an_unreadable_file_is_marked_until_removed(qtbot, window, recorders,
                                                                                   tmp_path):
    (tmp_path / "notes.wav").write_text("not audio")
    dialog = read_dialog(qtbot, window, [recorders[0], tmp_path / "notes.wav"])
    assert dialog.files.list.item(1).text() == "2. notes.wav: ⚠ cannot be read"
    assert "notes.wav" in dialog.files.list.item(1).toolTip() and not dialog.run_button.isEnabled()
    assert "Remove the recordings that cannot be read" in dialog.summary.text()
    dialog.files.remove_marked_button.click()
    assert dialog.files.paths() == recorders[:1]
    assert not dialog.run_button.isEnabled() and "two or more recorders" in dialog.summary.text()
    dialog.reject()


def test_combine_waits_until_every_recording_has_been_read(qtbot, window, recorders):
    dialog = window.combining.open_dialog(recorders)
    assert not dialog.run_button.isEnabled() and dialog.summary.text() == "Reading the recordings…"
    qtbot.waitUntil(dialog.run_button.isEnabled, timeout=5000)
    dialog.reject()


def test_the_combined_recording_is_written_and_opens_with_every_channel(qtbot, window, recorders, tmp_path):
    dialog = read_dialog(qtbot, window, recorders)
    dialog.rate.setCurrentIndex(dialog.rate.findData(RATE))
    dialog.keep.setCurrentIndex(dialog.keep.findData(Keep.ALL.value))
    assert dialog.settings() == CombineSettings(RATE, 60.0, Keep.ALL, True)
    dialog.reject()
    wait_done(qtbot, window, window.combining.combine(dialog.files.paths(), dialog.settings(), tmp_path / "array.wav"))
    qtbot.waitUntil(lambda: window.recording is not None and window.recording.path == tmp_path / "array.wav",
                    timeout=10_000)
    assert window.recording.channels == 7 and window.recording.sample_rate == RATE
    message = window.statusBar().currentMessage()
    assert "on table-array.wav's clock: phone.wav 2.000 s earlier; camera.wav 1.000 s later" in message


def test_the_last_choices_are_offered_again(qtbot, window, recorders, tmp_path):
    chosen = CombineSettings(48_000, 120.0, Keep.ALL, False)
    wait_done(qtbot, window, window.combining.combine(recorders[:2], chosen, tmp_path / "array.wav"))
    dialog = window.combining.open_dialog()
    assert dialog.settings() == chosen
    dialog.reject()


def test_recordings_dropped_on_the_dialog_join_the_list(qtbot, window, recorders):
    from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
    from PySide6.QtGui import QDropEvent

    dialog = read_dialog(qtbot, window, recorders[:1])
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in recorders[1:]])
    drop = QDropEvent(QPointF(50, 50), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                      Qt.KeyboardModifier.NoModifier)
    assert dialog.acceptDrops() and dialog.files.eventFilter(dialog, drop)     # as a drag's end delivers it
    assert dialog.files.paths() == recorders
    dialog.reject()


def test_the_delete_key_removes_the_selected_recorders(qtbot, window, recorders):
    from PySide6.QtCore import Qt

    dialog = read_dialog(qtbot, window, recorders)
    dialog.files.list.setCurrentRow(1)
    qtbot.keyClick(dialog.files.list, Qt.Key.Key_Delete)
    assert dialog.files.paths() == [recorders[0], recorders[2]] and "channels 5–6" in dialog.files.list.item(1).text()
    dialog.reject()


def test_a_combined_recordings_channels_are_named_for_their_recorders_and_paired_within_one(qtbot, window, recorders,
                                                                                            tmp_path):
    from tests.gui.conftest import open_and_draw

    wait_done(qtbot, window, window.combining.combine(recorders, CombineSettings(RATE), tmp_path / "array.wav"))
    open_and_draw(qtbot, window, tmp_path / "array.wav")
    listen = [window.monitor_combo.itemText(k) for k in range(window.monitor_combo.count())]
    assert listen[3:7] == ["Ch 4 · table-array.wav", "Ch 5 · phone.wav", "Ch 6 · camera.wav", "Ch 7 · camera.wav"]
    assert listen[7:] == ["Ch 1 + 2 (L/R) · table-array.wav", "Ch 3 + 4 (L/R) · table-array.wav",
                          "Ch 6 + 7 (L/R) · camera.wav"]
    assert window.view._labels[4].toolTip() == "Channel 5: phone.wav, channel 5; click to listen to it alone"
    dialog = window.open_settings()
    assert dialog.monitor.itemText(4) == "Ch 5 · phone.wav"
    dialog.reject()
    export = window.exporter.recording_audio()                  # which channels to copy: a recorder's, by name
    export.pick.recorder.activated.emit(3)
    assert export.pick.channels.text() == "6-7" and export.channels() == (5, 6)
    export.reject()
    panel = window.delays.panel
    assert (panel.first.currentText(), panel.second.currentText()) == ("1 · table-array.wav", "5 · phone.wav")
    window.view.set_selection((1.0, 3.0))
    wait_done(qtbot, window, window.processing.run_analysis())
    assert [lane.name for lane in window.analysis_panel.lanes][4:] == ["Ch 5 · phone.wav", "Ch 6 · camera.wav",
                                                                      "Ch 7 · camera.wav"]


def test_taking_out_a_drift_in_a_combined_recording_starts_with_the_drifting_recorders_channels(qtbot, window,
                                                                                              recorders, tmp_path):
    from app.gui.dialogs.drift_dialog import DriftDialog
    from tests.gui.conftest import open_and_draw

    wait_done(qtbot, window, window.combining.combine(recorders, CombineSettings(RATE), tmp_path / "array.wav"))
    open_and_draw(qtbot, window, tmp_path / "array.wav")
    dialog = DriftDialog(7, 0, 5, 30.0, 1.0, window, window.recorders)
    assert dialog.chosen() == [5, 6] and dialog.boxes[6].text() == "Channel 7 · camera.wav"
    dialog.reject()


def test_one_file_of_a_take_from_several_devices_brings_the_others_once(qtbot, window, tmp_path):
    from tests.engine.test_take_group import recorded_take

    paths = recorded_take(tmp_path)
    dialog = window.combining.open_dialog([paths[1]])
    qtbot.waitUntil(lambda: dialog.files.count() == 2 and dialog.run_button.isEnabled(), timeout=5000)
    assert dialog.files.paths() == paths[::-1]
    assert f"Added {paths[0].name}, recorded in the same take as {paths[1].name}" in dialog.summary.text()
    dialog.files.list.setCurrentRow(1)
    dialog.files.remove_selected()
    qtbot.wait(200)
    assert dialog.files.paths() == [paths[1]]                               # removed stays removed
    dialog.reject()


def test_with_a_take_open_combine_starts_with_its_files(qtbot, window, tmp_path):
    from tests.engine.test_take_group import recorded_take

    paths = recorded_take(tmp_path)
    window.open_path(paths[0])
    qtbot.waitUntil(lambda: window.recording is not None, timeout=5000)
    assert window.statusBar().currentMessage() == (
        f"{paths[0].name} was recorded in one take with {paths[1].name}: File ▸ Combine recorders into one array… "
        "makes them one recording")
    dialog = window.combining.open_dialog()
    qtbot.waitUntil(lambda: dialog.files.paths() == paths, timeout=5000)
    dialog.reject()
