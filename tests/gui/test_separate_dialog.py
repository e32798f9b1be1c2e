"""Process ▸ Separate with options…: method, channels and reference, checked as typed, then
repeated by Ctrl+R for the same recording."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.engine.documents import VersionKind
from app.engine.separation import Method
from app.gui.dialogs.separate_dialog import SeparateDialog
from tests.gui.conftest import open_and_draw
from tests.gui.test_workflow import save_screenshot, wait_done


def test_the_dialog_offers_the_installed_separators_and_the_classical_methods(qtbot, window, make_recording,
                                                                              tiny_separator_card):
    window.stored.set_model("separation", "tiny-separator")
    open_and_draw(qtbot, window, make_recording(channels=4))
    dialog = window.processing.open_separate_options()
    labels = [dialog.fields.method.itemText(k) for k in range(dialog.fields.method.count())]
    assert any(label.startswith("tiny-separator ") for label in labels)
    assert [label.split(":")[0] for label in labels[-2:]] == ["AuxIVA", "ILRMA"]
    assert dialog.fields.method.currentText().startswith("tiny-separator ")       # the one chosen in Settings
    assert dialog.summary.text().startswith("Uses 4 of 4 channels (1, 2, 3, 4)")
    save_screenshot(dialog, "separate-dialog.png")
    dialog.reject()


def test_auxiva_makes_versions_named_for_it_and_ctrl_r_repeats_the_choice(qtbot, window, make_recording):
    open_and_draw(qtbot, window, make_recording(channels=4))
    dialog = window.processing.open_separate_options()
    dialog.fields.set_method(Method.AUXIVA)
    dialog.fields.channels.setText("1-3")
    dialog.fields.reference.setValue(2)
    assert dialog.summary.text().startswith("Uses 3 of 4 channels (2, 1, 3); each talker is estimated at channel 2")
    dialog.accept()
    wait_done(qtbot, window, window.jobs.entries[-1])
    separated = [v for v in window.session.versions if v.kind is VersionKind.SEPARATED]
    assert [v.name for v in separated] == ["AuxIVA · talker 1", "AuxIVA · talker 2"]
    assert separated[0].settings["channels"] == [0, 1, 2] and separated[0].settings["reference_channel"] == 1
    entry = window.processing.run_separation()               # Ctrl+R: the same method, channels, reference
    wait_done(qtbot, window, entry)
    assert entry.title.startswith("Separate (AuxIVA)")
    assert window.session.versions[-1].settings["reference_channel"] == 1


def test_a_bad_channel_list_or_too_few_channels_keeps_separate_disabled_with_the_reason(qtbot, window,
                                                                                      make_recording):
    open_and_draw(qtbot, window, make_recording(channels=4))
    dialog = window.processing.open_separate_options()
    dialog.fields.set_method(Method.ILRMA)
    dialog.fields.channels.setText("1-x")
    assert not dialog.run_button.isEnabled() and "is not a channel list like 1-4,6" in dialog.summary.text()
    dialog.fields.channels.setText("9")
    assert not dialog.run_button.isEnabled() and "channel(s) [9] do not exist" in dialog.summary.text()
    dialog.fields.channels.setText("1")
    assert not dialog.run_button.isEnabled() and "needs at least 2" in dialog.summary.text()
    dialog.fields.channels.setText("1,4")
    assert dialog.run_button.isEnabled()
    dialog.reject()


def test_a_recording_with_more_channels_than_the_separator_takes_asks_which_to_use(qtbot, window, make_recording,
                                                                                 tiny_separator_card):
    window.stored.set_model("separation", "tiny-separator")
    open_and_draw(qtbot, window, make_recording(channels=12, seconds=1.0))
    assert window.processing.run_separation() is None                # Ctrl+R: no job, the options instead
    dialog = window.findChild(SeparateDialog)
    assert dialog is not None and not dialog.run_button.isEnabled()
    assert "has 12 channels and the separator uses at most 8: list the ones" in dialog.summary.text()
    save_screenshot(dialog, "separate-dialog-twelve-channels.png")
    dialog.fields.channels.setText("1-8")
    assert dialog.run_button.isEnabled()
    dialog.reject()


def test_another_recording_starts_with_the_default_choice(qtbot, window, make_recording):
    open_and_draw(qtbot, window, make_recording("first.wav", channels=4))
    dialog = window.processing.open_separate_options()
    dialog.fields.set_method(Method.AUXIVA)
    window.processing._on_separate_accepted(window.recording, dialog)
    assert window.processing.separation_choice().method is Method.AUXIVA
    window.jobs.cancel_all()
    qtbot.waitUntil(lambda: not window.jobs.busy, timeout=30_000)
    window.sessions.discard_changes()
    open_and_draw(qtbot, window, make_recording("second.wav", channels=2))
    assert window.processing.separation_choice().method is Method.MODEL


def test_the_oracle_mask_is_offered_with_every_talkers_reference_and_scores_as_the_ceiling(qtbot, demo_window):
    window = demo_window                                # the demo meeting ships both talkers' references
    dialog = window.processing.open_separate_options()
    dialog.fields.set_method(Method.ORACLE)
    assert dialog.run_button.isEnabled() and not dialog.fields.channels.isEnabled()
    assert dialog.summary.text().startswith("Masks channel 1 with the clean references of talkers 1, 2")
    save_screenshot(dialog, "separate-dialog-oracle.png")
    dialog.accept()
    wait_done(qtbot, window, window.jobs.entries[-1])
    oracle = [v for v in window.session.versions if v.kind is VersionKind.SEPARATED]
    assert [v.name for v in oracle] == ["Oracle IRM · talker 1", "Oracle IRM · talker 2"]
    entry = window.processing.run_evaluation()
    wait_done(qtbot, window, entry, timeout=120_000)
    si_sdr = {row.name: row.values["si_sdr"] for row in window.metrics_panel.rows}
    for talker in (1, 2):                                            # a ceiling well above the mixture
        assert si_sdr[f"Oracle IRM · talker {talker}"] > si_sdr[f"Mixture · talker {talker}"] + 5


def test_without_every_talkers_reference_the_oracle_is_not_offered(qtbot, window, make_recording):
    open_and_draw(qtbot, window, make_recording(channels=2))
    dialog = window.processing.open_separate_options()
    assert not any(m is Method.ORACLE for m, _ in dialog.fields._methods)
    dialog.reject()


def test_a_one_channel_recording_is_separated_with_its_notice_shown(qtbot, demo_window, make_recording):
    window = demo_window
    open_and_draw(qtbot, window, make_recording("mono.wav", channels=1, seconds=1.0))
    wait_done(qtbot, window, window.processing.run_separation())
    assert "mono.wav has one channel: separation relies on spectral cues only" in window.statusBar().currentMessage()
    tooltip = window.versions_panel.tree.topLevelItem(0).toolTip(0)
    assert "channels: all" in tooltip and "reference channel: 1" in tooltip and "spectral cues only" in tooltip


def test_the_spatial_filter_is_a_trained_separators_choice_and_is_recorded_with_its_versions(qtbot, demo_window):
    window = demo_window
    dialog = window.processing.open_separate_options()
    spatial = dialog.fields.spatial
    assert spatial.isEnabled() and spatial.currentData() is None          # as the card recommends
    spatial.setCurrentIndex(spatial.findData(False))
    assert dialog.choice().spatial_filter is False
    dialog.fields.set_method(Method.AUXIVA)
    assert not spatial.isEnabled() and dialog.choice().spatial_filter is None
    dialog.fields.set_method(Method.MODEL, "tiny-separator")
    dialog.accept()
    wait_done(qtbot, window, window.jobs.entries[-1])
    assert window.session.versions[-1].settings["spatial_filter"] is False


@pytest.fixture
def combined(tmp_path) -> Path:
    """A 3-channel array and a phone, combined into one 4-channel recording."""
    from app.engine.combine import combine_job
    from app.engine.files import open_recording
    from app.engine.jobs import drive
    from tests.engine.test_combine import _recorder, _scene

    sound = _scene(40, seed=14)
    paths = [_recorder(tmp_path / "array.wav", sound, 0.0, 30, channels=3),
             _recorder(tmp_path / "phone.wav", sound, 1.0, 30)]
    drive(combine_job([open_recording(p) for p in paths], tmp_path / "combined.wav"))
    return tmp_path / "combined.wav"


def test_a_combined_recording_offers_each_recorders_own_channels_by_name(qtbot, window, combined):
    open_and_draw(qtbot, window, combined)
    dialog = window.processing.open_separate_options()
    recorder = dialog.fields.recorder
    assert recorder.isVisibleTo(dialog)
    assert [recorder.itemText(k) for k in range(recorder.count())] == [
        "All of them", "array.wav, channels 1-3", "phone.wav, channel 4"]
    assert recorder.currentIndex() == 1                     # at first, the array's own (as Ctrl+R separates)
    recorder.setCurrentIndex(0)
    recorder.activated.emit(0)
    assert dialog.fields.channels.text() == "" and dialog.summary.text().startswith("Uses 4 of 4 channels")
    recorder.setCurrentIndex(1)
    recorder.activated.emit(1)
    assert dialog.fields.channels.text() == "1-3" and dialog.summary.text().startswith("Uses 3 of 4 channels (1, 2, 3)")
    assert recorder.currentIndex() == 1
    save_screenshot(dialog, "separate-dialog-combined.png")
    recorder.activated.emit(2)                              # the reference moves onto the phone's one channel
    assert dialog.fields.channels.text() == "4" and dialog.fields.reference.value() == 4
    assert recorder.currentIndex() == 2
    dialog.fields.channels.setText("1,4")
    assert recorder.currentIndex() == -1
    dialog.fields.channels.setText("1-3")
    assert recorder.currentIndex() == 1
    dialog.fields.channels.setText("")
    assert recorder.currentText() == "All of them"
    dialog.reject()


def test_a_recording_of_one_array_offers_no_recorders(qtbot, window, make_recording):
    open_and_draw(qtbot, window, make_recording(channels=4))
    dialog = window.processing.open_separate_options()
    assert not dialog.fields.recorder.isVisibleTo(dialog)
    dialog.reject()


def test_ctrl_r_on_a_combined_recording_separates_one_arrays_own_channels_and_says_so(qtbot, window, combined,
                                                                                     tiny_separator_card):
    window.stored.set_model("separation", "tiny-separator")
    open_and_draw(qtbot, window, combined)
    wait_done(qtbot, window, window.processing.run_separation())
    separated = [v for v in window.session.versions if v.kind is VersionKind.SEPARATED]
    assert separated and all(v.settings["channels"] == [0, 1, 2] for v in separated)
    assert "Separated from one recorder's channels, array.wav, channels 1-3, of the 4 combined" in \
        window.statusBar().currentMessage()


def test_batch_separation_from_a_combined_recording_starts_from_every_channel(qtbot, window, combined):
    """One recording's own array is no choice for the other recordings of a batch."""
    open_and_draw(qtbot, window, combined)
    assert window.processing.separation_choice().channels == (0, 1, 2)
    dialog = window.processing.open_batch()
    assert dialog.separation.channels.text() == "" and dialog.separation.choice().channels is None
    dialog.reject()
