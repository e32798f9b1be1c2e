"""The playback level meter: dBFS bars with PPM-like ballistics, a peak hold, a clip light, and the
main window feeding it from the player that sounds."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt

from app.gui.views.level_meter import FALL_DB_PER_S, FLOOR_DB, HOLD_SECONDS, LevelMeter
from tests.gui.conftest import open_and_draw


@pytest.fixture
def meter(qtbot) -> LevelMeter:
    widget = LevelMeter()
    qtbot.addWidget(widget)
    return widget


def test_levels_read_in_dbfs_from_the_floor_to_full_scale(meter):
    meter.set_levels(np.array([1.0, 0.1]), now=0.0)
    np.testing.assert_allclose(meter.bars_db, [0.0, -20.0], atol=1e-9)
    assert meter.fraction(0.0) == 1.0 and meter.fraction(FLOOR_DB) == 0.0
    assert meter.fraction(-20.0) == pytest.approx(1 - 20 / -FLOOR_DB)


def test_silence_sits_at_the_floor(meter):
    meter.set_levels(np.array([0.0]), now=0.0)
    np.testing.assert_array_equal(meter.bars_db, [FLOOR_DB])


def test_a_bar_rises_at_once_and_falls_at_its_release_rate(meter):
    meter.set_levels(np.array([0.5]), now=0.0)
    meter.set_levels(np.array([0.001]), now=0.25)
    assert meter.bars_db[0] == pytest.approx(20 * np.log10(0.5) - 0.25 * FALL_DB_PER_S)


def test_the_hold_keeps_the_highest_level_then_lets_go(meter):
    meter.set_levels(np.array([0.5, 0.25]), now=0.0)
    meter.set_levels(np.array([0.1, 0.1]), now=HOLD_SECONDS / 2)
    assert meter.hold_db == pytest.approx(20 * np.log10(0.5))
    meter.set_levels(np.array([0.1, 0.1]), now=HOLD_SECONDS + 0.1)
    assert meter.hold_db == pytest.approx(-20.0)


def test_a_full_scale_sample_lights_the_clip_mark_until_clicked(qtbot, meter):
    meter.show()
    meter.set_levels(np.array([0.3, 1.0]), now=0.0)
    meter.set_levels(np.array([0.1, 0.1]), now=5.0)
    meter.set_levels(None, now=6.0)
    assert meter.clipped
    qtbot.mouseClick(meter, Qt.MouseButton.LeftButton)
    assert not meter.clipped


def test_stopping_drops_the_bars(meter):
    meter.set_levels(np.array([0.5, 0.5]), now=0.0)
    meter.set_levels(None, now=0.01)
    np.testing.assert_array_equal(meter.bars_db, [FLOOR_DB, FLOOR_DB])
    assert meter.hold_db == FLOOR_DB


def test_the_window_meters_playback_and_clears_the_meter_when_it_stops(qtbot, window, make_recording):
    open_and_draw(qtbot, window, make_recording(seconds=30, channels=2))
    window.playback.toggle()
    try:
        qtbot.waitUntil(lambda: window.level_meter.hold_db > FLOOR_DB, timeout=5_000)
        assert window.level_meter.hold_db < 0.0          # the speech-like test signal never clips
        assert not window.level_meter.clipped
    finally:
        window.playback.toggle()
    assert not window.playback.player.is_playing
    assert window.level_meter.hold_db == FLOOR_DB
