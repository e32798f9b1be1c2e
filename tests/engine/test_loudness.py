"""BS.1770 integrated loudness: one meter, fed whole or in blocks, equal to pyloudnorm."""

from __future__ import annotations

import math

import numpy as np
import pyloudnorm
import pytest

from app.engine.loudness import LoudnessMeter, gain_to_target, integrated_loudness

RATE = 16_000


def _syllables(seconds: float = 6.0) -> np.ndarray:
    """A tone switched on and off, with quiet noise between: the relative gate has work to do."""
    t = np.arange(int(seconds * RATE)) / RATE
    gate = np.sin(2 * np.pi * 1.5 * t) > 0
    noise = 0.001 * np.random.default_rng(0).standard_normal(t.size)
    return (0.2 * np.sin(2 * np.pi * 440 * t) * gate + noise).astype(np.float32)


def test_integrated_loudness_equals_pyloudnorm():
    audio = _syllables()
    expected = pyloudnorm.Meter(RATE).integrated_loudness(audio.astype(np.float64))
    assert integrated_loudness(audio, RATE) == pytest.approx(expected, abs=1e-6)


def test_a_signal_fed_in_uneven_blocks_measures_as_fed_whole():
    audio, meter = _syllables(), LoudnessMeter(RATE)
    for start in range(0, audio.size, 3_331):
        meter.update(audio[start:start + 3_331])
    assert meter.lufs() == pytest.approx(integrated_loudness(audio, RATE), abs=1e-9)


def test_silence_and_audio_shorter_than_one_gating_block_have_no_loudness():
    assert integrated_loudness(np.zeros(RATE, np.float32), RATE) == -math.inf
    assert integrated_loudness(_syllables()[: RATE // 4], RATE) == -math.inf


def test_the_gain_to_a_target_moves_the_loudness_there():
    audio = _syllables()
    gained = gain_to_target(integrated_loudness(audio, RATE), -23.0) * audio
    assert integrated_loudness(gained, RATE) == pytest.approx(-23.0, abs=1e-6)
