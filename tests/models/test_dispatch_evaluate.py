"""The evaluation table's statistics and the issue's checks, on hand-made scores."""

from __future__ import annotations

import pytest

from models.dispatch.evaluate import BASELINE, BASELINES, checks
from models.dispatch.losses import StudentVariant
from tests.conftest import DNSMOS_ONE_WINDOW_S

TRACKED = next(name for name, tracked in BASELINES.items() if tracked)


def _rows(values):
    return [{"pesq_wb": v} for v in values]


def test_checks_report_lifts_paired_gain_rtf_and_order():
    result = {
        "teacher": "t",
        "scores": {"ood": {"noisy": _rows([1.0, 1.2, 1.4]), "t": _rows([2.0, 2.1, 2.3]),
                           "a": _rows([1.6, 1.8, 2.0]), "b": _rows([1.75, 1.92, 2.16])}},
        "cost": {"t": {"rtf": 0.3}, "a": {"rtf": 0.01}, "b": {"rtf": 0.03}},
    }
    lines = checks(result, {"a": StudentVariant.NO_KD, "b": StudentVariant.DFKD_DISPATCH_MSSP}, "ood")
    assert lines[1].startswith("- teacher lifts +0.93") and lines[1].endswith("met")
    assert "best student (b) lifts +0.74" in lines[2] and lines[2].endswith(": met")
    assert "+0.143" in lines[3] and lines[3].endswith(": met")        # paired gains 0.15, 0.12, 0.16
    assert lines[4] == "- slowest student RTF 0.0300 (target ≤ 0.02): not met"
    assert lines[5].endswith("a, b: same")


def test_checks_set_the_students_and_the_teacher_beside_the_classical_gate():
    result = {
        "teacher": "t",
        "scores": {"ood": {"noisy": _rows([1.0, 1.2]), BASELINE: _rows([1.1, 1.3]), TRACKED: _rows([1.05, 1.25]),
                           "t": _rows([2.0, 2.1]), "a": _rows([1.6, 1.8])}},
        "cost": {"t": {"rtf": 0.1}, "a": {"rtf": 0.01}, BASELINE: {"rtf": 0.005}, TRACKED: {"rtf": 0.006}},
    }
    lines = checks(result, {"a": StudentVariant.NO_KD}, "ood")
    assert lines[1].startswith("- teacher lifts +0.95") and "best student (a) lifts +0.60" in lines[2]
    assert lines[-2:] == ["- the classical spectral gate lifts +0.10; the best student +0.50 more, the teacher +0.85",
                          "- the classical spectral gate, tracked noise lifts +0.05; the best student +0.55 more, "
                          "the teacher +0.90"]


def test_checks_report_the_students_size_against_the_teacher():
    result = {
        "teacher": "t",
        "scores": {"ood": {"noisy": _rows([1.0, 1.2]), "t": _rows([2.0, 2.1]), "a": _rows([1.6, 1.8])}},
        "cost": {"t": {"rtf": 0.1, "mmac_per_s": 1000.0, "parameters": 2_500_000},
                 "a": {"rtf": 0.01, "mmac_per_s": 50.0, "parameters": 35_000}},
    }
    lines = checks(result, {"a": StudentVariant.NO_KD}, "ood")
    assert "- student size: 35 k parameters (target ≤ 100 k), 20.0x fewer MACs than the teacher (target ≥ 10x): met" \
        in lines


def test_lambda_sweep_compares_students_pairwise_on_the_validation_pairs():
    import numpy as np
    import torch

    from models.dispatch.evaluate import Pair, sweep
    from models.enhancers.student import GtcrnStudent, StudentConfig

    t = np.arange(round(DNSMOS_ONE_WINDOW_S * 16_000)) / 16_000
    clean = (0.3 * np.sin(2 * np.pi * 220 * t) * (1 + np.sin(2 * np.pi * 3 * t))).astype(np.float32)
    rng = np.random.default_rng(0)
    pairs = [Pair(f"p{i}", clean + 0.05 * rng.standard_normal(clean.size).astype(np.float32), clean) for i in range(3)]
    models, cards = {}, {}
    for seed, weight in enumerate((0.4, 1.2)):
        torch.manual_seed(seed)
        name = f"mssp-kd{weight:g}"
        models[name] = GtcrnStudent(StudentConfig(channels=8)).eval()
        cards[name] = {"training": {"variant": "dfkd-dispatch-mssp", "kd_weight": weight, "steps": 10}}
    lines = sweep(cards, models, pairs)
    rows = [line for line in lines if line.startswith("| mssp")]
    assert [row.split(" | ")[1] for row in rows] == ["0.4", "1.2"]
    assert rows[0].endswith("| — |") and "[" in rows[1]              # paired difference to the first row
    assert lines[0].startswith("**enhance-valid** (3 utterances") and "dfkd-dispatch-mssp" in lines[0]
    assert lines[-1].startswith("Highest validation PESQ-WB: λ = ")


def test_scoring_in_worker_processes_gives_the_same_rows_in_order():
    import numpy as np

    from models.dispatch.evaluate import score_all

    t = np.arange(round(DNSMOS_ONE_WINDOW_S * 16_000)) / 16_000
    clean = (0.3 * np.sin(2 * np.pi * 220 * t) * (1 + np.sin(2 * np.pi * 3 * t))).astype(np.float32)
    rng = np.random.default_rng(0)
    pairs = [(clean + level * rng.standard_normal(clean.size).astype(np.float32), clean) for level in (0.01, 0.1, 0.3)]
    parallel, serial = score_all(pairs, workers=2), score_all(pairs)
    assert [row.keys() for row in parallel] == [row.keys() for row in serial]
    for a, b in zip(parallel, serial):
        assert a == pytest.approx(b, rel=1e-6)           # the last digits follow the BLAS threads


def test_seed_study_sets_each_gap_over_no_kd_beside_the_spread_between_seeds():
    import numpy as np
    import torch

    from models.dispatch.evaluate import Pair
    from models.dispatch.seeds import Run, seed_study
    from models.enhancers.student import GtcrnStudent, StudentConfig

    t = np.arange(round(DNSMOS_ONE_WINDOW_S * 16_000)) / 16_000
    clean = (0.3 * np.sin(2 * np.pi * 220 * t) * (1 + np.sin(2 * np.pi * 3 * t))).astype(np.float32)
    rng = np.random.default_rng(0)
    pairs = [Pair(f"p{i}", clean + 0.05 * rng.standard_normal(clean.size).astype(np.float32), clean) for i in range(3)]
    runs, models = [], {}
    for k, (variant, seed) in enumerate([("dfkd-dispatch-mssp", 1), ("no-kd", 0), ("dfkd-dispatch-mssp", 0),
                                         ("no-kd", 1)]):
        torch.manual_seed(k)
        name = f"{variant}-seed{seed}"
        models[name] = GtcrnStudent(StudentConfig(channels=8)).eval()
        card = {"training": {"variant": variant, "steps": 10, "config": {"seed": seed}},
                "weights": {"sha256": f"{k:064d}"}}
        runs.append(Run.of(name, card))
    lines = seed_study(runs, models, {"ood": pairs})
    rows = [line for line in lines if line.startswith("| no-kd") or line.startswith("| dfkd")]
    assert [row.split(" | ")[:2] for row in rows[:4]] == [["| no-kd", "0"], ["| no-kd", "1"],
                                                          ["| dfkd-dispatch-mssp", "0"], ["| dfkd-dispatch-mssp", "1"]]
    assert rows[0].endswith("| — |") and "[" in rows[2].split(" | ")[-1]     # paired against its own seed's no KD
    assert [row.split(" | ")[1] for row in rows[4:]] == ["2", "2"]              # two seeds per variant
    gap = next(line for line in lines if line.startswith("- dfkd-dispatch-mssp − no KD"))
    assert "seed 0 " in gap and "seed 1 " in gap and "over 2 seeds" in gap and gap.endswith("of 2")


def test_seed_study_refuses_two_runs_of_one_variant_and_seed():
    from models.dispatch.seeds import Run, seed_study
    from models.dispatch.losses import StudentVariant

    runs = [Run(name, StudentVariant.NO_KD, 0, 10, "0" * 64) for name in ("a", "b")]
    with pytest.raises(ValueError, match="share a variant and a seed"):
        seed_study(runs, {}, {})
