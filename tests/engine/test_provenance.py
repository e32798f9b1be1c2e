"""Every file the app writes says what made it: the recording, the model by its weights' hash, the
steps that rewrote it, the software; in WAV, FLAC, OGG and MP3 alike."""

from __future__ import annotations

import json

import numpy as np
import pytest
import soundfile as sf

from app import __version__
from app.engine.batch import BatchSettings, batch_job
from app.engine.documents import Version, VersionKind
from app.engine.export import (
    AudioFormat,
    ExportSettings,
    SampleFormat,
    export_recording_job,
    export_versions_job,
    normalise_file_loudness,
    recording_export_settings,
)
from app.engine.files import open_recording
from app.engine.jobs import drive
from tests.engine.test_export import _versions
from tests.engine.test_separation import _settings, _two_tone_recording


def _tags(path) -> dict[str, str]:
    with sf.SoundFile(path) as file:
        return file.copy_metadata()


@pytest.mark.parametrize("fmt, sample_format", [
    (AudioFormat.WAV, SampleFormat.PCM_16), (AudioFormat.FLAC, SampleFormat.PCM_24),
    (AudioFormat.OGG, SampleFormat.PCM_16)])
def test_an_exported_version_names_itself_its_recording_and_when_it_was_made(tmp_path, fmt, sample_format):
    version = _versions()[0]
    [path] = drive(export_versions_job([version], tmp_path, "{talker}", "meeting.flac",
                                       ExportSettings(fmt, sample_format)))
    tags = _tags(path)
    assert tags["title"] == "Separated · talker 1" and tags["date"] == version.created
    assert tags["comment"] == "Separated · talker 1 of meeting.flac, made by tiny"     # no card of that name
    assert tags["software"].startswith(f"MeCo Studio {__version__}")


def test_a_version_made_by_an_installed_model_names_its_card_steps_and_weights(tmp_path, tiny_separator_card):
    card = json.loads(tiny_separator_card.read_text())
    version = Version("Separated · talker 2", 1, VersionKind.SEPARATED, np.zeros(1600, np.float32), 16_000,
                      "tiny-separator", {})
    [path] = drive(export_versions_job([version], tmp_path, "{talker}", "mix.wav", ExportSettings()))
    assert f"made by tiny-separator (weights sha256 {card['weights']['sha256'][:16]})" in _tags(path)["comment"]


def test_one_file_of_several_versions_lists_each_channel_and_a_range_says_which(tmp_path):
    versions = _versions()
    [path] = drive(export_versions_job(versions, tmp_path, "both", "mix.wav", ExportSettings(), span=(1.0, 2.5),
                                       multichannel=True))
    tags = _tags(path)
    assert tags["title"] == "Separated · talker 1 + Separated · talker 2"
    assert tags["comment"] == ("ch 1: Separated · talker 1 of mix.wav, made by tiny; ch 2: Separated · talker 2 of "
                               "mix.wav, made by tiny; the range 1.000–2.500 s")


def test_mp3_tags_keep_to_plain_text_that_every_player_reads(tmp_path):
    [path] = drive(export_versions_job(_versions()[:1], tmp_path, "{talker}", "mix.wav",
                                       ExportSettings(AudioFormat.MP3, SampleFormat.PCM_16)))
    assert _tags(path)["title"] == "Separated - talker 1"


def test_a_rewritten_track_keeps_its_tags_and_adds_its_step(tmp_path):
    [path] = drive(export_versions_job(_versions()[:1], tmp_path, "{talker}", "mix.wav",
                                       ExportSettings()))
    normalise_file_loudness(path, ExportSettings(loudness_lufs=-23.0, overwrite=True))
    tags = _tags(path)
    assert tags["title"] == "Separated · talker 1"
    assert tags["comment"] == "Separated · talker 1 of mix.wav, made by tiny; brought to -23 LUFS"


def test_a_copy_of_a_recordings_channels_keeps_its_tags(tmp_path):
    source = tmp_path / "take.flac"
    with sf.SoundFile(source, "w", 16_000, 2, format="FLAC") as file:
        file.title, file.artist = "Board meeting", "Room 4"
        file.write(np.zeros((16_000, 2), np.float32))
    target = tmp_path / "copy.wav"
    with open_recording(source) as recording:
        drive(export_recording_job(recording, target, recording_export_settings(target, "PCM_16"), span=(0.25, 0.75)))
    tags = _tags(target)
    assert (tags["title"], tags["artist"]) == ("Board meeting", "Room 4")
    assert tags["comment"] == "channels of take.flac, 0.250–0.750 s"


def test_separated_tracks_name_the_recording_the_separator_and_every_stage(tmp_path, tiny_separator_card):
    mixture = _two_tone_recording(tmp_path / "meeting.wav", seconds=1.0)
    sha = json.loads(tiny_separator_card.read_text())["weights"]["sha256"][:16]
    drive(batch_job([mixture], tmp_path / "out", BatchSettings(_settings(), blend_db=-20.0)))
    tags = _tags(tmp_path / "out" / "meeting" / "spk2.wav")
    assert tags["title"] == "talker 2"
    assert tags["comment"] == (f"talker 2 of meeting.wav, separated by tiny-separator (weights sha256 {sha}) from "
                               "all channels at reference ch 1; blended with the mixture at -20 dB")


def test_an_imported_track_keeps_what_its_tags_say_made_it(tmp_path):
    from app.engine.export import write_audio
    from app.engine.workflow import import_version_job, setting_text

    track = write_audio(tmp_path / "spk1.wav", np.zeros((1, 1600), np.float32), 16_000,
                        tags={"comment": "talker 1 of meeting.flac, separated by tacband-separator"})
    version = drive(import_version_job(track, 0))
    assert setting_text("file_comment", version.settings["file_comment"]) == (
        "talker 1 of meeting.flac, separated by tacband-separator")
    plain = write_audio(tmp_path / "other.wav", np.zeros((1, 1600), np.float32), 16_000)
    assert "file_comment" not in drive(import_version_job(plain, 1)).settings     # only the software's tag
