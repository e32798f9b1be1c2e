"""Model cards are read without torch; each architecture a card may name is built by its module."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from models.common import checkpoint
from models.common.cards import ARCHITECTURE_MODULES, CheckpointError, read_card

SHIPPED = Path(__file__).resolve().parents[2] / "resources" / "models"


@pytest.mark.parametrize("architecture", sorted(ARCHITECTURE_MODULES))
def test_each_architecture_is_built_by_the_module_the_cards_name(architecture):
    assert callable(checkpoint.builder_of(architecture))


def test_a_card_naming_an_unknown_architecture_is_refused_with_the_known_ones(tmp_path):
    card = tmp_path / "alien.json"
    card.write_text(json.dumps({"name": "a", "architecture": "Nope", "config": {}, "sample_rate": 16000,
                                "weights": {}}))
    with pytest.raises(CheckpointError, match="unknown architecture 'Nope'; known: BandAttentionTeacher"):
        read_card(card)


def test_reading_every_shipped_card_does_not_import_torch():
    script = ("import sys, pathlib; from models.common.cards import read_card; "
              f"cards = [read_card(p) for p in pathlib.Path({str(SHIPPED)!r}).glob('**/*.json')]; "
              "print(len(cards), 'torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60,
                         cwd=SHIPPED.parents[1], env=os.environ)
    assert out.returncode == 0, out.stderr
    count, torch_loaded = out.stdout.split()
    assert int(count) >= 3 and torch_loaded == "False"
