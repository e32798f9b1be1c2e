"""Opening and reading audio files: formats, block reads, resampling, and every bad input."""

from __future__ import annotations

import os
import struct
import subprocess
import sys

import numpy as np
import pytest
import soundfile as sf

from app.engine.errors import AudioFileError
from app.engine.files import ArraySource, open_recording, read_all, resample
from tests.conftest import REPO_ROOT
from tests.engine.bad_files import BAD_FILES, RATE, TRUNCATED_FILES, tone, write_valid

FORMATS = [
    ("wav16", "WAV", "PCM_16", 1e-4),
    ("wav24", "WAV", "PCM_24", 1e-6),
    ("wav32", "WAV", "PCM_32", 1e-6),
    ("wavfloat", "WAV", "FLOAT", 0.0),
    ("flac", "FLAC", "PCM_24", 1e-6),
    ("ogg", "OGG", "VORBIS", None),
    ("mp3", "MP3", "MPEG_LAYER_III", None),
]


@pytest.mark.parametrize(("name", "fmt", "subtype", "tol"), FORMATS, ids=[f[0] for f in FORMATS])
def test_each_format_opens_with_its_header_facts(tmp_path, name, fmt, subtype, tol):
    channels = 2 if fmt == "MP3" else 3     # MPEG layer III carries at most two channels
    audio = tone(seconds=1.0, channels=channels)
    path = tmp_path / f"{name}.{fmt.lower()}"
    sf.write(path, audio, RATE, format=fmt, subtype=subtype)
    with open_recording(path) as rec:
        assert (rec.channels, rec.sample_rate) == (channels, RATE)
        block = rec.read(1000, 3000)
        assert block.shape == (channels, 2000) and block.dtype == np.float32
        if tol is not None:
            np.testing.assert_allclose(block, audio[1000:3000].T, atol=tol)
        else:   # lossy codecs: the same length and level, roughly (codec delay shifts phase)
            assert abs(rec.frames - audio.shape[0]) < 2000
            rms_in, rms_out = np.sqrt(np.mean(audio[1000:3000, 0] ** 2)), np.sqrt(np.mean(block[0] ** 2))
            assert rms_out == pytest.approx(rms_in, rel=0.2)


@pytest.mark.parametrize("channels", [1, 2, 8, 32])
def test_channel_counts_from_one_to_thirty_two_open(tmp_path, channels):
    path = tmp_path / "multi.wav"
    sf.write(path, np.zeros((800, channels), np.float32), RATE)
    with open_recording(path) as rec:
        assert rec.read(0, 800).shape == (channels, 800)


@pytest.mark.parametrize("rate", [8_000, 44_100, 192_000])
def test_sample_rates_from_8_to_192_khz_open(tmp_path, rate):
    path = tmp_path / "rate.flac"
    sf.write(path, tone(rate=rate), rate)
    with open_recording(path) as rec:
        assert rec.sample_rate == rate


def test_block_read_returns_only_requested_channels(tmp_path):
    path = write_valid(tmp_path / "four.wav", subtype="FLOAT", channels=4)
    with open_recording(path) as rec:
        full = rec.read(0, 500)
        picked = rec.read(0, 500, channels=[3, 1])
    np.testing.assert_array_equal(picked, full[[3, 1]])


@pytest.mark.parametrize("subtype", ["PCM_16", "PCM_24", "FLOAT"])
@pytest.mark.parametrize("channels", [None, [2, 0]])
def test_strided_windows_equal_one_read_per_window(tmp_path, subtype, channels):
    path = write_valid(tmp_path / f"{subtype}.wav", subtype=subtype, channels=3)
    with open_recording(path) as rec:
        windows = rec.read_windows(100, 700, 5, 512, channels)
        expected = np.stack([rec.read(100 + k * 700, 100 + k * 700 + 512, channels) for k in range(5)])
    np.testing.assert_array_equal(windows, expected)


@pytest.mark.parametrize("container", ["WAV", "WAVEX", "RF64"])
@pytest.mark.parametrize("subtype", ["PCM_16", "PCM_24", "FLOAT"])
def test_extensible_and_rf64_wavs_are_read_through_the_memory_map_as_libsndfile_reads_them(tmp_path, container,
                                                                                          subtype):
    """Most multichannel recorders write WAVE_FORMAT_EXTENSIBLE, often in 24 bits, and files past 4 GiB are RF64."""
    audio = (0.5 * np.random.default_rng(0).standard_normal((3000, 6))).astype(np.float32)
    path = tmp_path / "array.wav"
    sf.write(path, audio, 16_000, subtype=subtype, format=container)
    expected, _ = sf.read(path, dtype="float32", always_2d=True)
    with open_recording(path) as rec:
        assert rec.info.format == container and rec._map is not None
        np.testing.assert_array_equal(rec.read(0, 3000), expected.T)
        assert rec.read_windows(10, 500, 4, 256) is not None


def test_an_rf64_file_cut_short_opens_with_a_notice_of_what_is_missing(tmp_path):
    path = tmp_path / "long.wav"
    sf.write(path, np.zeros((16_000, 2), np.float32), 16_000, subtype="PCM_16", format="RF64")
    with path.open("r+b") as f:
        f.truncate(path.stat().st_size - 8000)
    with open_recording(path) as rec:
        assert "long.wav is truncated: its header promises 1.00 s but the file holds 0.88 s" in rec.notice
        assert rec.frames <= 16_000 - 2000


def _past_4_gib(path, subtype: str, size_field: int):
    """A stereo WAV whose data runs 1 MB past 4 GiB (the file sparse, so no disk is used), its
    header's data size `size_field` as a writer that cannot count so far leaves it."""
    audio = np.full((16_000, 2), 0.25, np.float32)
    sf.write(path, audio, 16_000, subtype=subtype)
    data_at = path.read_bytes().index(b"data")
    with path.open("r+b") as f:
        f.seek(data_at + 4)
        f.write(struct.pack("<I", size_field))
        f.truncate(data_at + 8 + 2 ** 32 + 2 ** 20)
    return data_at + 8


@pytest.mark.parametrize("subtype, width", [("PCM_16", 2), ("PCM_24", 3)])
@pytest.mark.parametrize("size_field", [0xFFFFFFFF, 2 ** 20])          # libsndfile's full count; wrapped round
def test_a_wav_past_4_gib_is_read_whole_by_its_length_with_a_notice(tmp_path, size_field, subtype, width):
    path = tmp_path / "long.wav"
    data_at = _past_4_gib(path, subtype, size_field)
    with open_recording(path) as rec:
        assert rec.frames == (path.stat().st_size - data_at) // (2 * width)
        assert "long.wav is a WAV past 4 GiB" in rec.notice and "are read, by its length" in rec.notice
        np.testing.assert_allclose(rec.read(0, 100), 0.25, atol=1e-4)
        assert not np.any(rec.read(rec.frames - 100, rec.frames))


def test_an_8_bit_wav_past_4_gib_says_only_its_first_4_gib_can_be_read(tmp_path):
    path = tmp_path / "long.wav"
    _past_4_gib(path, "PCM_U8", 0xFFFFFFFF)
    with open_recording(path) as rec:
        assert "only its first" in rec.notice and "Convert it to RF64 or FLAC" in rec.notice


def test_in_memory_windows_equal_one_read_per_window():
    source = ArraySource(np.arange(3 * 5000, dtype=np.float32).reshape(3, 5000), RATE)
    windows = source.read_windows(10, 300, 4, 256, [1, 2])
    np.testing.assert_array_equal(windows, np.stack([source.read(10 + k * 300, 266 + k * 300, [1, 2])
                                                     for k in range(4)]))
    assert windows.flags.writeable
    assert source.read_windows(4900, 300, 2, 256) is None


def test_strided_windows_past_the_end_are_left_to_the_caller(tmp_path):
    path = write_valid(tmp_path / "short.wav")
    with open_recording(path) as rec:
        assert rec.read_windows(rec.frames - 600, 100, 2, 512) is None
        assert rec.read_windows(-1, 100, 2, 512) is None


def test_strided_windows_of_a_file_that_shrank_report_it(tmp_path):
    path = write_valid(tmp_path / "shrinks.wav")
    with open_recording(path) as rec:
        os.truncate(path, 100)
        with pytest.raises(AudioFileError, match="shrinks.wav"):
            rec.read_windows(0, 100, 3, 256)


def test_reads_past_the_end_are_clipped_to_the_file(tmp_path):
    path = write_valid(tmp_path / "short.wav")
    with open_recording(path) as rec:
        assert rec.read(rec.frames - 10, rec.frames + 1000).shape == (2, 10)
        assert rec.read(rec.frames + 5, rec.frames + 10).shape == (2, 0)


def test_resampling_keeps_a_tone_at_its_frequency():
    rate_in, rate_out, freq = 48_000, 16_000, 1000.0
    t = np.arange(rate_in) / rate_in
    x = np.sin(2 * np.pi * freq * t)[None].astype(np.float32)
    y = resample(x, rate_in, rate_out)
    assert y.shape == (1, rate_out)
    spectrum = np.abs(np.fft.rfft(y[0]))
    assert np.argmax(spectrum) == pytest.approx(freq, abs=1)


def test_read_all_resamples_to_the_requested_rate(tmp_path):
    path = write_valid(tmp_path / "x.wav")
    audio, rate = read_all(path, sample_rate=8000)
    assert rate == 8000 and audio.shape == (2, int(0.5 * 8000))


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_bad_input_gives_one_message_naming_the_file_and_reason(tmp_path, case):
    build, reason = BAD_FILES[case]
    path = build(tmp_path)
    before = path.read_bytes() if path.is_file() else None
    with pytest.raises(AudioFileError) as info:
        with open_recording(path) as rec:
            rec.read(0, rec.frames)
    message = str(info.value)
    assert path.name in message
    assert reason in message
    assert "\n" not in message
    if before is not None:
        assert path.read_bytes() == before, "a source file was modified"


@pytest.mark.parametrize("case", sorted(TRUNCATED_FILES))
def test_cut_short_wav_opens_what_it_holds_with_a_notice(tmp_path, case):
    path = TRUNCATED_FILES[case](tmp_path)
    with open_recording(path) as rec:
        assert rec.read(0, rec.frames).shape[1] == rec.frames <= int(0.5 * RATE)
        assert path.name in rec.notice and "truncated" in rec.notice


def test_intact_file_has_no_notice(tmp_path):
    with open_recording(write_valid(tmp_path / "fine.wav")) as rec:
        assert rec.notice == ""


def test_file_truncated_while_open_reports_instead_of_crashing(tmp_path):
    path = write_valid(tmp_path / "shrinks.wav")
    with open_recording(path) as rec:
        os.truncate(path, 100)
        with pytest.raises(AudioFileError, match="shrinks.wav"):
            rec.read(0, rec.frames)


def test_file_deleted_while_open_keeps_reading_from_the_open_handle(tmp_path):
    path = write_valid(tmp_path / "vanishes.wav")
    with open_recording(path) as rec:
        path.unlink()
        assert rec.read(0, rec.frames).shape == (2, rec.frames)


def test_unreadable_file_reports_permission_denied(tmp_path):
    """Root bypasses file permissions, so as root the child drops its override capabilities."""
    path = write_valid(tmp_path / "locked.wav")
    path.chmod(0o000)
    drop = ["setpriv", "--bounding-set=-dac_override,-dac_read_search"] if os.geteuid() == 0 else []
    code = (
        "import sys\n"
        "from app.engine.files import open_recording\n"
        "from app.engine.errors import AudioFileError\n"
        "try:\n    open_recording(sys.argv[1])\n"
        "except AudioFileError as e:\n    print(e)\n"
    )
    out = subprocess.run(
        [*drop, sys.executable, "-c", code, str(path)], cwd=REPO_ROOT, capture_output=True, text=True,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)}, timeout=60,
    )
    assert "locked.wav" in out.stdout and "permission denied" in out.stdout, out.stderr
