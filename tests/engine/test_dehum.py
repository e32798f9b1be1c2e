"""A mains hum found by its comb and notched out, zero phase, block by block; speech without one
is left alone with a message."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from app.engine import dehum
from app.engine.demo import DEMO_DIR
from app.engine.documents import Version, VersionKind
from app.engine.errors import ConfigError
from app.engine.jobs import drive
from models.metrics.speech import si_sdr

RATE = 16_000


@pytest.fixture(scope="module")
def speech() -> np.ndarray:
    return sf.read(DEMO_DIR / "meeting-respeaker4" / "talker1.flac", dtype="float32")[0]


def hum(mains: float, frames: int, rate: int = RATE) -> np.ndarray:
    t = np.arange(frames) / rate
    return (0.01 * sum(np.sin(2 * np.pi * k * mains * t + k) / k for k in range(1, 6))).astype(np.float32)


def version(audio: np.ndarray, rate: int = RATE) -> Version:
    return Version("Separated · talker 1", 0, VersionKind.SEPARATED, audio.astype(np.float32), rate, "tiny", {})


@pytest.mark.parametrize("mains", [50.0, 60.0])
def test_the_mains_frequency_is_told_from_the_comb(speech, mains):
    found = dehum.find_hum(version(speech + hum(mains, speech.size)))
    assert found.hz == mains and found.prominence_db > 10 and found.lines == dehum.HARMONICS


def test_the_hum_goes_and_the_speech_stays(speech):
    noisy = version(speech + hum(50.0, speech.size))
    (clean,) = drive(dehum.dehum_job([noisy]))
    notched_speech = dehum.dehummed_version(version(speech), dehum.find_hum(noisy)).audio
    middle = slice(RATE, speech.size - RATE)                   # the notches ring in over a fraction of a second
    assert si_sdr(clean.audio[middle], notched_speech[middle]) > 35     # what is left of the hum
    assert si_sdr(notched_speech, speech) > 15                 # the notches take little of the voice
    assert si_sdr(clean.audio, speech) > si_sdr(noisy.audio, speech) + 10
    assert clean.name.endswith(dehum.DEHUMMED_SUFFIX) and clean.settings["hum_removed"]["hz"] == 50.0


def test_filtering_in_blocks_is_filtering_the_whole(speech, monkeypatch):
    noisy = version(speech + hum(60.0, speech.size))
    found = dehum.find_hum(noisy)
    whole = dehum.dehummed_version(noisy, found).audio
    monkeypatch.setattr(dehum, "BLOCK", 12_345)
    np.testing.assert_allclose(dehum.dehummed_version(noisy, found).audio, whole, atol=1e-6)


def test_the_filter_has_zero_phase(speech):
    import scipy.signal

    noisy = version(speech + hum(50.0, speech.size))
    found = dehum.find_hum(noisy)
    expected = scipy.signal.sosfiltfilt(dehum.notch_sections(found, RATE), noisy.audio.astype(np.float64),
                                        padtype=None)
    middle = slice(RATE, speech.size - RATE)                       # away from the ends' start-up
    np.testing.assert_allclose(dehum.dehummed_version(noisy, found).audio[middle], expected[middle], atol=1e-4)


def test_speech_without_hum_is_named_and_left_alone(speech):
    with pytest.raises(ConfigError, match="No mains hum stands out in “Separated · talker 1”"):
        drive(dehum.dehum_job([version(speech)]))


def test_a_clip_under_a_second_is_too_short(speech):
    with pytest.raises(ConfigError, match="too short to find a hum"):
        dehum.find_hum(version(speech[:RATE // 2]))


def test_only_lines_below_the_nyquist_frequency_are_notched():
    rate = 800                                                         # Nyquist 400 Hz: 50 … 350 Hz
    noisy = version(hum(50.0, 10 * rate, rate) + 0.001 * np.random.default_rng(0).standard_normal(10 * rate), rate)
    assert dehum.find_hum(noisy).lines == 7
