"""Clips scored before are looked up, and only identical clips share their scores."""

from __future__ import annotations

import numpy as np

from app.engine.score_memo import ScoreMemo
from models.metrics.speech import si_sdr

RNG = np.random.default_rng(0)
CLEAN = RNG.standard_normal(16_000).astype(np.float32)
NOISY = CLEAN + 0.1 * RNG.standard_normal(16_000).astype(np.float32)


class Counted:
    """SI-SDR as a metric dict, counting its runs."""

    def __init__(self) -> None:
        self.runs = 0

    def __call__(self, estimate: np.ndarray, reference: np.ndarray) -> dict[str, float]:
        self.runs += 1
        return {"si_sdr": si_sdr(estimate, reference)}


def test_a_clip_scored_before_is_looked_up_with_the_same_scores():
    memo, metric = ScoreMemo(), Counted()
    first = memo(metric, NOISY, CLEAN)
    first["si_sdr"] = 0.0                                # a caller's change stays its own
    again = memo(metric, NOISY.copy(), CLEAN.copy())
    assert metric.runs == 1 and again == {"si_sdr": si_sdr(NOISY, CLEAN)}


def test_another_clip_another_reference_or_another_dtype_is_scored_afresh():
    memo, metric = ScoreMemo(), Counted()
    memo(metric, NOISY, CLEAN)
    memo(metric, NOISY[:-1], CLEAN[:-1])
    memo(metric, NOISY, NOISY)
    memo(metric, NOISY.astype(np.float64), CLEAN)
    assert metric.runs == 4


def test_the_least_recently_used_score_goes_first_when_full():
    memo, metric = ScoreMemo(capacity=2), Counted()
    a, b, c = NOISY, NOISY * 0.5, NOISY * 0.25
    memo(metric, a, CLEAN)
    memo(metric, b, CLEAN)
    memo(metric, a, CLEAN)                               # a is the most recent now
    memo(metric, c, CLEAN)                               # b goes
    memo(metric, a, CLEAN)
    assert metric.runs == 3
    memo(metric, b, CLEAN)
    assert metric.runs == 4
