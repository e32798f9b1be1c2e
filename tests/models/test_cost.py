"""A separator card's cost is counted from the code that runs it, and can be counted again."""

from __future__ import annotations

import json

import torch

from models.common import checkpoint
from models.separator.network import SeparatorConfig, TacBandSeparator
from models.train.cost import main, separator_cost

TINY = SeparatorConfig(channels=16, blocks=2)


def test_more_mics_cost_more_and_the_count_is_of_multiply_accumulates():
    torch.manual_seed(0)
    cost = separator_cost(TacBandSeparator(TINY))
    assert list(cost) == ["mmac_per_second_1_mics", "mmac_per_second_4_mics", "mmac_per_second_8_mics"]
    assert 0 < cost["mmac_per_second_1_mics"] < cost["mmac_per_second_4_mics"] < cost["mmac_per_second_8_mics"]


def test_recounting_a_card_rewrites_its_cost_and_leaves_its_weights(tmp_path, capsys):
    torch.manual_seed(0)
    model = TacBandSeparator(TINY)
    card = tmp_path / "sep.json"
    checkpoint.save(model, card, {"name": "tiny", "architecture": "TacBandSeparator", "config": TINY.to_dict(),
                                  "sample_rate": 16000, "cost": {"mmac_per_second_4_mics": 1e9}})
    before = json.loads(card.read_text())
    assert main([str(card)]) == 0
    after = json.loads(card.read_text())
    assert after["cost"] == separator_cost(model) and str(card) in capsys.readouterr().out
    assert {k: v for k, v in after.items() if k != "cost"} == {k: v for k, v in before.items() if k != "cost"}
    checkpoint.load(card)                                   # the weights still match the card's sha256
