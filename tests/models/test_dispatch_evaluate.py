"""The evaluation table's statistics and the issue's checks, on hand-made scores."""

from __future__ import annotations

import pytest
from scipy import stats

from models.dispatch.evaluate import checks, mean_ci
from models.dispatch.losses import StudentVariant


def test_mean_ci_is_the_t_interval_half_width():
    mean, half = mean_ci([1.0, 2.0, 3.0])
    assert mean == 2.0 and half == pytest.approx(stats.t.ppf(0.975, 2) * 1.0 / 3 ** 0.5)


def _rows(values):
    return [{"pesq_wb": v} for v in values]


def test_checks_report_lifts_paired_gain_rtf_and_order():
    result = {
        "teacher": "t",
        "scores": {"ood": {"noisy": _rows([1.0, 1.2, 1.4]), "t": _rows([2.0, 2.1, 2.3]),
                           "a": _rows([1.6, 1.8, 2.0]), "b": _rows([1.75, 1.92, 2.16])}},
        "cost": {"t": {"rtf": 0.3}, "a": {"rtf": 0.01}, "b": {"rtf": 0.03}},
    }
    lines = checks(result, {"a": StudentVariant.NO_KD, "b": StudentVariant.DFKD_DISPATCH_MSSP}, "ood")
    assert lines[1].startswith("- teacher lifts +0.93") and lines[1].endswith("met")
    assert "best student (b) lifts +0.74" in lines[2] and lines[2].endswith(": met")
    assert "+0.143" in lines[3] and lines[3].endswith(": met")        # paired gains 0.15, 0.12, 0.16
    assert lines[4] == "- slowest student RTF 0.0300 (target ≤ 0.02): not met"
    assert lines[5].endswith("a, b: same")
