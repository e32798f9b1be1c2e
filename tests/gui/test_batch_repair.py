"""Process ▸ Batch repair…: gather recordings, choose the repairs, run them as one job into copies,
hear what failed; the recordings themselves are never written."""

from __future__ import annotations

import numpy as np
import soundfile as sf

from app.engine.provenance import read_tags
from app.gui.workers import JobState
from tests.engine.bad_files import not_audio
from tests.gui.test_workflow import save_screenshot, wait_done


def clipped(path, rate=16_000):
    t = np.arange(2 * rate) / rate
    hiss = 0.001 * np.random.default_rng(0).standard_normal(t.size)     # a room: no spectrum of bare lines
    audio = np.clip(1.5 * np.sin(2 * np.pi * 220 * t) + hiss, -1, 1)
    sf.write(path, np.stack([audio, 0.5 * audio], axis=1), rate, subtype="PCM_16")
    return path


def test_the_dialog_lists_each_recording_and_offers_the_three_redraws(qtbot, window, tmp_path):
    dialog = window.processing.open_batch_repair([clipped(tmp_path / "a.wav"), not_audio(tmp_path)])
    qtbot.waitUntil(lambda: all(dialog.files.facts(row) is not None for row in range(2)), timeout=5000)
    assert dialog.files.list.item(0).text() == f"a.wav — 2 ch, 16 kHz, 2.0 s · {tmp_path}"
    assert dialog.files.list.item(1).text().startswith("⚠ notes.wav — cannot be read")
    request = dialog.request()
    assert (request.restoration.declip, request.restoration.dropouts, request.restoration.declick,
            request.restoration.dereverb) == (True, True, True, False)
    assert request.restoration.noise is None
    assert "1 cannot be read" in dialog.summary.text() and dialog.run_button.text() == "Repair 2 recordings"
    save_screenshot(dialog, "batch-repair-dialog.png")
    for box in (dialog.declip, dialog.dropouts, dialog.declick):
        box.setChecked(False)
    assert not dialog.run_button.isEnabled() and dialog.summary.text() == "Choose at least one repair."
    dialog.noise.setCurrentIndex(dialog.noise.findData(12.0))
    assert dialog.run_button.isEnabled() and dialog.request().restoration.noise.reduction_db == 12.0
    dialog.dehum.setChecked(True)
    assert dialog.request().restoration.dehum
    dialog.reject()


def test_a_batch_repair_writes_a_copy_of_each_and_names_the_file_that_failed(qtbot, window, tmp_path):
    src = clipped(tmp_path / "a.wav")
    before = src.read_bytes()
    dialog = window.processing.open_batch_repair([src, not_audio(tmp_path)])
    dialog.folder.setText(str(tmp_path / "out"))
    request = dialog.request()
    dialog.reject()
    entry = window.processing.start_batch_repair(request)
    wait_done(qtbot, window, entry)
    assert entry.state is JobState.DONE
    assert sf.info(tmp_path / "out" / "a.wav").subtype == "FLOAT" and src.read_bytes() == before
    assert "clipped runs redrawn" in read_tags(tmp_path / "out" / "a.wav")["comment"]
    message = window.messages[-1].text()
    assert message.startswith(f"Repaired 1 of 2 recording(s) into {tmp_path / 'out'}.\na.wav: ")
    assert "clipped runs" in message.splitlines()[1] and message.splitlines()[1].endswith(" redrawn")
    assert "1 could not be repaired:" in message and "notes.wav" in message


def test_only_what_each_needs_counts_each_recordings_damage_in_the_list(qtbot, window, tmp_path):
    dialog = window.processing.open_batch_repair([clipped(tmp_path / "a.wav")])
    dialog.as_needed.setChecked(True)
    qtbot.waitUntil(lambda: tmp_path / "a.wav" in dialog.damages(), timeout=20_000)
    text = dialog.files.list.item(0).text()
    assert text.startswith("a.wav — 2 ch, 16 kHz, 2.0 s; found ") and "clipped runs" in text
    assert "Each one's damage is counted; only what it calls for" in dialog.summary.text()
    request = dialog.request()
    assert request.as_needed and request.damages == dialog.damages()
    save_screenshot(dialog, "batch-repair-dialog-as-needed.png")
    dialog.as_needed.setChecked(False)
    qtbot.waitUntil(lambda: dialog.files.facts(0).found == "", timeout=5000)
    assert dialog.request().damages == {}
    dialog.reject()


def test_a_batch_repair_as_needed_says_what_it_found_in_each(qtbot, window, tmp_path):
    src = clipped(tmp_path / "a.wav")
    dialog = window.processing.open_batch_repair([src])
    dialog.folder.setText(str(tmp_path / "out"))
    dialog.as_needed.setChecked(True)
    dialog.dehum.setChecked(True)
    request = dialog.request()              # the list has likely not counted yet: the batch counts it
    dialog.reject()
    entry = window.processing.start_batch_repair(request)
    wait_done(qtbot, window, entry)
    line = window.messages[-1].text().splitlines()[1]
    assert line.startswith("a.wav: found ") and "clipped runs" in line and line.endswith(" redrawn")
    assert "hum" not in line.split(": ", 2)[2]           # none stood out, so none was notched


def test_the_repairs_chosen_are_offered_again_next_time(qtbot, window, tmp_path):
    dialog = window.processing.open_batch_repair([clipped(tmp_path / "a.wav")])
    dialog.folder.setText(str(tmp_path / "out"))
    dialog.declick.setChecked(False)
    dialog.dehum.setChecked(True)
    dialog.as_needed.setChecked(True)
    dialog.noise.setCurrentIndex(dialog.noise.findData(12.0))
    dialog.accept()
    wait_done(qtbot, window, window.jobs.entries[-1])
    again = window.processing.open_batch_repair()
    assert (again.declip.isChecked(), again.declick.isChecked(), again.dehum.isChecked(),
            again.as_needed.isChecked(), again.noise.currentData()) == (True, False, True, True, 12.0)
    assert again.folder.text() == str(tmp_path / "out")
    again.dehum.setChecked(False)
    again.reject()
    kept = window.processing.open_batch_repair()
    assert kept.dehum.isChecked()                          # what a cancelled dialog was changed to is not kept
    kept.reject()


def test_an_installed_speech_enhancer_is_offered_to_take_the_noise_out(qtbot, window, tmp_path, tiny_student_card):
    src = clipped(tmp_path / "a.wav")
    dialog = window.processing.open_batch_repair([src])
    dialog.folder.setText(str(tmp_path / "out"))
    index = dialog.noise.findText("Take the noise out with tiny-student (a speech enhancer, every channel)")
    assert index >= 0
    dialog.noise.setCurrentIndex(index)
    request = dialog.request()
    assert request.restoration.enhance.model == "tiny-student" and request.restoration.noise is None
    dialog.reject()
    wait_done(qtbot, window, window.processing.start_batch_repair(request))
    assert window.messages[-1].text().splitlines()[1].endswith("redrawn; speech enhanced by tiny-student")


def test_the_copies_can_be_flac(qtbot, window, tmp_path):
    dialog = window.processing.open_batch_repair([clipped(tmp_path / "a.wav")])
    dialog.folder.setText(str(tmp_path / "out"))
    dialog.format.setCurrentIndex(dialog.format.findData("flac/PCM_24"))
    assert f"{tmp_path / 'out'}/<name>.flac, FLAC, PCM 24-bit;" in dialog.summary.text()
    request = dialog.request()
    dialog.reject()
    wait_done(qtbot, window, window.processing.start_batch_repair(request))
    assert sf.info(tmp_path / "out" / "a.flac").subtype == "PCM_24" and not (tmp_path / "out" / "a.wav").exists()
