"""Output levels that follow the input: scale-invariant training leaves a network's gain arbitrary.

The separator is trained with SI-SDR and MeCo with a scale-invariant endpoint loss, and SI-SDR
ignores both the scale and the sign of an estimate, so their outputs come out at whatever level
and polarity the networks settled on (before calibration: the separated talkers about 10 dB
louder than the mixture they came from, the second output always upside down; MeCo's about
35 dB quieter than its input, and upside down). Both networks normalise their input's level and
restore it at the end, so that gain is a property of the weights, not of the recording: one
number per output (the separator's outputs) or one for all (MeCo), `inference.output_gain` in
the card, measured once on a fixed set and applied to every chunk. A constant per output keeps
the chunks consistent and every scale-invariant metric unchanged; the right polarity also lets
the chunked runner match talkers across chunks by correlation.

    python -m models.inference.levels --separator resources/models/separator/tacband-separator.json \\
        --corrector resources/models/corrector/meco.json --testset <cache>/testsets/in_domain --items 24

A gain's size is the RMS ratio and its sign that of the correlation (a least-squares gain would
shrink the level by however poorly the estimate matches): the separator's, per output and median
over mixtures, of that output onto the clean target it matches (by SI-SDR); MeCo's, median over
talkers, of each corrected talker onto the estimate it corrected (at the separator card's
calibrated level and polarity, as the app hands MeCo its estimates).
"""

from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import torch

GAIN_KEY = "output_gain"


def level_gain(signal: np.ndarray, target: np.ndarray) -> float:
    """The gain that gives `signal` the RMS of `target` and the polarity that correlates with it."""
    signal, target = signal.astype(np.float64), target.astype(np.float64)
    size = np.sqrt((target @ target) / max(signal @ signal, 1e-24))
    return float(size if signal @ target >= 0 else -size)


def output_gain(card: dict) -> torch.Tensor:
    """A card's calibrated gain, shaped to multiply `(batch, outputs, samples)`: one per output or
    one for all; 1 for a card measured before calibration existed."""
    import torch

    gain = card.get("inference", {}).get(GAIN_KEY, 1.0)
    return torch.tensor(gain if isinstance(gain, list) else [gain], dtype=torch.float32)[None, :, None]


def _write_gain(card_path: Path, gain: float | list[float], items: int, testset: Path) -> None:
    card = json.loads(card_path.read_text())
    card.setdefault("inference", {})[GAIN_KEY] = [round(g, 6) for g in gain] if isinstance(gain, list) else \
        round(gain, 6)
    card["inference"]["output_gain_measured_on"] = f"median over {items} mixtures of {testset.name}"
    card_path.write_text(json.dumps(card, indent=2) + "\n")


def _polarity_share(gains: list[float], gain: float) -> str:
    return f"{sum(np.sign(g) == np.sign(gain) for g in gains)} of {len(gains)}"


def calibrate(separator_card: Path, testset: Path, corrector_card: Path | None = None, items: int = 24,
              mics: int = 4, write_separator: bool = True) -> list[str]:
    """Measure the gains on `items` mixtures of the fixed set `testset` (its first `mics` channels)
    and write them into the cards (the separator's only when `write_separator`: a corrector is
    calibrated on a shipped separator's estimates without touching that card). Returns a report."""
    import torch

    import models.meco.corrector  # noqa: F401  (registers the architectures with the loader)
    import models.separator.network  # noqa: F401
    from models.common import checkpoint
    from models.data.fixedsets import read_fixed_set
    from models.evaluation.separation import best_order

    torch.manual_seed(0)
    separator, card = checkpoint.load(separator_card)
    separator_gain = output_gain(card)      # MeCo corrects what the app hands it: calibrated estimates
    corrector = checkpoint.load(corrector_card)[0] if corrector_card else None
    separator_gains: dict[int, list[float]] = {}
    corrector_gains: list[float] = []
    generator = torch.Generator().manual_seed(1234)
    measured = 0
    for item in read_fixed_set(testset / "manifest.jsonl"):
        if measured == items:
            break
        measured += 1
        mixture = torch.from_numpy(item.mixture[:mics])[None]
        with torch.inference_mode():
            estimates = separator(mixture)
            outputs, targets = estimates[0].numpy(), item.targets
            for j, s in enumerate(best_order(outputs, targets)):      # output s holds talker j
                separator_gains.setdefault(s, []).append(level_gain(outputs[s], targets[j]))
            if corrector is not None:
                calibrated = estimates * separator_gain
                corrected = corrector(calibrated, mixture, generator=generator)
                corrector_gains += [level_gain(c.numpy(), e.numpy()) for c, e in zip(corrected[0], calibrated[0])]
    gains = [statistics.median(separator_gains[s]) for s in sorted(separator_gains)]
    report = [f"separator output {s + 1} gain {gain:+.4f} ({20 * np.log10(abs(gain)):+.1f} dB), "
              f"{_polarity_share(separator_gains[s], gain)} mixtures with that polarity"
              for s, gain in enumerate(gains)]
    if write_separator:
        _write_gain(separator_card, gains, measured, testset)
    if corrector_card is not None:
        gain = statistics.median(corrector_gains)
        _write_gain(corrector_card, gain, measured, testset)
        report.append(f"corrector output gain {gain:+.4f} ({20 * np.log10(abs(gain)):+.1f} dB), "
                      f"{_polarity_share(corrector_gains, gain)} talkers with that polarity")
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--separator", type=Path, required=True, help="separator card (.json), updated in place")
    parser.add_argument("--corrector", type=Path, default=None, help="MeCo card (.json), updated in place")
    parser.add_argument("--testset", type=Path, required=True, help="a fixed set folder (make-testsets)")
    parser.add_argument("--items", type=int, default=24)
    parser.add_argument("--mics", type=int, default=4)
    args = parser.parse_args(argv)
    print("\n".join(calibrate(args.separator, args.testset, args.corrector, args.items, args.mics)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
