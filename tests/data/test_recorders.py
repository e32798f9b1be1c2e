"""A meeting recorded by separate devices: each recorder at its rate and length, its truth kept."""

from __future__ import annotations

import numpy as np
import pytest

from models.data.recorders import RECORDER_RATES, meeting
from models.data.speech import SpeechPool


@pytest.fixture(scope="module")
def recorded():
    return meeting(SpeechPool.synthetic(sample_rate=16_000), 30.0, np.random.default_rng(3), 3).recorders


def test_the_array_phone_and_stereo_recorder_each_have_their_channels_rate_and_length(recorded):
    assert [r.truth.name for r in recorded] == ["array", "phone", "stereo"]
    assert [r.audio.shape[0] for r in recorded] == [4, 1, 2]
    for r in recorded:
        assert r.truth.sample_rate in RECORDER_RATES and r.audio.dtype == np.float32
        assert 27.0 <= r.audio.shape[1] / r.truth.sample_rate <= 33.0 and np.all(np.isfinite(r.audio))


def test_the_array_is_the_clock_the_others_are_given_against(recorded):
    array = recorded[0].truth
    assert (array.offset_s, array.ppm, array.inverted, array.talker_lags_s) == (0.0, 0.0, False, (0.0, 0.0))
    for r in recorded[1:]:
        assert abs(r.truth.offset_s) <= 20.01 and abs(r.truth.ppm) <= 100.0
        assert all(abs(lag) < 0.05 for lag in r.truth.talker_lags_s)       # a room's paths: tens of ms at most


def test_each_talkers_reference_is_on_the_arrays_clock_and_as_long_as_its_recording():
    found = meeting(SpeechPool.synthetic(sample_rate=16_000), 20.0, np.random.default_rng(4), 4)
    array = found.recorders[0].audio
    assert found.references.shape == (2, array.shape[1])
    lag = np.argmax(np.correlate(array[0, 8000:40000], found.references.sum(0)[8000 - 400:40000 + 400], "valid"))
    assert abs(lag - 400) <= 2                     # the references line up with the array's first microphone
