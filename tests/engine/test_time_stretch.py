"""Playing at another speed keeps the pitch: WSOLA, streamed in blocks, one alignment for all channels."""

from __future__ import annotations

import numpy as np
import pytest

from app.engine.time_stretch import Stretcher

RATE = 16_000


def _stretch(audio: np.ndarray, speed: float, block: int = 4096, rate: int = RATE) -> np.ndarray:
    stretcher = Stretcher(audio.shape[1], rate, speed)
    return np.concatenate([stretcher.process(audio[i:i + block], last=i + block >= audio.shape[0])
                           for i in range(0, audio.shape[0], block)])


def _tone(seconds: float = 3.0, hz: float = 200.0) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    return (0.5 * np.sin(2 * np.pi * hz * t)).astype(np.float32)[:, None]


@pytest.mark.parametrize("speed", [0.5, 0.75, 1.25, 1.5, 2.0])
def test_the_output_lasts_the_input_divided_by_the_speed(speed):
    assert _stretch(_tone(), speed).shape == (round(3 * RATE / speed), 1)


@pytest.mark.parametrize("speed", [0.5, 0.75, 1.5, 2.0])
def test_a_tone_keeps_its_pitch_and_level_at_any_speed(speed):
    out = _stretch(_tone(hz=173.0), speed)[2000:-2000, 0]
    spectrum = np.abs(np.fft.rfft(out * np.hanning(out.size)))
    assert np.argmax(spectrum) * RATE / out.size == pytest.approx(173.0, abs=1.0)
    assert np.std(out) == pytest.approx(0.5 / np.sqrt(2), rel=0.01)       # no dips where frames join


def test_every_channel_is_cut_at_the_same_places():
    rng = np.random.default_rng(0)
    speech_like = rng.standard_normal((2 * RATE, 1)).astype(np.float32)
    lanes = np.concatenate([speech_like, 0.25 * speech_like, np.roll(speech_like, 40, axis=0)], axis=1)
    out = _stretch(lanes, 0.75)
    np.testing.assert_allclose(out[:, 1], 0.25 * out[:, 0], atol=1e-6)
    assert not np.allclose(out[:, 2], out[:, 0])


def test_the_output_does_not_depend_on_how_the_input_is_cut_into_blocks():
    audio = np.random.default_rng(1).standard_normal((RATE, 2)).astype(np.float32)
    np.testing.assert_allclose(_stretch(audio, 0.75, block=4096), _stretch(audio, 0.75, block=333), atol=1e-6)


def test_a_speed_outside_a_quarter_to_four_is_refused():
    with pytest.raises(ValueError, match="outside"):
        Stretcher(1, RATE, 8.0)
