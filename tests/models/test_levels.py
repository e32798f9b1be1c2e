"""Calibrated output levels: one least-squares gain per card, 1 for a card measured before."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from models.common import checkpoint
from models.data.fixedsets import read_fixed_set
from models.inference.levels import calibrate, level_gain, output_gain
from tests.conftest import write_tiny_fixed_set


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


class _HalfOfWhatItGets(torch.nn.Module):
    """A stand-in corrector that halves the estimates it is handed and remembers them."""

    def __init__(self) -> None:
        super().__init__()
        self.received: list[torch.Tensor] = []

    def forward(self, estimates, mixture, generator=None):
        self.received.append(estimates.clone())
        return 0.5 * estimates


def test_a_corrector_is_calibrated_on_the_calibrated_estimates_the_app_hands_it(tmp_path, tiny_separator_card,
                                                                                monkeypatch):
    separator_card = tmp_path / "separator.json"
    separator, card = checkpoint.load(tiny_separator_card)
    checkpoint.save(separator, separator_card, {**card, "inference": {"output_gain": [2.0, -3.0]}})
    corrector, corrector_card = _HalfOfWhatItGets(), tmp_path / "half.json"
    corrector_card.write_text(json.dumps({"name": "half", "inference": {}}))
    load = checkpoint.load
    monkeypatch.setattr(checkpoint, "load", lambda path: (corrector, {}) if path == corrector_card else load(path))
    sets = write_tiny_fixed_set(tmp_path / "in_domain", items=1)
    calibrate(separator_card, sets, corrector_card=corrector_card, items=1, write_separator=False)
    mixture = torch.from_numpy(next(read_fixed_set(sets / "manifest.jsonl")).mixture[:4])[None]
    with torch.inference_mode():
        raw = separator(mixture)
    torch.testing.assert_close(corrector.received[0], raw * torch.tensor([2.0, -3.0])[None, :, None])
    assert json.loads(corrector_card.read_text())["inference"]["output_gain"] == pytest.approx(2.0)
