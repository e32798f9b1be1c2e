"""Shipping a run: separator and MeCo cards leave calibrated, or not at all."""

from __future__ import annotations

import json
import shutil

import pytest

from models.common import checkpoint
from models.train.ship import main as ship_main
from tests.conftest import write_tiny_fixed_set


def _run_from(card, run):
    """A training run folder whose best checkpoint is `card`."""
    run.mkdir()
    shutil.copy(card.with_suffix(".safetensors"), run / card.with_suffix(".safetensors").name)
    shutil.copy(card, run / "best.json")
    return run


def test_a_shipped_separator_carries_its_calibrated_output_gains(tmp_path, tiny_separator_card):
    run = _run_from(tiny_separator_card, tmp_path / "run")
    sets = write_tiny_fixed_set(tmp_path / "in_domain")
    assert ship_main(["--run", str(run), "--to", str(tmp_path / "shipped"), "--reproduce", "recipe",
                      "--calibrate-on", str(sets)]) == 0
    card = checkpoint.read_card(tmp_path / "shipped" / "tiny-separator.json")
    assert len(card["inference"]["output_gain"]) == 2
    assert card["inference"]["output_gain_measured_on"] == "median over 2 mixtures of in_domain"
    checkpoint.load(tmp_path / "shipped" / "tiny-separator.json")        # the weights still verify


def test_a_shipped_corrector_is_calibrated_on_a_separator_that_is_left_as_it_was(tmp_path, tiny_separator_card,
                                                                                 tiny_meco_card):
    run = _run_from(tiny_meco_card, tmp_path / "run")
    sets = write_tiny_fixed_set(tmp_path / "in_domain")
    separator_card = tiny_separator_card.read_text()
    assert ship_main(["--run", str(run), "--to", str(tmp_path / "shipped"), "--reproduce", "recipe",
                      "--calibrate-on", str(sets), "--separator", str(tiny_separator_card)]) == 0
    card = json.loads((tmp_path / "shipped" / "tiny-meco.json").read_text())
    assert isinstance(card["inference"]["output_gain"], float) and card["inference"]["mode"] == "one-step"
    assert tiny_separator_card.read_text() == separator_card


def test_a_separator_is_not_shipped_without_a_fixed_set_to_calibrate_it_on(tmp_path, tiny_separator_card):
    run = _run_from(tiny_separator_card, tmp_path / "run")
    with pytest.raises(SystemExit, match="make-testsets"):
        ship_main(["--run", str(run), "--to", str(tmp_path / "shipped"), "--reproduce", "recipe",
                   "--calibrate-on", str(tmp_path / "nothing")])
    assert not (tmp_path / "shipped").exists()
