"""Model cards without torch: reading and checking a card must not load the networks.

Listing the installed models (the window does it while it opens, `meco-studio models` does
nothing else) only reads JSON; each architecture's module, which imports torch and registers
its builder with `models.common.checkpoint`, is imported when a network is built.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

REQUIRED_KEYS = ("name", "architecture", "config", "sample_rate", "weights")
CARD_VERSION = 1

# The module that builds each architecture a card may name.
ARCHITECTURE_MODULES = {
    "TacBandSeparator": "models.separator.network",
    "MeanFlowCorrector": "models.meco.corrector",
    "BandAttentionTeacher": "models.enhancers.teacher",
    "GtcrnStudent": "models.enhancers.student",
}


class CheckpointError(ValueError):
    """The card or weights are missing, corrupt, or do not match each other."""


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_card(card_path: str | os.PathLike[str]) -> dict[str, Any]:
    """The card as a dict, its required keys present and its architecture known."""
    card_path = Path(card_path)
    try:
        card = json.loads(card_path.read_text())
    except FileNotFoundError as err:
        raise CheckpointError(f"model card {card_path} does not exist") from err
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise CheckpointError(f"model card {card_path.name} is not valid JSON: {err}") from err
    if not isinstance(card, dict):
        raise CheckpointError(f"model card {card_path.name} must hold a JSON object")
    for key in REQUIRED_KEYS:
        if key not in card:
            raise CheckpointError(f"model card {card_path.name} lacks the required key '{key}'")
    if card["architecture"] not in ARCHITECTURE_MODULES:
        raise CheckpointError(f"model card {card_path.name} names unknown architecture '{card['architecture']}'; "
                              f"known: {', '.join(sorted(ARCHITECTURE_MODULES))}")
    return card
