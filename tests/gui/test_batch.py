"""Batch separation from the window: gather recordings, run them as one job, hear what failed."""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox

from app.engine.separation import Method
from app.gui.workers import JobState
from tests.engine.bad_files import not_audio
from tests.gui.conftest import DEMO_MEETING
from tests.gui.test_workflow import save_screenshot, wait_done


def test_the_dialog_starts_with_the_open_recording_and_adds_a_folders_audio_once(demo_window, make_recording,
                                                                                  tmp_path):
    folder = tmp_path / "day1"
    folder.mkdir()
    a = make_recording("day1/a.wav", seconds=1.0)
    b = make_recording("day1/b.flac", seconds=1.0)
    (folder / "notes.txt").write_text("not audio")
    dialog = demo_window.processing.open_batch()
    assert dialog.files.paths() == [DEMO_MEETING]
    dialog.files.add_inputs([folder])
    dialog.files.add_inputs([folder, a])
    assert dialog.files.paths() == [DEMO_MEETING, a, b]
    assert dialog.run_button.text() == "Separate 3 recordings" and dialog.run_button.isEnabled()
    save_screenshot(dialog, "batch-dialog.png")
    dialog.files.list.item(0).setSelected(True)
    dialog.files.remove_selected()
    assert dialog.files.paths() == [a, b]
    request = dialog.request()
    assert request.settings.correct.model == "tiny-meco" and request.settings.separate.model == "tiny-separator"
    assert request.settings.blend_db is None
    dialog.blend.setCurrentIndex(dialog.blend.findData(-20.0))
    assert dialog.request().settings.blend_db == -20.0
    assert request.settings.reduce_noise_db is None
    dialog.noise.setCurrentIndex(dialog.noise.findData(12.0))
    assert dialog.request().settings.reduce_noise_db == 12.0
    assert not (request.settings.dereverb or request.settings.declick or request.settings.dropouts)
    for box in (dialog.dereverb, dialog.declick, dialog.dropouts):
        box.setChecked(True)
    chosen = dialog.request().settings.restoration
    assert chosen.dereverb and chosen.declick and chosen.dropouts and not chosen.declip
    dialog.reject()



def test_recordings_dropped_on_the_open_dialog_join_its_list(demo_window, make_recording):
    from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
    from PySide6.QtGui import QDropEvent

    extra = make_recording("later.wav", seconds=1.0)
    dialog = demo_window.processing.open_batch()
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(extra)), QUrl.fromLocalFile(str(DEMO_MEETING))])
    drop = QDropEvent(QPointF(50, 50), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                      Qt.KeyboardModifier.NoModifier)
    assert dialog.acceptDrops() and dialog.files.eventFilter(dialog, drop)     # as a drag's end delivers it
    assert dialog.files.paths() == [DEMO_MEETING, extra] and dialog.run_button.text() == "Separate 2 recordings"
    dialog.reject()

def test_a_batch_runs_as_one_job_and_names_the_file_that_failed(qtbot, demo_window, make_recording, tmp_path):
    good = make_recording("good.wav", seconds=1.5)
    dialog = demo_window.processing.open_batch()
    dialog.files.add_inputs([not_audio(tmp_path), good])
    dialog.folder.setText(str(tmp_path / "out"))
    dialog.correct.setChecked(False)
    request = dialog.request()
    dialog.reject()
    entry = demo_window.processing.start_batch(request)
    wait_done(qtbot, demo_window, entry)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["good", "mixture"]
    assert sorted(p.name for p in (tmp_path / "out" / "good").iterdir()) == ["spk1.wav", "spk2.wav"]
    box = demo_window.messages[-1]
    assert box.icon() == QMessageBox.Icon.Warning
    assert "Separated 2 of 3" in box.text() and "notes.wav" in box.text()


def test_the_batch_takes_a_method_channels_and_reference_and_refuses_an_unreadable_channel_list(demo_window):
    dialog = demo_window.processing.open_batch()
    dialog.separation.set_method(Method.ILRMA)
    dialog.separation.channels.setText("1-x")
    assert not dialog.run_button.isEnabled() and "not a channel list" in dialog.summary.text()
    dialog.separation.channels.setText("1,3")
    dialog.separation.reference.setValue(3)
    assert dialog.run_button.isEnabled()
    separate = dialog.request().settings.separate
    assert (separate.method, separate.channels, separate.reference_channel) == (Method.ILRMA, (0, 2), 2)
    dialog.reject()


def test_a_cancelled_batch_keeps_the_finished_recordings_only(qtbot, demo_window, make_recording, tmp_path):
    first, second = make_recording("first.wav", seconds=1.0), make_recording("second.wav", seconds=20.0)
    dialog = demo_window.processing.open_batch()
    dialog.files.clear()
    dialog.files.add_inputs([first, second])
    dialog.folder.setText(str(tmp_path / "out"))
    dialog.correct.setChecked(False)
    request = dialog.request()
    dialog.reject()
    entry = demo_window.processing.start_batch(request)
    qtbot.waitUntil(lambda: entry.progress is not None and entry.progress.stage.startswith("second.wav"),
                    timeout=30_000)
    demo_window.jobs.cancel(entry)
    qtbot.waitUntil(lambda: entry.state is JobState.CANCELLED, timeout=30_000)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["first"]


def test_each_file_shows_its_channels_rate_and_length_once_read(qtbot, demo_window, make_recording):
    stereo = make_recording("stereo.wav", seconds=2.0, channels=2, rate=48_000)
    dialog = demo_window.processing.open_batch()
    dialog.files.add_inputs([stereo])
    qtbot.waitUntil(lambda: all(dialog.files.facts(row) is not None for row in range(2)), timeout=5000)
    assert dialog.files.list.item(1).text() == f"stereo.wav — 2 ch, 48 kHz, 2.0 s · {stereo.parent}"
    assert dialog.summary.text().startswith("2 recordings, ") and "cannot be separated" not in dialog.summary.text()
    dialog.reject()


def test_a_file_the_choice_cannot_separate_is_marked_before_the_run_and_again_when_the_choice_changes(
        qtbot, demo_window, make_recording, tmp_path):
    stereo = make_recording("stereo.wav", seconds=2.0, channels=2)
    dialog = demo_window.processing.open_batch()
    dialog.files.add_inputs([stereo, not_audio(tmp_path)])
    dialog.separation.channels.setText("1-4")
    qtbot.waitUntil(lambda: dialog.files.list.item(1).text().startswith("⚠"), timeout=5000)
    assert "channel(s) [3, 4] do not exist" in dialog.files.list.item(1).toolTip()
    assert dialog.files.list.item(2).text().startswith("⚠ notes.wav — cannot be read")
    assert "notes.wav" in dialog.files.list.item(2).toolTip().splitlines()[1]
    assert not dialog.files.list.item(0).text().startswith("⚠")          # the demo meeting has four channels
    assert "2 cannot be separated as chosen" in dialog.summary.text() and dialog.run_button.isEnabled()
    save_screenshot(dialog, "batch-dialog-checked.png")
    dialog.separation.channels.setText("1-2")
    qtbot.waitUntil(lambda: not dialog.files.list.item(1).text().startswith("⚠"), timeout=5000)
    assert "1 cannot be separated as chosen" in dialog.summary.text()
    assert dialog.files.remove_marked_button.isVisibleTo(dialog)
    dialog.files.remove_marked_button.click()
    assert [p.name for p in dialog.files.paths()] == ["mixture.flac", "stereo.wav"]
    assert not dialog.files.remove_marked_button.isVisibleTo(dialog)
    dialog.reject()


def test_the_batchs_choices_are_offered_again_next_time(qtbot, demo_window, make_recording, tmp_path):
    dialog = demo_window.processing.open_batch([make_recording("good.wav", seconds=1.5)])
    dialog.folder.setText(str(tmp_path / "out"))
    dialog.correct.setChecked(False)
    dialog.between_turns.setChecked(True)
    dialog.loudness.setCurrentIndex(2)
    loudness = dialog.loudness.currentData()
    dialog.accept()
    wait_done(qtbot, demo_window, demo_window.jobs.entries[-1])
    again = demo_window.processing.open_batch()
    assert (again.correct.isChecked(), again.between_turns.isChecked(), again.loudness.currentData()) == \
        (False, True, loudness)
    again.reject()


def test_the_batch_writes_the_format_chosen_and_refuses_flac_float(qtbot, demo_window, make_recording, tmp_path):
    from app.engine.export import AudioFormat, SampleFormat

    dialog = demo_window.processing.open_batch([make_recording("good.wav", seconds=1.5)])
    dialog.folder.setText(str(tmp_path / "out"))
    dialog.format.setCurrentIndex(dialog.format.findData(AudioFormat.FLAC.value))
    dialog.sample_format.setCurrentIndex(dialog.sample_format.findData(SampleFormat.FLOAT.value))
    assert not dialog.run_button.isEnabled() and "FLAC cannot store float samples" in dialog.summary.text()
    dialog.format.setCurrentIndex(dialog.format.findData(AudioFormat.MP3.value))
    assert not dialog.sample_format.isEnabled() and dialog.run_button.isEnabled()
    assert dialog.summary.text().endswith("/<name>/spk1.mp3, spk2.mp3.")
    dialog.format.setCurrentIndex(dialog.format.findData(AudioFormat.FLAC.value))
    dialog.sample_format.setCurrentIndex(dialog.sample_format.findData(SampleFormat.PCM_24.value))
    dialog.correct.setChecked(False)
    request = dialog.request()
    dialog.reject()
    wait_done(qtbot, demo_window, demo_window.processing.start_batch(request))
    assert sorted(p.name for p in (tmp_path / "out" / "good").iterdir()) == ["spk1.flac", "spk2.flac"]
