"""Each channel's delay and polarity against the first, by GCC-PHAT, on signals whose delays are known."""

from __future__ import annotations

import numpy as np
import pytest

from app.engine.alignment import ChannelAligner, segment_length
from app.engine.analysis import AnalysisRequest, analyse, statistics_table, warnings
from app.engine.files import ArraySource
from app.engine.jobs import drive

RATE = 16_000


def delayed(signal: np.ndarray, frames: int) -> np.ndarray:
    return np.concatenate([np.zeros(frames), signal[:signal.size - frames]]) if frames >= 0 else \
        np.concatenate([signal[-frames:], np.zeros(-frames)])


def array_recording(seconds: float = 6.0) -> np.ndarray:
    """Four channels: the first; one 37 samples later; one inverted and 5 samples earlier, in some
    noise; one unrelated."""
    rng = np.random.default_rng(0)
    source = rng.standard_normal(round(seconds * RATE))
    return np.stack([source, delayed(source, 37), -delayed(source, -5) + 0.3 * rng.standard_normal(source.size),
                     rng.standard_normal(source.size)])


def aligned_in_blocks(audio: np.ndarray, block: int) -> list:
    aligner = ChannelAligner(RATE, audio.shape[0])
    for at in range(0, audio.shape[1], block):
        aligner.update(audio[:, at:at + block])
    return aligner.result()


def test_each_channels_delay_and_polarity_against_the_first_are_found():
    first, late, early_inverted, unrelated = aligned_in_blocks(array_recording(), 12_345)
    assert first is None
    assert late.seconds == pytest.approx(37 / RATE, abs=0.2 / RATE) and not late.inverted and late.peak > 0.9
    assert early_inverted.seconds == pytest.approx(-5 / RATE, abs=0.2 / RATE) and early_inverted.inverted
    assert 0.3 < early_inverted.peak < late.peak
    assert unrelated.peak < 0.1


def test_the_block_boundaries_do_not_change_the_result():
    audio = array_recording(4.0)
    assert aligned_in_blocks(audio, 5_000) == aligned_in_blocks(audio, audio.shape[1])


def test_a_fraction_of_a_sample_is_read_between_samples():
    rng = np.random.default_rng(1)
    n = 6 * RATE
    spectrum = np.fft.rfft(rng.standard_normal(n))
    half_late = np.fft.irfft(spectrum * np.exp(-2j * np.pi * np.fft.rfftfreq(n) * 2.5), n)   # 2.5 samples later
    (_, delay) = aligned_in_blocks(np.stack([np.fft.irfft(spectrum, n), half_late]), 50_000)
    assert delay.seconds * RATE == pytest.approx(2.5, abs=0.25)


def test_a_range_shorter_than_a_segment_gives_no_delays():
    assert aligned_in_blocks(array_recording(0.5), 4_000) == [None] * 4
    assert segment_length(RATE) == 16_384 and segment_length(48_000) == 65_536


def test_the_analysis_table_gives_the_delays_of_a_recordings_channels_only():
    recording = ArraySource(array_recording().astype(np.float32), RATE, "array.wav")
    version = ArraySource(array_recording()[:1].astype(np.float32), RATE, "talker 1")
    lanes = drive(analyse([AnalysisRequest(recording, ["ch 1", "ch 2", "ch 3", "ch 4"]),
                           AnalysisRequest(version, ["talker 1"])]))
    header, *rows = statistics_table(lanes)
    assert header[-4:] == ["Delay vs first channel (ms)", "GCC-PHAT peak", "Polarity", "Drift (ppm)"]
    assert rows[0][-4:] == ["", "", "", ""] and rows[4][-4:] == ["", "", "", ""]
    assert float(rows[1][-4]) == pytest.approx(1000 * 37 / RATE, abs=0.005) and rows[1][-2] == "same"
    assert rows[2][-2] == "inverted"
    assert " ± " in rows[1][-1] and "drifting" not in rows[1][-1]       # one clock: its drift measured, none named
    assert rows[3][-1] == ""                                            # unrelated: no delay to follow


def test_the_analysis_table_names_a_channel_on_a_drifting_clock():
    from tests.engine.test_delay_track import drifting

    lanes = drive(analyse([AnalysisRequest(ArraySource(drifting(60.0, 30.0).astype(np.float32), RATE), ["a", "b"])]))
    assert lanes[1].drift.ppm == pytest.approx(60.0, abs=1.0) and lanes[1].drifting
    assert statistics_table(lanes)[2][-1].endswith(" drifting")


def test_a_channel_out_of_step_or_inverted_is_a_warning_and_an_unrelated_one_is_not():
    lanes = drive(analyse([AnalysisRequest(ArraySource((0.1 * array_recording()).astype(np.float32), RATE),
                                           ["ch 1", "ch 2", "ch 3", "ch 4"])]))
    first, late, early_inverted, unrelated = (warnings(lane) for lane in lanes)
    assert first == {} and unrelated == {}
    assert list(late) == ["Delay vs first channel (ms)"] and "recorded together" in late["Delay vs first channel (ms)"]
    assert list(early_inverted) == ["Polarity"]
