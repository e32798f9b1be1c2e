"""The Delays panel: Process ▸ Track the delay between two channels draws the correlogram of the
chosen pair over the selection (or the whole recording) as a job, names the delays it gathers at,
and a click on it moves the playhead."""

from __future__ import annotations

import csv

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt

from app.engine.delay_track import delay_track_job, strongest_delays
from app.engine.files import Span
from app.engine.jobs import drive
from tests.gui.conftest import open_and_draw
from tests.gui.test_workflow import save_screenshot, wait_done


def test_the_delay_of_channel_two_against_one_is_drawn_with_the_talkers_delays(qtbot, demo_window):
    panel = demo_window.delays.panel
    assert panel.pair() == (0, 1) and demo_window.delays_action.isEnabled()
    entry = demo_window.delays.track()
    wait_done(qtbot, demo_window, entry)
    qtbot.waitUntil(lambda: panel.track is not None, timeout=5_000)
    rec = demo_window.recording
    expected = drive(delay_track_job(Span(rec, 0, rec.frames), (0, 1)))
    np.testing.assert_allclose(panel.track.image, expected.image)
    assert panel.heading.text().startswith("Channel 2 against channel 1, 0.000–10.000 s of ")
    modes = strongest_delays(expected)
    assert len(panel.modes) == len(modes) and f"{modes[0].seconds * 1000:+.3f} ms" in panel.summary.text()
    assert demo_window.delays_dock.isVisible() and panel.save_button.isEnabled()


def test_two_talkers_draw_two_lines_on_the_diagonal_pair(qtbot, demo_window):
    panel = demo_window.delays.panel
    panel.second.setCurrentIndex(2)
    wait_done(qtbot, demo_window, demo_window.delays.track())
    qtbot.waitUntil(lambda: panel.track is not None, timeout=5_000)
    assert len(panel.modes) == 2
    lo, hi = panel.image.levels
    assert lo == 0.0 and panel.track.floor < hi < 1.0            # the lines as bright as they are clear
    save_screenshot(demo_window.delays_dock, "delays-panel.png")


def test_another_pair_is_tracked_over_the_selection_in_the_recordings_time(qtbot, demo_window):
    panel = demo_window.delays.panel
    panel.first.setCurrentIndex(2)
    panel.second.setCurrentIndex(0)
    panel.reach.setValue(0.5)
    demo_window.view.set_selection((2.0, 6.0))
    wait_done(qtbot, demo_window, demo_window.delays.track())
    qtbot.waitUntil(lambda: panel.track is not None, timeout=5_000)
    assert panel.track.pair == (2, 0) and panel.track.lags[-1] == pytest.approx(0.0005)
    assert panel.track.times[0] == pytest.approx(2.0 + panel.track.column_seconds / 2)
    assert "Channel 1 against channel 3, 2.000–6.000 s" in panel.heading.text()
    assert demo_window.stored.delays_reach_s() == pytest.approx(0.0005)     # offered again next time
    demo_window.delays.open(demo_window.recording)
    assert panel.reach.value() == pytest.approx(0.5)


def test_a_click_on_the_image_moves_the_playhead_there_and_it_is_drawn_across(qtbot, demo_window):
    panel = demo_window.delays.panel
    wait_done(qtbot, demo_window, demo_window.delays.track())
    qtbot.waitUntil(lambda: panel.track is not None, timeout=5_000)
    qtbot.waitExposed(panel.plot)
    qtbot.wait(50)                                  # the dock laid out, the plot at its size
    box = panel.plot.getViewBox()
    point = panel.plot.mapFromScene(box.mapViewToScene(QPointF(4.0, 0.0)))
    qtbot.mouseMove(panel.plot.viewport(), point)
    seconds = float(panel.readout.text().split(" s ")[0])
    assert seconds == pytest.approx(4.0, abs=0.1) and "ms   correlation" in panel.readout.text()
    qtbot.mouseClick(panel.plot.viewport(), Qt.MouseButton.LeftButton, pos=point)
    qtbot.waitUntil(lambda: abs(demo_window.view.playhead() - seconds) < 0.02, timeout=2_000)
    assert panel.playhead.value() == pytest.approx(demo_window.view.playhead())       # drawn across the image


def test_the_tracked_columns_save_as_csv(qtbot, demo_window, tmp_path):
    panel = demo_window.delays.panel
    wait_done(qtbot, demo_window, demo_window.delays.track())
    qtbot.waitUntil(lambda: panel.track is not None, timeout=5_000)
    with open(panel.save_csv(tmp_path / "delays.csv"), newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["time_s", "delay_ms", "peak"] and len(rows) - 1 == panel.track.image.shape[0]


def test_the_same_channel_twice_is_refused_by_name(qtbot, demo_window):
    panel = demo_window.delays.panel
    panel.second.setCurrentIndex(0)
    assert demo_window.delays.track() is None
    assert "against itself" in demo_window.messages[-1].text()


def test_a_mono_recording_has_no_delay_to_track(qtbot, window, make_recording):
    open_and_draw(qtbot, window, make_recording(channels=1))
    panel = window.delays.panel
    assert not window.delays_action.isEnabled() and not panel.track_button.isEnabled()
    assert "one channel" in panel.heading.text()


def test_each_source_is_labelled_over_the_stretches_it_is_heard_as_one_undo_step(qtbot, demo_window):
    panel = demo_window.delays.panel
    panel.second.setCurrentIndex(2)
    assert not panel.label_button.isEnabled()
    wait_done(qtbot, demo_window, demo_window.delays.track())
    qtbot.waitUntil(lambda: panel.track is not None, timeout=5_000)
    panel.label_button.click()
    labels = demo_window.session.labels
    assert labels and {label.text for label in labels} <= {f"source {k + 1} at {m.seconds * 1000:+.3f} ms"
                                                           for k, m in enumerate(panel.found)}
    assert demo_window.undo_action.text().startswith("&Undo label the delays' sources")
    demo_window.undo()
    assert demo_window.session.labels == []


def test_a_drift_is_taken_out_of_the_chosen_channels_into_a_copy_that_opens(qtbot, window, tmp_path):
    import soundfile as sf

    from tests.engine.test_delay_track import RATE, drifting

    audio = drifting(60.0, seconds=30.0)
    sf.write(tmp_path / "two-clocks.wav", (0.3 * audio / np.abs(audio).max()).T.astype(np.float32), RATE,
             subtype="FLOAT")
    open_and_draw(qtbot, window, tmp_path / "two-clocks.wav")
    panel = window.delays.panel
    panel.reach.setValue(5.0)
    wait_done(qtbot, window, window.delays.track())
    qtbot.waitUntil(lambda: panel.track is not None, timeout=5_000)
    assert panel.drift.ppm == pytest.approx(60.0, abs=1.0) and panel.drift_button.isEnabled()
    assert "drift +60.0" in panel.summary.text()
    dialog = window.delays.open_drift_dialog()
    assert dialog.chosen() == [1] and not dialog.boxes[0].isEnabled()
    save_screenshot(dialog, "drift-dialog.png")
    dialog.boxes[1].setChecked(False)
    assert not dialog.accept_button.isEnabled()                   # nothing to resample
    dialog.reject()
    wait_done(qtbot, window, window.delays.take_out_drift([1], tmp_path / "in-step.wav"))
    qtbot.waitUntil(lambda: window.recording.path == tmp_path / "in-step.wav", timeout=10_000)
    wait_done(qtbot, window, window.delays.track())
    qtbot.waitUntil(lambda: panel.track is not None, timeout=5_000)
    assert panel.drift is None and not panel.drift_button.isEnabled() and "No drift to see" in panel.summary.text()


def test_the_panel_is_no_wider_than_the_docks_it_shares_a_tab_row_with(window):
    """The tabbed docks take the width of the widest: the Delays panel must not take it from the channels."""
    widest_before = max(panel.minimumSizeHint().width() for panel in (
        window.labels_panel, window.analysis_panel, window.metrics_panel, window.jobs_panel, window.slices.panel))
    assert window.delays.panel.minimumSizeHint().width() <= widest_before
