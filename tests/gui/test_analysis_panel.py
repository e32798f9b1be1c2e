"""Process ▸ Analyze levels and spectrum: every channel and version over the selection, a table
whose numbers leave the app (Copy, CSV) and the spectra overlaid on a log-frequency axis."""

from __future__ import annotations

import csv

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtGui import QGuiApplication

from app.engine.analysis import LaneAnalyser
from app.gui.views.analysis_panel import WARNING_COLOR, AnalysisPanel
from tests.gui.test_workflow import save_screenshot, separate, wait_done

RATE = 16_000


def lane(name: str, audio: np.ndarray):
    analyser = LaneAnalyser(name, RATE)
    analyser.update(audio)
    return analyser.result()


SINE = lane("Ch 1", 0.5 * np.sin(2 * np.pi * 1000 * np.arange(RATE) / RATE))   # on a bin: no scalloping
SILENCE = lane("Ch 2", np.zeros(RATE))


@pytest.fixture
def panel(qtbot) -> AnalysisPanel:
    widget = AnalysisPanel()
    qtbot.addWidget(widget)
    return widget


def curves(panel: AnalysisPanel) -> list[pg.PlotDataItem]:
    return [item for item in panel.plot.getPlotItem().listDataItems() if isinstance(item, pg.PlotDataItem)]


def test_nothing_to_copy_or_save_before_an_analysis(panel):
    assert not any(b.isEnabled() for b in (panel.copy_button, panel.save_button, panel.spectrum_button))


def test_the_table_shows_each_lane_and_silence_reads_minus_infinity(panel):
    panel.set_result([SINE, SILENCE], "Selection 0.000–1.000 s")
    assert panel.table.rowCount() == 2 and panel.span.text() == "Selection 0.000–1.000 s"
    assert panel.table.item(0, 2).text() == "-6.02" and panel.table.item(1, 2).text() == "−∞"
    assert panel.table.item(1, 4).text() == "—"                     # no loudness for silence


def test_each_lane_with_a_spectrum_is_one_curve_without_the_zero_hz_bin(panel):
    panel.set_result([SINE, SILENCE], "whole")
    drawn = curves(panel)
    assert len(drawn) == 2
    x, y = drawn[0].getOriginalDataset()
    assert x[0] > 0 and y.max() == pytest.approx(-6.02, abs=0.05)
    assert np.isfinite(drawn[1].getOriginalDataset()[1]).all()     # silence is drawn at the floor, not -inf


def test_copy_and_csv_take_the_figures_out(panel, tmp_path):
    panel.set_result([SINE, SILENCE], "whole")
    panel.copy_button.click()
    lines = QGuiApplication.clipboard().text().split("\n")
    assert lines[0].split("\t")[:3] == ["Lane", "Seconds", "Peak (dBFS)"] and len(lines) == 3
    with open(panel.save_csv(tmp_path / "levels.csv"), newline="", encoding="utf-8") as f:
        assert list(csv.reader(f))[1][2] == "-6.0206"
    with open(panel.save_spectrum_csv(tmp_path / "spectrum.csv"), newline="", encoding="utf-8") as f:
        table = list(csv.reader(f))
    assert table[0] == ["Frequency (Hz)", "Ch 1 (dB)", "Ch 2 (dB)"] and len(table) == 1 + SINE.frequencies.size


def test_a_selection_too_short_for_a_spectrum_says_so(panel):
    panel.set_result([lane("Ch 1", np.full(400, 0.1))], "Selection")
    assert not panel.spectrum_button.isEnabled() and "at least 0.1 s" in panel.status.text()
    assert panel.table.item(0, 2).text() == "-20.00"


def test_analysis_measures_every_channel_and_version_over_the_selection(qtbot, demo_window):
    separate(qtbot, demo_window)
    demo_window.view.set_selection((2.0, 6.5))
    wait_done(qtbot, demo_window, demo_window.processing.run_analysis())
    lanes = demo_window.analysis_panel.lanes
    assert [lane.name for lane in lanes] == ["Ch 1", "Ch 2", "Ch 3", "Ch 4", "Separated · talker 1",
                                             "Separated · talker 2"]
    assert all(lane.frames == round(4.5 * lane.sample_rate) for lane in lanes)
    assert all(np.isfinite([lane.peak_dbfs, lane.loudness_lufs]).all() for lane in lanes)
    assert demo_window.analysis_dock.isVisible() and "Selection 2.000–6.500 s" in demo_window.analysis_panel.span.text()
    assert len(curves(demo_window.analysis_panel)) == 6
    save_screenshot(demo_window, "analysis.png")


def test_selecting_a_row_brings_its_spectrum_forward_and_dims_the_others(panel):
    panel.set_result([SINE, SILENCE], "whole")
    assert panel.table.item(0, 0).foreground().color() == panel.curves[0].opts["pen"].color()
    panel.table.selectRow(1)
    assert panel.curves[0].opts["pen"].color().alphaF() < 0.5 and panel.curves[1].opts["pen"].color().alphaF() == 1
    assert panel.curves[1].zValue() > panel.curves[0].zValue()


def test_a_clipping_lane_shows_its_clipped_samples_as_a_warning_with_why(panel):
    clipping = lane("Ch 1", np.clip(1.5 * np.sin(2 * np.pi * 440 * np.arange(RATE) / RATE), -1, 1))
    panel.set_result([clipping, SINE], "whole")
    column = panel.table.horizontalHeaderItem(7).text()
    assert column == "Clipped samples"
    flagged, clean = panel.table.item(0, 7), panel.table.item(1, 7)
    assert flagged.foreground().color() == WARNING_COLOR and "Repair clipping" in flagged.toolTip()
    assert clean.foreground().color() != WARNING_COLOR and clean.toolTip() == ""
