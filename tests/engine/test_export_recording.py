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
    assert drive(export_recording_job(take, target, settings)) == (target, None)
    np.testing.assert_array_equal(sf.read(target, dtype="int16")[0], sf.read(take.path, dtype="int16")[0])
    assert sf.info(target).subtype == "PCM_16"


def test_a_selection_copies_its_frames_of_every_channel(take, tmp_path):
    target = tmp_path / "clip.flac"
    drive(export_recording_job(take, target, recording_export_settings(target, take.info.subtype), (1.0, 2.5)))
    clip, rate = sf.read(target, dtype="int16")
    assert rate == RATE and clip.shape == (int(1.5 * RATE), 4)
    np.testing.assert_array_equal(clip, sf.read(take.path, dtype="int16")[0][RATE:int(2.5 * RATE)])


def test_the_channels_listed_are_copied_in_that_order_and_the_tags_say_which(take, tmp_path):
    from app.engine.provenance import read_tags

    target = tmp_path / "two.mp3"                       # two of the four fit a format that holds two
    drive(export_recording_job(take, target, recording_export_settings(target, take.info.subtype), channels=(3, 0)))
    wav = tmp_path / "two.wav"
    drive(export_recording_job(take, wav, recording_export_settings(wav, take.info.subtype), channels=(3, 0)))
    source = sf.read(take.path, dtype="int16")[0]
    np.testing.assert_array_equal(sf.read(wav, dtype="int16")[0], source[:, [3, 0]])
    assert sf.info(target).channels == 2 and read_tags(wav)["comment"].endswith("channels 4, 1 of take.wav")


def test_a_channel_the_recording_lacks_is_named_and_nothing_is_written(take, tmp_path):
    target = tmp_path / "clip.wav"
    with pytest.raises(ConfigError, match="take.wav has 4 channels; choose among them to export .there is no "
                                          "channel 5, 7."):
        drive(export_recording_job(take, target, recording_export_settings(target, take.info.subtype),
                                   channels=(0, 4, 6)))
    assert not target.exists()


def test_a_float_recording_beyond_full_scale_is_clipped_in_flac_with_a_note_and_kept_in_wav(tmp_path):
    sf.write(tmp_path / "hot.wav", np.array([[0.5], [1.5], [-2.0]], np.float32), RATE, subtype="FLOAT")
    with open_recording(tmp_path / "hot.wav") as hot:
        flac, wav = tmp_path / "copy.flac", tmp_path / "copy.wav"
        (_, note) = drive(export_recording_job(hot, flac, recording_export_settings(flac, hot.info.subtype)))
        assert note == "copy.flac peaked at +6.0 dBFS: 2 samples beyond full scale were clipped at full scale"
        assert sf.read(flac)[0].tolist() == [pytest.approx(0.5), pytest.approx(1.0, abs=1e-6), -1.0]
        assert drive(export_recording_job(hot, wav, recording_export_settings(wav, hot.info.subtype))) == (wav, None)
        assert sf.read(wav, dtype="float32")[0].tolist() == [0.5, 1.5, -2.0]


def test_a_format_that_cannot_hold_the_channels_is_refused_by_name(take, tmp_path):
    target = tmp_path / "clip.mp3"
    with pytest.raises(ExportError, match="MP3 holds at most 2 channels and 4 are to be copied from take.wav"):
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
