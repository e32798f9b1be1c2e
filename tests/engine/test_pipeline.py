"""The model registry: lists valid cards, skips broken ones with a warning, loads by name."""

from __future__ import annotations

import json
import logging
import sys

import pytest

from app.engine.errors import ModelLoadError
from app.engine.pipeline import Task, find_model, list_models, load_model


def test_registry_lists_valid_cards_and_skips_broken_ones(tmp_path, tiny_separator_card, caplog):
    folder = tmp_path / "models"
    folder.mkdir()
    good = json.loads(tiny_separator_card.read_text())
    good["weights"]["file"] = str(tiny_separator_card.with_suffix(".safetensors"))
    (folder / "good.json").write_text(json.dumps(good))
    (folder / "broken.json").write_text("{not json")
    (folder / "alien.json").write_text(json.dumps({**good, "architecture": "Nope"}))
    with caplog.at_level(logging.WARNING):
        entries = list_models(folders=[folder])
    assert [e.card_path.name for e in entries] == ["good.json"]
    assert "broken.json" in caplog.text and "alien.json" in caplog.text


def test_find_model_names_the_installed_choices(tiny_separator_card):
    with pytest.raises(ModelLoadError, match="tiny-separator"):
        find_model("no-such-model", Task.SEPARATION)
    entry = find_model("tiny-separator", Task.SEPARATION)
    assert load_model(entry) is load_model(entry)          # loaded once, shared


def test_torchs_libraries_preload_outside_the_import_and_the_warm_up_imports_torch():
    from app.engine import torch_runtime

    assert torch_runtime.preload_libraries() == len(torch_runtime.TORCH_LIBRARIES)
    torch_runtime.warm_up().join(timeout=60)
    assert "torch" in sys.modules
