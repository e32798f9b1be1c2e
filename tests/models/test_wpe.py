"""WPE dereverberation: sized in time at every rate, and it takes a room's late reverberation away
while keeping what the separator's targets keep (the direct path and 50 ms of reflections)."""

from __future__ import annotations

import numpy as np
import pyroomacoustics as pra
import pytest
import soundfile as sf
from scipy.signal import fftconvolve

from app.engine.demo import DEMO_DIR
from models.baselines.wpe import WpeSettings, dereverberate, wpe_plan
from models.metrics.speech import si_sdr

RATE = 16_000


@pytest.fixture(scope="module")
def room() -> tuple[np.ndarray, np.ndarray]:
    """Eight seconds of a demo talker at four microphones 5 cm apart in a room of RT60 0.7 s, and
    its direct path + 50 ms at the first (the data engine's target)."""
    dry = sf.read(DEMO_DIR / "meeting-respeaker4" / "talker1.flac", dtype="float32")[0][:8 * RATE]
    absorption, order = pra.inverse_sabine(0.7, [5, 4, 3])
    shoebox = pra.ShoeBox([5, 4, 3], fs=RATE, materials=pra.Material(absorption), max_order=order)
    shoebox.add_source([1.2, 1.5, 1.5])
    shoebox.add_microphone_array(np.array([[3.5, 3.55, 3.5, 3.55], [2.5, 2.5, 2.55, 2.55], [1.2] * 4]))
    shoebox.compute_rir()
    rirs = [np.asarray(shoebox.rir[m][0]) for m in range(4)]
    early = rirs[0][:int(np.argmax(np.abs(rirs[0]))) + int(0.05 * RATE)]
    wet = np.stack([fftconvolve(dry, rir)[:dry.size] for rir in rirs]).astype(np.float32)
    return wet, fftconvolve(dry, early)[:dry.size]


@pytest.mark.parametrize("rate, size, delay, taps", [(16_000, 512, 6, 10), (44_100, 2048, 4, 7),
                                                     (48_000, 2048, 4, 8)])
def test_the_transform_delay_and_filter_are_sized_in_time(rate, size, delay, taps):
    plan = wpe_plan(rate)
    assert (plan.size, plan.shift, plan.delay, plan.taps) == (size, size // 4, delay, taps)


def test_every_channel_comes_back_at_its_length_in_single_precision(room):
    wet, _ = room
    out = dereverberate(wet[:2, :RATE + 123], RATE)
    assert out.shape == (2, RATE + 123) and out.dtype == np.float32 and np.isfinite(out).all()


def test_four_microphones_bring_the_reference_closer_to_its_direct_path_and_early_reflections(room):
    wet, target = room
    assert si_sdr(dereverberate(wet, RATE)[0], target) > si_sdr(wet[0], target) + 2.0


def test_the_usual_24_ms_delay_takes_away_reflections_the_target_keeps(room):
    wet, target = room
    kept = si_sdr(dereverberate(wet, RATE)[0], target)
    assert si_sdr(dereverberate(wet, RATE, WpeSettings(delay_ms=24.0))[0], target) < kept - 2.0
