"""The DISPatch evaluation table: teacher and five students on fixed test sets (issue #7 item 2).

    python -m models.dispatch.evaluate make-sets                   # fixed in-domain and out-of-domain sets
    python -m models.dispatch.evaluate run --teacher T.json --students S1.json ... \
        --markdown docs/results/dispatch-students.md [--voicebank /data/VoiceBank-DEMAND]
    python -m models.dispatch.evaluate sweep --students S_lambda1.json S_lambda2.json ... \
        --markdown docs/results/dispatch-lambda.md      # tune lambda on the validation voices
    python -m models.dispatch.evaluate seeds --students S_seed0.json S_seed1.json ... \
        --markdown docs/results/dispatch-seeds.md       # the same variants from other seeds

Per set and model (and rows to compare with: the noisy input, and the classical spectral gate of
Audacity's Noise Reduction at its defaults, `models.baselines.spectral_gate`, learnt from each
utterance's quietest frames, and the same gate with the noise tracked over time): PESQ-WB, ESTOI,
SI-SDR and DNSMOS OVRL, each mean +- the 95 % confidence half-width (t interval over utterances);
parameters, MMAC/s and RTF on this CPU; the share of kept patches whose knowledge gap is positive
(each student's own KD setting, against the teacher's output). Then the checks the issue sets: PESQ
lifts over the noisy input, the paired 95 % CI of (DFKD + DISPatch + MSSP - no KD) on the out-of-
domain set, every student's RTF, and whether the students rank in the order the paper expects. The
markdown block is pasted into the README by `packaging/sync_readme.py`.
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch

from models.baselines.spectral_gate import reduce_noise
from models.common import checkpoint
from models.common.processes import worker_pool
from models.common.results import write_result
from models.common.stft import Stft
from models.data.fixedsets import read_fixed_set, write_fixed_set
from models.data.mixtures import OUT_OF_DOMAIN_NOISE, MixtureConfig, MixtureSimulator, out_of_domain_config
from models.data.noise import NoisePool, default_noise_files
from models.data.paths import cache_root
from models.data.readers import VoiceBankDemandReader
from models.data.speech import SpeechPool, Split
from models.dispatch.inspect import enhance
from models.dispatch.losses import KdLoss, StudentVariant, distillation_loss, variant_config
from models.enhancers.base import MaskingEnhancer
from models.enhancers.bench import macs_per_second, parameters, real_time_factors
from models.losses.si_sdr import si_sdr
from models.metrics.speech import Interval, confidence_interval, dnsmos
from models.train.enhancer import simulated_config

log = logging.getLogger(__name__)

SAMPLE_RATE = 16_000
EVAL_SECONDS = 6.0                     # long enough for PESQ and ESTOI (the data engine's fixed sets)
SET_SEEDS = {"enhance-in-domain": 4_000_000, "enhance-ood": 5_000_000,   # apart from the separator sets
             "enhance-valid": 6_000_000}
VALID_SET = "enhance-valid"            # validation voices: where lambda is chosen, never the test sets
METRICS = ("pesq_wb", "estoi", "si_sdr", "dnsmos_ovrl")
BASELINE = "spectral gate (classical)"   # the row a user would otherwise pick: Audacity's Noise Reduction
BASELINES = {BASELINE: False, "spectral gate, tracked noise (classical)": True}   # name: noise tracked over time
TARGET_LIFT = {"teacher": 0.8, "student": 0.5}   # issue #7: PESQ-WB over the noisy input, out-of-domain
TARGET_GAIN = 0.1                                 # MSSP student over the no-KD student
TARGET_RTF = 0.02
TARGET_PARAMETERS = 100_000                       # a GTCRN-class student
TARGET_MAC_RATIO = 10                             # the teacher's MACs over the student's


def set_configs() -> dict[str, MixtureConfig]:
    """In-domain: training rooms and noise, test voices. Out-of-domain: the data engine's
    out-of-domain rooms, distances and noise kinds with test voices, one mic."""
    ood = out_of_domain_config()
    return {
        "enhance-in-domain": simulated_config(EVAL_SECONDS, Split.TEST),
        "enhance-ood": replace(simulated_config(EVAL_SECONDS, Split.TEST), rt60_s=ood.rt60_s,
                               room_size_min_m=ood.room_size_min_m, room_size_max_m=ood.room_size_max_m,
                               source_distance_m=ood.source_distance_m, noise_kinds=OUT_OF_DOMAIN_NOISE),
    }


def make_sets(items: int, root: Path) -> None:
    speech = SpeechPool.default(SAMPLE_RATE)
    noise = NoisePool(speech, default_noise_files(), SAMPLE_RATE)
    configs = {**set_configs(), VALID_SET: simulated_config(EVAL_SECONDS, Split.VALID)}
    for name, config in configs.items():
        for done in write_fixed_set(MixtureSimulator(config, speech, noise), root / name, items, SET_SEEDS[name]):
            log.info("%s: %d/%d", name, done, items)


@dataclass(frozen=True)
class Pair:
    name: str
    noisy: np.ndarray      # float32 (samples,)
    clean: np.ndarray


def load_set(name: str, root: Path, voicebank: Path | None) -> list[Pair]:
    if name == "voicebank":
        return [Pair(e.name, e.mixture[0], e.references[0]) for e in VoiceBankDemandReader(voicebank, "test")]
    return [Pair(m.meta["name"], m.mixture[0], m.targets[0]) for m in read_fixed_set(root / name / "manifest.jsonl")]


def utterance_metrics(estimate: np.ndarray, clean: np.ndarray) -> dict[str, float]:
    from pesq import pesq
    from pystoi import stoi

    return {
        "pesq_wb": float(pesq(SAMPLE_RATE, clean, estimate, "wb", on_error=1)),
        "estoi": float(stoi(clean, estimate, SAMPLE_RATE, extended=True)),
        "si_sdr": float(si_sdr(torch.from_numpy(estimate), torch.from_numpy(clean))),
        "dnsmos_ovrl": dnsmos(estimate)["ovrl"],
    }


def positive_gap_share(student: np.ndarray, teacher: np.ndarray, clean: np.ndarray, variant: StudentVariant,
                       stft: Stft) -> tuple[int, int]:
    """(kept patches with KGS > 0, kept patches) under the student's own KD setting."""
    config = variant_config(variant)
    if config.loss is KdLoss.NONE:
        return 0, 0
    spectra = [stft(torch.from_numpy(x)[None]) for x in (student, teacher, clean)]
    result = distillation_loss(*spectra, config)
    positive = sum(int((b.keep & (b.score > 0)).sum()) for b in result.bands)
    return positive, sum(int(b.keep.sum()) for b in result.bands)


def score_all(pairs: list[tuple[np.ndarray, np.ndarray]], workers: int = 1) -> list[dict[str, float]]:
    """`utterance_metrics` of each (estimate, clean), in order; with `workers` > 1 in that many
    processes (DNSMOS, PESQ and ESTOI are single-threaded and dominate the evaluation's time)."""
    if workers <= 1:
        return [utterance_metrics(estimate, clean) for estimate, clean in pairs]
    with worker_pool(workers) as pool:
        return list(pool.map(utterance_metrics, *zip(*pairs), chunksize=4))


def evaluate(models: dict[str, MaskingEnhancer], variants: dict[str, StudentVariant], sets: dict[str, list[Pair]],
             workers: int = 1) -> dict[str, Any]:
    """Per set, per model (and 'noisy'): per-utterance metrics; per set and student: positive-gap
    counts; per model: parameters, MMAC/s and RTF (timed last, with the metric workers gone)."""
    stft = Stft(variant_config(StudentVariant.DISPATCH_L2).stft)
    scores: dict[str, dict[str, list[dict[str, float]]]] = {}
    all_gaps: dict[str, dict[str, list[int]]] = {}
    teacher_name = next(n for n in models if n not in variants)
    gate_seconds, audio_seconds = dict.fromkeys(BASELINES, 0.0), 0.0
    for set_name, pairs in sets.items():
        estimates: dict[str, list[np.ndarray]] = {"noisy": [pair.noisy for pair in pairs]}
        for name, tracked in BASELINES.items():
            start = time.perf_counter()
            estimates[name] = [reduce_noise(pair.noisy, SAMPLE_RATE, tracked=tracked) for pair in pairs]
            gate_seconds[name] += time.perf_counter() - start
        audio_seconds += sum(pair.noisy.shape[0] for pair in pairs) / SAMPLE_RATE
        estimates.update({n: [enhance(m, pair.noisy) for pair in pairs] for n, m in models.items()})
        flat = score_all([(out, pair.clean) for outs in estimates.values() for out, pair in zip(outs, pairs)],
                         workers)
        scores[set_name] = {name: flat[k * len(pairs):(k + 1) * len(pairs)] for k, name in enumerate(estimates)}
        gaps = all_gaps[set_name] = {name: [0, 0] for name in variants}
        for name in variants:
            for out, teacher_out, pair in zip(estimates[name], estimates[teacher_name], pairs):
                pos, kept = positive_gap_share(out, teacher_out, pair.clean, variants[name], stft)
                gaps[name][0] += pos
                gaps[name][1] += kept
        log.info("evaluated %s (%d utterances)", set_name, len(pairs))
    rtf = real_time_factors(models)
    cost = {n: {"parameters": parameters(m), "mmac_per_s": macs_per_second(m) / 1e6, "rtf": rtf[n]}
            for n, m in models.items()}
    cost.update({name: {"rtf": seconds / max(audio_seconds, 1e-9)} for name, seconds in gate_seconds.items()})
    return {"scores": scores, "gaps": all_gaps, "cost": cost, "teacher": teacher_name}


def formatted(values: list[float]) -> str:
    """A column cell: mean ± 95 % half-width."""
    return str(confidence_interval(values))


def bracketed(interval: Interval) -> str:
    """'+0.012 [-0.004, +0.028]': a small difference to three decimals with its 95 % bounds."""
    if not np.isfinite(interval.half_width):
        return f"{interval.mean:+.3f}"
    mean, half = interval.mean, interval.half_width
    return f"{mean:+.3f} [{mean - half:+.3f}, {mean + half:+.3f}]"


def table(result: dict[str, Any], variants: dict[str, StudentVariant], ood: str) -> list[str]:
    """The markdown table and the issue's checks."""
    lines = []
    for set_name, per_model in result["scores"].items():
        lines += [f"**{set_name}** ({len(per_model['noisy'])} utterances; mean ± 95 % CI)", "",
                  "| model | PESQ-WB | ESTOI | SI-SDR dB | DNSMOS OVRL | params | MMAC/s | RTF | kept with gap > 0 |",
                  "|---|---|---|---|---|---|---|---|---|"]
        for name, rows in per_model.items():
            cells = [formatted([r[m] for r in rows]) for m in METRICS]
            if name == "noisy":
                cost = ["—"] * 4
            elif name in BASELINES:
                cost = ["—", "—", f"{result['cost'][name]['rtf']:.4f}", "—"]
            else:
                c = result["cost"][name]
                pos, kept = result["gaps"][set_name].get(name, (0, 0))
                cost = [f"{c['parameters'] / 1e3:.0f} k", f"{c['mmac_per_s']:.0f}", f"{c['rtf']:.4f}",
                        f"{pos / kept:.1%}" if kept else "—"]
            lines.append(f"| {name} | " + " | ".join(cells + cost) + " |")
        lines.append("")
    lines += checks(result, variants, ood)
    return lines


def checks(result: dict[str, Any], variants: dict[str, StudentVariant], ood: str) -> list[str]:
    scores = result["scores"][ood]
    pesq = {name: np.array([r["pesq_wb"] for r in rows]) for name, rows in scores.items()}
    lift = {name: float(np.mean(v - pesq["noisy"])) for name, v in pesq.items() if name != "noisy"}
    teacher = result["teacher"]
    best = max(variants, key=lambda n: lift[n])
    out = [f"Checks on {ood} (PESQ-WB over the noisy input):",
           f"- teacher lifts {lift[teacher]:+.2f} (target ≥ {TARGET_LIFT['teacher']}): "
           f"{'met' if lift[teacher] >= TARGET_LIFT['teacher'] else 'not met'}",
           f"- best student ({best}) lifts {lift[best]:+.2f} (target ≥ {TARGET_LIFT['student']}): "
           f"{'met' if lift[best] >= TARGET_LIFT['student'] else 'not met'}"]
    by_variant = {v: n for n, v in variants.items()}
    if StudentVariant.NO_KD in by_variant and StudentVariant.DFKD_DISPATCH_MSSP in by_variant:
        diff = pesq[by_variant[StudentVariant.DFKD_DISPATCH_MSSP]] - pesq[by_variant[StudentVariant.NO_KD]]
        interval = confidence_interval(diff)
        mean, half = interval.mean, interval.half_width
        met = mean >= TARGET_GAIN and mean - half > 0
        out.append(f"- DFKD + DISPatch + MSSP − no KD: {mean:+.3f}, paired 95 % CI [{mean - half:+.3f}, "
                   f"{mean + half:+.3f}] (target ≥ +{TARGET_GAIN}, CI above 0): {'met' if met else 'not met'}")
    rtf = {n: result["cost"][n]["rtf"] for n in variants}
    out.append(f"- slowest student RTF {max(rtf.values()):.4f} (target ≤ {TARGET_RTF}): "
               f"{'met' if max(rtf.values()) <= TARGET_RTF else 'not met'}")
    if all("mmac_per_s" in result["cost"][n] for n in (teacher, *variants)):
        largest = max(variants, key=lambda n: result["cost"][n]["mmac_per_s"])
        ratio = result["cost"][teacher]["mmac_per_s"] / result["cost"][largest]["mmac_per_s"]
        params = max(result["cost"][n]["parameters"] for n in variants)
        out.append(f"- student size: {params / 1e3:.0f} k parameters (target ≤ {TARGET_PARAMETERS // 1000} k), "
                   f"{ratio:.1f}x fewer MACs than the teacher (target ≥ {TARGET_MAC_RATIO}x): "
                   f"{'met' if params <= TARGET_PARAMETERS and ratio >= TARGET_MAC_RATIO else 'not met'}")
    expected = [by_variant[v] for v in StudentVariant if v in by_variant]
    ranked = sorted(expected, key=lambda n: lift[n])
    out.append(f"- order by PESQ-WB, worst first: {', '.join(ranked)}; the paper expects "
               f"{', '.join(expected)}: {'same' if ranked == expected else 'differs'}")
    for name in BASELINES:
        if name in lift:
            out.append(f"- the classical {name.removesuffix(' (classical)')} lifts {lift[name]:+.2f}; the best student "
                       f"{lift[best] - lift[name]:+.2f} more, the teacher {lift[teacher] - lift[name]:+.2f}")
    return out


def sweep(students: dict[str, dict[str, Any]], models: dict[str, MaskingEnhancer], pairs: list[Pair],
          workers: int = 1) -> list[str]:
    """Students of one variant that differ only in lambda, on the validation set: the markdown
    table, each row's paired PESQ-WB difference to the first student, and the lambda chosen."""
    flat = score_all([(p.noisy, p.clean) for p in pairs]
                     + [(enhance(model, p.noisy), p.clean) for model in models.values() for p in pairs], workers)
    noisy = flat[:len(pairs)]
    scores = {name: flat[(k + 1) * len(pairs):(k + 2) * len(pairs)] for k, name in enumerate(models)}
    first = next(iter(models))
    base = np.array([r["pesq_wb"] for r in scores[first]])
    variants = {card["training"]["variant"] for card in students.values()}
    lines = [f"**{VALID_SET}** ({len(pairs)} utterances, validation voices; mean ± 95 % CI); "
             f"variant {', '.join(sorted(variants))}", "",
             f"| student | λ | steps | PESQ-WB | ESTOI | SI-SDR dB | DNSMOS OVRL | PESQ-WB − {first} (paired) |",
             "|---|---|---|---|---|---|---|---|",
             "| noisy input | — | — | " + " | ".join(formatted([r[m] for r in noisy]) for m in METRICS) + " | — |"]
    for name, rows in scores.items():
        training = students[name]["training"]
        diff = "—" if name == first else bracketed(confidence_interval(np.array([r["pesq_wb"] for r in rows]) - base))
        lines.append(f"| {name} | {training['kd_weight']:g} | {training['steps']} | "
                     + " | ".join(formatted([r[m] for r in rows]) for m in METRICS) + f" | {diff} |")
    best = max(scores, key=lambda n: np.mean([r["pesq_wb"] for r in scores[n]]))
    lines += ["", f"Highest validation PESQ-WB: λ = {students[best]['training']['kd_weight']:g} ({best})."]
    return lines


def _report(lines: list[str], markdown: Path | None, arguments: str, limit: int | None) -> None:
    """Print the table; with `markdown`, also write it under the command that produced it."""
    print("\n".join(lines))
    if markdown:
        command = f"python -m models.dispatch.evaluate {arguments}" + (f" --limit {limit}" if limit else "")
        write_result(markdown, command, "\n".join(lines))


def _scoring_arguments(parser: argparse.ArgumentParser, students: str, limit: str) -> None:
    """The options every scoring sub-command shares."""
    parser.add_argument("--students", type=Path, nargs="+", required=True, help=students)
    parser.add_argument("--root", type=Path, default=cache_root() / "fixed")
    parser.add_argument("--limit", type=int, default=None, help=limit)
    parser.add_argument("--markdown", type=Path, default=None)
    parser.add_argument("--workers", type=int, default=1, help="processes scoring the outputs (the table is the same)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    m = sub.add_parser("make-sets", help="write the fixed enhancement test sets")
    m.add_argument("--items", type=int, default=100)
    m.add_argument("--root", type=Path, default=cache_root() / "fixed")
    r = sub.add_parser("run", help="evaluate a teacher and its students")
    r.add_argument("--teacher", type=Path, required=True)
    _scoring_arguments(r, "student cards (made by models.train.distill)", "first N utterances per set (quick looks)")
    r.add_argument("--voicebank", type=Path, default=None, help="also evaluate on VoiceBank-DEMAND's test set")
    r.add_argument("--json", type=Path, default=None, help="per-utterance scores")
    _scoring_arguments(sub.add_parser("sweep", help="students of one variant with different lambda, on the "
                                                    "validation set"),
                       "the first is the reference row", "first N utterances (quick looks)")
    _scoring_arguments(sub.add_parser("seeds", help="the same student variants trained from several seeds "
                                                    "(models.dispatch.seeds)"),
                       "student cards, any variants and seeds", "first N utterances per set")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    if args.command == "make-sets":
        make_sets(args.items, args.root)
        return 0
    if args.command == "sweep":
        loaded = [checkpoint.load(path) for path in args.students]
        lines = sweep({card["name"]: card for _, card in loaded}, {card["name"]: model for model, card in loaded},
                      load_set(VALID_SET, args.root, None)[:args.limit], args.workers)
        _report(lines, args.markdown, "sweep --students " + " ".join(str(s) for s in args.students), args.limit)
        return 0
    if args.command == "seeds":
        from models.dispatch.seeds import Run, seed_study

        if len({path.stem for path in args.students}) < len(args.students):
            raise SystemExit("two student cards share a file name; the study tells runs apart by it")
        loaded = {path.stem: checkpoint.load(path) for path in args.students}
        runs = [Run.of(name, card) for name, (_, card) in loaded.items()]
        sets = {n: load_set(n, args.root, None)[:args.limit] for n in set_configs()}
        lines = seed_study(runs, {name: model for name, (model, _) in loaded.items()}, sets, args.workers)
        _report(lines, args.markdown, "seeds --students " + " ".join(str(s) for s in args.students), args.limit)
        return 0
    teacher, teacher_card = checkpoint.load(args.teacher)
    models: dict[str, MaskingEnhancer] = {teacher_card["name"]: teacher}
    variants: dict[str, StudentVariant] = {}
    for card_path in args.students:
        model, card = checkpoint.load(card_path)
        models[card["name"]] = model
        variants[card["name"]] = StudentVariant(card["training"]["variant"])
    names = list(set_configs()) + (["voicebank"] if args.voicebank else [])
    sets = {n: load_set(n, args.root, args.voicebank)[:args.limit] for n in names}
    result = evaluate(models, variants, sets, args.workers)
    lines = table(result, variants, "enhance-ood")
    if args.json:
        args.json.write_text(json.dumps(result["scores"], indent=1))
    _report(lines, args.markdown, f"run --teacher {args.teacher} --students " + " ".join(str(s) for s in args.students),
            args.limit)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
