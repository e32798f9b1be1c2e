"""Levels, loudness and the average spectrum of lanes, streamed block by block: the figures equal
pyloudnorm's and scipy's on the whole range at once, whatever the block boundaries."""

from __future__ import annotations

import math

import numpy as np
import pyloudnorm
import pytest
import scipy.signal

from app.engine.analysis import (
    AnalysisRequest,
    LaneAnalyser,
    analyse,
    lane_curves,
    spectrum_at,
    spectrum_segment,
    spectrum_table,
    statistics_table,
)
from app.engine.errors import ConfigError, JobCancelled
from app.engine.files import ArraySource
from app.engine.jobs import drive


def speech_like(rate: int, seconds: float, seed: int = 0) -> np.ndarray:
    """Noise with a slow envelope and a silent second, so both loudness gates matter."""
    n = round(rate * seconds)
    rng = np.random.default_rng(seed)
    audio = 0.1 * rng.standard_normal(n) * np.sin(np.linspace(0, 20, n)) ** 2
    audio[rate:2 * rate] = 0.0
    return audio.astype(np.float32)


def analysed_in_blocks(audio: np.ndarray, rate: int, block: int = 12_345):
    analyser = LaneAnalyser("lane", rate)
    for at in range(0, audio.size, block):
        analyser.update(audio[at:at + block])
    return analyser.result()


@pytest.mark.parametrize("rate", [16_000, 44_100, 48_000])
def test_loudness_equals_pyloudnorm_on_the_whole_range(rate):
    audio = speech_like(rate, 7.0)
    expected = pyloudnorm.Meter(rate).integrated_loudness(audio.astype(np.float64))
    assert analysed_in_blocks(audio, rate).loudness_lufs == pytest.approx(expected, abs=1e-6)


def test_the_spectrum_equals_welch_on_the_whole_range():
    rate = 16_000
    audio = speech_like(rate, 5.0)
    segment = spectrum_segment(rate)
    freqs, power = scipy.signal.welch(audio.astype(np.float64), rate, nperseg=segment, noverlap=segment // 2,
                                      detrend=False, scaling="spectrum")
    lane = analysed_in_blocks(audio, rate, block=3_001)
    assert np.allclose(lane.frequencies, freqs) and np.allclose(lane.spectrum_db, 10 * np.log10(2 * power))


def test_a_sine_peaks_at_its_amplitude_with_a_crest_of_3_db():
    rate = 16_000
    t = np.arange(3 * rate) / rate
    lane = analysed_in_blocks((0.5 * np.sin(2 * np.pi * 1000 * t)).astype(np.float32), rate)
    assert lane.peak_dbfs == pytest.approx(-6.02, abs=0.01)
    assert lane.spectrum_db.max() == pytest.approx(-6.02, abs=0.01)
    assert lane.frequencies[np.argmax(lane.spectrum_db)] == pytest.approx(1000, abs=rate / spectrum_segment(rate))
    assert lane.crest_db == pytest.approx(3.01, abs=0.01)


def test_rms_dc_offset_and_clipped_samples_are_counted():
    audio = np.full(16_000, 0.25, np.float32)
    audio[:3] = [1.0, -1.0, 0.99]
    lane = analysed_in_blocks(audio, 16_000)
    assert lane.clipped == 2
    assert lane.dc_offset == pytest.approx(audio.astype(np.float64).mean())
    assert lane.rms_dbfs == pytest.approx(10 * math.log10(np.mean(audio.astype(np.float64) ** 2)))


def test_digital_silence_has_no_level_and_no_loudness():
    lane = analysed_in_blocks(np.zeros(16_000, np.float32), 16_000)
    assert lane.peak_dbfs == lane.rms_dbfs == -math.inf
    assert math.isnan(lane.loudness_lufs) and math.isnan(lane.crest_db)
    assert statistics_table([lane])[1][2:6] == ["-inf", "-inf", "", ""]


def test_a_lane_shorter_than_a_gate_and_a_segment_still_has_levels():
    lane = analysed_in_blocks(np.full(500, 0.1, np.float32), 16_000)
    assert lane.peak_dbfs == pytest.approx(-20.0)
    assert math.isnan(lane.loudness_lufs) and lane.frequencies.size == 0 == lane.spectrum_db.size


def test_a_range_analyses_only_its_frames_of_every_channel():
    rate = 16_000
    audio = np.stack([speech_like(rate, 4.0, seed=1), speech_like(rate, 4.0, seed=2)])
    lanes = drive(analyse([AnalysisRequest(ArraySource(audio, rate), ["a", "b"], 2.0, 3.5)]))
    assert [lane.name for lane in lanes] == ["a", "b"]
    for lane, channel in zip(lanes, audio, strict=True):
        whole = analysed_in_blocks(channel[2 * rate:round(3.5 * rate)], rate)
        assert lane.frames == round(1.5 * rate)
        assert (lane.peak_dbfs, lane.rms_dbfs, lane.loudness_lufs) == pytest.approx(
            (whole.peak_dbfs, whole.rms_dbfs, whole.loudness_lufs))


def test_a_range_outside_the_audio_names_the_source():
    source = ArraySource(np.zeros((1, 16_000), np.float32), 16_000, name="take.flac")
    with pytest.raises(ConfigError, match=r"take\.flac .* lasts 1\.000 s"):
        drive(analyse([AnalysisRequest(source, ["ch 1"], 2.0, 3.0)]))


def test_analysis_reports_progress_per_block_and_stops_when_cancelled():
    source = ArraySource(np.zeros((2, 16_000 * 10), np.float32), 16_000)
    seen = []
    with pytest.raises(JobCancelled):
        drive(analyse([AnalysisRequest(source, ["1", "2"])]), seen.append, should_stop=lambda: len(seen) == 2)
    assert [p.done for p in seen] == [1, 2] and seen[0].total == 5


def test_the_spectrum_table_puts_lanes_at_different_rates_on_one_frequency_column():
    low = analysed_in_blocks(speech_like(16_000, 1.0), 16_000)
    high = analysed_in_blocks(speech_like(48_000, 1.0), 48_000)
    header, *rows = spectrum_table(lane_curves([low, high]))
    assert header == ["Frequency (Hz)", "lane (dB)", "lane (dB)"]
    assert len(rows) == len(np.union1d(low.frequencies, high.frequencies))
    beyond = [row for row in rows if float(row[0]) > 8_000]
    assert beyond and all(row[1] == "" and row[2] for row in beyond)


def test_the_spectrum_at_a_moment_reads_a_sine_s_amplitude_at_its_frequency():
    rate = 16_000
    t = np.arange(rate) / rate
    audio = np.where(t < 0.5, 0.5 * np.sin(2 * np.pi * 1000 * t), 0.1 * np.sin(2 * np.pi * 250 * t))
    hz, db = spectrum_at(audio, rate, rate // 4)
    assert hz[np.argmax(db)] == 1000 and db.max() == pytest.approx(20 * np.log10(0.5), abs=0.05)
    hz, db = spectrum_at(audio, rate, 3 * rate // 4)
    assert hz[np.argmax(db)] == 250 and db.max() == pytest.approx(-20.0, abs=0.05)


def test_the_spectrum_past_the_end_is_silence_not_an_error():
    _, db = spectrum_at(np.ones(100), 16_000, 50_000)
    assert np.all(np.isneginf(db))
