"""A separator card's `cost`: multiply-accumulates per second of 16 kHz audio at 1, 4 and 8 mics.

`ship` counts them when it ships a card. The count is of what the code computes, so when the
network's code is reorganised (its band layers stopped computing their zero padding, say),
cards already shipped are counted again with the same weights:

    python -m models.train.cost resources/models/separator/*.json resources/ablations/separator/*.json
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from models.common import checkpoint

MIC_COUNTS = (1, 4, 8)


def separator_mmac_per_second(model, mics: int) -> float:
    """Multiply-accumulates per second of 16 kHz audio, counted by torch's FLOP counter."""
    import torch

    from models.common.macs import count_macs

    return round(count_macs(model, torch.zeros(1, mics, 16_000)) / 1e6, 1)


def separator_cost(model) -> dict[str, float]:
    return {f"mmac_per_second_{m}_mics": separator_mmac_per_second(model.eval(), m) for m in MIC_COUNTS}


def recount(card_path: Path) -> dict[str, float]:
    """Count a shipped separator card's cost again and write it into the card (weights untouched)."""
    import models.separator.network  # noqa: F401  (registers the architecture)

    model, _ = checkpoint.load(card_path)
    cost = separator_cost(model)
    card = json.loads(card_path.read_text())
    card["cost"] = cost
    card_path.write_text(json.dumps(card, indent=2) + "\n")
    return cost


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("cards", nargs="+", type=Path, help="separator cards (.json), updated in place")
    for card in parser.parse_args(argv).cards:
        print(f"{card}: {recount(card)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
