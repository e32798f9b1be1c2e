"""How much of a difference between students is the training seed's doing (issue #7's order).

The students' table compares variants trained once each, from one seed: its paired intervals
cover which test utterances were drawn, not which run of training one got. Here the same
variants are trained again from other seeds (initial weights and data order) and scored on the
same utterances, so a gap between variants can be set beside the spread between seeds:

    python -m models.dispatch.evaluate seeds --students S_seed0.json S_seed1.json ... \
        --markdown docs/results/dispatch-seeds.md

Per set: each student's means (± 95 % CI over utterances) and its PESQ-WB paired against the
no-KD student of its own seed; then per variant the spread of its mean PESQ-WB between seeds;
then each KD variant's gap over no KD, seed by seed, with a t interval over the seeds.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import numpy as np

from models.dispatch.evaluate import METRICS, Pair, bracketed, formatted, score_all
from models.dispatch.inspect import enhance
from models.dispatch.losses import StudentVariant
from models.enhancers.base import MaskingEnhancer
from models.metrics.speech import confidence_interval, paired_difference


@dataclass(frozen=True)
class Run:
    """One trained student: its variant and seed, from its card."""
    name: str              # the card's file stem: several runs share a card name
    variant: StudentVariant
    seed: int
    steps: int
    sha256: str

    @classmethod
    def of(cls, name: str, card: dict[str, Any]) -> Run:
        training = card["training"]
        return cls(name, StudentVariant(training["variant"]), int(training["config"]["seed"]),
                   int(training["steps"]), card["weights"]["sha256"])


def seed_study(runs: list[Run], models: dict[str, MaskingEnhancer], sets: dict[str, list[Pair]],
               workers: int = 1) -> list[str]:
    """The markdown: per set, a row per run, the spread between seeds, and the gaps over no KD."""
    order = sorted(runs, key=lambda r: (list(StudentVariant).index(r.variant), r.seed))
    if len({(r.variant, r.seed) for r in order}) < len(order):
        raise ValueError("two runs share a variant and a seed: the study needs one run of each")
    lines: list[str] = []
    for set_name, pairs in sets.items():
        flat = score_all([(enhance(models[r.name], p.noisy), p.clean) for r in order for p in pairs], workers)
        scores = {r.name: flat[k * len(pairs):(k + 1) * len(pairs)] for k, r in enumerate(order)}
        pesq = {name: np.array([row["pesq_wb"] for row in rows]) for name, rows in scores.items()}
        baseline = {r.seed: r.name for r in order if r.variant is StudentVariant.NO_KD}
        lines += [f"**{set_name}** ({len(pairs)} utterances; mean ± 95 % CI over utterances)", "",
                  "| variant | seed | card | steps | weights sha256 | PESQ-WB | ESTOI | SI-SDR dB | DNSMOS OVRL "
                  "| PESQ-WB − no KD of its seed (paired) |",
                  "|---|---|---|---|---|---|---|---|---|---|"]
        paired = {r.name: paired_difference(pesq[r.name], pesq[baseline[r.seed]]) for r in order
                  if r.seed in baseline and r.variant is not StudentVariant.NO_KD}
        for r in order:
            gap = bracketed(paired[r.name]) if r.name in paired else "—"
            cells = [formatted([row[m] for row in scores[r.name]]) for m in METRICS]
            lines.append(f"| {r.variant} | {r.seed} | {r.name} | {r.steps} | {r.sha256[:12]} | "
                         + " | ".join(cells) + f" | {gap} |")
        lines += ["", "Mean PESQ-WB between seeds (training noise: every row scored the same utterances):", "",
                  "| variant | seeds | mean over seeds | SD between seeds | lowest | highest |",
                  "|---|---|---|---|---|---|"]
        by_variant: dict[StudentVariant, dict[int, float]] = defaultdict(dict)
        for r in order:
            by_variant[r.variant][r.seed] = float(np.nanmean(pesq[r.name]))
        for variant, means in by_variant.items():
            values = np.array(list(means.values()))
            sd = f"{values.std(ddof=1):.3f}" if values.size > 1 else "—"
            lines.append(f"| {variant} | {values.size} | {values.mean():.3f} | {sd} | {values.min():.3f} | "
                         f"{values.max():.3f} |")
        lines += ["", "Gap over no KD (PESQ-WB), seed by seed and as a t interval over the seeds:"]
        gaps_by_variant: dict[StudentVariant, dict[int, float]] = defaultdict(dict)
        for r in order:
            if r.name in paired:
                gaps_by_variant[r.variant][r.seed] = paired[r.name].mean
        for variant, by_seed in gaps_by_variant.items():
            seeds, gaps = list(by_seed), list(by_seed.values())      # in seed order, as `order` is
            per_seed = ", ".join(f"seed {s} {g:+.3f}" for s, g in zip(seeds, gaps))
            ahead = sum(g > 0 for g in gaps)
            over = f"over {len(seeds)} seeds" if len(seeds) > 1 else "one seed"
            lines.append(f"- {variant} − no KD: {per_seed}; {over} "
                         f"{bracketed(confidence_interval(gaps))}; ahead in {ahead} of {len(seeds)}")
        lines.append("")
    return lines
