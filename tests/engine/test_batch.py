"""A batch separates file after file, keeps going past a bad one, and a cancel leaves no half file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from app.engine.batch import BatchSettings, batch_job, output_folders
from app.engine.errors import ConfigError, JobCancelled
from app.engine.jobs import drive
from tests.engine.bad_files import not_audio
from tests.engine.test_separation import _settings, _two_tone_recording


def test_a_batch_goes_past_a_bad_file_and_names_it(tmp_path, tiny_separator_card):
    files = [_two_tone_recording(tmp_path / "a.wav", seconds=1.0), not_audio(tmp_path),
             _two_tone_recording(tmp_path / "c.wav", seconds=1.0)]
    result = drive(batch_job(files, tmp_path / "out", BatchSettings(_settings())))
    assert [r["input"] for r in result.done] == [str(files[0]), str(files[2])]
    [(path, reason)] = result.failed
    assert path == files[1] and "notes.wav" in reason
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["a", "c"]
    assert sorted(p.name for p in (tmp_path / "out" / "a").iterdir()) == ["spk1.wav", "spk2.wav"]


def test_batch_progress_grows_to_the_whole_batch_and_names_the_file(tmp_path, tiny_separator_card):
    files = [_two_tone_recording(tmp_path / f"{name}.wav", seconds=2.0) for name in ("a", "b")]
    seen = []
    drive(batch_job(files, tmp_path / "out", BatchSettings(_settings())), seen.append)
    assert [p.done for p in seen] == sorted(p.done for p in seen)
    assert seen[-1].done == seen[-1].total
    assert any(p.stage.startswith("b.wav (2 of 2)") for p in seen)


def test_a_cancel_leaves_none_of_the_tracks_of_the_file_in_progress(tmp_path, tiny_separator_card):
    files = [_two_tone_recording(tmp_path / f"{name}.wav", seconds=3.0) for name in ("a", "b")]
    seen = []
    with pytest.raises(JobCancelled):
        drive(batch_job(files, tmp_path / "out", BatchSettings(_settings())), seen.append,
              should_stop=lambda: any(p.stage.startswith("b.wav") for p in seen))
    assert sorted(p.name for p in (tmp_path / "out" / "a").iterdir()) == ["spk1.wav", "spk2.wav"]
    assert not (tmp_path / "out" / "b").exists()


def test_a_loudness_target_out_of_range_is_refused_before_any_work():
    with pytest.raises(ConfigError, match="outside -60 to -5 LUFS"):
        BatchSettings(loudness_lufs=3.0)


def test_recordings_sharing_a_name_get_folders_of_their_own(tmp_path, tiny_separator_card):
    for day in ("day1", "day2"):
        (tmp_path / day).mkdir()
    files = [_two_tone_recording(tmp_path / day / "take.wav", seconds=1.0) for day in ("day1", "day2")]
    result = drive(batch_job(files, tmp_path / "out", BatchSettings(_settings())))
    assert not result.failed
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["day1_take", "day2_take"]


def test_output_folders_number_what_still_clashes(tmp_path):
    paths = [Path("a/x.wav"), Path("b/y.wav"), Path("c/a/x.wav"), Path("a/x.wav")]
    assert [f.name for f in output_folders(paths, tmp_path)] == ["a_x_1", "y", "a_x_2", "a_x_3"]


def test_a_range_separates_only_that_part_of_each_recording(tmp_path, tiny_separator_card):
    files = [_two_tone_recording(tmp_path / "long.wav", seconds=4.0), _two_tone_recording(tmp_path / "short.wav",
                                                                                          seconds=1.0)]
    result = drive(batch_job(files, tmp_path / "out", BatchSettings(_settings(), span=(1.0, 3.0))))
    (report,) = result.done
    assert [sf.info(p).duration for p in report["outputs"]] == [pytest.approx(2.0)] * 2
    [(path, reason)] = result.failed
    assert path == files[1] and "short.wav: 1.00–3.00 s leaves 0.00 s of its 1.00 s to process" in reason
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["long"]


def test_tracks_can_be_silenced_between_their_turns_and_say_how_many_turns(tmp_path, tiny_separator_card):
    files = [_two_tone_recording(tmp_path / "meeting.wav", seconds=3.0)]
    settings = BatchSettings(_settings(), silence_between_turns=True)
    (report,) = drive(batch_job(files, tmp_path / "out", settings)).done
    assert len(report["turns"]) == 2 and all(isinstance(n, int) for n in report["turns"])
    assert all(sf.info(p).duration == pytest.approx(3.0) for p in report["outputs"])


def test_a_blend_louder_than_the_mixture_is_refused_before_any_work():
    with pytest.raises(ConfigError, match="3 dB would bring the rest of the mixture back louder"):
        BatchSettings(blend_db=3.0)


def test_tracks_can_be_blended_with_the_part_of_the_mixture_they_were_made_from(tmp_path, tiny_separator_card):
    files = [_two_tone_recording(tmp_path / "meeting.wav", seconds=4.0)]
    plain = drive(batch_job(files, tmp_path / "plain", BatchSettings(_settings(), span=(1.0, 3.0)))).done[0]
    blended = drive(batch_job(files, tmp_path / "blended", BatchSettings(_settings(), span=(1.0, 3.0),
                                                                         blend_db=-6.0))).done[0]
    mixture, rate = sf.read(files[0], dtype="float32")
    mixture = mixture[rate:3 * rate, 0]
    gain = 10 ** (-6 / 20)
    for own, mixed in zip(plain["outputs"], blended["outputs"]):
        own, mixed = (sf.read(p, dtype="float32")[0] for p in (own, mixed))
        np.testing.assert_allclose(mixed, own + gain * (mixture - own), atol=1e-4)     # 16-bit tracks


def test_tracks_beyond_full_scale_are_limited_with_a_note_naming_them(tmp_path, tiny_separator_card):
    loud = tmp_path / "loud.wav"
    sf.write(loud, 4.0 * sf.read(_two_tone_recording(tmp_path / "tones.wav", seconds=2.0))[0], 16_000,
             subtype="FLOAT")                  # a float recording may hold samples beyond full scale
    (report,) = drive(batch_job([loud], tmp_path / "out", BatchSettings(_settings(), blend_db=0.0))).done
    for k, output in enumerate(report["outputs"], start=1):     # a 0 dB blend gives the mixture back
        assert np.max(np.abs(sf.read(output)[0])) <= 1.0
        assert any(note.startswith(f"spk{k}.wav peaked at +") and "soft limiter" in note for note in report["notes"])


def test_a_noise_reduction_out_of_range_is_refused_before_any_work():
    with pytest.raises(ConfigError, match="noise reduction of 90 dB is out of range"):
        BatchSettings(reduce_noise_db=90.0)


def test_tracks_can_have_their_noise_reduced_as_the_window_reduces_it(tmp_path, tiny_separator_card):
    from app.engine.documents import Version, VersionKind
    from app.engine.noise_reduction import NoiseSettings, quietest_profile, reduce_blocks
    from app.engine.provenance import read_tags

    files = [_two_tone_recording(tmp_path / "meeting.wav", seconds=3.0)]
    plain = drive(batch_job(files, tmp_path / "plain", BatchSettings(_settings()))).done[0]
    reduced = drive(batch_job(files, tmp_path / "reduced", BatchSettings(_settings(), reduce_noise_db=12.0))).done[0]
    for own, quieter in zip(plain["outputs"], reduced["outputs"]):
        audio, rate = sf.read(own, dtype="float32")
        track = Version("spk", 0, VersionKind.SEPARATED, audio, rate, "", {})
        expected = drive(reduce_blocks(track, quietest_profile(track), NoiseSettings(12.0)))
        assert np.abs(expected - audio).max() > 1e-3                                       # it did something
        np.testing.assert_allclose(sf.read(quieter, dtype="float32")[0], expected, atol=1e-4)    # 16-bit tracks
        assert read_tags(Path(quieter))["comment"].endswith("; noise reduced by 12 dB (sensitivity 6 dB)")


def test_a_recording_is_separated_as_its_repaired_copy_would_be(tmp_path, tiny_separator_card):
    from app.cli import EXIT_OK, main
    from app.engine.provenance import read_tags

    t = np.arange(3 * 16_000) / 16_000
    hot = np.stack([np.sin(2 * np.pi * 300 * t), 0.5 * np.sin(2 * np.pi * 700 * t)], axis=1) * 1.6
    sf.write(tmp_path / "hot.wav", np.clip(hot, -1, 1), 16_000, subtype="PCM_16")
    assert main(["declip", str(tmp_path / "hot.wav"), "--out", str(tmp_path / "copy")]) == EXIT_OK
    from_copy = drive(batch_job([tmp_path / "copy" / "hot.wav"], tmp_path / "a", BatchSettings(_settings()))).done[0]
    repaired = drive(batch_job([tmp_path / "hot.wav"], tmp_path / "b", BatchSettings(_settings(), declip=True))).done[0]
    for own, expected in zip(repaired["outputs"], from_copy["outputs"], strict=True):
        np.testing.assert_array_equal(sf.read(own)[0], sf.read(expected)[0])
    assert any("clipped run(s) of hot.wav redrawn" in note for note in repaired["notes"])
    assert "hot.wav (clipped runs redrawn), separated by" in read_tags(Path(repaired["outputs"][0]))["comment"]


def test_a_recording_is_separated_as_its_dereverberated_samples_would_be(tmp_path, tiny_separator_card):
    from app.engine.dereverb import dereverb_job
    from app.engine.files import ArraySource
    from app.engine.provenance import read_tags

    rng = np.random.default_rng(3)
    room = np.stack([np.convolve(rng.standard_normal(2 * 16_000), rng.standard_normal(800) * np.exp(
        -np.arange(800) / 200))[:2 * 16_000] for _ in range(2)]) * 0.01
    sf.write(tmp_path / "room.wav", room.T, 16_000, subtype="FLOAT")
    blocks: list[np.ndarray] = []
    drive(dereverb_job(ArraySource(room.astype(np.float32), 16_000, "room.wav"), blocks.append))
    sf.write(tmp_path / "dry.wav", np.concatenate(blocks, axis=1).T, 16_000, subtype="FLOAT")
    from_copy = drive(batch_job([tmp_path / "dry.wav"], tmp_path / "a", BatchSettings(_settings()))).done[0]
    dry = drive(batch_job([tmp_path / "room.wav"], tmp_path / "b", BatchSettings(_settings(), dereverb=True))).done[0]
    for own, expected in zip(dry["outputs"], from_copy["outputs"], strict=True):
        np.testing.assert_array_equal(sf.read(own)[0], sf.read(expected)[0])
    assert "room.wav (dereverberated by WPE: a 80 ms filter" in read_tags(Path(dry["outputs"][0]))["comment"]


def test_a_recording_is_separated_as_its_declicked_samples_would_be(tmp_path, tiny_separator_card):
    from app.engine.clicks import declick_recording_job
    from app.engine.files import ArraySource
    from app.engine.provenance import read_tags

    t = np.arange(2 * 16_000) / 16_000
    tones = np.stack([0.3 * np.sin(2 * np.pi * 300 * t), 0.2 * np.sin(2 * np.pi * 700 * t)])
    tones[1, 20_000:20_012] += 0.4
    sf.write(tmp_path / "clicky.wav", tones.T, 16_000, subtype="FLOAT")
    blocks: list[np.ndarray] = []
    drive(declick_recording_job(ArraySource(tones.astype(np.float32), 16_000, "clicky.wav"), blocks.append))
    sf.write(tmp_path / "clean.wav", np.concatenate(blocks, axis=1).T, 16_000, subtype="FLOAT")
    from_copy = drive(batch_job([tmp_path / "clean.wav"], tmp_path / "a", BatchSettings(_settings()))).done[0]
    declicking = BatchSettings(_settings(), declick=True)
    clean = drive(batch_job([tmp_path / "clicky.wav"], tmp_path / "b", declicking)).done[0]
    for own, expected in zip(clean["outputs"], from_copy["outputs"], strict=True):
        np.testing.assert_array_equal(sf.read(own)[0], sf.read(expected)[0])
    assert "1 click(s) of clicky.wav redrawn before separating" in clean["notes"]
    assert "clicky.wav (clicks redrawn), separated by" in read_tags(Path(clean["outputs"][0]))["comment"]


def test_a_recordings_dropouts_are_redrawn_before_separating_when_asked(tmp_path, tiny_separator_card):
    t = np.arange(2 * 16_000) / 16_000
    tones = np.stack([0.3 * np.sin(2 * np.pi * 300 * t), 0.2 * np.sin(2 * np.pi * 700 * t)])
    tones[0, 20_000:20_040] = 0.0
    sf.write(tmp_path / "lossy.wav", tones.T, 16_000, subtype="FLOAT")
    done = drive(batch_job([tmp_path / "lossy.wav"], tmp_path / "b", BatchSettings(_settings(), dropouts=True))).done[0]
    assert "1 dropout(s) of lossy.wav redrawn before separating" in done["notes"]


def test_a_files_facts_and_what_the_batch_would_refuse_come_from_its_header(tmp_path):
    from app.engine.batch import FileFacts, check_file
    from app.engine.separation import Method, SeparateSettings

    stereo = tmp_path / "stereo.wav"
    sf.write(stereo, np.zeros((48_000 * 3, 2), np.float32), 48_000)
    assert check_file(stereo, BatchSettings()) == FileFacts(2, 48_000, 3.0)
    lacking = check_file(stereo, BatchSettings(SeparateSettings(channels=(0, 1, 2, 3))))
    assert "stereo.wav has 2 channels; channel(s) [3, 4] do not exist" in lacking.problem
    mono = tmp_path / "mono.wav"
    sf.write(mono, np.zeros(16_000 * 2, np.float32), 16_000)
    assert "needs at least 2" in check_file(mono, BatchSettings(SeparateSettings(method=Method.AUXIVA))).problem
    assert check_file(mono, BatchSettings()).problem == ""


def test_a_file_that_cannot_be_opened_is_refused_when_checked(tmp_path):
    from app.engine.batch import check_file
    from app.engine.errors import AppError

    with pytest.raises(AppError, match="notes.wav"):
        check_file(not_audio(tmp_path), BatchSettings())


def test_output_files_are_named_as_output_folders_are():
    from app.engine.batch import output_files

    paths = [Path("day1/take.wav"), Path("day2/take.flac"), Path("day2/other.wav")]
    assert output_files(paths, Path("out")) == [Path("out/day1_take.wav"), Path("out/day2_take.wav"),
                                                Path("out/other.wav")]


def test_tracks_can_be_written_in_another_format_with_their_tags_and_no_wav_left(tmp_path, tiny_separator_card):
    from app.engine.export import AudioFormat, SampleFormat
    from app.engine.provenance import read_tags

    files = [_two_tone_recording(tmp_path / "a.wav", seconds=1.0)]
    settings = BatchSettings(_settings(), loudness_lufs=-23.0, format=AudioFormat.FLAC,
                             sample_format=SampleFormat.PCM_24)
    (report,) = drive(batch_job(files, tmp_path / "out", settings)).done
    folder = tmp_path / "out" / "a"
    assert sorted(p.name for p in folder.iterdir()) == ["spk1.flac", "spk2.flac"]
    assert report["outputs"] == [str(folder / "spk1.flac"), str(folder / "spk2.flac")]
    assert sf.info(folder / "spk1.flac").subtype == "PCM_24"
    assert read_tags(folder / "spk1.flac")["title"] == "talker 1"
    assert "brought to -23 LUFS" in read_tags(folder / "spk1.flac")["comment"]
    mp3 = drive(batch_job(files, tmp_path / "mp3", BatchSettings(_settings(), format=AudioFormat.MP3))).done[0]
    assert [Path(o).name for o in mp3["outputs"]] == ["spk1.mp3", "spk2.mp3"]
    assert sf.info(mp3["outputs"][0]).format == "MP3"


def test_a_track_of_the_chosen_format_already_there_is_kept_and_refused_before_any_work(tmp_path,
                                                                                     tiny_separator_card):
    from app.engine.export import AudioFormat

    files = [_two_tone_recording(tmp_path / "a.wav", seconds=1.0)]
    (tmp_path / "out" / "a").mkdir(parents=True)
    (tmp_path / "out" / "a" / "spk2.flac").write_bytes(b"keep")
    result = drive(batch_job(files, tmp_path / "out", BatchSettings(_settings(), format=AudioFormat.FLAC)))
    [(_, reason)] = result.failed
    assert reason.startswith("spk2.flac already exists")
    assert sorted(p.name for p in (tmp_path / "out" / "a").iterdir()) == ["spk2.flac"]
    assert (tmp_path / "out" / "a" / "spk2.flac").read_bytes() == b"keep"


def test_flac_float_tracks_are_refused_before_any_work():
    from app.engine.export import AudioFormat, SampleFormat

    with pytest.raises(ConfigError, match="FLAC cannot store float samples"):
        BatchSettings(format=AudioFormat.FLAC, sample_format=SampleFormat.FLOAT)
