"""Exporting (part of) the recording itself: every channel at its own rate, the source never written."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from app.engine.errors import ConfigError, ExportError, JobCancelled
from app.engine.export import export_recording_job, recording_export_settings
from app.engine.files import open_recording
from app.engine.jobs import drive

RATE = 16_000


@pytest.fixture
def take(tmp_path):
    audio = (np.random.default_rng(0).uniform(-0.5, 0.5, (RATE * 5, 4))).astype(np.float32)
    sf.write(tmp_path / "take.wav", audio, RATE, subtype="PCM_16")
    with open_recording(tmp_path / "take.wav") as rec:
        yield rec


def test_the_whole_recording_copies_sample_for_sample(take, tmp_path):
    target = tmp_path / "copy.wav"
    settings = recording_export_settings(target, take.info.subtype)
    assert drive(export_recording_job(take, target, settings)) == target
    np.testing.assert_array_equal(sf.read(target, dtype="int16")[0], sf.read(take.path, dtype="int16")[0])
    assert sf.info(target).subtype == "PCM_16"


def test_a_selection_copies_its_frames_of_every_channel(take, tmp_path):
    target = tmp_path / "clip.flac"
    drive(export_recording_job(take, target, recording_export_settings(target, take.info.subtype), (1.0, 2.5)))
    clip, rate = sf.read(target, dtype="int16")
    assert rate == RATE and clip.shape == (int(1.5 * RATE), 4)
    np.testing.assert_array_equal(clip, sf.read(take.path, dtype="int16")[0][RATE:int(2.5 * RATE)])


def test_a_format_that_cannot_hold_the_channels_is_refused_by_name(take, tmp_path):
    target = tmp_path / "clip.mp3"
    with pytest.raises(ExportError, match="MP3 holds at most 2 channels and take.wav has 4"):
        drive(export_recording_job(take, target, recording_export_settings(target, take.info.subtype)))
    assert not target.exists()


def test_the_recording_itself_is_never_written(take):
    before = take.path.read_bytes()
    settings = recording_export_settings(take.path, take.info.subtype, overwrite=True)
    with pytest.raises(ExportError, match="the recording itself"):
        drive(export_recording_job(take, take.path, settings))
    assert take.path.read_bytes() == before


def test_a_cancelled_export_leaves_nothing(take, tmp_path):
    target = tmp_path / "copy.wav"
    with pytest.raises(JobCancelled):
        drive(export_recording_job(take, target, recording_export_settings(target, take.info.subtype)),
              should_stop=lambda: True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["take.wav"]


def test_a_name_that_is_not_a_format_is_refused():
    with pytest.raises(ConfigError, match="clip.txt: name the file .wav, .flac, .ogg or .mp3"):
        recording_export_settings(Path("clip.txt"), "PCM_16")
