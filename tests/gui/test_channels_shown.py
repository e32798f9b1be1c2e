"""View ▸ Channels shown… and a channel's right-click menu: rows folded away and back, at least one
left, the choice kept in the saved session; the audio is untouched."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt

from tests.gui.conftest import open_and_draw
from tests.gui.test_workflow import save_screenshot, wait_done


def row_heights(window) -> list[float]:
    return [plot.geometry().height() for plot in window.view._spec_plots]


def test_hiding_channels_folds_their_rows_and_gives_the_others_the_room(qtbot, window, make_recording):
    open_and_draw(qtbot, window, make_recording(channels=4))
    before = row_heights(window)
    window.channels.set_hidden(frozenset({1, 2}))
    qtbot.waitUntil(lambda: row_heights(window)[1] == 0 and row_heights(window)[0] > before[0], timeout=5000)
    assert row_heights(window)[2] == 0 and row_heights(window)[3] > before[3]
    assert not window.view._wave_plots[1].isVisible() and window.view._wave_plots[3].isVisible()
    assert "Channels 2-3 hidden" in window.statusBar().currentMessage()
    assert window.session.settings["hidden_channels"] == [2, 3]
    save_screenshot(window, "channels-hidden.png")
    window.channels.show_all()
    qtbot.waitUntil(lambda: min(row_heights(window)) > 0, timeout=5000)
    assert "hidden_channels" not in window.session.settings


def test_a_channels_menu_hides_it_but_never_the_last_one_shown(qtbot, window, make_recording):
    open_and_draw(qtbot, window, make_recording(channels=2))
    menu = window.context_menus.view_menu(1)
    hide = next(a for a in menu.actions() if a.text() == "Hide channel 2")
    hide.trigger()
    assert window.channels.hidden == {1}
    menu = window.context_menus.view_menu(0)
    assert not next(a for a in menu.actions() if a.text() == "Hide channel 1").isEnabled()
    show = next(a for a in menu.actions() if a.text().startswith("Show every channel"))
    assert show.text() == "Show every channel (1 hidden)" and show.isEnabled()
    show.trigger()
    assert window.channels.hidden == frozenset()


def test_the_dialog_lists_each_channel_and_keeps_one_ticked(qtbot, window, make_recording):
    open_and_draw(qtbot, window, make_recording(channels=3))
    dialog = window.channels.open_dialog()
    assert [dialog.list.item(row).text() for row in range(3)] == ["Channel 1", "Channel 2", "Channel 3"]
    for row in range(3):
        dialog.list.item(row).setCheckState(Qt.CheckState.Unchecked)
    assert not dialog.show_button.isEnabled() and dialog.summary.text() == "Tick one channel at least."
    dialog.first_button.click()
    assert dialog.hidden() == {1, 2} and dialog.show_button.isEnabled()
    dialog.accept()
    assert window.channels.hidden == {1, 2}


def test_a_saved_session_reopens_with_the_same_rows_hidden(qtbot, window, make_recording, tmp_path):
    open_and_draw(qtbot, window, make_recording(channels=4))
    window.channels.set_hidden(frozenset({0, 3}))
    wait_done(qtbot, window, window.sessions.save_as(tmp_path / "meeting"))
    assert window.open_path(make_recording("other.wav", channels=2)) and window.channels.hidden == frozenset()
    wait_done(qtbot, window, window.open_session(tmp_path / "meeting.mecosession"))
    qtbot.waitUntil(lambda: window.recording.path.name == "meeting.wav", timeout=20_000)
    assert window.channels.hidden == {0, 3}


def test_only_the_shown_rows_are_computed_and_the_cursor_reads_their_levels(qtbot, window, make_recording):
    open_and_draw(qtbot, window, make_recording(channels=4))
    window.channels.set_hidden(frozenset({0, 2}))
    qtbot.waitUntil(lambda: window.view.up_to_date and window.view.last_result.image.channels == (1, 3),
                    timeout=10_000)
    assert window.view.last_result.colors.shape[0] == 2
    assert "dBFS" in window.view.describe_point(3, 1.0, 0.2) and "dBFS" not in window.view.describe_point(0, 1.0, 0.2)


def test_zoomed_in_the_shown_rows_draw_their_own_samples(qtbot, window, make_recording):
    open_and_draw(qtbot, window, make_recording(channels=4))
    window.channels.set_hidden(frozenset({0}))
    window.view.set_visible_range(1.0, 1.02)
    qtbot.waitUntil(lambda: window.view.up_to_date and window.view.last_result.envelope_stride <= 1, timeout=10_000)
    result = window.view.last_result
    assert result.envelope_min.shape[0] == 3
    _, drawn = window.view._waves[3].getData()
    own = window.recording.read(result.envelope_start_frame, result.envelope_start_frame + drawn.size)[3]
    gain = float(own @ drawn / (drawn @ drawn))                  # the row's scale: a power of two
    np.testing.assert_allclose(gain * drawn, own, atol=1e-5)     # channel 4's samples, not the row above's


def test_a_click_on_a_channels_number_listens_to_it_alone(qtbot, window, make_recording):
    from PySide6.QtCore import QPoint

    open_and_draw(qtbot, window, make_recording(channels=4))
    number = window.view._labels[2]
    where = window.view.mapFromScene(number.sceneBoundingRect().center())
    qtbot.mouseClick(window.view.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(where.x(), where.y()))
    qtbot.waitUntil(lambda: window.monitor_combo.currentText() == "Ch 3", timeout=5000)
    assert window.stored.monitor_channels() == (2,)
    assert window.statusBar().currentMessage() == "Listening to Ch 3 alone"


def test_a_combined_recordings_recorders_can_be_shown_one_at_a_time(qtbot):
    from app.engine.combine import RecorderChannels
    from app.gui.dialogs.channels_dialog import ChannelsDialog

    recorders = [RecorderChannels("table.wav", (0, 1, 2, 3)), RecorderChannels("phone.m4a", (4,))]
    dialog = ChannelsDialog(5, frozenset(), recorders)
    qtbot.addWidget(dialog)
    assert dialog.list.item(4).text() == "Channel 5 · phone.m4a"
    assert [dialog.recorder.itemText(k) for k in range(3)] == ["Only one recorder's…", "Only table.wav",
                                                                "Only phone.m4a"]
    dialog.recorder.activated.emit(2)
    assert dialog.hidden() == {0, 1, 2, 3} and dialog.recorder.currentIndex() == 0
    dialog.recorder.activated.emit(1)
    assert dialog.hidden() == {4}
    plain = ChannelsDialog(2, frozenset())
    qtbot.addWidget(plain)
    assert plain.recorder.isHidden() and not dialog.recorder.isHidden()       # a recording of one recorder: none
