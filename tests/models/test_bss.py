"""The classical baselines: reproducible, and polite to the caller's random state."""

from __future__ import annotations

import numpy as np
import pytest

from models.baselines.bss import BssMethod, separate_bss


@pytest.fixture(scope="module")
def mixture() -> np.ndarray:
    """Three microphones hearing three noise sources through short random filters; two talkers asked."""
    rng = np.random.default_rng(0)
    sources = rng.standard_normal((3, 16_000)) * rng.uniform(0.1, 1.0, (3, 16_000))
    filters = rng.standard_normal((3, 3, 32)) * np.exp(-np.arange(32) / 8)
    return np.stack([sum(np.convolve(sources[j], filters[i, j])[:16_000] for j in range(3))
                     for i in range(3)]).astype(np.float32)


@pytest.mark.parametrize("method", list(BssMethod))
def test_a_mixture_always_separates_the_same_way(mixture, method):
    np.random.seed(1)                      # whatever the caller's generator holds
    first = separate_bss(mixture, method, iterations=5)
    np.random.seed(2)
    second = separate_bss(mixture, method, iterations=5)
    assert first.shape == (2, mixture.shape[1])
    np.testing.assert_array_equal(first, second)


def test_ilrma_leaves_the_callers_random_state_as_it_was(mixture):
    np.random.seed(7)
    expected = np.random.rand()
    np.random.seed(7)
    separate_bss(mixture, BssMethod.ILRMA, iterations=2)
    assert np.random.rand() == expected


@pytest.mark.parametrize("method", list(BssMethod))
def test_a_channel_of_digital_silence_separates_as_the_others_allow(mixture, method):
    """A recorder that had not started yet, in a combined recording: its covariance is singular."""
    silent = np.concatenate([mixture, np.zeros((1, mixture.shape[1]), np.float32)])
    out = separate_bss(silent, method, iterations=5)
    assert out.shape == (2, mixture.shape[1]) and np.all(np.isfinite(out)) and np.std(out) > 0


def test_silence_on_every_channel_gives_silent_talkers():
    assert not np.any(separate_bss(np.zeros((3, 16_000), np.float32), BssMethod.AUXIVA))
