"""Labels in the window: Ctrl+B labels the selection (or the playhead) and starts typing its text,
a click on a label selects its range, Undo takes label edits back without touching the tracks,
and labels travel to and from Audacity label files."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt

from app.engine.labels import Label, read_labels
from tests.gui.conftest import open_and_draw
from tests.gui.test_main_window import drag, mouse_move
from tests.gui.test_workflow import save_screenshot, separate, wait_done

TEXT = 2


@pytest.fixture
def labelled(qtbot, window, make_recording):
    open_and_draw(qtbot, window, make_recording(seconds=10))
    return window


def type_text(window, row: int, text: str) -> None:
    window.labels_panel.tree.topLevelItem(row).setText(TEXT, text)     # what the editor commits


def test_ctrl_b_labels_the_selection_and_starts_editing_its_text(qtbot, labelled):
    labelled.view.set_selection((2.0, 3.5))
    qtbot.keyClick(labelled, Qt.Key.Key_B, Qt.KeyboardModifier.ControlModifier)
    tree = labelled.labels_panel.tree
    assert labelled.session.labels == [Label(2.0, 3.5, "")]
    assert labelled.labels_dock.isVisible() and tree.state() == tree.State.EditingState
    type_text(labelled, 0, "talker 1")
    assert labelled.session.labels == [Label(2.0, 3.5, "talker 1")]
    assert labelled.undo_action.text() == "&Undo name label"


def test_without_a_selection_the_label_marks_the_playhead(labelled):
    labelled.playback.seek(4.25)
    labelled.labels.add()
    assert labelled.session.labels == [Label(4.25, 4.25, "")]


def test_labels_stay_in_time_order_and_a_click_selects_a_labels_range(qtbot, labelled):
    for span, text in (((6.0, 7.0), "late"), ((1.0, 2.5), "early")):
        labelled.view.set_selection(span)
        labelled.labels.add()
        type_text(labelled, labelled.session.labels.index(Label(*span)), text)
    tree = labelled.labels_panel.tree
    assert [tree.topLevelItem(k).text(TEXT) for k in range(2)] == ["early", "late"]
    assert tree.topLevelItem(0).text(0) == "1.000 s"
    labelled.view.set_selection(None)
    rect = tree.visualItemRect(tree.topLevelItem(1))
    qtbot.mouseClick(tree.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert labelled.view.selection == (6.0, 7.0)


def test_alt_arrows_step_through_the_labels_from_the_playhead(qtbot, labelled):
    labelled.session.add_labels([Label(1.0, 2.0, "a"), Label(4.0, 5.0, "b"), Label(7.0, 7.0, "c")], "add")
    labelled.labels.after_edit()
    labelled.playback.seek(3.0)
    qtbot.keyClick(labelled, Qt.Key.Key_Right, Qt.KeyboardModifier.AltModifier)
    assert labelled.view.selection == (4.0, 5.0) and labelled.view.playhead() == 4.0
    assert labelled.labels_panel.tree.currentItem().text(TEXT) == "b"
    qtbot.keyClick(labelled, Qt.Key.Key_Right, Qt.KeyboardModifier.AltModifier)
    assert labelled.view.playhead() == 7.0 and labelled.view.selection is None      # a point label: no range
    assert labelled.labels.step(1) is None                           # nothing after the last
    qtbot.keyClick(labelled, Qt.Key.Key_Left, Qt.KeyboardModifier.AltModifier)
    qtbot.keyClick(labelled, Qt.Key.Key_Left, Qt.KeyboardModifier.AltModifier)
    assert labelled.view.selection == (1.0, 2.0) and labelled.labels.step(-1) is None


def test_undo_takes_label_edits_back_and_redo_repeats_them(labelled):
    labelled.view.set_selection((1.0, 2.0))
    labelled.labels.add()
    type_text(labelled, 0, "cough")
    labelled.labels_panel.tree.topLevelItem(0).setSelected(True)
    labelled.labels_panel.remove_button.click()
    assert labelled.session.labels == []
    labelled.undo()
    assert labelled.session.labels == [Label(1.0, 2.0, "cough")]
    assert labelled.labels_panel.tree.topLevelItemCount() == 1
    labelled.undo()
    assert labelled.session.labels[0].text == ""
    labelled.redo()
    assert labelled.labels_panel.tree.topLevelItem(0).text(TEXT) == "cough"


def test_each_label_is_a_band_on_every_waveform_row_with_its_text_on_the_first(labelled):
    labelled.view.set_selection((1.0, 2.0))
    labelled.labels.add()
    type_text(labelled, 0, "talker 2")
    drawn = labelled.view._label_items
    channels = labelled.recording.channels
    assert len(drawn) == channels + 1             # bands on every waveform row, and the texts on the first
    assert all(item.texts == ["talker 2"] and list(item.starts) == [1.0] for item in drawn)
    rows = [p.getViewBox() for p in labelled.view._wave_plots]
    assert sorted({id(item.getViewBox()) for item in drawn}) == sorted(id(box) for box in rows)
    save_screenshot(labelled, "labels.png")


def test_thousands_of_labels_add_no_scene_items(qtbot, labelled):
    """An hour's talker activity or an RTTM file: each row paints its labels itself."""
    scene = labelled.view.scene()
    before = len(scene.items())
    labelled.labels.add_many([Label(k * 0.004, k * 0.004 + 0.003, f"talker {k % 2 + 1}") for k in range(2000)],
                             "add 2000 labels")
    assert len(scene.items()) == before
    assert all(item.starts.size == 2000 for item in labelled.view._label_items)
    save_screenshot(labelled, "labels-thousands.png")


def test_labels_round_trip_through_an_audacity_file(labelled, tmp_path):
    path = tmp_path / "talks.txt"
    path.write_text("0.500000\t1.500000\ttalker 1\n3.000000\t4.000000\ttalker 2\n")
    assert labelled.labels.import_file(path)
    assert [label.text for label in labelled.session.labels] == ["talker 1", "talker 2"]
    assert labelled.undo_action.text() == "&Undo import 2 labels from talks.txt"
    out = tmp_path / "out.txt"
    assert labelled.labels.export_file(out) and read_labels(out) == labelled.session.labels


def test_the_panels_add_import_and_export_buttons_do_what_they_say(qtbot, labelled, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QFileDialog

    panel = labelled.labels_panel
    labelled.view.set_selection((1.0, 2.0))
    qtbot.mouseClick(panel.add_button, Qt.MouseButton.LeftButton)
    assert labelled.session.labels == [Label(1.0, 2.0, "")]
    source = tmp_path / "talks.txt"
    source.write_text("3.000000\t4.000000\ttalker 2\n")
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *args, **kw: (str(source), ""))
    qtbot.mouseClick(panel.import_button, Qt.MouseButton.LeftButton)
    assert [label.text for label in labelled.session.labels] == ["", "talker 2"]
    out = tmp_path / "out.txt"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *args, **kw: (str(out), ""))
    qtbot.mouseClick(panel.export_button, Qt.MouseButton.LeftButton)
    assert read_labels(out) == labelled.session.labels


def test_labels_leave_as_rttm_when_the_rttm_filter_is_chosen_and_come_back(qtbot, labelled, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QFileDialog

    labelled.labels.add_many([Label(0.5, 1.5, "talker 1"), Label(3.0, 4.0, "talker 2")], "add two labels")
    out = tmp_path / "turns"
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        lambda *args, **kw: (str(out), "RTTM, who speaks when (*.rttm)"))
    qtbot.mouseClick(labelled.labels_panel.export_button, Qt.MouseButton.LeftButton)
    written = tmp_path / "turns.rttm"
    assert written.read_text().startswith("SPEAKER meeting 1 0.500 1.000 <NA> <NA> talker_1")
    labelled.session.remove_labels([0, 1])
    assert labelled.labels.import_file(written)
    assert [(label.start, label.text) for label in labelled.session.labels] == [(0.5, "talker_1"), (3.0, "talker_2")]


def test_labels_leave_as_a_praat_textgrid_spanning_the_recording_and_come_back(qtbot, labelled, tmp_path,
                                                                               monkeypatch):
    from PySide6.QtWidgets import QFileDialog

    labels = [Label(0.5, 1.5, "talker 1"), Label(1.0, 4.0, "talker 2"), Label(6.0, 6.0, "door")]
    labelled.labels.add_many(labels, "add three labels")
    out = tmp_path / "turns"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *args, **kw: (str(out), "Praat TextGrid (*.TextGrid)"))
    qtbot.mouseClick(labelled.labels_panel.export_button, Qt.MouseButton.LeftButton)
    written = tmp_path / "turns.TextGrid"
    assert 'xmax = 10' in written.read_text() and 'name = "talker 2"' in written.read_text()
    labelled.session.remove_labels([0, 1, 2])
    assert labelled.labels.import_file(written)
    assert labelled.session.labels == sorted(labels)


def test_a_malformed_label_file_is_named_and_imports_nothing(labelled, tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("1.0\t2.0\tfine\nhello world\n")
    assert not labelled.labels.import_file(path)
    assert labelled.session.labels == [] and len(labelled.messages) == 1
    assert "notes.txt, line 2" in labelled.messages[0].text()


def test_labels_past_the_end_of_the_recording_are_refused_by_name(labelled, tmp_path):
    path = tmp_path / "other.txt"
    path.write_text("1.0\t2.0\tfine\n12.0\t13.0\ttoo late\n")
    assert not labelled.labels.import_file(path)
    assert labelled.session.labels == []
    assert "other.txt: 1 of its 2 labels run past the end of meeting.wav (10.000 s)" in labelled.messages[0].text()


def test_talker_activity_labels_each_talkers_speech_in_one_undo_step(qtbot, demo_window):
    assert not demo_window.activity_action.isEnabled()              # nothing separated yet
    separate(qtbot, demo_window)
    wait_done(qtbot, demo_window, demo_window.processing.run_activity())
    labels = demo_window.session.labels
    assert {label.text for label in labels} == {"talker 1", "talker 2"}
    assert all(label.stop - label.start >= 0.2 for label in labels)
    assert demo_window.labels_panel.tree.topLevelItemCount() == len(labels)
    demo_window.undo()
    assert demo_window.session.labels == [] and len(demo_window.session.versions) == 2


def _type_time(window, row: int, column: int, seconds: float) -> None:
    """Type a time into the Labels panel's start (0) or end (1) column, as a double-click opens it."""
    panel = window.labels_panel
    index = panel.tree.model().index(row, column)
    editor = panel._times.createEditor(panel.tree.viewport(), None, index)
    panel._times.setEditorData(editor, index)
    editor.setValue(seconds)
    panel._times.setModelData(editor, panel.tree.model(), index)


def test_a_labels_times_are_typed_to_the_millisecond_and_it_moves_in_time_order(labelled):
    labelled.session.add_labels([Label(0.5, 1.0, "a"), Label(1.5, 2.0, "b")], "two labels")
    labelled.labels.after_edit()
    _type_time(labelled, 0, 1, 2.5)                              # a's end
    _type_time(labelled, 0, 0, 2.25)                             # a's start: now after b
    assert [(label.start, label.stop, label.text) for label in labelled.session.labels] == [
        (1.5, 2.0, "b"), (2.25, 2.5, "a")]
    assert labelled.labels_panel.tree.topLevelItem(1).text(0) == "2.250 s"
    assert labelled.undo_action.text() == "&Undo move label “a”"


def test_an_end_typed_before_the_start_is_refused_by_name(labelled):
    labelled.session.add_labels([Label(1.0, 2.0, "a")], "one label")
    labelled.labels.after_edit()
    _type_time(labelled, 0, 1, 0.5)
    assert labelled.session.labels == [Label(1.0, 2.0, "a")]
    assert "would come before its start" in labelled.messages[-1].text()


def test_to_selection_moves_the_chosen_label_to_the_dragged_range(labelled):
    labelled.session.add_labels([Label(1.0, 2.0, "a")], "one label")
    labelled.labels.after_edit()
    labelled.labels_panel.show_current(0)
    labelled.view.set_selection((0.25, 0.75))
    labelled.labels_panel.move_button.click()
    assert labelled.session.labels == [Label(0.25, 0.75, "a")]


def waveform_point(window, channel: int, seconds: float) -> QPoint:
    """Viewport pixel of a time on a channel's waveform row, where the labels are drawn."""
    box = window.view._wave_plots[channel].getViewBox()
    return window.view.mapFromScene(box.mapViewToScene(QPointF(seconds, 0.0)))


def test_dragging_a_labels_edge_on_a_waveform_row_moves_that_edge(qtbot, labelled):
    labelled.session.add_labels([Label(2.0, 4.0, "a"), Label(6.0, 7.0, "b")], "two labels")
    labelled.labels.after_edit()
    drag(qtbot, labelled, waveform_point(labelled, 1, 4.0), waveform_point(labelled, 1, 5.0))
    assert labelled.session.labels[0].start == 2.0 and labelled.session.labels[0].stop == pytest.approx(5.0, abs=0.05)
    assert labelled.session.labels[1] == Label(6.0, 7.0, "b") and labelled.view.selection is None
    assert labelled.undo_action.text() == "&Undo move label “a”"
    drag(qtbot, labelled, waveform_point(labelled, 0, 6.0), waveform_point(labelled, 0, 8.0))
    assert labelled.session.labels[1].start == pytest.approx(7.0) and labelled.session.labels[1].stop == (
        pytest.approx(8.0, abs=0.05))                      # a start dragged past the stop becomes the stop
    labelled.undo()
    labelled.undo()
    assert labelled.session.labels == [Label(2.0, 4.0, "a"), Label(6.0, 7.0, "b")]


def test_a_drag_away_from_every_edge_still_selects_and_the_cursor_shows_the_edges(qtbot, labelled):
    labelled.session.add_labels([Label(2.0, 4.0, "a")], "one label")
    labelled.labels.after_edit()
    mouse_move(labelled, waveform_point(labelled, 0, 4.0))
    assert labelled.view.viewport().cursor().shape() == Qt.CursorShape.SizeHorCursor
    qtbot.wait(12)                  # pyqtgraph drops mouse moves closer than 10 ms apart
    mouse_move(labelled, waveform_point(labelled, 0, 3.0))
    assert labelled.view.viewport().cursor().shape() != Qt.CursorShape.SizeHorCursor
    drag(qtbot, labelled, waveform_point(labelled, 0, 2.5), waveform_point(labelled, 0, 3.5))
    assert labelled.view.selection == pytest.approx((2.5, 3.5), abs=0.05)
    assert labelled.session.labels == [Label(2.0, 4.0, "a")]


def click_row(qtbot, dialog, row: int) -> None:
    rect = dialog.list.visualItemRect(dialog.list.item(row))
    qtbot.mouseClick(dialog.list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def test_the_history_lists_every_edit_and_a_click_goes_back_or_forward_to_it(qtbot, labelled):
    for n, span in enumerate(((1.0, 2.0), (3.0, 4.0), (5.0, 6.0))):
        labelled.session.add_labels([Label(*span, f"l{n}")], f"add label l{n}")
        labelled.labels.after_edit()
    dialog = labelled.open_history()
    rows = [dialog.list.item(k).text() for k in range(dialog.list.count())]
    assert rows == ["(before these edits)", "Add label l0", "Add label l1", "Add label l2"]
    assert dialog.list.currentRow() == 3
    click_row(qtbot, dialog, 1)
    assert [label.text for label in labelled.session.labels] == ["l0"]
    assert dialog.list.currentRow() == 1 and labelled.redo_action.text() == "&Redo add label l1"
    assert labelled.statusBar().currentMessage() == "Undid 2 steps, back to before “add label l1”"
    click_row(qtbot, dialog, 3)
    assert labelled.statusBar().currentMessage() == "Redid 2 steps, up to “add label l2”"
    assert [label.text for label in labelled.session.labels] == ["l0", "l1", "l2"]
    click_row(qtbot, dialog, 0)
    assert labelled.session.labels == [] and not labelled.undo_action.isEnabled()
    save_screenshot(dialog, "history.png")


def test_a_right_click_on_a_label_offers_its_menu(qtbot, labelled):
    labelled.session.add_labels([Label(1.0, 2.0, "a"), Label(4.0, 5.0, "b")], "two labels")
    labelled.labels.after_edit()
    tree = labelled.labels_panel.tree
    tree.customContextMenuRequested.emit(tree.visualItemRect(tree.topLevelItem(1)).center())
    menu = labelled.context_menus.menu
    actions = {action.text(): action for action in menu.actions() if not action.isSeparator()}
    assert list(actions) == ["Select its range", "Play it", "Rename…", "To selection", "Remove", "Label s&tatistics…"]
    assert not actions["To selection"].isEnabled()                       # nothing selected to move it to
    actions["Select its range"].trigger()
    assert labelled.view.selection == (4.0, 5.0)
    actions["Remove"].trigger()
    assert labelled.session.labels == [Label(1.0, 2.0, "a")]
    menu.close()


def test_label_statistics_give_each_talkers_talk_time_and_follow_edits(qtbot, labelled):
    from PySide6.QtGui import QGuiApplication

    labelled.session.add_labels([Label(0.0, 4.0, "talker 1"), Label(6.0, 7.0, "talker 1"),
                                 Label(3.0, 5.0, "talker 2")], "activity")
    labelled.labels.after_edit()
    dialog = labelled.labels.open_statistics()
    assert dialog.isVisible() and "3 label(s) over 10.000 s" in dialog.scope.text()
    rows = {row[0]: row[1:] for row in dialog.table[1:]}
    assert rows["talker 1"] == ["2", "5.000 s", "50.0 %", "2.500 s", "4.000 s"]
    assert rows["Two or more at once"][:3] == ["1", "1.000 s", "10.0 %"]
    assert dialog.view.item(0, 0).text() == "talker 1"
    labelled.undo_action.trigger()                         # the labels go: the open table follows
    assert dialog.table == [] and dialog.empty.isVisible()
    labelled.redo_action.trigger()
    dialog.copy_table()
    assert QGuiApplication.clipboard().text().splitlines()[1].startswith("talker 1\t2\t5.000 s")


def test_label_statistics_are_in_the_process_menu_once_a_recording_is_open(window):
    assert not window.label_stats_action.isEnabled()
    assert window.label_stats_action in window.menuBar().actions()[3].menu().actions()


def test_label_statistics_give_the_diarization_error_rate_against_a_reference(qtbot, labelled, tmp_path):
    (tmp_path / "truth.rttm").write_text("SPEAKER meeting 1 0.0 4.0 <NA> <NA> ann <NA> <NA>\n"
                                         "SPEAKER meeting 1 6.0 2.0 <NA> <NA> bob <NA> <NA>\n")
    labelled.session.add_labels([Label(0.0, 3.0, "talker 1"), Label(6.0, 8.0, "talker 2")], "activity")
    labelled.labels.after_edit()
    assert labelled.labels.compare_with(tmp_path / "truth.rttm")
    dialog = labelled.labels.statistics
    assert dialog.diarization.text() == ("Against truth.rttm: DER 16.7 % (missed 16.7 %, false alarm 0.0 %, "
                                         "confusion 0.0 %) over 6.0 s of reference speech.")
    labelled.session.add_labels([Label(3.0, 4.0, "talker 1")], "one more")         # the missed second, labelled
    labelled.labels.after_edit()
    assert dialog.diarization.text().startswith("Against truth.rttm: DER 0.0 %")
    (tmp_path / "broken.rttm").write_text("SPEAKER meeting 1 zero\n")
    assert not labelled.labels.compare_with(tmp_path / "broken.rttm")
    assert "broken.rttm, line 1" in labelled.messages[-1].text() + labelled.messages[-1].informativeText()
