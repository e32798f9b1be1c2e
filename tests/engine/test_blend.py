"""A version blended with the mixture: the estimate plus the rest at a chosen level, from the
channel it was estimated at, at its own rate, only over the span it was made from."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from app.engine.blend import BLENDED_SUFFIX, blend_job
from app.engine.documents import Version, VersionKind, default_name
from app.engine.errors import ConfigError
from app.engine.files import open_recording, resample
from app.engine.jobs import drive

RATE = 16_000


@pytest.fixture
def stereo(tmp_path):
    """Two seconds of two channels: noise on the first, a 440 Hz tone on the second."""
    t = np.arange(2 * RATE) / RATE
    audio = np.stack([np.random.default_rng(1).uniform(-0.2, 0.2, t.size), 0.3 * np.sin(2 * np.pi * 440 * t)], 1)
    path = tmp_path / "stereo.wav"
    sf.write(path, audio.astype(np.float32), RATE, subtype="FLOAT")
    with open_recording(path) as recording:
        yield recording


def _version(audio: np.ndarray, rate: int = RATE, kind: VersionKind = VersionKind.SEPARATED, **settings) -> Version:
    return Version(default_name(kind, 0), 0, kind, audio.astype(np.float32), rate, "tiny", settings)


def test_the_rest_comes_back_at_the_chosen_level(stereo):
    estimate = _version(np.full(2 * RATE, 0.05))
    (blended,) = drive(blend_job(stereo, [estimate], -20.0))
    mixture = stereo.read(0, stereo.frames, [0])[0]
    np.testing.assert_allclose(blended.audio, estimate.audio + 0.1 * (mixture - estimate.audio), atol=1e-6)


def test_zero_decibels_gives_the_mixture_back(stereo):
    (blended,) = drive(blend_job(stereo, [_version(np.zeros(2 * RATE))], 0.0))
    np.testing.assert_allclose(blended.audio, stereo.read(0, stereo.frames, [0])[0], atol=1e-6)


def test_the_mixture_is_the_channel_the_version_was_estimated_at(stereo):
    (blended,) = drive(blend_job(stereo, [_version(np.zeros(2 * RATE), reference_channel=1)], 0.0))
    np.testing.assert_allclose(blended.audio, stereo.read(0, stereo.frames, [1])[0], atol=1e-6)
    assert blended.settings["blend_channel"] == 2


def test_a_version_at_another_rate_meets_the_mixture_resampled_and_aligned(tmp_path):
    t = np.arange(3 * 48_000) / 48_000
    tone = (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    sf.write(tmp_path / "tone.wav", tone, 48_000, subtype="FLOAT")
    estimate = _version(resample(tone[None], 48_000, RATE)[0])           # the talker, perfectly estimated
    with open_recording(tmp_path / "tone.wav") as recording:
        (blended,) = drive(blend_job(recording, [estimate], -6.0))
    middle = slice(RATE // 2, 5 * RATE // 2)
    assert np.abs(blended.audio[middle] - estimate.audio[middle]).max() < 1e-3     # nothing else to bring back


def test_a_version_made_over_a_span_is_blended_there_only(stereo):
    estimate = np.zeros(2 * RATE)
    estimate[RATE // 2:3 * RATE // 2] = 0.05
    (blended,) = drive(blend_job(stereo, [_version(estimate, span_seconds=[0.5, 1.5])], -20.0))
    assert not blended.audio[:RATE // 2].any() and not blended.audio[3 * RATE // 2:].any()
    mixture = stereo.read(0, stereo.frames, [0])[0]
    inside = slice(RATE // 2 + 200, 3 * RATE // 2 - 200)
    np.testing.assert_allclose(blended.audio[inside], 0.05 + 0.1 * (mixture[inside] - 0.05), atol=1e-6)


def test_the_blend_is_named_and_recorded(stereo):
    estimate = _version(np.zeros(2 * RATE))
    (blended,) = drive(blend_job(stereo, [estimate], -12.0))
    assert blended.name == estimate.name + BLENDED_SUFFIX and blended.kind is VersionKind.SEPARATED
    assert (blended.settings["blended_from"], blended.settings["blend"]) == (estimate.id, -12.0)
    assert not blended.audio.flags.writeable


def test_a_difference_has_no_mixture_to_blend_with(stereo):
    with pytest.raises(ConfigError, match="difference of two versions"):
        drive(blend_job(stereo, [_version(np.zeros(2 * RATE), kind=VersionKind.DIFFERENCE)], -20.0))


@pytest.mark.parametrize("settings", [{}, {"span_seconds": [0.5, 1.5]}, {"reference_channel": 1}])
def test_a_preview_sounds_as_the_blend_will(stereo, settings):
    from app.engine.blend import blend_preview_job

    estimate = np.zeros(2 * RATE)
    estimate[RATE // 2:3 * RATE // 2] = 0.05
    version = _version(estimate, **settings)
    (whole,) = drive(blend_job(stereo, [version], -12.0))
    for heard in ((0.3, 1.7), (1.2, 2.0)):
        lo, hi = (round(t * RATE) for t in heard)
        np.testing.assert_allclose(drive(blend_preview_job(stereo, version, -12.0, heard)), whole.audio[lo:hi],
                                   atol=1e-6)


def test_a_preview_at_another_rate_meets_the_mixture_as_the_blend_does(tmp_path):
    from app.engine.blend import blend_preview_job

    t = np.arange(4 * 44_100) / 44_100
    noise = (0.1 * np.random.default_rng(2).standard_normal(t.size)).astype(np.float32)
    sf.write(tmp_path / "room.wav", noise, 44_100, subtype="FLOAT")
    version = _version(np.zeros(4 * RATE))
    with open_recording(tmp_path / "room.wav") as recording:
        (whole,) = drive(blend_job(recording, [version], -6.0))
        preview = drive(blend_preview_job(recording, version, -6.0, (2.0, 3.0)))
    np.testing.assert_allclose(preview, whole.audio[2 * RATE:3 * RATE], atol=1e-4)
