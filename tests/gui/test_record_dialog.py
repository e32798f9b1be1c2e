"""File ▸ Record…: a take from the test array (tests/conftest.py) through the dialog into the window;
closing mid-take keeps it, Discard deletes it, and bad settings say why in the dialog."""

from __future__ import annotations

import pytest

from app.gui.dialogs.record_dialog import FORMATS, RecordDialog
from tests.conftest import TEST_ARRAY_DEVICE, TEST_ARRAY_RATE
from tests.gui.test_workflow import save_screenshot


def dialog_for_test_array(qtbot, window, tmp_path, seconds: float = 1.0) -> RecordDialog:
    window.stored.set_record_folder(tmp_path)
    dialog = window.open_record()
    qtbot.addWidget(dialog)
    dialog.device.setCurrentIndex(dialog.device.findData(TEST_ARRAY_DEVICE))
    dialog.channels.setValue(4)
    dialog.rate.setCurrentIndex(dialog.rate.findData(TEST_ARRAY_RATE))
    dialog.limit.setValue(seconds)
    return dialog


def test_a_take_with_a_limit_opens_in_the_window_when_it_ends(qtbot, window, tmp_path):
    dialog = dialog_for_test_array(qtbot, window, tmp_path)
    assert dialog.settings().path.parent == tmp_path and dialog.settings().path.suffix == ".flac"
    dialog.record_button.click()
    assert dialog.record_button.text() == "■ Stop" and not dialog.device.isEnabled() and not dialog.browse.isEnabled()
    qtbot.waitUntil(lambda: window.recording is not None, timeout=10_000)
    assert window.recording.path.parent == tmp_path
    assert (window.recording.info.channels, window.recording.sample_rate) == (4, TEST_ARRAY_RATE)
    assert window.recording.info.frames == TEST_ARRAY_RATE
    assert window.stored.input_device() == TEST_ARRAY_DEVICE


def test_the_meter_shows_a_bar_per_channel_while_recording(qtbot, window, tmp_path):
    dialog = dialog_for_test_array(qtbot, window, tmp_path, seconds=0)
    dialog.record_button.click()
    # The sines peak at −6 dBFS; the dialog's timer feeds the meter.
    qtbot.waitUntil(lambda: len(dialog.meter.bars_db) == 4 and (dialog.meter.bars_db > -7).all(), timeout=5000)
    assert dialog.meter.hold_db == pytest.approx(-6.0, abs=0.1)
    save_screenshot(dialog, "record-dialog.png")
    dialog.discard()


def test_closing_mid_take_keeps_it_and_discard_deletes_it(qtbot, window, tmp_path):
    dialog = dialog_for_test_array(qtbot, window, tmp_path, seconds=0)
    dialog.record_button.click()
    qtbot.waitUntil(lambda: dialog.take.seconds > 0, timeout=5000)
    dialog.reject()
    qtbot.waitUntil(lambda: window.recording is not None, timeout=5000)
    kept = window.recording.path
    assert kept.exists() and not dialog.isVisible()

    again = dialog_for_test_array(qtbot, window, tmp_path, seconds=0)
    again.record_button.click()
    qtbot.waitUntil(lambda: again.take.seconds > 0, timeout=5000)
    again.discard()
    assert sorted(p.name for p in tmp_path.iterdir()) == [kept.name] and again.isVisible()


def test_an_unusable_file_name_is_explained_in_the_dialog(qtbot, window, tmp_path):
    dialog = dialog_for_test_array(qtbot, window, tmp_path)
    dialog.path.setText(str(tmp_path / "missing" / "take.flac"))
    dialog.record_button.click()
    assert "does not exist" in dialog.status.text() and dialog.take is None
    assert dialog.record_button.text() == "● Record"


def test_the_format_choice_sets_the_file_suffix(qtbot, window, tmp_path):
    dialog = dialog_for_test_array(qtbot, window, tmp_path)
    dialog.format.setCurrentText("WAV, 32-bit float")
    assert dialog.settings().path.suffix == ".wav" and dialog.settings().subtype == FORMATS["WAV, 32-bit float"][1]


def test_a_take_made_while_jobs_run_is_saved_and_listed_not_opened(qtbot, demo_window, tmp_path):
    opened = demo_window.recording.path
    jobs = [demo_window.processing.run_separation(), demo_window.processing.run_separation()]   # one waits
    dialog = dialog_for_test_array(qtbot, demo_window, tmp_path, seconds=1)
    dialog.record_button.click()
    qtbot.waitUntil(lambda: dialog.result is not None, timeout=5000)
    assert demo_window.jobs.busy and demo_window.recording.path == opened
    take = dialog.result.path
    assert take.exists() and "is saved" in demo_window.messages[-1].text()
    assert demo_window.stored.recent_files()[0] == str(take)
    for entry in jobs:
        demo_window.jobs.cancel(entry)
    qtbot.waitUntil(lambda: not demo_window.jobs.busy, timeout=10_000)   # workers end before the window does


def test_a_take_from_two_devices_writes_a_file_each_and_opens_combine_on_them(qtbot, window, tmp_path, monkeypatch):
    from app.gui.dialogs.combine_dialog import CombineDialog
    from tests.conftest import TEST_PAIR_DEVICE

    dialog = dialog_for_test_array(qtbot, window, tmp_path)
    row = dialog.add_row()
    row.device.setCurrentIndex(row.device.findData(TEST_PAIR_DEVICE))
    row.channels.setValue(2)
    names = [s.path.name for s in dialog.all_settings()]
    assert names == [dialog.settings().path.name, names[1]] and names[1].endswith("-meco-test-pair.flac")
    assert dialog.files_note.isVisibleTo(dialog) and names[1] in dialog.files_note.text()
    dialog.record_button.click()
    qtbot.waitUntil(lambda: dialog.results != (), timeout=10_000)
    combine = next(w for w in window.findChildren(CombineDialog) if w.isVisible())
    qtbot.addWidget(combine)
    assert combine.files.paths() == [tmp_path / name for name in names]
    assert [window.stored.recent_files()[k] for k in (1, 0)] == [str(tmp_path / name) for name in names]
    assert window.recording is None
    offered = []

    def cancel_save_as(_parent, _title, path, _filter):
        offered.append(path)
        return "", ""

    monkeypatch.setattr("app.gui.combine_controller.QFileDialog.getSaveFileName", cancel_save_as)
    combine.accept()
    assert offered == [str(dialog.base_path().with_suffix(".wav"))]      # the take's own name, the devices' left off


def test_the_meter_has_a_bar_for_every_channel_of_every_device(qtbot, window, tmp_path):
    from tests.conftest import TEST_PAIR_DEVICE

    dialog = dialog_for_test_array(qtbot, window, tmp_path, seconds=0)
    row = dialog.add_row()
    row.device.setCurrentIndex(row.device.findData(TEST_PAIR_DEVICE))
    row.channels.setValue(2)
    dialog.record_button.click()
    assert not row.isEnabled() and not dialog.add_device.isEnabled()
    qtbot.waitUntil(lambda: len(dialog.meter.bars_db) == 6 and (dialog.meter.bars_db > -7).all(), timeout=5000)
    save_screenshot(dialog, "record-dialog-two-devices.png")
    dialog.discard()
    assert list(tmp_path.iterdir()) == []


def test_a_removed_device_is_not_recorded(qtbot, window, tmp_path):
    dialog = dialog_for_test_array(qtbot, window, tmp_path)
    dialog.remove_row(dialog.add_row())
    assert len(dialog.all_settings()) == 1 and dialog.settings().path.name.startswith("take-")
    assert not dialog.files_note.isVisibleTo(dialog)


def test_a_device_chosen_twice_is_explained_in_the_dialog(qtbot, window, tmp_path):
    dialog = dialog_for_test_array(qtbot, window, tmp_path)
    row = dialog.add_row()
    row.device.setCurrentIndex(row.device.findData(TEST_ARRAY_DEVICE))
    dialog.record_button.click()
    assert "twice in one take" in dialog.status.text() and dialog.take is None


def test_the_devices_recorded_together_are_offered_again_next_time(qtbot, window, tmp_path):
    from tests.conftest import TEST_PAIR_DEVICE

    dialog = dialog_for_test_array(qtbot, window, tmp_path)
    row = dialog.add_row()
    row.device.setCurrentIndex(row.device.findData(TEST_PAIR_DEVICE))
    dialog.reject()
    again = window.open_record()
    qtbot.addWidget(again)
    assert [r.device.currentData() for r in again.rows] == [TEST_ARRAY_DEVICE, TEST_PAIR_DEVICE]


def test_a_device_unplugged_mid_take_is_said_while_the_others_go_on(qtbot, window, tmp_path):
    from tests.conftest import TEST_PAIR_DEVICE

    dialog = dialog_for_test_array(qtbot, window, tmp_path, seconds=0)
    row = dialog.add_row()
    row.device.setCurrentIndex(row.device.findData(TEST_PAIR_DEVICE))
    dialog.record_button.click()
    pair = dialog.take.recorders[1]
    qtbot.waitUntil(lambda: pair.frames > 0, timeout=5000)
    pair._stream.abort()
    qtbot.waitUntil(lambda: "stopped delivering audio" in dialog.status.text(), timeout=5000)
    assert dialog.status.text().startswith(f"{TEST_PAIR_DEVICE} stopped delivering audio at ")
    assert dialog.recording
    dialog.discard()


def test_the_levels_show_before_the_take_so_the_gain_can_be_set(qtbot, window, tmp_path):
    from app.gui.dialogs.record_dialog import MONITORING

    dialog = dialog_for_test_array(qtbot, window, tmp_path, seconds=0)
    qtbot.waitUntil(lambda: len(dialog.monitors) == 1 and (dialog.meter.bars_db > -7).all(), timeout=5000)
    assert len(dialog.meter.bars_db) == 4 and dialog.status.text() == MONITORING and not dialog.recording
    assert list(tmp_path.iterdir()) == []                     # nothing is written while monitoring
    save_screenshot(dialog, "record-dialog-monitoring.png")
    dialog.record_button.click()
    assert dialog.monitors == [] and dialog.recording         # the take's stream replaces the monitor's
    dialog.discard()
    qtbot.waitUntil(lambda: len(dialog.monitors) == 1, timeout=5000)
    dialog.monitor_box.setChecked(False)
    qtbot.waitUntil(lambda: dialog.monitors == [], timeout=5000)
    assert dialog.status.text() == "The take was discarded."
    dialog.reject()


def test_closing_the_dialog_closes_the_monitors(qtbot, window, tmp_path):
    dialog = dialog_for_test_array(qtbot, window, tmp_path, seconds=0)
    qtbot.waitUntil(lambda: len(dialog.monitors) == 1, timeout=5000)
    monitor = dialog.monitors[0]
    dialog.reject()
    assert dialog.monitors == [] and monitor._stream is None


def test_levels_turned_off_stay_off_next_time(qtbot, window, tmp_path):
    dialog = dialog_for_test_array(qtbot, window, tmp_path)
    dialog.monitor_box.setChecked(False)
    dialog.reject()
    again = window.open_record()
    qtbot.addWidget(again)
    assert not again.monitor_box.isChecked()
    again.reject()


def test_each_device_records_at_its_own_rate_and_the_note_says_combine_brings_them_to_one(qtbot, window, tmp_path,
                                                                                          monkeypatch):
    import soundfile as sf

    from tests.conftest import TEST_PAIR_DEVICE

    dialog = dialog_for_test_array(qtbot, window, tmp_path, seconds=1)
    row = dialog.add_row()
    row.device.setCurrentIndex(row.device.findData(TEST_PAIR_DEVICE))
    row.rate.setCurrentIndex(row.rate.findData(48_000))
    assert [s.sample_rate for s in dialog.all_settings()] == [TEST_ARRAY_RATE, 48_000]
    assert "and brings their rates to one" in dialog.files_note.text()
    monkeypatch.setattr(window.combining, "open_dialog", lambda paths, suggested=None: None)
    dialog.record_button.click()
    qtbot.waitUntil(lambda: dialog.results != (), timeout=10_000)
    assert [sf.info(r.path).samplerate for r in dialog.results] == [TEST_ARRAY_RATE, 48_000]


def test_a_device_that_saved_nothing_is_named_and_the_others_take_is_kept(qtbot, window, tmp_path, monkeypatch):
    from app.engine.capture import CaptureResult, CaptureSettings
    from app.gui.main_window import MainWindow

    dialog = dialog_for_test_array(qtbot, window, tmp_path)
    kept = make_take(tmp_path / "take-pair.flac")
    dialog.taken = (CaptureSettings(tmp_path / "take-array.flac", 4, TEST_ARRAY_RATE),
                    CaptureSettings(kept, 2, TEST_ARRAY_RATE))
    dialog.results = (CaptureResult(None, 0, TEST_ARRAY_RATE, 0, "nothing was recorded"),
                      CaptureResult(kept, TEST_ARRAY_RATE, TEST_ARRAY_RATE, 0))
    monkeypatch.setattr(MainWindow, "open_path", lambda self, path: True)
    dialog.accept()
    assert window.messages[-1].text() == "take-array.flac: nothing was recorded."
    assert window.stored.recent_files()[0] == str(kept)


def make_take(path):
    import numpy as np
    import soundfile as sf

    sf.write(path, np.zeros((TEST_ARRAY_RATE, 2), np.float32), TEST_ARRAY_RATE)
    return path


def test_closing_the_window_mid_take_keeps_the_take_and_closes_the_devices(qtbot, window, tmp_path):
    dialog = dialog_for_test_array(qtbot, window, tmp_path, seconds=0)
    dialog.record_button.click()
    recorder = dialog.take.recorders[0]
    qtbot.waitUntil(lambda: recorder.frames > 0, timeout=5000)
    window.close()
    assert recorder._stream is None and dialog.monitors == [] and not dialog.recording
    [kept] = [r.path for r in dialog.results]
    assert kept.exists() and window.stored.recent_files()[0] == str(kept)
