"""Issue #6's evaluation table: the separator alone and every corrector variant on the same pairs.

Rows (one per way of correcting): the separator's estimate unchanged; MeCo (full DSO); MeCo
without the x_r-loss scaling; without the Endpoint SI-SDR loss; with c = 1; the flow-matching
corrector on the same path with 5 Euler steps (FlowSE-style); the Fast-GeCo-style single step
from t = 0.5 with the full-DSO model; with `--enhancers`, the estimate finished by issue #7's
enhancers instead of a corrector. Conditions (columns groups): in-domain, out-of-domain and
real-speech pair caches (`models.train.meco_cache`). Metrics: SI-SDR, PESQ-WB, ESTOI, DNSMOS
SIG/BAK/OVRL (`models.metrics.speech`), NFE, and the corrector's real-time factor; 95 % t
intervals clustered by mixture (a mixture's two talkers are two pairs, not independent), plus
paired differences against the separator alone for the issue's targets.

    python -m models.meco.evaluation --cache sep-step21663 --out docs/results/meco-ablations-fixed.md  # ablation cards
    python -m models.meco.evaluation --cache sep-step21663 --euler-sweep 1 5 25 --no-dnsmos  # steps vs quality
    python -m models.meco.evaluation --cards runs --condition wham=path/to/pair/cache/split
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import sys
import time
from collections.abc import Hashable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

import models.meco.corrector  # noqa: F401  (registers the MeanFlowCorrector architecture)
from models.common import checkpoint
from models.common.results import markdown_table, produced_by
from models.enhancers.base import torch_threads
from models.meco.modes import InferenceMode, evaluations
from models.metrics.speech import confidence_interval, dnsmos, intrusive, paired_difference
from models.train.meco_cache import CachedPairs, CacheSplit, cache_folder, collate

log = logging.getLogger(__name__)

METRICS = ("si_sdr", "pesq", "estoi", "sig", "bak", "ovrl")
METRIC_NAMES = {"si_sdr": "SI-SDR", "pesq": "PESQ-WB", "estoi": "ESTOI", "sig": "DNSMOS SIG", "bak": "DNSMOS BAK",
                "ovrl": "DNSMOS OVRL"}
SEPARATOR_ROW = "Separator alone"
RESOURCES = Path(__file__).resolve().parents[2] / "resources"
ABLATIONS = RESOURCES / "ablations" / "meco-clean-at-estimate"      # the table's ablation cards
SHIPPED_MECO = RESOURCES / "models" / "corrector" / "meco.json"
SEED = 1234                       # MeCo's inference seed
DEFAULT_CONDITIONS = (("in-domain", CacheSplit.TEST), ("out-of-domain", CacheSplit.OOD),
                      ("real speech", CacheSplit.REAL))


@dataclass(frozen=True)
class Row:
    name: str
    card: Path | None             # None: the separator's estimate as it is
    mode: InferenceMode = InferenceMode.ONE_STEP
    steps: int = 1
    noise_scale: float = 1.0      # of the prior's noise z; 1 is the method, others a diagnostic
    enhancer: bool = False        # `card` is a single-channel enhancer run on the estimate, not a corrector

    @property
    def nfe(self) -> int:
        return 0 if self.card is None else evaluations(self.mode, self.steps)


def standard_rows(cards: Path, full_dso: Path | None = None, ablations: bool = True) -> list[Row]:
    """The issue's rows. Each variant's card is `cards/meco-<variant>.json` (shipped ablations)
    or `cards/meco-<variant>/best.json` (training runs); `full_dso` overrides MeCo's own. Without
    `ablations`: the separator, MeCo and its Fast-GeCo-style use only (a corrector on its own)."""
    def card(variant: str) -> Path:
        flat = cards / f"meco-{variant}.json"
        return flat if flat.exists() else cards / f"meco-{variant}" / "best.json"

    meco = full_dso or (card("full-dso") if card("full-dso").exists() else SHIPPED_MECO)
    if not ablations:
        return [Row(SEPARATOR_ROW, None), Row("+ MeCo (full DSO)", meco),
                Row("Fast-GeCo-style, 1 step from t = 0.5", meco, InferenceMode.FROM_HALF)]
    return [Row(SEPARATOR_ROW, None),
            Row("+ MeCo (full DSO)", meco),
            Row("MeCo w/o x_r-loss scaling", card("no-xr-scaling")),
            Row("MeCo w/o Endpoint SI-SDR loss", card("no-endpoint")),
            Row("MeCo with c = 1", card("exact-c")),
            Row("Flow matching, 5 Euler steps", card("flow-matching"), InferenceMode.EULER, 5),
            Row("Fast-GeCo-style, 1 step from t = 0.5", meco, InferenceMode.FROM_HALF)]


def enhancer_rows(cards: list[Path]) -> list[Row]:
    """The separator's estimate finished by each enhancer (issue #7's teacher or students), as
    `separate --enhance` does: what a plain denoiser, blind to the mixture, does to the same estimates."""
    return [Row(f"Separator + {card.stem} (enhancer)", card, enhancer=True) for card in cards]


def euler_sweep_rows(cards: Path, steps: list[int]) -> list[Row]:
    """The separator, then the flow-matching and the full-DSO correctors solved with each number of
    Euler steps of their instantaneous velocity u(x, t, t), and MeCo's one average-velocity jump:
    does a multi-step corrector approach its ODE's answer as the steps grow, and does MeCo's?"""
    fm, dso = cards / "meco-flow-matching.json", cards / "meco-full-dso.json"
    return ([Row(SEPARATOR_ROW, None)]
            + [Row(f"Flow matching, {k} Euler step{'s' * (k > 1)}", fm, InferenceMode.EULER, k) for k in steps]
            + [Row(f"MeCo (full DSO), {k} Euler step{'s' * (k > 1)}", dso, InferenceMode.EULER, k) for k in steps]
            + [Row("MeCo (full DSO), one step", dso)])


def noise_sweep_rows(card: Path, scales: list[float]) -> list[Row]:
    """The separator, then one corrector's one step with the prior's noise z scaled by each of
    `scales`: how much of what the corrector changes is the noise it starts from, not left out."""
    return [Row(SEPARATOR_ROW, None)] + [Row(f"{card.stem}, prior noise × {k:g}", card, noise_scale=k)
                                         for k in scales]


def score(estimate: np.ndarray, clean: np.ndarray, with_dnsmos: bool) -> dict[str, float]:
    scores = intrusive(estimate, clean)
    if with_dnsmos:
        scores.update(dnsmos(estimate))
    return scores


def evaluate_row(row: Row, pairs: CachedPairs, with_dnsmos: bool = True, batch_size: int = 4) -> list[dict[str, float]]:
    """Per-pair scores of one row, and the corrector's RTF per pair (0 for the separator row)."""
    model = None
    if row.card is not None:
        model, _ = checkpoint.load(row.card)
    generator = torch.Generator().manual_seed(SEED)
    out: list[dict[str, float]] = []
    for start in range(0, len(pairs), batch_size):
        batch = collate([pairs[i] for i in range(start, min(len(pairs), start + batch_size))])
        t0 = time.perf_counter()
        if model is None:
            estimates = batch["estimate"]
        elif row.enhancer:
            with torch.inference_mode(), torch_threads(getattr(model, "inference_threads", None)):
                estimates = model(batch["estimate"][:, None])[:, 0]
        else:
            with torch.inference_mode():
                estimates = model(batch["estimate"][:, None], batch["mixture"], row.mode, row.steps, generator,
                                  batch["mic_mask"], row.noise_scale)[:, 0]
        rtf = (time.perf_counter() - t0) / (batch["clean"].numel() / 16_000)
        for est, clean in zip(estimates.numpy(), batch["clean"].numpy()):
            out.append({**score(est, clean, with_dnsmos), "rtf": rtf})
    return out


def summarise(rows: list[Row], scores: dict[str, list[dict[str, float]]], mixtures: list[Hashable]) -> list[dict]:
    """Mean +- 95 % CI per metric, NFE, RTF, and paired differences against the separator row;
    `mixtures` names the mixture each pair came from (the CIs are clustered by it)."""
    baseline = scores.get(SEPARATOR_ROW)
    summary = []
    for row in rows:
        items = scores[row.name]
        entry: dict = {"row": row.name, "nfe": row.nfe, "n": len(items),
                       "rtf": float(np.mean([s["rtf"] for s in items])) if row.card else math.nan}
        for metric in METRICS:
            if items and all(metric in s for s in items):
                values = [s[metric] for s in items]
                entry[metric] = confidence_interval(values, clusters=mixtures)
                if baseline is not None and row.name != SEPARATOR_ROW:
                    entry[f"delta_{metric}"] = paired_difference(values, [s[metric] for s in baseline],
                                                                 clusters=mixtures)
        summary.append(entry)
    return summary


def to_markdown(summary: list[dict], title: str) -> str:
    metrics = [m for m in METRICS if any(m in s for s in summary)]
    head = ["Method"] + [METRIC_NAMES[m] for m in metrics] + ["NFE", "RTF", "n"]
    rows = [[s["row"], *(str(s[m]) if m in s else "—" for m in metrics), str(s["nfe"]),
             "—" if math.isnan(s["rtf"]) else f"{s['rtf']:.4f}", str(s["n"])] for s in summary]
    lines = [f"**{title}**", "", markdown_table(head, rows).rstrip("\n")]
    deltas = [s for s in summary if any(k.startswith("delta_") for k in s)]
    if deltas:
        lines += ["", f"Paired differences against {SEPARATOR_ROW.lower()} (mean ± 95 % CI clustered by mixture; "
                  "targets: SI-SDR ≥ −0.3 dB, PESQ-WB +0.1, DNSMOS OVRL +0.2):", ""]
        for s in deltas:
            parts = [f"{METRIC_NAMES[m]} {s[f'delta_{m}']}" for m in metrics if f"delta_{m}" in s]
            lines.append(f"- {s['row']}: " + ", ".join(parts))
    return "\n".join(lines) + "\n"


def by_estimate_quality(rows: list[Row], scores: dict[str, list[dict[str, float]]], groups: int,
                        mixtures: list[Hashable]) -> str:
    """Paired differences against the separator within `groups` equal shares of the pairs, ranked by
    the separator's own SI-SDR: does a row help more where the estimate is already mostly right?"""
    baseline = scores[SEPARATOR_ROW]
    order = np.argsort([s["si_sdr"] for s in baseline], kind="stable")
    shares = [part for part in np.array_split(order, groups) if len(part)]
    lines = ["", f"Paired differences against {SEPARATOR_ROW.lower()} by the separator's SI-SDR, in {len(shares)} "
             "equal shares of the pairs from worst to best (mean ± 95 % CI):", ""]
    for row in rows:
        if row.name == SEPARATOR_ROW:
            continue
        parts = []
        for share in shares:
            low, high = (baseline[i]["si_sdr"] for i in (share[0], share[-1]))
            deltas = []
            for metric in ("si_sdr", "pesq", "ovrl"):
                if metric in baseline[share[0]]:
                    delta = paired_difference([scores[row.name][i][metric] for i in share],
                                              [baseline[i][metric] for i in share],
                                              clusters=[mixtures[i] for i in share])
                    deltas.append(f"{METRIC_NAMES[metric]} {delta}")
            parts.append(f"{low:.1f} to {high:.1f} dB ({len(share)} pairs): " + ", ".join(deltas))
        lines.append(f"- {row.name}: " + "; ".join(parts))
    return "\n".join(lines) + "\n"


def evaluate_conditions(rows: list[Row], conditions: dict[str, Path], with_dnsmos: bool = True,
                        limit: int | None = None, quality_groups: int = 0) -> str:
    """The full markdown table: one block per condition, every row on the same pairs; with
    `quality_groups`, each block also breaks the differences down by the estimate's quality."""
    blocks = []
    for condition, folder in conditions.items():
        pairs = CachedPairs(folder)
        if limit is not None:
            pairs.length = min(pairs.length, limit)
        scores = {}
        for row in rows:
            scores[row.name] = evaluate_row(row, pairs, with_dnsmos)
            log.info("%s: %s done", condition, row.name)
        mixtures = [pairs.mixture_of(i) for i in range(len(pairs))]
        count = len(set(mixtures))
        block = to_markdown(summarise(rows, scores, mixtures), f"{condition} ({len(pairs)} pairs from {count} "
                                                               f"mixture{'s' if count != 1 else ''}, seed {SEED})")
        if quality_groups and SEPARATOR_ROW in scores:
            block += by_estimate_quality(rows, scores, quality_groups, mixtures)
        blocks.append(block)
    return "\n".join(blocks)


def _short_hash(separator: dict) -> str:
    return f"sha256 {(separator.get('weights') or {}).get('sha256', '')[:12]}…"


def _made_by(separator: dict) -> str:
    """'step N' when a separator record knows its steps, else its weights' short hash."""
    return f"step {separator['steps']}" if separator.get("steps") else _short_hash(separator)


def provenance(rows: list[Row], argv: list[str], conditions: dict[str, Path] | None = None) -> str:
    """The command, the separator that made the scored pairs (from each cache's manifest), and
    each corrector's card with its training steps and the separator whose outputs it trained on."""
    lines = [produced_by(f"python -m models.meco.evaluation {' '.join(argv)}"), ""]
    for manifest in sorted({folder.parent / "manifest.json" for folder in (conditions or {}).values()}):
        if manifest.is_file():
            separator = json.loads(manifest.read_text()).get("separator") or {}
            made_by = f"step {separator['steps']}, " if separator.get("steps") else ""
            lines.append(f"- Pairs scored: cache `{manifest.parent.name}`, separated by {separator.get('name', '?')} "
                         f"({made_by}{_short_hash(separator)})")
    for row in rows:
        if row.card is not None:
            card = checkpoint.read_card(row.card)
            training = card.get("training", {})
            separator = card.get("data", {}).get("separator") or {}
            lines.append(f"- {row.name}: `{row.card.name}`, {training.get('steps', '?')} steps"
                         + (f", trained on the outputs of {separator.get('name', '?')} ({_made_by(separator)})"
                            if separator else ""))
    return "\n".join(lines) + "\n\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cards", type=Path, default=ABLATIONS,
                        help="folder of meco-<variant>.json cards, or of meco-<variant>/best.json runs")
    parser.add_argument("--full-dso", type=Path, default=None,
                        help="MeCo's card (default: meco-full-dso in --cards, else the shipped corrector)")
    parser.add_argument("--no-ablations", action="store_true",
                        help="only the separator, MeCo and MeCo's Fast-GeCo-style use (e.g. the shipped pair)")
    parser.add_argument("--euler-sweep", type=int, nargs="+", default=None, metavar="STEPS",
                        help="instead of the issue's rows: the flow-matching and full-DSO cards of --cards solved "
                             "with each of these numbers of Euler steps")
    parser.add_argument("--noise-sweep", type=float, nargs="+", default=None, metavar="SCALE",
                        help="instead of the issue's rows: MeCo (--full-dso, else the shipped card) with its "
                             "prior noise scaled by each of these (1 is the method; a diagnostic)")
    parser.add_argument("--enhancers", type=Path, nargs="+", default=[], metavar="CARD",
                        help="also score the separator's estimate finished by each of these enhancer cards")
    parser.add_argument("--cache", default="default",
                        help="pair cache name: its test, ood and real splits are the three conditions")
    parser.add_argument("--condition", action="append", default=[], metavar="NAME=FOLDER",
                        help="evaluate on these pair cache splits instead, e.g. in-domain=cache/meco/default/test")
    parser.add_argument("--limit", type=int, default=None, help="at most this many pairs per condition")
    parser.add_argument("--no-dnsmos", action="store_true", help="skip DNSMOS (the slowest metric)")
    parser.add_argument("--by-estimate", type=int, default=0, metavar="GROUPS",
                        help="also give each row's differences within GROUPS equal shares of the pairs, ranked by "
                             "the separator's SI-SDR")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", type=Path, default=None, help="write the markdown table here (else stdout)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    torch.set_num_threads(args.threads)
    folder = cache_folder(args.cache)
    conditions = {} if args.condition else {name: folder / str(split) for name, split in DEFAULT_CONDITIONS}
    for item in args.condition:
        name, sep, folder = item.partition("=")
        if not sep:
            parser.error(f"--condition needs NAME=FOLDER, got {item!r}")
        conditions[name] = Path(folder)
    rows = []
    if args.euler_sweep and args.noise_sweep:
        parser.error("choose one of --euler-sweep and --noise-sweep")
    if args.enhancers and (args.euler_sweep or args.noise_sweep):
        parser.error("--enhancers adds rows to the issue's table, not to a sweep")
    if args.euler_sweep:
        wanted = euler_sweep_rows(args.cards, args.euler_sweep)
    elif args.noise_sweep:
        wanted = noise_sweep_rows(args.full_dso or SHIPPED_MECO, args.noise_sweep)
    else:
        wanted = standard_rows(args.cards, args.full_dso, not args.no_ablations) + enhancer_rows(args.enhancers)
    for row in wanted:
        if row.card is None or row.card.exists():
            rows.append(row)
        else:
            log.warning("skipping row '%s': %s is not trained yet", row.name, row.card)
    table = provenance(rows, argv if argv is not None else sys.argv[1:], conditions) + evaluate_conditions(
        rows, conditions, not args.no_dnsmos, args.limit, args.by_estimate)
    if args.out:
        args.out.write_text(table)
    else:
        print(table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
