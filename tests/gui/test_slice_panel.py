"""The Spectrum panel: every channel's and shown version's spectrum at the cursor while stopped, at
the playhead while playing, drawn only while the panel shows."""

from __future__ import annotations

import numpy as np
import pytest

from app.engine.analysis import spectrum_at
from app.engine.documents import Version, VersionKind
from tests.gui.conftest import open_and_draw


def show_panel(qtbot, window) -> None:
    window.slice_dock.show()
    window.slice_dock.raise_()
    qtbot.waitUntil(window.slices.panel.isVisible, timeout=2_000)


def test_the_cursor_s_moment_is_drawn_for_every_channel(qtbot, window, make_recording):
    open_and_draw(qtbot, window, make_recording(seconds=3.0, channels=2))
    show_panel(qtbot, window)
    window.view.hover_time.emit(1.25)
    qtbot.waitUntil(lambda: bool(window.slices.panel.curves), timeout=2_000)
    rec = window.recording
    names = [name for name, _, _ in window.slices.panel.curves]
    assert names == ["ch 1", "ch 2"] and window.slices.panel.heading.text() == "At 1.250 s (the cursor)"
    whole = rec.read(0, rec.frames)
    _, hz, db = window.slices.panel.curves[1]
    np.testing.assert_allclose(db, spectrum_at(whole[1], rec.sample_rate, round(1.25 * rec.sample_rate))[1])


def test_shown_versions_join_the_channels_at_their_own_rate(qtbot, window, make_recording):
    open_and_draw(qtbot, window, make_recording(seconds=3.0, channels=2, rate=48_000))
    t = np.arange(3 * 16_000) / 16_000
    tone = Version("Imported · talker 1", 0, VersionKind.IMPORTED, 0.5 * np.sin(2 * np.pi * 440 * t), 16_000, "x", {})
    window.session.add([tone])
    window.refresh_versions()
    show_panel(qtbot, window)
    window.tracks.hover_time.emit(1.0)
    qtbot.waitUntil(lambda: len(window.slices.panel.curves) == 3, timeout=2_000)
    name, hz, db = window.slices.panel.curves[2]
    assert name == "Imported · talker 1" and hz[-1] == 8000
    assert db.max() == pytest.approx(20 * np.log10(0.5), abs=0.5) and abs(hz[np.argmax(db)] - 440) < 16


def test_a_hidden_panel_computes_nothing_until_it_shows(qtbot, window, make_recording):
    open_and_draw(qtbot, window, make_recording(seconds=3.0, channels=2))
    window.slice_dock.hide()
    window.view.hover_time.emit(2.0)
    qtbot.wait(100)
    assert window.slices.panel.curves == []
    show_panel(qtbot, window)
    qtbot.waitUntil(lambda: bool(window.slices.panel.curves), timeout=2_000)
    assert window.slices.panel.heading.text() == "At 2.000 s (the cursor)"


def test_while_playing_it_follows_the_playhead_not_the_cursor(qtbot, window, make_recording):
    open_and_draw(qtbot, window, make_recording(seconds=30.0, channels=2))
    show_panel(qtbot, window)
    window.playback.toggle()
    try:
        qtbot.waitUntil(lambda: "the playhead" in window.slices.panel.heading.text(), timeout=5_000)
        window.view.hover_time.emit(20.0)
        qtbot.wait(100)
        assert "the playhead" in window.slices.panel.heading.text()
    finally:
        window.playback.toggle()


def test_hold_keeps_a_moment_s_curves_under_the_ones_that_follow(qtbot, window, make_recording):
    open_and_draw(qtbot, window, make_recording(seconds=3.0, channels=2))
    show_panel(qtbot, window)
    panel = window.slices.panel
    window.view.hover_time.emit(0.5)
    qtbot.waitUntil(lambda: bool(panel.curves), timeout=2_000)
    first = [db.copy() for _, _, db in panel.curves]
    panel.hold_button.click()
    window.view.hover_time.emit(2.5)
    qtbot.waitUntil(lambda: panel.heading.text() == "At 2.500 s (the cursor)", timeout=2_000)
    assert [item.name() for item in panel.held] == ["ch 1 at 0.500 s", "ch 2 at 0.500 s"]
    np.testing.assert_allclose(panel.held[0].getData()[1], np.maximum(first[0][1:], -140.0))
    legend = [label.text for _, label in panel.plot.plotItem.legend.items]
    assert legend == ["ch 1", "ch 2", "ch 1 at 0.500 s", "ch 2 at 0.500 s"]
    panel.hold_button.click()
    assert panel.held == [] and panel.hold_button.text() == "Hold"


def test_the_moment_s_curves_are_saved_as_a_csv_column_per_lane(qtbot, window, make_recording, tmp_path):
    import csv

    open_and_draw(qtbot, window, make_recording(seconds=3.0, channels=2))
    show_panel(qtbot, window)
    window.view.hover_time.emit(1.5)
    qtbot.waitUntil(lambda: window.slices.panel.save_button.isEnabled(), timeout=2_000)
    path = window.slices.panel.save_csv(tmp_path / "moment.csv")
    header, *rows = list(csv.reader(path.open()))
    assert header == ["Frequency (Hz)", "ch 1 at 1.500 s (dB)", "ch 2 at 1.500 s (dB)"]
    _, hz, db = window.slices.panel.curves[0]
    assert len(rows) == hz.size and float(rows[10][1]) == pytest.approx(db[10], abs=0.005)
