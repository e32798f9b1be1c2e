"""Copy a run's best checkpoint into `resources/models/` as a shippable card.

    python -m models.train.ship --run runs/separator --to resources/models/separator \
        --reproduce "python -m models.train.separator --out runs/separator --steps 30000 ..."

The weights are re-verified on the way (load checks the hash and strict keys), the card gains
the command that reproduces it and, for separators, whether the mask-driven MWF helped on the
validation set (the engine's default for `--spatial-filter`). Separator and MeCo cards are then
calibrated (`models.inference.levels`: scale-invariant training leaves their output level and
polarity arbitrary) on the in-domain fixed set; MeCo on the estimates of `--separator`, whose
card is left as it is.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from models.common import checkpoint
from models.data.paths import cache_root
from models.inference.levels import calibrate
from models.train.cost import separator_cost

CALIBRATED = ("TacBandSeparator", "MeanFlowCorrector")      # scale-invariant losses: level set after training
SHIPPED_SEPARATOR = Path(__file__).resolve().parents[2] / "resources" / "models" / "separator" / \
    "tacband-separator.json"


def ship(run: Path, target: Path, name: str | None, reproduce: str, half: bool = False) -> Path:
    import torch

    import models.enhancers.student  # each import registers its architecture
    import models.enhancers.teacher
    import models.meco.corrector
    import models.separator.network  # noqa: F401

    model, card = checkpoint.load(run / "best.json")
    metrics = card.get("metrics", {})
    if "valid_sisdri_mwf" in metrics and "valid_sisdri_mask" in metrics:
        card.setdefault("inference", {})["spatial_filter"] = metrics["valid_sisdri_mwf"] > metrics["valid_sisdri_mask"]
    if card["architecture"] == "TacBandSeparator":
        card["cost"] = separator_cost(model)
        card["description"] = ("TAC band-split separator: geometry-free per-mic features relative to the reference "
                               "mic, transform-average-concatenate across mics (FaSNet-TAC), 28 frequency bands "
                               "(BSRNN), dilated time convolutions alternating with band convolutions; a complex "
                               "mask per talker at the reference mic, optionally refined by a mask-driven MWF.")
        if spatial := card["config"].get("spatial_blocks", 0):
            card["description"] += (f" {spatial} per-mic spatial block(s) (a dilated time convolution on every "
                                    "mic stream, then TAC) come before the pooling across mics.")
    card["name"] = name or card["name"]
    card["training"] = {**card.get("training", {}), "reproduce": reproduce}
    for key in ("weights", "versions", "parameters", "card_version"):
        card.pop(key, None)
    target.mkdir(parents=True, exist_ok=True)
    out = target / f"{card['name']}.json"
    checkpoint.save(model, out, card, torch.float16 if half else None)
    return out


def calibrate_shipped(card: Path, testset: Path, separator: Path = SHIPPED_SEPARATOR) -> list[str]:
    """Measure and write a shipped separator's or corrector's output gain."""
    if checkpoint.read_card(card)["architecture"] == "TacBandSeparator":
        return calibrate(card, testset)
    return calibrate(separator, testset, corrector_card=card, write_separator=False)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--run", type=Path, required=True, help="training run folder with best.json")
    parser.add_argument("--to", type=Path, required=True, help="resources/models/<task> folder")
    parser.add_argument("--name", default=None, help="card name (default: the run's)")
    parser.add_argument("--reproduce", required=True, help="the command that reproduces this checkpoint")
    parser.add_argument("--half", action="store_true",
                        help="store the weights as float16 (half the size; loading casts them back)")
    parser.add_argument("--calibrate-on", type=Path, default=cache_root() / "testsets" / "in_domain",
                        help="fixed set that separator and MeCo output gains are measured on")
    parser.add_argument("--separator", type=Path, default=SHIPPED_SEPARATOR,
                        help="separator card whose estimates a MeCo card is calibrated on")
    args = parser.parse_args(argv)
    calibrated = checkpoint.read_card(args.run / "best.json")["architecture"] in CALIBRATED
    if calibrated and not (args.calibrate_on / "manifest.jsonl").is_file():
        raise SystemExit(f"{args.calibrate_on} holds no fixed set to calibrate the output level on (a card "
                         "shipped uncalibrated plays at an arbitrary level and polarity); make it with "
                         "`meco-studio make-testsets`, or pass --calibrate-on.")
    out = ship(args.run, args.to, args.name, args.reproduce, args.half)
    print(out)
    if calibrated:
        print("\n".join(calibrate_shipped(out, args.calibrate_on, args.separator)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
