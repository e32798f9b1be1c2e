"""Exports are atomic, never overwrite without asking, and read back as written."""

from __future__ import annotations

import csv
import dataclasses
import os
import shutil
import subprocess
import sys

import numpy as np
import pyloudnorm
import pytest
import soundfile as sf

from app.engine.files import open_recording
from app.engine.documents import Version, VersionKind, default_name
from app.engine.errors import ConfigError, ExportError, JobCancelled
from app.engine.export import (
    AtomicAudioWriter,
    AudioFormat,
    ExportSettings,
    PeakPolicy,
    SampleFormat,
    copy_job,
    export_versions_job,
    normalise_file_loudness,
    peak_warnings,
    render_name,
    write_csv,
)
from app.engine.jobs import drive
from app.engine.labels import Label
from app.engine.provenance import read_tags
from tests.conftest import REPO_ROOT, mode_of

RATE = 16_000


def _versions(seconds: float = 5.0, peak: float = 0.5) -> list[Version]:
    t = np.arange(int(seconds * RATE)) / RATE
    return [Version(default_name(VersionKind.SEPARATED, k), k, VersionKind.SEPARATED,
                    (peak * np.sin(2 * np.pi * (220 + 110 * k) * t)).astype(np.float32), RATE, "tiny", {})
            for k in range(2)]


@pytest.mark.parametrize("fmt, sample_format, tolerance", [
    (AudioFormat.WAV, SampleFormat.PCM_16, 1e-4), (AudioFormat.WAV, SampleFormat.PCM_24, 1e-6),
    (AudioFormat.WAV, SampleFormat.FLOAT, 0.0), (AudioFormat.FLAC, SampleFormat.PCM_24, 1e-6)])
def test_export_round_trips_format_and_rate(tmp_path, fmt, sample_format, tolerance):
    versions = _versions()
    paths = drive(export_versions_job(versions, tmp_path, "{recording}_{talker}", "mix",
                                      ExportSettings(fmt, sample_format, PeakPolicy.CLIP)))
    assert [p.name for p in paths] == [f"mix_1.{fmt}", f"mix_2.{fmt}"]
    for path, version in zip(paths, versions):
        audio, rate = sf.read(path, dtype="float32")
        info = sf.info(path)
        assert rate == RATE and info.format == str(fmt).upper() and info.subtype == str(sample_format)
        np.testing.assert_allclose(audio, version.audio, atol=tolerance)


def test_ogg_export_is_vorbis_at_the_chosen_rate(tmp_path):
    (path, _) = drive(export_versions_job(_versions(), tmp_path, "{talker}", "mix",
                                          ExportSettings(AudioFormat.OGG, SampleFormat.PCM_16), sample_rate=48_000))
    info = sf.info(path)
    assert info.subtype == "VORBIS" and info.samplerate == 48_000
    assert abs(info.frames - 5 * 48_000) < 48


def test_mp3_export_is_mpeg_layer_iii_and_keeps_the_tone(tmp_path):
    versions = _versions()
    (path, _) = drive(export_versions_job(versions, tmp_path, "{talker}", "mix",
                                          ExportSettings(AudioFormat.MP3, SampleFormat.PCM_16), sample_rate=44_100))
    info = sf.info(path)
    assert path.suffix == ".mp3" and info.format == "MP3" and info.subtype == "MPEG_LAYER_III"
    audio, rate = sf.read(path, dtype="float32")
    assert rate == 44_100 and abs(audio.shape[0] - 5 * 44_100) < 2 * 1152       # at most two MPEG frames off
    spectrum = np.abs(np.fft.rfft(audio))
    assert abs(np.argmax(spectrum) * rate / audio.size - 220) < 2


def test_mp3_refuses_a_rate_it_cannot_store_before_writing_anything(tmp_path):
    with pytest.raises(ExportError, match="MP3 cannot store 96 kHz"):
        drive(export_versions_job(_versions(), tmp_path, "{talker}", "mix",
                                  ExportSettings(AudioFormat.MP3, SampleFormat.PCM_16), sample_rate=96_000))
    assert list(tmp_path.iterdir()) == []


def test_export_resamples_to_the_requested_rate(tmp_path):
    (path, _) = drive(export_versions_job(_versions(), tmp_path, "{talker}", "mix",
                                          ExportSettings(sample_format=SampleFormat.FLOAT), sample_rate=8_000))
    audio, rate = sf.read(path, dtype="float32")
    assert rate == 8_000 and audio.shape == (5 * 8_000,)
    spectrum = np.abs(np.fft.rfft(audio))
    assert abs(np.argmax(spectrum) * rate / audio.size - 220) < 2


def test_a_range_exports_only_that_stretch_of_each_version(tmp_path):
    versions = _versions()
    paths = drive(export_versions_job(versions, tmp_path, "{talker}", "mix",
                                      ExportSettings(sample_format=SampleFormat.FLOAT), span=(1.5, 2.25)))
    for path, version in zip(paths, versions):
        audio, _ = sf.read(path, dtype="float32")
        np.testing.assert_array_equal(audio, version.audio[24_000:36_000])


def test_a_range_past_the_end_is_cut_and_an_empty_one_refused(tmp_path):
    (path, _) = drive(export_versions_job(_versions(), tmp_path, "{talker}", "mix", ExportSettings(),
                                          span=(4.5, 9.0)))
    assert sf.info(path).frames == RATE // 2
    with pytest.raises(ConfigError, match="empty or past the versions' end"):
        drive(export_versions_job(_versions(), tmp_path / "b", "{talker}", "mix", ExportSettings(), span=(6.0, 7.0)))
    assert not (tmp_path / "b").exists()


def test_an_export_prepares_one_file_at_a_time_rather_than_holding_them_all(tmp_path):
    import tracemalloc

    versions = [Version(f"v{k}", k, VersionKind.SEPARATED, np.full(16_000 * 20, 0.1, np.float32), 16_000, "m", {})
                for k in range(4)]
    tracemalloc.start()
    written = drive(export_versions_job(versions, tmp_path, "{name}", "rec", ExportSettings(), sample_rate=48_000))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    one_file = 48_000 * 20 * 4
    assert len(written) == 4 and peak < 2.5 * one_file       # the resampled file, and soxr's own copy of it


def test_one_multichannel_file_holds_a_channel_per_version_in_their_order(tmp_path):
    versions = _versions()
    (path,) = drive(export_versions_job(versions[::-1], tmp_path, "{recording}_{talker}", "mix",
                                        dataclasses.replace(ExportSettings(), sample_format=SampleFormat.FLOAT),
                                        multichannel=True))
    audio, rate = sf.read(path, dtype="float32")
    assert path.name == "mix_2+1.wav" and audio.shape == (5 * RATE, 2) and rate == RATE
    np.testing.assert_array_equal(audio[:, 0], versions[1].audio)
    np.testing.assert_array_equal(audio[:, 1], versions[0].audio)


def test_a_multichannel_file_per_label_and_a_shorter_version_padded(tmp_path):
    short = dataclasses.replace(_versions()[1], audio=_versions()[1].audio[:RATE])
    paths = drive(export_versions_job([_versions()[0], short], tmp_path, "{recording}", "mix", ExportSettings(),
                                      labels=[Label(0.5, 1.5, "a"), Label(2.0, 3.0, "b")], multichannel=True))
    assert [p.name for p in paths] == ["mix_01_a.wav", "mix_02_b.wav"]
    audio, _ = sf.read(paths[1], dtype="float32")
    assert audio.shape == (RATE, 2) and not audio[:, 1].any()        # talker 2's version ended at 1 s


def test_a_multichannel_file_the_format_cannot_hold_is_refused_before_writing(tmp_path):
    versions = _versions() + _versions()
    mp3 = ExportSettings(format=AudioFormat.MP3, sample_format=SampleFormat.PCM_16)
    with pytest.raises(ConfigError, match="MP3 holds at most 2 channels, not 4"):
        drive(export_versions_job(versions, tmp_path, "{recording}", "mix", mp3, multichannel=True))
    assert list(tmp_path.iterdir()) == []


def test_versions_at_two_rates_in_one_file_need_one_export_rate(tmp_path):
    versions = _versions()
    versions[1] = dataclasses.replace(versions[1], sample_rate=2 * RATE)
    with pytest.raises(ConfigError, match="one file needs one rate"):
        drive(export_versions_job(versions, tmp_path, "{recording}", "mix", ExportSettings(), multichannel=True))
    (path,) = drive(export_versions_job(versions, tmp_path, "{recording}", "mix", ExportSettings(),
                                        sample_rate=RATE, multichannel=True))
    assert sf.info(path).channels == 2


def test_cancelled_export_leaves_nothing_behind(tmp_path):
    seen = []
    with pytest.raises(JobCancelled):
        drive(export_versions_job(_versions(), tmp_path, "{talker}", "mix", ExportSettings()),
              on_progress=seen.append, should_stop=lambda: len(seen) == 4)
    assert 0 < seen[-1].done < seen[-1].total
    assert list(tmp_path.iterdir()) == []


def _recording(tmp_path):
    sf.write(tmp_path / "source.wav", np.full((RATE, 2), 0.25, np.float32), RATE, subtype="FLOAT")
    return open_recording(tmp_path / "source.wav")


def test_a_copy_is_written_in_the_blocks_its_maker_hands_over_and_tagged_with_the_step(tmp_path):
    def fill(write):
        yield from ()
        for _ in range(4):
            write(np.full((2, 4000), 0.5, np.float32))
        return "done"

    recording = _recording(tmp_path)
    assert drive(copy_job(recording, tmp_path / "copy.wav", "the copy", ExportSettings(), "halved", fill)) == "done"
    copy, rate = sf.read(tmp_path / "copy.wav", dtype="float32")
    assert rate == RATE and copy.shape == (RATE, 2) and np.allclose(copy, 0.5, atol=1e-4)
    assert any("halved" in text for text in read_tags(tmp_path / "copy.wav", carried_only=False).values())


def test_a_copy_whose_maker_finds_nothing_to_do_writes_nothing_and_leaves_the_target_as_it_was(tmp_path):
    def fill(write):
        yield from ()
        write(np.zeros((2, 100), np.float32))
        return None

    (tmp_path / "copy.wav").write_bytes(b"keep")
    assert drive(copy_job(_recording(tmp_path), tmp_path / "copy.wav", "the copy", ExportSettings(), "x", fill)) is None
    assert sorted(p.name for p in tmp_path.iterdir()) == ["copy.wav", "source.wav"]
    assert (tmp_path / "copy.wav").read_bytes() == b"keep"


def test_a_copy_may_not_replace_the_recording_it_is_made_from(tmp_path):
    recording = _recording(tmp_path)
    with pytest.raises(ConfigError, match="The copy cannot replace source.wav"):
        drive(copy_job(recording, tmp_path / "source.wav", "the copy", ExportSettings(), "x", lambda write: iter(())))


def test_a_wav_known_to_pass_4_gib_is_written_as_rf64_and_reads_back_whole(tmp_path, monkeypatch):
    monkeypatch.setattr("app.engine.export.WAV_MAX_DATA_BYTES", 1000)
    audio = np.full((2, 400), 0.25, np.float32)                    # 1600 bytes of 16-bit samples
    with AtomicAudioWriter(tmp_path / "long.wav", RATE, 2, ExportSettings(), frames=400) as writer:
        writer.write(audio)
        writer.commit()
    info = sf.info(tmp_path / "long.wav")
    assert info.format == "RF64" and info.frames == 400
    assert np.allclose(sf.read(tmp_path / "long.wav", dtype="float32")[0].T, audio, atol=1e-4)


def test_a_wav_within_4_gib_stays_a_plain_wav(tmp_path):
    with AtomicAudioWriter(tmp_path / "short.wav", RATE, 2, ExportSettings(), frames=400) as writer:
        writer.write(np.zeros((2, 400), np.float32))
        writer.commit()
    assert sf.info(tmp_path / "short.wav").format == "WAV"


def test_a_wav_of_unknown_length_growing_past_4_gib_stops_with_a_message_and_leaves_nothing(tmp_path, monkeypatch):
    monkeypatch.setattr("app.engine.export.WAV_MAX_DATA_BYTES", 1000)
    with AtomicAudioWriter(tmp_path / "long.wav", RATE, 2, ExportSettings()) as writer:
        writer.write(np.zeros((2, 200), np.float32))
        with pytest.raises(ExportError, match="long.wav would grow past the 4 GiB a WAV file can hold"):
            writer.write(np.zeros((2, 200), np.float32))
    assert list(tmp_path.iterdir()) == []


def test_a_copy_of_a_recording_too_long_for_a_wav_is_written_as_rf64(tmp_path, monkeypatch):
    monkeypatch.setattr("app.engine.export.WAV_MAX_DATA_BYTES", 1000)

    def fill(write):
        yield from ()
        write(np.full((2, RATE), 0.5, np.float32))
        return "done"

    drive(copy_job(_recording(tmp_path), tmp_path / "copy.wav", "the copy", ExportSettings(), "x", fill))
    assert sf.info(tmp_path / "copy.wav").format == "RF64" and open_recording(tmp_path / "copy.wav").frames == RATE


def test_a_file_is_never_written_under_another_formats_name(tmp_path):
    from app.engine.export import AtomicAudioWriter

    with pytest.raises(ExportError, match="copy.flac would hold WAV audio under a FLAC file's name; name it copy.wav"):
        AtomicAudioWriter(tmp_path / "copy.flac", RATE, 2, ExportSettings())
    assert list(tmp_path.iterdir()) == []
    with AtomicAudioWriter(tmp_path / "copy.audio", RATE, 1, ExportSettings()) as writer:     # no format's name
        writer.write(np.zeros((1, RATE), np.float32))
        writer.commit()
    assert sf.info(tmp_path / "copy.audio").format == "WAV"


def test_export_never_overwrites_without_flag(tmp_path):
    (tmp_path / "1.wav").write_bytes(b"keep")
    with pytest.raises(ExportError, match="1.wav already exist"):
        drive(export_versions_job(_versions(), tmp_path, "{talker}", "mix", ExportSettings()))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["1.wav"]
    assert (tmp_path / "1.wav").read_bytes() == b"keep"
    drive(export_versions_job(_versions(), tmp_path, "{talker}", "mix", ExportSettings(overwrite=True)))
    assert sf.info(tmp_path / "1.wav").frames == 5 * RATE


def test_exported_files_get_the_permissions_of_the_umask_not_those_of_a_private_temporary_file(tmp_path, umask):
    audio = drive(export_versions_job(_versions(), tmp_path, "{talker}", "mix", ExportSettings()))
    table = write_csv(tmp_path / "metrics.csv", [["Version"]])
    assert [mode_of(path) for path in [*audio, table]] == [0o666 & ~umask] * 3


def test_a_csv_is_written_whole_and_reads_back(tmp_path):
    table = [["Version", "SI-SDR (dB)"], ["Separated · talker 1, left", "7.1235"]]
    path = write_csv(tmp_path / "metrics.csv", table)
    with open(path, newline="", encoding="utf-8") as f:
        assert list(csv.reader(f)) == table
    assert sorted(p.name for p in tmp_path.iterdir()) == ["metrics.csv"]


def test_a_csv_that_cannot_be_written_is_named_and_leaves_nothing(tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    with pytest.raises(ExportError, match="metrics.csv could not be written"):
        write_csv(blocker / "metrics.csv", [["Version"]])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["not-a-folder"]


def test_read_only_folder_gives_a_clear_message(tmp_path):
    """Root ignores folder permissions, so as root the child process drops that capability."""
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o500)
    code = (
        "import sys\nfrom pathlib import Path\nimport numpy as np\n"
        "from app.engine.errors import ExportError\nfrom app.engine.export import write_audio\n"
        "try:\n    write_audio(Path(sys.argv[1]) / 'talker.wav', np.zeros((1, 100), np.float32), 16000)\n"
        "except ExportError as err:\n    print(err)\n"
    )
    drop = ["setpriv", "--bounding-set=-dac_override,-dac_read_search"] if os.geteuid() == 0 else []
    try:
        out = subprocess.run([*drop, sys.executable, "-c", code, str(folder)], cwd=REPO_ROOT, capture_output=True,
                             text=True, env={**os.environ, "PYTHONPATH": str(REPO_ROOT)}, timeout=120)
    finally:
        folder.chmod(0o700)
    assert "read-only. Choose another folder" in out.stdout, out.stderr
    assert list(folder.iterdir()) == []


def test_a_full_disk_gives_a_clear_message_and_leaves_nothing(tmp_path):
    """A real full disk: a 64 KiB tmpfs mounted in a private mount namespace (unshare), where
    ten seconds of float audio cannot fit."""
    if shutil.which("unshare") is None:
        pytest.skip("unshare (util-linux) is not installed")
    folder = tmp_path / "small-disk"
    folder.mkdir()
    code = (
        "import os, sys\nfrom pathlib import Path\nimport numpy as np\n"
        "from app.engine.errors import ExportError\n"
        "from app.engine.export import write_audio, ExportSettings, SampleFormat\n"
        "folder = Path(sys.argv[1])\n"
        "try:\n    write_audio(folder / 'talker.wav', np.full((1, 160000), 0.1, np.float32), 16000,"
        " ExportSettings(sample_format=SampleFormat.FLOAT))\n"
        "except ExportError as err:\n    print(err)\n"
        "print('left:', sorted(os.listdir(folder)))\n"
    )
    script = f'mount -t tmpfs -o size=64k tmpfs "$1" && exec "{sys.executable}" -c "$2" "$1"'
    unshare = ["unshare", "-m"] if os.geteuid() == 0 else ["unshare", "-rm"]
    out = subprocess.run([*unshare, "sh", "-c", script, "sh", str(folder), code], cwd=REPO_ROOT,
                         capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(REPO_ROOT)}, timeout=120)
    if out.returncode != 0 and "mount" in out.stderr:
        pytest.skip(f"no private tmpfs here: {out.stderr.strip()}")
    assert "talker.wav could not be written: the disk is full" in out.stdout, out.stdout + out.stderr
    assert "left: []" in out.stdout


def test_peaks_above_full_scale_are_warned_and_limited(tmp_path):
    versions = _versions(peak=1.5)
    assert peak_warnings(versions) == ["Separated · talker 1 peaks at +3.5 dBFS.",
                                       "Separated · talker 2 peaks at +3.5 dBFS."]
    (path, _) = drive(export_versions_job(versions, tmp_path, "{talker}", "mix",
                                          ExportSettings(sample_format=SampleFormat.FLOAT, peak=PeakPolicy.NORMALIZE)))
    audio, _ = sf.read(path, dtype="float32")
    assert np.max(np.abs(audio)) == pytest.approx(10 ** (-1 / 20), rel=1e-4)


def test_a_streamed_file_limits_its_overs_and_says_how_many_and_how_loud(tmp_path):
    writer = AtomicAudioWriter(tmp_path / "loud.wav", RATE, 1, ExportSettings(peak=PeakPolicy.LIMIT))
    writer.write(np.full((1, 100), 0.5, np.float32))
    assert writer.peak_note is None
    writer.write(np.array([[0.2, 2.0, -1.5, 0.9]], np.float32))
    audio, _ = sf.read(writer.commit(), dtype="float32")
    assert np.max(np.abs(audio)) <= 1.0
    assert writer.peak_note == ("loud.wav peaked at +6.0 dBFS: 2 samples beyond full scale went through the soft "
                                "limiter (above -1 dBFS)")


def test_a_float_file_without_a_peak_policy_keeps_its_overs_and_says_nothing(tmp_path):
    settings = ExportSettings(sample_format=SampleFormat.FLOAT, peak=PeakPolicy.NONE)
    writer = AtomicAudioWriter(tmp_path / "float.wav", RATE, 1, settings)
    writer.write(np.array([[0.2, 2.0]], np.float32))
    audio, _ = sf.read(writer.commit(), dtype="float32")
    assert audio.tolist() == [pytest.approx(0.2), 2.0] and writer.peak_note is None


def test_normalising_is_refused_block_by_block_and_leaves_nothing(tmp_path):
    writer = AtomicAudioWriter(tmp_path / "n.wav", RATE, 1, ExportSettings(peak=PeakPolicy.NORMALIZE))
    with pytest.raises(ConfigError, match="n.wav: normalising needs the whole file"), writer:
        writer.write(np.array([[2.0]], np.float32))
    assert list(tmp_path.iterdir()) == []


def test_name_templates_are_safe_file_names():
    (version, _) = _versions(0.1)
    assert render_name("{recording} - {name}", version, "a/b") == "a_b - Separated · talker 1"
    with pytest.raises(ConfigError, match="not usable"):
        render_name("{speaker}", version, "mix")


def test_two_versions_with_one_name_are_refused(tmp_path):
    with pytest.raises(ConfigError, match="several files the name mix.wav"):
        drive(export_versions_job(_versions(), tmp_path, "{recording}", "mix", ExportSettings()))


def test_flac_float_is_refused():
    with pytest.raises(ConfigError, match="FLAC cannot store float"):
        ExportSettings(AudioFormat.FLAC, SampleFormat.FLOAT)


def test_each_label_is_a_file_per_version_named_by_its_number_and_text(tmp_path):
    versions = _versions()
    labels = [Label(0.5, 1.25, "hello there"), Label(2.0, 2.0, "a point"), Label(3.0, 4.5, "")]
    paths = drive(export_versions_job(versions, tmp_path, "{recording}_{talker}", "mix",
                                      ExportSettings(sample_format=SampleFormat.FLOAT), labels=labels))
    assert [p.name for p in paths] == ["mix_1_01_hello there.wav", "mix_1_02_unnamed.wav",
                                       "mix_2_01_hello there.wav", "mix_2_02_unnamed.wav"]   # the point is skipped
    audio, _ = sf.read(paths[3], dtype="float32")
    np.testing.assert_array_equal(audio, versions[1].audio[3 * RATE:round(4.5 * RATE)])


def test_a_template_that_names_the_label_is_used_as_it_is(tmp_path):
    paths = drive(export_versions_job(_versions(), tmp_path, "{label}-{talker}", "mix", ExportSettings(),
                                      labels=[Label(0, 1, "yes")]))
    assert [p.name for p in paths] == ["yes-1.wav", "yes-2.wav"]


def test_exporting_labels_without_a_length_is_refused_and_writes_nothing(tmp_path):
    with pytest.raises(ConfigError, match="No label has a length"):
        drive(export_versions_job(_versions(), tmp_path, "{talker}", "mix", ExportSettings(),
                                  labels=[Label(1.0, 1.0, "point")]))
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("target", [-23.0, -16.0])
def test_a_loudness_target_brings_every_file_to_that_integrated_loudness(tmp_path, target):
    versions = _versions(peak=0.05)
    paths = drive(export_versions_job(versions, tmp_path, "{talker}", "mix",
                                      ExportSettings(sample_format=SampleFormat.PCM_24, loudness_lufs=target)))
    for path in paths:
        audio, rate = sf.read(path, dtype="float64")
        assert pyloudnorm.Meter(rate).integrated_loudness(audio) == pytest.approx(target, abs=0.05)


def test_the_peak_policy_acts_after_loudness_normalisation(tmp_path):
    (quiet, _) = _versions(peak=0.05)
    spiky = quiet.audio.copy()
    spiky[RATE] = 0.5                       # a click that the gain to -5 LUFS takes far past full scale
    versions = [dataclasses.replace(quiet, audio=spiky)]
    (path,) = drive(export_versions_job(versions, tmp_path, "{talker}", "mix",
                                          ExportSettings(peak=PeakPolicy.NORMALIZE, loudness_lufs=-5.0)))
    audio, _ = sf.read(path, dtype="float32")
    assert np.max(np.abs(audio)) == pytest.approx(10 ** (-1 / 20), rel=1e-3)


def test_a_silent_version_cannot_be_brought_to_a_loudness_and_nothing_is_written(tmp_path):
    versions = _versions()
    versions[1] = dataclasses.replace(versions[1], audio=np.zeros_like(versions[1].audio))
    with pytest.raises(ExportError, match=r"Separated · talker 2 \(for mix_2.wav\) is silent.*-23 LUFS"):
        drive(export_versions_job(versions, tmp_path, "{recording}_{talker}", "mix",
                                  ExportSettings(loudness_lufs=-23.0)))
    assert list(tmp_path.iterdir()) == []


def test_a_loudness_target_outside_the_usable_range_is_refused():
    with pytest.raises(ConfigError, match="-80 LUFS is outside -60 to -5 LUFS"):
        ExportSettings(loudness_lufs=-80.0)


def test_a_finished_file_is_brought_to_a_loudness_in_place_and_a_silent_one_keeps_its_level(tmp_path):
    tone, silent = tmp_path / "tone.wav", tmp_path / "silent.wav"
    sf.write(tone, _versions(seconds=25.0, peak=0.05)[0].audio, RATE, subtype="FLOAT")    # several blocks
    sf.write(silent, np.full(RATE, 1e-6, np.float32), RATE, subtype="FLOAT")
    target = ExportSettings(sample_format=SampleFormat.PCM_24, loudness_lufs=-20.0)
    loudness, note = normalise_file_loudness(tone, target)
    assert loudness < -25.0 and note is None
    audio, rate = sf.read(tone, dtype="float64")
    assert sf.info(tone).subtype == "PCM_24"
    assert pyloudnorm.Meter(rate).integrated_loudness(audio) == pytest.approx(-20.0, abs=0.05)
    assert normalise_file_loudness(silent, target) == (None, None)
    assert sf.info(silent).subtype == "PCM_24" and np.allclose(sf.read(silent)[0], 1e-6, atol=1e-7)
