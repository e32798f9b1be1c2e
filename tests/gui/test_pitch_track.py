"""View ▸ Pitch track: F0 drawn over every channel's and shown version's spectrogram, tracked
for what is in view, in the spectrogram's own frequency units, and read in the status bar."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from app.engine.documents import Version, VersionKind
from app.engine.pitch import PIECE_SECONDS
from tests.engine.test_pitch import voice_like
from tests.gui.conftest import open_and_draw

RATE = 16_000


def tone_version(f0: float, seconds: float) -> Version:
    audio = voice_like(np.full(round(seconds * RATE), f0), RATE)
    return Version(f"Separated · {f0:g} Hz", 0, VersionKind.SEPARATED, audio, RATE, "test", {})


def show_pitch(qtbot, window) -> None:
    window.pitch_action.setChecked(True)
    qtbot.waitUntil(lambda: window.pitch.idle, timeout=60_000)


def tracked_version(qtbot, window, make_recording, f0: float) -> Version:
    """A 2 s recording open, a version of a tone at `f0` shown beside it, and its pitch tracked."""
    open_and_draw(qtbot, window, make_recording(seconds=2, channels=1))
    version = tone_version(f0, 2.0)
    window.session.add([version])
    window.refresh_versions()
    show_pitch(qtbot, window)
    qtbot.waitUntil(lambda: version.id in window.tracks.pitch and window.pitch.idle, timeout=60_000)
    return version


def drawn(curve) -> tuple[np.ndarray, np.ndarray]:
    x, y = curve.getData()
    return (np.zeros(0), np.zeros(0)) if x is None else (x, y)


def test_the_pitch_track_is_off_until_asked_and_then_drawn_on_every_channel(qtbot, window, make_recording):
    open_and_draw(qtbot, window, make_recording(seconds=3, channels=2))
    assert not window.pitch_action.isChecked() and window.view.pitch_track(0) is None
    show_pitch(qtbot, window)
    for channel in (0, 1):
        track = window.view.pitch_track(channel)
        assert track is not None and track.voiced_share > 0.3
        assert track.times[0] == 0.0 and track.times[-1] == pytest.approx(2.99)
        assert 100 < track.percentile_hz(50) < 250           # the louder of the fixture's two voices


def test_a_version_gets_its_own_track_on_its_row(qtbot, window, make_recording):
    open_and_draw(qtbot, window, make_recording(seconds=3, channels=1))
    show_pitch(qtbot, window)
    low, high = tone_version(110.0, 3.0), tone_version(260.0, 3.0)
    window.session.add([low, high])
    window.refresh_versions()
    qtbot.waitUntil(lambda: window.tracks.up_to_date and window.pitch.idle, timeout=60_000)
    assert window.tracks.pitch[low.id].percentile_hz(50) == pytest.approx(110.0, rel=0.01)
    assert window.tracks.pitch[high.id].percentile_hz(50) == pytest.approx(260.0, rel=0.01)
    x, _ = drawn(window.tracks._pitch_curves[high.id])
    assert x.size == window.tracks.pitch[high.id].times.size


def test_the_curve_sits_at_the_f0_on_the_spectrograms_frequency_axis(qtbot, window, make_recording):
    version = tracked_version(qtbot, window, make_recording, 200.0)
    curve = window.tracks._pitch_curves[version.id]
    for scale in ("linear", "mel", "log"):
        settings = replace(window.view.settings, frequency_scale=scale, max_frequency_hz=1000.0)
        window.view.set_settings(settings)
        window.tracks.set_settings(settings)
        axis = window.tracks.frequency_axis(version.id)
        _, heights = drawn(curve)
        assert np.nanmedian(heights) == pytest.approx(float(axis.to_unit(200.0)), abs=0.01)


def test_a_pitch_above_the_top_frequency_is_not_drawn_at_the_top_edge(qtbot, window, make_recording):
    version = tracked_version(qtbot, window, make_recording, 560.0)
    settings = replace(window.view.settings, max_frequency_hz=600.0)
    window.tracks.set_settings(settings)
    assert np.isfinite(drawn(window.tracks._pitch_curves[version.id])[1]).any()
    settings = replace(window.view.settings, max_frequency_hz=500.0)
    window.tracks.set_settings(settings)
    assert not np.isfinite(drawn(window.tracks._pitch_curves[version.id])[1]).any()


def test_turning_it_off_hides_every_curve_and_the_choice_is_kept(qtbot, window, make_recording):
    from app.gui.settings import StoredSettings

    open_and_draw(qtbot, window, make_recording(seconds=2, channels=2))
    show_pitch(qtbot, window)
    window.pitch_action.setChecked(False)
    assert window.view.pitch_track(0) is None and window.view.pitch_track(1) is None
    assert not StoredSettings().pitch_shown()
    window.pitch_action.setChecked(True)
    assert StoredSettings().pitch_shown()
    assert window.view.pitch_track(0) is not None          # kept pieces come back without tracking again


def test_only_the_pieces_in_view_are_tracked(qtbot, window, make_recording):
    open_and_draw(qtbot, window, make_recording(seconds=35, channels=1))
    window.view.set_visible_range(12.0, 15.0)
    show_pitch(qtbot, window)
    assert sorted(window.pitch.pieces[0]) == [1]
    track = window.view.pitch_track(0)
    assert track.times[0] == PIECE_SECONDS and track.times[-1] == pytest.approx(2 * PIECE_SECONDS - 0.01)
    window.view.set_visible_range(25.0, 35.0)
    qtbot.waitUntil(lambda: sorted(window.pitch.pieces[0]) == [1, 2, 3], timeout=60_000)


def test_a_view_wider_than_the_limit_is_tracked_around_its_middle(qtbot, window, make_recording, monkeypatch):
    monkeypatch.setattr("app.gui.pitch_controller.MAX_TRACKED_SECONDS", 10.0)
    open_and_draw(qtbot, window, make_recording(seconds=40, channels=1))
    show_pitch(qtbot, window)
    assert sorted(window.pitch.pieces[0]) == [1, 2]          # 15-25 s around the middle of 0-40 s
    assert "around the middle of the view" in window.statusBar().currentMessage()


def test_the_status_bar_reads_the_f0_under_the_cursor(qtbot, window, make_recording):
    open_and_draw(qtbot, window, make_recording(seconds=2, channels=1))
    show_pitch(qtbot, window)
    track = window.view.pitch_track(0)
    voiced = track.times[np.isfinite(track.f0_hz)][5]
    assert f"F0 {track.at(voiced):.1f} Hz" in window.view.describe_point(0, voiced, 0.5)
    window.pitch_action.setChecked(False)
    assert "F0" not in window.view.describe_point(0, voiced, 0.5)


def test_opening_another_recording_starts_its_pitch_afresh(qtbot, window, make_recording):
    open_and_draw(qtbot, window, make_recording("first.wav", seconds=2, channels=1))
    show_pitch(qtbot, window)
    open_and_draw(qtbot, window, make_recording("second.wav", seconds=12, channels=2))
    qtbot.waitUntil(lambda: window.pitch.idle, timeout=60_000)
    assert sorted(window.pitch.pieces) == [0, 1] and sorted(window.pitch.pieces[0]) == [0, 1]
    assert window.view.pitch_track(1).times[-1] == pytest.approx(11.99)


def test_the_settings_pitch_range_is_searched_and_kept(qtbot, window, make_recording):
    from app.engine.pitch import PitchSettings
    from app.gui.settings import StoredSettings

    version = tracked_version(qtbot, window, make_recording, 300.0)
    assert window.tracks.pitch[version.id].percentile_hz(50) == pytest.approx(300.0, rel=0.01)
    dialog = window.open_settings()
    dialog.pitch_ceiling.setValue(250.0)
    dialog.accept()
    assert StoredSettings().pitch_settings() == PitchSettings(65.0, 250.0)
    qtbot.waitUntil(lambda: window.pitch.idle and version.id in window.pitch.pieces, timeout=60_000)
    assert not np.any(window.tracks.pitch[version.id].f0_hz > 250.0)


def test_an_impossible_pitch_range_is_named_in_the_settings_and_changes_nothing(qtbot, window):
    dialog = window.open_settings()
    dialog.pitch_floor.setValue(400.0)
    dialog.pitch_ceiling.setValue(200.0)
    dialog.accept()
    assert dialog.isVisible() and "400–200 Hz cannot be tracked" in dialog.problem.text()
    assert window.pitch.settings.ceiling_hz == 600.0


def test_the_pitch_tracks_export_as_one_csv_over_the_selection(qtbot, window, make_recording, tmp_path):
    import csv

    from app.gui.workers import JobState

    open_and_draw(qtbot, window, make_recording(seconds=14, channels=1))
    version = tone_version(220.0, 14.0)
    window.session.add([version])
    window.refresh_versions()
    qtbot.waitUntil(lambda: window.tracks.up_to_date, timeout=10_000)
    window.view.set_selection((11.0, 12.5))
    entry = window.exporter.pitch(tmp_path / "f0.csv")
    qtbot.waitUntil(lambda: entry.state is JobState.DONE, timeout=60_000)
    with open(tmp_path / "f0.csv", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["time_s", "ch1_f0_hz", "Separated · 220 Hz_f0_hz"]
    assert rows[1][0] == "11.00" and rows[-1][0] == "12.49"
    assert float(rows[75][2]) == pytest.approx(220.0, rel=0.01)


def test_the_export_reuses_the_pieces_the_view_tracked(qtbot, window, make_recording, tmp_path, monkeypatch):
    from app.engine import pitch
    from app.gui.workers import JobState

    open_and_draw(qtbot, window, make_recording(seconds=5, channels=2))
    show_pitch(qtbot, window)
    monkeypatch.setattr(pitch, "track_piece", lambda *_: pytest.fail("a piece was tracked twice"))
    entry = window.exporter.pitch(tmp_path / "f0.csv")
    qtbot.waitUntil(lambda: entry.state is JobState.DONE, timeout=60_000)
    lines = (tmp_path / "f0.csv").read_text().splitlines()
    assert lines[0] == "time_s,ch1_f0_hz,ch2_f0_hz" and len(lines) == 501


def test_zoomed_out_only_the_window_around_the_middle_is_drawn(qtbot, window, make_recording, monkeypatch):
    monkeypatch.setattr("app.gui.pitch_controller.MAX_TRACKED_SECONDS", 10.0)
    open_and_draw(qtbot, window, make_recording(seconds=40, channels=1))
    for span in ((0.0, 5.0), (31.0, 36.0)):
        window.view.set_visible_range(*span)
        show_pitch(qtbot, window)
        qtbot.waitUntil(lambda: window.pitch.idle, timeout=60_000)
    window.view.set_visible_range(0.0, 40.0)
    qtbot.waitUntil(lambda: window.pitch.idle and 1 in window.pitch.pieces[0], timeout=60_000)
    assert sorted(window.pitch.pieces[0]) == [0, 1, 2, 3]             # all kept ...
    drawn_times = window.view.pitch_track(0).times
    assert drawn_times[0] == 10.0 and drawn_times[-1] == pytest.approx(29.99)    # ... the middle's drawn


def test_a_hidden_channel_is_neither_tracked_nor_exported(qtbot, window, make_recording, tmp_path):
    import csv

    from app.gui.workers import JobState

    open_and_draw(qtbot, window, make_recording(seconds=2, channels=2))
    window.channels.set_hidden(frozenset({0}))
    show_pitch(qtbot, window)
    assert 0 not in window.pitch.pieces and 1 in window.pitch.pieces
    entry = window.exporter.pitch(tmp_path / "f0.csv")
    qtbot.waitUntil(lambda: entry.state is JobState.DONE, timeout=60_000)
    with open(tmp_path / "f0.csv", newline="") as f:
        assert next(csv.reader(f)) == ["time_s", "ch2_f0_hz"]
    window.channels.show_all()
    qtbot.waitUntil(lambda: 0 in window.pitch.pieces and window.pitch.idle, timeout=60_000)
