"""The classical noise gate as a baseline on whole utterances: noise down, silence as it was."""

from __future__ import annotations

import numpy as np
import pytest

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


def test_the_running_minimum_is_the_least_of_each_window():
    from models.baselines.spectral_gate import _sliding_min

    values = np.random.default_rng(4).standard_normal((3, 50))
    for reach in (0, 1, 4, 30):
        expected = np.array([[row[max(0, t - reach):t + reach + 1].min() for t in range(50)] for row in values])
        np.testing.assert_array_equal(_sliding_min(values, reach), expected)


def test_tracked_noise_finds_the_level_of_steady_noise():
    from models.baselines.spectral_gate import frame_power, tracked_noise

    for rate in (16_000, 48_000):
        noise = 0.01 * np.random.default_rng(5).standard_normal(20 * rate)
        power = frame_power(noise, rate)
        assert 10 * np.log10(tracked_noise(power, rate).mean() / power.mean()) == pytest.approx(0.0, abs=0.5)


def test_tracked_noise_follows_a_rise_of_the_noise_and_ignores_speech_with_pauses():
    from models.baselines.spectral_gate import frame_power, tracked_noise

    t = np.arange(20 * RATE) / RATE
    noise = 0.001 * np.random.default_rng(6).standard_normal(t.size) * np.where(t < 10, 1.0, 10.0)
    bursts = np.where((t % 1.0) < 0.6, 0.2 * np.sin(2 * np.pi * 500 * t), 0.0)     # a tone, every second
    power = frame_power(noise + bursts, RATE)
    tracked = tracked_noise(power, RATE).mean(axis=0)
    hop_seconds = window_frames(RATE) // 4 / RATE
    for seconds, level in ((5.0, 1e-6), (15.0, 1e-4)):
        frame = round(seconds / hop_seconds)
        expected = level * window_frames(RATE) * 0.375          # white noise's power per bin under a Hann window
        assert 10 * np.log10(tracked[frame] / expected) == pytest.approx(0.0, abs=1.5)


def test_tracked_noise_is_lowered_on_both_sides_of_a_rise_where_one_profile_leaves_the_loud_side():
    from models.baselines.spectral_gate import gate, quietest_profile

    t = np.arange(20 * RATE) / RATE
    noise = 0.001 * np.random.default_rng(7).standard_normal(t.size) * np.where(t < 10, 1.0, 10.0)
    settings = Gate(reduction_db=20.0)
    tracked, steady = np.zeros_like(noise), np.zeros_like(noise)
    for _ in gate(noise, RATE, None, settings, tracked):
        pass
    for _ in gate(noise, RATE, quietest_profile(noise, RATE), settings, steady):
        pass
    quiet, loud = slice(2 * RATE, 8 * RATE), slice(12 * RATE, 18 * RATE)

    def drop(out: np.ndarray, part: slice) -> float:
        return 10 * np.log10(np.mean(noise[part] ** 2) / np.mean(out[part] ** 2))

    assert drop(tracked, quiet) > 17 and drop(tracked, loud) > 17
    assert drop(steady, quiet) > 17 and drop(steady, loud) < 3


def test_tracked_noise_is_reduced_block_by_block_as_the_whole():
    from models.baselines.spectral_gate import gate

    rng = np.random.default_rng(8)
    audio = 0.001 * rng.standard_normal(12 * RATE) * np.repeat(rng.uniform(1, 10, 12), RATE)
    whole, blocks = np.zeros_like(audio), np.zeros_like(audio)
    for _ in gate(audio, RATE, None, Gate(), whole):
        pass
    for _ in gate(audio, RATE, None, Gate(), blocks, block=23_456):
        pass
    np.testing.assert_allclose(blocks, whole, atol=1e-9)
