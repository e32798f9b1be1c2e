"""The main window: opening files, drawing, zoom, seek, selection, settings, errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyqtgraph as pg
import pytest
import soundfile as sf
from PySide6.QtCore import QEvent, QMimeData, QPoint, QPointF, QSettings, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QImage, QMouseEvent, QWheelEvent
from PySide6.QtWidgets import QApplication, QDialogButtonBox

from app.engine.labels import Label
from app.engine.playback import Loop
from app.engine.spectrogram import FrequencyScale, SpectrogramSettings
from app.gui.dialogs.batch_dialog import BatchDialog
from app.gui.main_window import MainWindow
from app.gui.settings import APPLICATION, ORGANISATION, ExportChoices
from app.gui.names import distinct_names
from app.gui.views.axes import TimeAxisItem, format_hz
from tests.engine.bad_files import BAD_FILES, TRUNCATED_FILES
from tests.gui.conftest import open_and_draw, wait_for_image

FORMATS = [("wav", "WAV", "PCM_16", 8), ("flac", "FLAC", "PCM_24", 4), ("ogg", "OGG", "VORBIS", 3),
           ("aiff", "AIFF", "PCM_16", 3), ("w64", "W64", "FLOAT", 3), ("caf", "CAF", "PCM_16", 3),
           ("mp3", "MP3", "MPEG_LAYER_III", 2)]     # MP3 holds at most two channels


def test_the_time_axis_stays_in_seconds_on_a_recording_shorter_than_a_millisecond(qtbot, window, tmp_path):
    sf.write(tmp_path / "click.wav", np.full(10, 0.1, np.float32), 16_000)
    open_and_draw(qtbot, window, tmp_path / "click.wav")
    axis = next(item.getAxis("bottom") for item in window.view.ci.items if isinstance(item, pg.PlotItem)
                and isinstance(item.getAxis("bottom"), TimeAxisItem))
    assert axis.autoSIPrefixScale == 1.0 and "x1e" not in axis.labelString()
    spacing, ticks = axis.tickValues(0.0, 10 / 16_000, 600)[0]
    labels = axis.tickStrings(ticks, 1.0, spacing)
    assert len(set(labels)) == len(labels) > 2                      # no two labelled ticks read the same


def test_the_time_axis_ticks_read_minutes_then_hours_on_a_long_recording(qapp):
    axis = TimeAxisItem()
    spacing, ticks = axis.tickValues(0.0, 4000.0, 400)[0]
    assert spacing == 900 and axis.tickStrings(ticks, 1.0, spacing) == ["0:00", "15:00", "30:00", "45:00", "1:00:00"]
    spacing, ticks = axis.tickValues(3723.0, 3725.0, 400)[0]
    assert axis.tickStrings(ticks, 1.0, spacing)[:2] == ["1:02:03.0", "1:02:03.5"]


def spectrogram_point(window: MainWindow, channel: int, seconds: float, unit: float = 0.5) -> QPoint:
    """Viewport pixel of a time (and unit frequency) on a channel's spectrogram."""
    box = window.view._spec_plots[channel].getViewBox()
    scene = box.mapViewToScene(QPointF(seconds, unit))
    return window.view.mapFromScene(scene)


def mouse_move(window: MainWindow, point: QPoint, buttons=Qt.MouseButton.NoButton,
               modifiers=Qt.KeyboardModifier.NoModifier) -> None:
    viewport = window.view.viewport()
    event = QMouseEvent(QEvent.Type.MouseMove, QPointF(point), QPointF(viewport.mapToGlobal(point)),
                        Qt.MouseButton.NoButton, buttons, modifiers)
    QApplication.sendEvent(viewport, event)


def drag(qtbot, window: MainWindow, start: QPoint, stop: QPoint, modifiers=Qt.KeyboardModifier.NoModifier) -> None:
    viewport = window.view.viewport()
    qtbot.mousePress(viewport, Qt.MouseButton.LeftButton, modifiers, start)
    for x, y in zip(np.linspace(start.x(), stop.x(), 6), np.linspace(start.y(), stop.y(), 6)):
        mouse_move(window, QPoint(round(x), round(y)), Qt.MouseButton.LeftButton, modifiers)
        qtbot.wait(12)                  # pyqtgraph drops mouse moves closer than 10 ms apart
    qtbot.mouseRelease(viewport, Qt.MouseButton.LeftButton, modifiers, stop)


def wheel(window: MainWindow, point: QPoint, notches: int, modifiers=Qt.KeyboardModifier.NoModifier) -> None:
    viewport = window.view.viewport()
    event = QWheelEvent(QPointF(point), QPointF(viewport.mapToGlobal(point)), QPoint(0, 0), QPoint(0, 120 * notches),
                        Qt.MouseButton.NoButton, modifiers, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(viewport, event)


@pytest.mark.parametrize(("suffix", "fmt", "subtype", "channels"), FORMATS)
def test_each_format_opens_with_one_row_per_channel(qtbot, window, make_recording, suffix, fmt, subtype, channels):
    path = make_recording(f"take.{suffix}", channels=channels, rate=48_000, fmt=fmt, subtype=subtype)
    open_and_draw(qtbot, window, path)
    assert window.view.channel_rows == channels
    assert window.view.last_result.colors.shape[0] == channels
    assert window.view.last_result.colors.max() > 0        # something was drawn, not just the floor
    assert path.name in window.windowTitle() and not window.messages


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_bad_file_gives_one_clear_message_and_keeps_the_open_recording(qtbot, window, make_recording, tmp_path, case):
    good = make_recording("good.wav")
    open_and_draw(qtbot, window, good)
    build, words = BAD_FILES[case]
    assert not window.open_path(build(tmp_path))
    assert len(window.messages) == 1
    assert words.lower() in window.messages[0].text().lower()
    assert window.recording is not None and window.recording.path == good
    window.messages[0].accept()
    assert not window.messages
    window.view.zoom(0.5)                                   # still responsive: the zoom redraws
    wait_for_image(qtbot, window)
    assert window.view.visible_range()[1] - window.view.visible_range()[0] == pytest.approx(1.5)


@pytest.mark.parametrize("case", sorted(TRUNCATED_FILES))
def test_truncated_file_opens_and_says_what_is_missing(qtbot, window, tmp_path, case):
    open_and_draw(qtbot, window, TRUNCATED_FILES[case](tmp_path))
    assert len(window.messages) == 1 and "truncated" in window.messages[0].text()


def test_damaged_audio_found_while_drawing_gives_one_message_and_the_rest_still_draws(qtbot, window, tmp_path):
    audio = np.zeros((16_000 * 5, 2), np.float32)
    audio[60_000, 1] = np.nan                               # past the check read at open
    sf.write(tmp_path / "damaged.wav", audio, 16_000, subtype="FLOAT")
    window.open_path(tmp_path / "damaged.wav")
    qtbot.waitUntil(lambda: len(window.messages) == 1, timeout=10_000)
    assert "NaN" in window.messages[0].text()
    window.view.set_visible_range(0.0, 1.0)                 # the undamaged part still draws
    wait_for_image(qtbot, window)
    assert len(window.messages) == 1


def test_spectrogram_arrives_at_the_views_pixel_size(qtbot, window, make_recording):
    open_and_draw(qtbot, window, make_recording(seconds=60, channels=2))
    result = window.view.last_result
    box = window.view._spec_plots[0].getViewBox()
    visible_columns = (result.request.stop_frame - result.request.start_frame) / result.image.stride
    assert 0.85 * box.width() <= visible_columns <= 1.15 * box.width()
    assert result.image.level_db.shape[2] >= box.height()


def test_plus_and_minus_keys_zoom_around_the_playhead(qtbot, window, make_recording):
    open_and_draw(qtbot, window, make_recording(seconds=10))
    window.playback.seek(4.0)
    qtbot.keyClick(window, Qt.Key.Key_Plus)
    assert window.view.visible_range() == pytest.approx((4.0 - 4.0 / 1.5, 4.0 + 6.0 / 1.5), abs=1e-3)
    qtbot.keyClick(window, Qt.Key.Key_Minus)
    assert window.view.visible_range() == pytest.approx((0.0, 10.0), abs=1e-3)


def test_keyboard_zoom_keeps_the_middle_when_the_playhead_is_off_screen(qtbot, window, make_recording):
    open_and_draw(qtbot, window, make_recording(seconds=10))
    window.view.set_visible_range(4.0, 8.0)
    qtbot.keyClick(window, Qt.Key.Key_Equal)
    left, right = window.view.visible_range()
    assert (left + right) / 2 == pytest.approx(6.0, abs=1e-3) and right - left == pytest.approx(4.0 / 1.5)


def test_zooming_in_redraws_at_the_real_hop(qtbot, window, make_recording):
    open_and_draw(qtbot, window, make_recording(seconds=60))
    coarse = window.view.last_result.image.stride
    window.view.set_visible_range(30.0, 30.5)
    qtbot.waitUntil(lambda: window.view.last_result.request.start_frame == 30 * 16_000, timeout=10_000)
    assert window.view.last_result.image.stride == window.view.settings.hop < coarse


def test_ctrl_wheel_zooms_at_the_mouse(qtbot, window, make_recording):
    open_and_draw(qtbot, window, make_recording(seconds=10))
    wheel(window, spectrogram_point(window, 0, 2.0), 1, Qt.KeyboardModifier.ControlModifier)
    left, right = window.view.visible_range()
    assert right - left == pytest.approx(10 / 1.5, rel=0.01)
    assert (2.0 - left) / (right - left) == pytest.approx(0.2, abs=0.02)     # the point under the mouse stays


def test_wheel_and_arrow_keys_scroll_in_time(qtbot, window, make_recording):
    open_and_draw(qtbot, window, make_recording(seconds=10))
    window.view.set_visible_range(2.0, 4.0)
    qtbot.keyClick(window, Qt.Key.Key_Right)
    assert window.view.visible_range() == pytest.approx((2.2, 4.2), abs=1e-3)
    wheel(window, spectrogram_point(window, 0, 3.0), -1)
    assert window.view.visible_range() == pytest.approx((2.4, 4.4), abs=1e-3)
    qtbot.keyClick(window, Qt.Key.Key_Left)
    assert window.view.visible_range() == pytest.approx((2.2, 4.2), abs=1e-3)


def test_click_moves_the_playhead_and_the_player(qtbot, window, make_recording):
    open_and_draw(qtbot, window, make_recording(seconds=10))
    qtbot.mouseClick(window.view.viewport(), Qt.MouseButton.LeftButton, pos=spectrogram_point(window, 1, 6.0))
    assert window.playback.player.position / 16_000 == pytest.approx(6.0, abs=0.02)
    assert window.view.playhead() == pytest.approx(6.0, abs=0.02)
    assert window.position_label.text().startswith(f"{window.playback.player.position / 16_000:.3f} s")


def test_home_and_end_move_the_playhead_into_view(qtbot, window, make_recording):
    open_and_draw(qtbot, window, make_recording(seconds=10))
    window.view.set_visible_range(2.0, 3.0)
    qtbot.keyClick(window, Qt.Key.Key_End)
    assert window.playback.player.position == window.recording.frames
    assert window.view.visible_range()[1] == pytest.approx(10.0)
    qtbot.keyClick(window, Qt.Key.Key_Home)
    assert window.playback.player.position == 0 and window.view.visible_range()[0] == pytest.approx(0.0)


def test_drag_selects_a_range_and_loop_follows_it(qtbot, window, make_recording):
    open_and_draw(qtbot, window, make_recording(seconds=10))
    drag(qtbot, window, spectrogram_point(window, 0, 2.0), spectrogram_point(window, 0, 5.0))
    assert window.view.selection == pytest.approx((2.0, 5.0), abs=0.1)
    qtbot.keyClick(window, Qt.Key.Key_L)
    first, last = window.view.selection
    assert window.playback.player.loop == Loop(round(first * 16_000), round(last * 16_000))
    assert window.playback.player.position == window.playback.player.loop.start_frame
    qtbot.keyClick(window, Qt.Key.Key_Escape)
    assert window.view.selection is None and window.playback.player.loop is None


def test_ctrl_drag_on_a_spectrogram_selects_a_band_over_a_range(qtbot, window, make_recording):
    open_and_draw(qtbot, window, make_recording(seconds=10))
    drag(qtbot, window, spectrogram_point(window, 1, 2.0, 0.25), spectrogram_point(window, 1, 5.0, 0.5),
         Qt.KeyboardModifier.ControlModifier)
    assert window.view.selection == pytest.approx((2.0, 5.0), abs=0.1)
    low, high = window.view._freq_axes[1].axis.to_hz([0.25, 0.5])               # mel, up to 8 kHz
    assert window.view.band == pytest.approx((low, high), rel=0.05)
    band = window.view.band
    assert window.selection_label.text().endswith(f", {format_hz(band[0])} – {format_hz(band[1])} Hz")
    area = window.view._areas[0].rect()
    assert (area.left(), area.top(), area.bottom()) == pytest.approx((2.0, 0.25, 0.5), abs=0.02)
    assert window.view._areas[3].isVisible() and not window.view._spec_regions[0].isVisible()
    player, ab_player = window.playback.player, window.playback.ab_player
    assert player.band == band and ab_player.band == band              # Space plays the band alone
    qtbot.keyClick(window, Qt.Key.Key_B, Qt.KeyboardModifier.ShiftModifier)       # or all but the band
    assert player.band == band and not player.keep_band and not ab_player.keep_band
    drag(qtbot, window, spectrogram_point(window, 0, 6.0), spectrogram_point(window, 0, 7.0))
    assert window.view.band is None and not window.view._areas[0].isVisible()   # a plain drag selects time only
    assert window.playback.player.band is None


def test_the_area_keeps_its_band_on_another_frequency_scale(qtbot, window, make_recording):
    open_and_draw(qtbot, window, make_recording(seconds=10))
    window.view.set_selection((2.0, 5.0), (1000.0, 4000.0))
    window.view.set_settings(SpectrogramSettings(frequency_scale=FrequencyScale.LINEAR))
    area = window.view._areas[0].rect()
    assert (area.top(), area.bottom()) == pytest.approx((1000 / 8000, 4000 / 8000), abs=1e-6)
    qtbot.keyClick(window, Qt.Key.Key_Escape)
    assert window.view.band is None and window.view.selection is None


def test_shift_click_moves_the_nearer_edge_and_shift_end_selects_to_the_end(qtbot, window, make_recording):
    open_and_draw(qtbot, window, make_recording(seconds=10))
    window.playback.seek(3.0)
    qtbot.mouseClick(window.view.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.ShiftModifier,
                     spectrogram_point(window, 0, 5.0))
    assert window.view.selection == pytest.approx((3.0, 5.0), abs=0.05)          # from the playhead
    qtbot.mouseClick(window.view.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.ShiftModifier,
                     spectrogram_point(window, 0, 2.0))
    assert window.view.selection == pytest.approx((2.0, 5.0), abs=0.05)          # the nearer edge moved
    assert window.playback.player.position == 3 * 16_000                                  # no seek
    qtbot.keyClick(window, Qt.Key.Key_End, Qt.KeyboardModifier.ShiftModifier)
    assert window.view.selection == pytest.approx((2.0, 10.0), abs=0.05)
    qtbot.keyClick(window, Qt.Key.Key_Home, Qt.KeyboardModifier.ShiftModifier)
    assert window.view.selection == pytest.approx((0.0, 10.0), abs=0.05)


def test_z_zooms_to_the_selection(qtbot, window, make_recording):
    open_and_draw(qtbot, window, make_recording(seconds=10))
    assert not window.zoom_selection_action.isEnabled()
    drag(qtbot, window, spectrogram_point(window, 0, 2.0), spectrogram_point(window, 0, 5.0))
    assert window.zoom_selection_action.isEnabled()
    qtbot.keyClick(window, Qt.Key.Key_Z)
    assert window.view.visible_range() == pytest.approx(window.view.selection, abs=1e-6)


def test_ctrl_a_selects_the_whole_recording_and_the_status_bar_reads_it(qtbot, window, make_recording):
    open_and_draw(qtbot, window, make_recording(seconds=10))
    assert window.selection_label.text() == ""
    qtbot.keyClick(window, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    assert window.view.selection == (0.0, 10.0)
    assert window.selection_label.text() == "Selection 0.000 s – 10.000 s (10.000 s)"
    qtbot.keyClick(window, Qt.Key.Key_Escape)
    assert window.selection_label.text() == ""


def test_a_typed_range_becomes_the_selection_and_an_empty_one_is_refused(qtbot, window, make_recording):
    open_and_draw(qtbot, window, make_recording(seconds=10))
    dialog = window.open_select_range()
    assert dialog.selection() == (0.0, 10.0)                  # no selection yet: the whole recording
    dialog.start.setValue(2.25)
    dialog.stop.setValue(2.0)
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    assert not ok.isEnabled() and "after the start" in dialog.length.text()
    dialog.stop.setValue(6.75)
    dialog.stop.setValue(60.0)                                 # past the end: held at the end
    assert ok.isEnabled() and dialog.length.text() == "7.750 s"
    ok.click()
    assert window.view.selection == (2.25, 10.0)
    assert window.open_select_range().selection() == (2.25, 10.0)    # the dialog starts from the selection


def test_a_range_is_typed_as_the_status_bar_shows_times_in_minutes_and_hours(qtbot, window, make_recording):
    open_and_draw(qtbot, window, make_recording(seconds=130, channels=1, rate=8000))
    dialog = window.open_select_range()
    assert dialog.stop.text() == "2:10.000"
    for box, typed in ((dialog.start, "1:02.5"), (dialog.stop, "0:02:05")):
        box.lineEdit().selectAll()
        qtbot.keyClicks(box.lineEdit(), typed)
    assert dialog.selection() == (62.5, 125.0) and dialog.length.text() == "1:02.500"
    dialog.start.lineEdit().selectAll()
    qtbot.keyClicks(dialog.start.lineEdit(), "x")                 # no letter gets in
    assert dialog.start.text() == "1:02.5" and dialog.start.value() == 62.5
    dialog.start.setValue(3.0)
    assert dialog.start.text() == "3.000 s"
    dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
    assert window.selection_label.text() == "Selection 3.000 s – 2:05.000 (2:02.000)"


def _type_into(qtbot, box, text: str) -> None:
    box.lineEdit().selectAll()
    qtbot.keyClicks(box.lineEdit(), text)
    qtbot.keyClick(box.lineEdit(), Qt.Key.Key_Return)


def test_the_selection_bar_shows_the_selection_and_takes_a_typed_one(qtbot, window, make_recording):
    open_and_draw(qtbot, window, make_recording(seconds=130, channels=1, rate=8000))
    bar = window.selection_bar
    window.view.set_selection((2.0, 64.5))
    assert (bar.start.text(), bar.end.text(), bar.length.text()) == ("2.000 s", "1:04.500", "1:02.500")
    _type_into(qtbot, bar.start, "1:00")                        # digits go to the field, not to the A/B keys
    _type_into(qtbot, bar.end, "0:01:15.25")
    assert window.view.selection == (60.0, 75.25)
    _type_into(qtbot, bar.length, "30")                          # a length moves the end
    assert window.view.selection == (60.0, 90.0) and bar.end.text() == "1:30.000"
    _type_into(qtbot, bar.end, "10")                             # before the start: not a range
    assert window.view.selection == (60.0, 90.0) and bar.end.text() == "1:30.000"
    bar.toggleViewAction().trigger()                             # View ▸ Selection hides it
    assert bar.isHidden()


def test_shift_drag_pans_without_selecting(qtbot, window, make_recording):
    open_and_draw(qtbot, window, make_recording(seconds=10))
    window.view.set_visible_range(4.0, 6.0)
    drag(qtbot, window, spectrogram_point(window, 0, 5.5), spectrogram_point(window, 0, 5.0),
         Qt.KeyboardModifier.ShiftModifier)
    left, right = window.view.visible_range()
    assert left == pytest.approx(4.5, abs=0.05) and right - left == pytest.approx(2.0)
    assert window.view.selection is None


def test_status_bar_shows_time_frequency_and_level_under_the_mouse(qtbot, window, make_recording):
    open_and_draw(qtbot, window, make_recording(seconds=10))
    mouse_move(window, spectrogram_point(window, 2, 4.0, 0.25))
    channel, seconds, hz, level = window.cursor_label.text().split("   ")
    assert channel == "ch 3"
    assert float(seconds.removesuffix(" s")) == pytest.approx(4.0, abs=0.02)     # within a pixel
    assert hz.endswith(" Hz") and level.endswith(" dBFS") and -100 < float(level.split()[0]) < 0


def test_status_bar_reads_a_versions_track_under_the_mouse_on_its_own_axis(qtbot, window, make_recording):
    from app.engine.documents import Version, VersionKind

    open_and_draw(qtbot, window, make_recording(seconds=2, channels=1, rate=48_000))
    t = np.arange(32_000) / 16_000
    version = Version("Separated · talker 1", 0, VersionKind.SEPARATED, (0.05 * np.sin(2 * np.pi * 1000 * t))
                      .astype(np.float32), 16_000, "test", {})
    window.session.add([version])
    window.refresh_versions()
    qtbot.waitUntil(lambda: window.tracks.up_to_date, timeout=10_000)
    box = window.tracks._plots[version.id]
    axis = window.tracks.frequency_axis(version.id)
    at = box.mapViewToScene(QPointF(1.0, float(axis.to_unit(1000.0))))
    viewport = window.tracks.viewport()
    point = window.tracks.mapFromScene(at)
    QApplication.sendEvent(viewport, QMouseEvent(QEvent.Type.MouseMove, QPointF(point),
                                                 QPointF(viewport.mapToGlobal(point)), Qt.MouseButton.NoButton,
                                                 Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier))
    name, seconds, hz, level = window.cursor_label.text().split("   ")
    assert name == "Separated · talker 1" and float(seconds.removesuffix(" s")) == pytest.approx(1.0, abs=0.02)
    assert hz in ("1k Hz", "999 Hz", "998 Hz", "1.01k Hz")                      # on the track's own 8 kHz axis
    assert level.startswith("≈ ") and -40 < float(level.split()[1]) < -20     # a -26 dBFS tone, on a mel row
    below = window.tracks.describe_point(version.id, 1.0, float(axis.to_unit(6000.0)))
    assert below.endswith("below -100 dBFS")


def test_space_plays_through_the_device_and_the_playhead_follows(qtbot, window, make_recording):
    open_and_draw(qtbot, window, make_recording(seconds=0.3, channels=2))
    qtbot.keyClick(window, Qt.Key.Key_Space)
    assert window.playback.player.is_playing or window.playback.player.position > 0
    qtbot.waitUntil(lambda: window.view.playhead() > 0.0, timeout=5_000)
    qtbot.waitUntil(lambda: not window.playback.player.is_playing, timeout=5_000)    # stops at the end by itself
    assert window.view.playhead() == pytest.approx(0.3, abs=0.01)
    assert not window.messages


def test_the_view_pages_along_with_playback_unless_told_not_to(qtbot, window, make_recording):
    open_and_draw(qtbot, window, make_recording(seconds=10, channels=2))
    assert window.follow_action.isChecked()
    window.view.set_visible_range(0.0, 1.0)
    window.playback.seek(0.8)
    qtbot.keyClick(window, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: window.view.visible_range()[0] > 0.9, timeout=5_000)     # the next page
    left, right = window.view.visible_range()
    assert right - left == pytest.approx(1.0) and left <= window.view.playhead() < right
    qtbot.keyClick(window, Qt.Key.Key_Space)
    window.follow_action.setChecked(False)
    window.view.set_visible_range(0.0, 1.0)
    window.playback.seek(0.8)
    qtbot.keyClick(window, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: window.view.playhead() > 1.2, timeout=5_000)
    assert window.view.visible_range() == pytest.approx((0.0, 1.0))
    qtbot.keyClick(window, Qt.Key.Key_Space)
    again = MainWindow()
    qtbot.addWidget(again)
    assert not again.follow_action.isChecked()                   # the choice is kept


def test_space_plays_the_selection_once_from_its_start(qtbot, window, make_recording):
    open_and_draw(qtbot, window, make_recording(seconds=10, channels=2))
    window.view.set_selection((2.0, 3.0))
    window.playback.seek(6.0)                                   # outside the selection
    qtbot.keyClick(window, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: not window.playback.player.is_playing, timeout=5_000)   # stops at the selection's end
    assert window.view.playhead() == pytest.approx(3.0, abs=0.01)
    assert window.playback.player.position == 3 * 16_000


def test_shift_f_keys_play_a_second_around_the_selections_edges_then_its_own_stop_returns(qtbot, window,
                                                                                          make_recording):
    open_and_draw(qtbot, window, make_recording(seconds=10, channels=2))
    window.view.set_selection((4.0, 5.5))
    player = window.playback.player
    for key, (start, stop) in ((Qt.Key.Key_F5, (3.0, 4.0)), (Qt.Key.Key_F8, (5.5, 6.5))):
        qtbot.keyClick(window, key, Qt.KeyboardModifier.ShiftModifier)
        assert player.is_playing and start * 16_000 <= player.position < stop * 16_000
        qtbot.waitUntil(lambda: not player.is_playing, timeout=5_000)
        assert player.position == stop * 16_000
    assert player.end_frame() == 5.5 * 16_000                   # Space plays the selection once again


def test_space_again_pauses(qtbot, window, make_recording):
    open_and_draw(qtbot, window, make_recording(seconds=30, channels=2))
    window.playback.player.set_loop(None)
    qtbot.keyClick(window, Qt.Key.Key_Space)
    assert window.playback.player.is_playing
    qtbot.keyClick(window, Qt.Key.Key_Space)
    assert not window.playback.player.is_playing and window.play_action.text() == "&Play"


def test_a_missing_output_device_gives_one_message_and_viewing_goes_on(qtbot, window, make_recording):
    open_and_draw(qtbot, window, make_recording(channels=2))
    window.playback.player.set_device("USB headset (unplugged)")
    qtbot.keyClick(window, Qt.Key.Key_Space)
    assert not window.playback.player.is_playing
    assert len(window.messages) == 1
    assert "Output device 'USB headset (unplugged)' is not available" in window.messages[0].text()
    qtbot.keyClick(window, Qt.Key.Key_Plus)
    wait_for_image(qtbot, window)


def test_the_top_frequency_zooms_the_spectrograms_vertically_from_the_view_menu_and_keys(qtbot, window,
                                                                                        make_recording):
    open_and_draw(qtbot, window, make_recording(channels=2))
    assert window.top_actions[None].isChecked()
    window.top_actions[4000.0].trigger()
    wait_for_image(qtbot, window)
    assert window.view.last_result.image.axis.max_hz == 4000 and window.stored.spectrogram().max_frequency_hz == 4000
    qtbot.keyClick(window, Qt.Key.Key_Up, Qt.KeyboardModifier.ShiftModifier)        # closer in: 2 kHz
    assert window.view.settings.max_frequency_hz == 2000 and window.top_actions[2000.0].isChecked()
    for _ in range(3):
        qtbot.keyClick(window, Qt.Key.Key_Down, Qt.KeyboardModifier.ShiftModifier)
    assert window.view.settings.max_frequency_hz == 16000 and window.tracks.settings.max_frequency_hz == 16000


def test_settings_survive_a_restart(qtbot, window, make_recording):
    open_and_draw(qtbot, window, make_recording(channels=4))
    dialog = window.open_settings()
    dialog.fft.setCurrentIndex(dialog.fft.findData(2048))
    dialog.scale.setCurrentIndex(dialog.scale.findData("log"))
    dialog.colormap.setCurrentIndex(dialog.colormap.findData("viridis"))
    dialog.top.setCurrentIndex(dialog.top.findData(4000.0))
    dialog.monitor.setCurrentIndex(dialog.monitor.findData("2,3"))
    dialog.device.setCurrentIndex(dialog.device.findData("default"))     # ALSA's, listed by PortAudio
    dialog.accept()
    wait_for_image(qtbot, window)
    assert window.view.last_result.image.axis.scale == FrequencyScale.LOG
    assert window.view.last_result.image.axis.max_hz == 4000
    assert window.monitor_combo.currentData() == "2,3" and window.playback.player._source.channels == (2, 3)
    window.close()
    again = MainWindow()
    qtbot.addWidget(again)
    assert again.view.settings.n_fft == 2048
    assert again.view.settings.frequency_scale == FrequencyScale.LOG
    assert again.view.settings.colormap == "viridis"
    assert again.view.settings.max_frequency_hz == 4000
    assert again.stored.monitor_channels() == (2, 3)
    assert again.playback.player.device == "default"


def test_settings_dialog_refuses_a_floor_above_the_ceiling(qtbot, window):
    dialog = window.open_settings()
    dialog.floor.setValue(-10)
    dialog.ceiling.setValue(-40)
    dialog.accept()
    assert dialog.isVisible() and "floor" in dialog.problem.text()
    dialog.reject()


def test_the_status_bar_names_the_files_path_and_tags_on_hover(qtbot, window, tmp_path):
    path = tmp_path / "take.flac"
    with sf.SoundFile(path, "w", 16_000, 2, format="FLAC") as take:
        take.comment = "recorded from input device ReSpeaker 4 Mic Array"
        take.write(np.zeros((16_000, 2), np.float32))
    open_and_draw(qtbot, window, path)
    assert window.file_label.toolTip().splitlines() == [
        str(path), "comment: recorded from input device ReSpeaker 4 Mic Array"]


def test_recent_files_list_the_last_opened_first(qtbot, window, make_recording):
    first, second = make_recording("a.wav"), make_recording("b.flac", fmt="FLAC")
    open_and_draw(qtbot, window, first)
    open_and_draw(qtbot, window, second)
    names = [a.text() for a in window.recent_menu.actions()]
    assert names[:2] == [f"&1 {first.parent.name}/b.flac", f"&2 {first.parent.name}/a.wav"]
    window.recent_menu.actions()[1].trigger()
    wait_for_image(qtbot, window)
    assert window.recording.path == first


def test_recent_files_that_read_the_same_are_told_apart_by_their_folders():
    paths = [Path("/work/main/demo/mixture.flac"), Path("/tmp/copy/demo/mixture.flac"), Path("/tmp/take.wav")]
    assert distinct_names(paths) == ["main/demo/mixture.flac", "copy/demo/mixture.flac", "tmp/take.wav"]
    assert distinct_names([Path("/a/x.wav"), Path("/a/x.wav")]) == ["/a/x.wav", "/a/x.wav"]   # nothing more to add


def test_a_recent_file_that_has_gone_is_greyed_and_the_list_can_be_cleared(qtbot, window, make_recording):
    kept, gone = make_recording("kept.wav"), make_recording("gone.wav")
    open_and_draw(qtbot, window, kept)
    open_and_draw(qtbot, window, gone)
    gone.unlink()
    window.recent_menu.aboutToShow.emit()
    first, second = window.recent_menu.actions()[:2]
    assert first.text().endswith("gone.wav (not found)") and not first.isEnabled()
    assert second.text().endswith("kept.wav") and second.isEnabled()
    next(a for a in window.recent_menu.actions() if a.text() == "&Clear the list").trigger()
    assert window.stored.recent_files() == []
    assert [a.text() for a in window.recent_menu.actions()] == ["No recent files"]


def test_dropping_a_file_opens_it(qtbot, window, make_recording):
    path = make_recording("dropped.wav", channels=2)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    event = QDropEvent(QPointF(100, 100), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                       Qt.KeyboardModifier.NoModifier)
    window.dropEvent(event)
    wait_for_image(qtbot, window)
    assert window.recording.path == path and window.view.channel_rows == 2


def drop(window: MainWindow, *paths) -> None:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path)) for path in paths])
    window.dropEvent(QDropEvent(QPointF(100, 100), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                                Qt.KeyboardModifier.NoModifier))


def test_a_label_file_dropped_on_an_open_recording_adds_its_labels(qtbot, window, make_recording, tmp_path):
    open_and_draw(qtbot, window, make_recording(seconds=5))
    (tmp_path / "turns.rttm").write_text("SPEAKER meeting 1 0.500 1.000 <NA> <NA> spk_A <NA> <NA>\n")
    drop(window, tmp_path / "turns.rttm")
    assert [label.text for label in window.session.labels] == ["spk_A"]
    assert window.recording.path.name == "meeting.wav"                    # the recording stays open


def test_a_saved_session_dropped_on_the_window_opens_as_a_session(qtbot, window, make_recording, tmp_path):
    open_and_draw(qtbot, window, make_recording(seconds=5))
    window.labels.add_many([Label(1.0, 2.0, "kept")], "one label")
    assert window.sessions.save_as(tmp_path / "take") is not None
    qtbot.waitUntil(lambda: not window.session.modified, timeout=10_000)
    window.close()
    again = MainWindow()
    qtbot.addWidget(again)
    drop(again, tmp_path / "take.mecosession")
    qtbot.waitUntil(lambda: again.recording is not None and again.session.labels == [Label(1.0, 2.0, "kept")],
                    timeout=10_000)


@pytest.mark.parametrize(("payload", "accepted"), [("file", True), ("text", False)])
def test_only_dragged_files_are_accepted(qtbot, window, make_recording, payload, accepted):
    mime = QMimeData()
    if payload == "file":
        mime.setUrls([QUrl.fromLocalFile(str(make_recording("dragged.wav")))])
    else:
        mime.setText("meeting notes")
    event = QDragEnterEvent(QPoint(100, 100), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)
    event.ignore()
    window.dragEnterEvent(event)
    assert event.isAccepted() == accepted


def test_monitor_choice_changes_what_the_player_reads(qtbot, window, make_recording):
    open_and_draw(qtbot, window, make_recording(channels=4))
    index = window.monitor_combo.findData("3")
    window.monitor_combo.setCurrentIndex(index)
    window.monitor_combo.activated.emit(index)
    assert window.playback.player._source.channels == (3,)
    assert window.stored.monitor_channels() == (3,)


def test_brackets_play_slower_and_faster_for_the_channels_and_a_b_alike(qtbot, window, make_recording):
    open_and_draw(qtbot, window, make_recording(seconds=5.0))
    qtbot.keyClick(window, Qt.Key.Key_BracketLeft)
    qtbot.keyClick(window, Qt.Key.Key_BracketLeft)
    playback = window.playback
    assert playback.player.speed == playback.ab_player.speed == 0.5 and window.speed_label.text() == "0.5×"
    assert window.speed_actions[0.5].isChecked()
    qtbot.keyClick(window, Qt.Key.Key_BracketLeft)                    # the slowest stays the slowest
    assert window.playback.player.speed == 0.5
    window.playback.toggle()
    try:
        window.speed_actions[1.5].trigger()                            # while playing: on from the same place
        assert window.playback.player.is_playing and window.playback.player.speed == 1.5
    finally:
        window.playback.player.pause()
    for _ in range(2):
        qtbot.keyClick(window, Qt.Key.Key_BracketRight)
    assert window.playback.player.speed == 2.0 and window.speed_label.text() == "2×"
    window.speed_actions[1.0].trigger()
    assert window.speed_label.text() == ""


def test_help_lists_the_shortcuts(qtbot, window):
    dialog = window.show_shortcuts()
    keys = [dialog.table.item(row, 0).text() for row in range(dialog.table.rowCount())]
    assert {"Space", "Ctrl + wheel", "Home / End", "+ / −  (or =)"} <= set(keys)
    dialog.reject()


def test_unusable_stored_settings_fall_back_to_defaults(qtbot, window):
    stored = QSettings(ORGANISATION, APPLICATION)
    stored.setValue("spectrogram/n_fft", "banana")
    stored.setValue("playback/monitor_channels", "left")
    again = MainWindow()
    qtbot.addWidget(again)
    assert again.view.settings == SpectrogramSettings()
    assert again.stored.monitor_channels() == (0,)


def test_unusable_stored_export_choices_fall_back_to_defaults(qtbot, window):
    stored = QSettings(ORGANISATION, APPLICATION)
    stored.setValue("export/format", "mp4")
    assert window.stored.export_choices() == ExportChoices()


def test_colour_scale_follows_the_floor_and_ceiling(qtbot, window, make_recording):
    open_and_draw(qtbot, window, make_recording(channels=2))
    dialog = window.open_settings()
    dialog.floor.setValue(-80)
    dialog.ceiling.setValue(-30)
    dialog.accept()
    assert window.view.colour_scale() == (-80.0, -30.0)
    wait_for_image(qtbot, window)
    assert window.view.last_result.request.settings.floor_db == -80.0


def test_a_version_track_reads_frequencies_at_the_versions_own_rate(qtbot, window, make_recording):
    from app.engine.documents import Version, VersionKind

    open_and_draw(qtbot, window, make_recording(seconds=2, channels=2, rate=48_000))
    version = Version("Separated · talker 1", 0, VersionKind.SEPARATED, np.zeros(32_000, np.float32), 16_000,
                      "test", {})
    window.session.add([version])
    window.refresh_versions()
    qtbot.waitUntil(lambda: window.tracks.up_to_date, timeout=10_000)
    assert window.tracks.frequency_axis(version.id).max_hz == 8_000


def test_the_view_exports_as_a_png_of_its_size_and_an_unusable_path_is_named(qtbot, window, make_recording,
                                                                              tmp_path):
    open_and_draw(qtbot, window, make_recording(seconds=10))
    assert window.exporter.image(tmp_path / "view.png")
    image = QImage(str(tmp_path / "view.png"))
    channels = window.splitter.widget(0)
    ratio = channels.devicePixelRatioF()
    assert (image.width(), image.height()) == (round(channels.width() * ratio), round(channels.height() * ratio))
    not_a_folder = tmp_path / "notes.txt"
    not_a_folder.write_text("a file, not a folder")
    assert not window.exporter.image(not_a_folder / "view.png")
    assert "view.png could not be written" in window.messages[-1].text()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["meeting.wav", "notes.txt", "view.png"]


def test_the_window_reopens_with_its_size_docks_and_split_as_last_closed(qtbot, window):
    window.resize(720, 540)                  # within the offscreen screen (restoreGeometry keeps windows on it)
    size = (window.width(), window.height())    # the height stops at what the docks need
    window.versions_dock.hide()
    window.splitter.setSizes([300, 200])
    sizes = window.splitter.sizes()
    window.close()
    again = MainWindow()
    qtbot.addWidget(again)
    again.show()
    qtbot.waitExposed(again)
    assert (again.width(), again.height()) == size and size[0] == 720
    assert again.versions_dock.isHidden() and not again.jobs_dock.isHidden()
    assert again.splitter.sizes() == sizes


def test_about_names_the_versions_and_every_installed_model_and_copies_them(qtbot, window):
    from PySide6.QtGui import QGuiApplication

    from app.engine.pipeline import list_models
    from tests.gui.test_workflow import save_screenshot

    dialog = window.show_about()
    text = dialog.report.toPlainText()
    assert "torch" in text and "Qt" in text and "Autosaves" in text
    assert all(entry.name in text for entry in list_models())
    save_screenshot(dialog, "about.png")
    dialog.copy()
    assert QGuiApplication.clipboard().text() == text
    dialog.reject()


def test_a_new_window_holds_its_own_recording_and_closes_alone(qtbot, window, make_recording):
    open_and_draw(qtbot, window, make_recording("first.wav"))
    other = window.open_new_window()
    qtbot.waitExposed(other)
    assert other is not window and other.recording is None
    open_and_draw(qtbot, other, make_recording("second.wav", channels=2))
    assert window.recording.path.name == "first.wav" and other.view.channel_rows == 2
    other.close()
    qtbot.waitUntil(lambda: not other.isVisible(), timeout=5000)
    assert window.isVisible() and window.recording.path.name == "first.wav"


def test_dropping_several_files_or_a_folder_lists_them_for_batch_separation(qtbot, window, make_recording,
                                                                             tiny_separator_card):
    first, second = make_recording("a.wav"), make_recording("b.wav")
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(first)), QUrl.fromLocalFile(str(second))])
    window.refresh_models()
    window.dropEvent(QDropEvent(QPointF(100, 100), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                                Qt.KeyboardModifier.NoModifier))
    dialog = window.findChild(BatchDialog)
    assert dialog is not None and dialog.isVisible() and dialog.files.paths() == [first, second]
    assert window.recording is None                     # nothing opened: they wait for Separate
    dialog.reject()


def test_tracks_still_being_built_are_built_when_the_settings_change_meanwhile(qtbot, window, make_recording):
    from app.engine.documents import Version, VersionKind

    open_and_draw(qtbot, window, make_recording(seconds=2, channels=1))
    versions = [Version(f"Separated · talker {k + 1}", k % 2, VersionKind.SEPARATED, np.zeros(32_000, np.float32),
                        16_000, "test", {}) for k in range(4)]
    window.session.add(versions)
    window.refresh_versions()                                  # rows are built one per event-loop turn ...
    window.set_top_frequency(2000.0)                           # ... and Shift+Up comes before the last
    qtbot.waitUntil(lambda: window.tracks.up_to_date, timeout=10_000)
    assert sorted(window.tracks._plots) == sorted(v.id for v in versions)
    assert window.tracks.settings.max_frequency_hz == 2000.0


def test_a_phones_aac_recording_is_decoded_in_a_job_then_opens(qtbot, window, tmp_path):
    from app.engine.decoding import decoded_path
    from tests.engine.test_decoding import encoded, tones

    memo = encoded(tmp_path / "phone.m4a", tones(2.0))
    assert window.open_path(memo) is False                   # not yet: it is being decoded
    assert window.jobs.entries[-1].title == "Decode phone.m4a"
    qtbot.waitUntil(lambda: window.recording is not None and window.recording.path == memo, timeout=20_000)
    assert window.recording.channels == 2 and decoded_path(memo).exists()
    assert "phone.m4a" in window.windowTitle()
    assert window.open_path(memo)                            # decoded already: at once


def test_the_decoded_copies_are_counted_in_settings_and_removed_but_the_one_being_read(qtbot, window, tmp_path):
    from app.engine.decoding import decode_job, decoded_path, remove_decoded
    from app.engine.jobs import drive
    from tests.engine.test_decoding import encoded, tones

    remove_decoded()
    memo, other = encoded(tmp_path / "phone.m4a", tones(1.0)), encoded(tmp_path / "camera.mp4", tones(1.0))
    drive(decode_job(memo))
    drive(decode_job(other))
    assert window.open_path(memo)
    dialog = window.open_settings()
    assert dialog.decoded.text().startswith("2 files, ") and dialog.remove_decoded.isEnabled()
    dialog.remove_decoded.click()
    assert dialog.decoded.text().startswith("1 file, ") and not dialog.remove_decoded.isEnabled()
    assert decoded_path(memo).exists() and not decoded_path(other).exists()
    dialog.reject()
