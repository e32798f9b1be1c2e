"""The classical noise gate as a baseline on whole utterances: noise down, silence as it was."""

from __future__ import annotations

import numpy as np

from models.baselines.spectral_gate import Gate, reduce_noise, window_frames

RATE = 16_000


def test_the_window_is_40_to_64_ms_a_power_of_two():
    assert [window_frames(r) for r in (16_000, 44_100, 48_000)] == [1024, 2048, 2048]


def test_an_utterance_s_pauses_lose_the_reduction_asked_and_its_tone_stays():
    t = np.arange(4 * RATE) / RATE
    tone = np.where((t > 1) & (t < 3), 0.1 * np.sin(2 * np.pi * 300 * t), 0.0)
    noise = 0.002 * np.random.default_rng(0).standard_normal(t.size)
    out = reduce_noise((tone + noise).astype(np.float32), RATE, Gate(reduction_db=20.0))
    pause = slice(RATE // 4, 3 * RATE // 4)
    assert 10 * np.log10(np.mean(noise[pause] ** 2) / np.mean(out[pause] ** 2)) > 18
    held = slice(int(1.5 * RATE), int(2.5 * RATE))
    assert np.dot(out[held], tone[held]) / np.dot(tone[held], tone[held]) > 0.9     # within 1 dB


def test_silence_comes_back_as_it_is():
    silent = np.zeros(RATE, np.float32)
    np.testing.assert_array_equal(reduce_noise(silent, RATE), silent)


def test_the_gains_are_smoothed_across_bins_as_a_nearest_edge_moving_mean():
    from scipy.ndimage import uniform_filter1d

    from models.baselines.spectral_gate import _moving_mean

    values = np.random.default_rng(2).standard_normal((40, 7))
    np.testing.assert_allclose(_moving_mean(values, 3), uniform_filter1d(values, 7, axis=0, mode="nearest"))


def test_the_gain_decays_from_each_opening_as_the_frame_by_frame_recursion_does():
    from models.baselines.spectral_gate import _decaying_max

    gains = np.where(np.random.default_rng(3).random((5, 200)) < 0.05, 1.0, 0.25)
    factor = 0.8
    expected = gains.copy()
    for t in range(1, gains.shape[1]):
        expected[:, t] = np.maximum(expected[:, t], expected[:, t - 1] * factor)
    np.testing.assert_allclose(np.exp(_decaying_max(np.log(gains), -np.log(factor))), expected, rtol=1e-12)
