"""The metrics panel's numbers leave the app: copied tab-separated, or saved as CSV."""

from __future__ import annotations

import csv

import pytest
from PySide6.QtGui import QGuiApplication

from app.engine.workflow import MetricsRow
from app.gui.views.metrics_panel import MetricsPanel

ROWS = [MetricsRow("", "Mixture · talker 1", {"si_sdr": -2.3412, "dnsmos_ovrl": 1.1}),
        MetricsRow("v1", "Separated · talker 1", {"si_sdr": 5.5, "dnsmos_ovrl": 2.25})]


@pytest.fixture
def panel(qtbot) -> MetricsPanel:
    widget = MetricsPanel()
    qtbot.addWidget(widget)
    return widget


def test_nothing_to_copy_or_save_before_an_evaluation(panel):
    panel.set_rows([], with_reference=False)
    assert not panel.copy_button.isEnabled() and not panel.save_button.isEnabled()


def test_copy_puts_the_table_on_the_clipboard_tab_separated(panel):
    panel.set_rows(ROWS, with_reference=True)
    panel.copy_button.click()
    lines = QGuiApplication.clipboard().text().split("\n")
    assert lines[0].split("\t")[:2] == ["Version", "SI-SDR (dB)"]
    assert lines[1].split("\t")[:2] == ["Mixture · talker 1", "-2.3412"]
    assert len(lines) == 3


def test_save_csv_writes_every_row(panel, tmp_path):
    panel.set_rows(ROWS, with_reference=True)
    with open(panel.save_csv(tmp_path / "scores.csv"), newline="", encoding="utf-8") as f:
        table = list(csv.reader(f))
    assert [line[0] for line in table] == ["Version", "Mixture · talker 1", "Separated · talker 1"]
    assert table[2][1] == "5.5000"


def test_a_difference_is_signed_and_bold_where_its_paired_interval_leaves_out_zero(panel):
    difference = MetricsRow("v1", "Separated · talker 1", {"si_sdr": 3.0, "pesq": -0.05}, labels=4,
                            half_widths={"si_sdr": 1.0, "pesq": 0.1}, baseline="Mixture · talker 1")
    panel.set_rows([*ROWS, difference], with_reference=True)
    gain, dip = panel.table.item(2, 1), panel.table.item(2, 2)
    assert (gain.text(), dip.text()) == ("+3.00 ± 1.00", "-0.05 ± 0.10")
    assert gain.font().bold() and not dip.font().bold()
    assert panel.table.item(2, 0).text() == "Δ over 4 labels · Separated · talker 1 − Mixture · talker 1"
