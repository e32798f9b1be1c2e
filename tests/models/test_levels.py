"""Calibrated output levels: one least-squares gain per card, 1 for a card measured before."""

from __future__ import annotations

import numpy as np
import pytest

from models.inference.levels import level_gain, output_gain


def test_a_scaled_copy_is_brought_back_to_its_level_and_polarity():
    target = np.random.default_rng(0).standard_normal(4000)
    assert level_gain(0.01 * target, target) == pytest.approx(100.0)
    assert level_gain(-0.01 * target, target) == pytest.approx(-100.0)


def test_the_level_is_matched_however_poorly_the_signal_matches():
    rng = np.random.default_rng(1)
    part, rest = rng.standard_normal(8000), rng.standard_normal(8000)
    assert level_gain(3.0 * part, part + rest) == pytest.approx(np.sqrt(2) / 3, rel=0.05)


def test_a_card_gives_one_gain_per_output_or_one_for_all_and_1_without_a_calibration():
    assert output_gain({"inference": {}}).flatten().tolist() == [1.0]
    assert output_gain({"inference": {"output_gain": [0.5, -0.25]}}).shape == (1, 2, 1)
    assert output_gain({"inference": {"output_gain": -2.0}}).flatten().tolist() == [-2.0]
