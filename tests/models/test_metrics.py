"""Metrics: known values on constructed signals, and honest confidence intervals."""

from __future__ import annotations

import math
import os

import numpy as np
import pytest

from models.metrics.speech import confidence_interval, estoi, paired_difference, pesq_wb, si_sdr, snr


def _speechy(seconds=3.0, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * 16_000)) / 16_000
    env = np.abs(np.sin(2 * np.pi * 3 * t)) ** 2
    return (0.3 * env * (np.sin(2 * np.pi * 150 * t) + 0.5 * np.sin(2 * np.pi * 450 * t)
                         + 0.05 * rng.standard_normal(t.size))).astype(np.float32)


def test_si_sdr_of_a_scaled_copy_is_very_high_and_of_noise_at_0_db_is_0():
    ref = _speechy()
    assert si_sdr(0.3 * ref, ref) > 80
    noise = np.random.default_rng(1).standard_normal(ref.size)
    noise *= np.linalg.norm(ref - ref.mean()) / np.linalg.norm(noise)
    assert si_sdr(ref + noise, ref) == pytest.approx(0.0, abs=0.3)


def test_pesq_and_estoi_rank_clean_above_noisy():
    ref = _speechy()
    noisy = ref + 0.1 * np.random.default_rng(2).standard_normal(ref.size).astype(np.float32)
    assert pesq_wb(ref, ref) > 4.0 > pesq_wb(noisy, ref)
    assert estoi(ref, ref) > 0.99 > estoi(noisy, ref)


def test_a_clip_too_short_for_pesq_or_estoi_scores_nan_not_an_error():
    ref = _speechy(seconds=0.2)
    assert math.isnan(pesq_wb(ref, ref))
    assert math.isnan(estoi(ref, ref))


def test_pesq_and_dnsmos_score_the_same_in_the_helper_process():
    """The desktop app has them computed in a helper process (their C code holds the GIL)."""
    from models.metrics import speech

    ref = _speechy()
    noisy = ref + 0.05 * np.random.default_rng(3).standard_normal(ref.size).astype(np.float32)
    was_on = speech.METRICS_HELPER.enabled
    speech.metrics_in_helper_process(False)
    here = (pesq_wb(noisy, ref), speech.dnsmos(noisy))
    speech.metrics_in_helper_process()
    try:
        assert (pesq_wb(noisy, ref), speech.dnsmos(noisy)) == here
        assert speech.METRICS_HELPER.pool.submit(os.getpid).result() != os.getpid()
    finally:
        speech.metrics_in_helper_process(was_on)


def test_confidence_interval_matches_the_t_formula_and_skips_nan():
    ci = confidence_interval([1.0, 2.0, 3.0, math.nan])
    assert ci.n == 3 and ci.mean == pytest.approx(2.0)
    assert ci.half_width == pytest.approx(4.302653 * 1.0 / math.sqrt(3), rel=1e-5)


def test_a_cluster_of_one_value_each_gives_the_ordinary_t_interval():
    values = [1.0, 2.5, 3.0, 7.0]
    assert confidence_interval(values, clusters=["a", "b", "c", "d"]) == confidence_interval(values)


def test_clustered_pairs_count_as_their_cluster_means():
    # Two talkers per mixture: with equal clusters the interval is the t interval of the mixtures' means.
    values = [1.0, 2.0, 4.0, 4.0, 6.0, 9.0]
    clustered = confidence_interval(values, clusters=[0, 0, 1, 1, 2, 2])
    means = confidence_interval([1.5, 4.0, 7.5])
    assert clustered.mean == pytest.approx(means.mean) and clustered.half_width == pytest.approx(means.half_width)
    assert clustered.n == 6


def test_correlated_talkers_widen_the_interval_they_would_narrow_as_independent_values():
    rng = np.random.default_rng(5)
    room = np.repeat(rng.normal(0, 3, 30), 2)          # what one mixture does to both its talkers
    values = room + rng.normal(0, 0.5, 60)
    clusters = np.repeat(np.arange(30), 2).tolist()
    assert confidence_interval(values, clusters=clusters).half_width > 1.3 * confidence_interval(values).half_width


def test_nan_values_leave_their_cluster_labels_behind():
    ci = confidence_interval([1.0, math.nan, 3.0, 5.0], clusters=["x", "x", "y", "y"])
    assert ci.n == 3 and ci.mean == pytest.approx(3.0) and math.isfinite(ci.half_width)
    diff = paired_difference([1.0, math.nan, 3.0, 5.0], [0.0, 0.0, 0.0, 0.0], clusters=["x", "x", "y", "y"])
    assert diff == ci


def test_one_cluster_has_a_mean_but_no_interval():
    ci = confidence_interval([1.0, 2.0, 3.0], clusters=[7, 7, 7])
    assert ci.mean == pytest.approx(2.0) and math.isnan(ci.half_width)


def test_an_interval_that_cannot_be_estimated_prints_a_dash_not_nan():
    one_mixture = confidence_interval([0.5, 1.3], clusters=["m", "m"])
    assert one_mixture.format(signed=True) == "+0.90 ± —"
    assert str(confidence_interval([math.nan])) == "—"
    assert str(confidence_interval([1.0, 3.0])) == "2.00 ± 12.71"


def test_cluster_labels_must_match_the_values():
    with pytest.raises(ValueError, match="2 cluster labels for 3 values"):
        confidence_interval([1.0, 2.0, 3.0], clusters=[0, 1])


def test_paired_difference_sees_a_consistent_small_gain():
    rng = np.random.default_rng(3)
    base = rng.normal(2.0, 0.5, 40)
    diff = paired_difference(base + 0.1 + rng.normal(0, 0.02, 40), base)
    assert diff.mean - diff.half_width > 0.05


def test_dnsmos_scores_clean_speechlike_audio_above_white_noise():
    from models.metrics.speech import dnsmos

    clean = _speechy(seconds=4.0)
    noise = 0.3 * np.random.default_rng(4).standard_normal(clean.size).astype(np.float32)
    scored_clean, scored_noise = dnsmos(clean), dnsmos(noise)
    assert set(scored_clean) == {"sig", "bak", "ovrl"}
    assert 1.0 <= scored_noise["bak"] < scored_clean["bak"] <= 5.0


def test_dnsmos_scores_a_clip_the_same_whatever_its_level():
    from models.metrics.dnsmos_level import raw_dnsmos
    from models.metrics.speech import dnsmos

    clip = _speechy(seconds=4.0)
    quiet = clip * 10 ** (-30 / 20)
    assert dnsmos(quiet) == pytest.approx(dnsmos(clip), abs=1e-3)
    assert raw_dnsmos(quiet) != pytest.approx(raw_dnsmos(clip), abs=1e-3)      # what the models alone do


def test_snr_weighs_the_error_as_it_is_over_every_channel():
    reference = np.ones((2, 100))
    assert snr(1.1 * reference, reference) == pytest.approx(20.0)          # not scale-invariant
    assert snr(reference[0], reference[0]) > 100
