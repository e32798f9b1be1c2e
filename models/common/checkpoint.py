"""Checkpoints are data, not code: `name.safetensors` (weights) beside `name.json` (the card).

The card records architecture, config, sample rate, data recipe, steps, metrics, software
versions and the weights' sha256. `load` checks every required key and the hash, builds the
network from the config and loads the weights with `strict=True`; nothing is ever unpickled.
"""

from __future__ import annotations

import importlib
import json
import os
import platform
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file
from torch import nn

from models.common.cards import ARCHITECTURE_MODULES, CARD_VERSION, REQUIRED_KEYS, CheckpointError, read_card, sha256_of
from models.common.permissions import as_created

Builder = Callable[[dict[str, Any]], nn.Module]
_ARCHITECTURES: dict[str, Builder] = {}


def register_architecture(name: str, builder: Builder) -> None:
    """Make `name` loadable: `builder(card["config"])` returns an untrained network. The module
    that calls this is the one `cards.ARCHITECTURE_MODULES` names for it."""
    _ARCHITECTURES[name] = builder


def builder_of(architecture: str) -> Builder:
    importlib.import_module(ARCHITECTURE_MODULES[architecture])
    return _ARCHITECTURES[architecture]


def _atomic_write(path: Path, write: Callable[[Path], None]) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        as_created(Path(tmp))      # mkstemp makes 0600; checkpoints are meant to be shared
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def save(model: nn.Module, card_path: str | os.PathLike[str], card: dict[str, Any],
         weights_dtype: torch.dtype | None = None) -> dict[str, Any]:
    """Write weights and card atomically; returns the card as written (with hash and versions).

    `weights_dtype` (e.g. torch.float16) stores floating-point tensors at that precision, halving
    what ships; loading copies them into the model's own parameters, so nothing else changes."""
    card_path = Path(card_path)
    missing = [k for k in REQUIRED_KEYS if k != "weights" and k not in card]
    if missing:
        raise CheckpointError(f"card for {card_path.name} lacks {', '.join(missing)}")
    weights_path = card_path.with_suffix(".safetensors")
    state = {k: v.detach().contiguous().cpu() for k, v in model.state_dict().items()}
    if weights_dtype is not None:
        state = {k: v.to(weights_dtype) if v.is_floating_point() else v for k, v in state.items()}
    _atomic_write(weights_path, lambda p: save_file(state, str(p)))
    full = {
        "card_version": CARD_VERSION,
        **card,
        "parameters": sum(p.numel() for p in model.parameters()),
        "weights": {"file": weights_path.name, "sha256": sha256_of(weights_path),
                    "dtype": str(weights_dtype or "as trained").removeprefix("torch.")},
        "versions": {"torch": torch.__version__, "python": platform.python_version()},
    }
    _atomic_write(card_path, lambda p: p.write_text(json.dumps(full, indent=2, default=str) + "\n"))
    return full


def load(card_path: str | os.PathLike[str], verify_hash: bool = True) -> tuple[nn.Module, dict[str, Any]]:
    """Network in eval mode and its card; raises CheckpointError naming what is wrong."""
    card_path = Path(card_path)
    card = read_card(card_path)
    weights_path = card_path.parent / card["weights"]["file"]
    if not weights_path.is_file():
        raise CheckpointError(f"weights {weights_path.name} for {card_path.name} are missing")
    if verify_hash and sha256_of(weights_path) != card["weights"]["sha256"]:
        raise CheckpointError(f"weights {weights_path.name} do not match the sha256 in {card_path.name}; "
                              "the file is corrupt or was replaced")
    try:
        model = builder_of(card["architecture"])(card["config"])
    except (TypeError, ValueError, KeyError) as err:
        raise CheckpointError(f"config in {card_path.name} does not build a {card['architecture']}: {err}") from err
    try:
        state = load_file(str(weights_path))
        model.load_state_dict(state, strict=True)
    except (RuntimeError, OSError) as err:
        raise CheckpointError(f"weights {weights_path.name} do not fit {card['architecture']}: {err}") from err
    return model.eval(), card
