"""Phones' AAC voice memos and videos' sound: decoded once by FFmpeg into the cache, read as any
WAV after, the user's file never written; what cannot be decoded named with its reason."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

from app.engine.decoding import decode_job, decoded_path
from app.engine.errors import AudioFileError
from app.engine.files import expand_inputs, open_recording
from app.engine.jobs import drive

RATE = 48_000
PRIMING = 1024          # the samples of silence FFmpeg's AAC encoder puts ahead of the sound


def tones(seconds: float, rate: int = RATE) -> np.ndarray:
    t = np.arange(round(seconds * rate)) / rate
    return np.stack([0.3 * np.sin(2 * np.pi * 440 * t), 0.3 * np.sin(2 * np.pi * 660 * t)]).astype(np.float32)


def encoded(path: Path, audio: np.ndarray, rate: int = RATE, video: bool = False,
            more: tuple[tuple[np.ndarray, int], ...] = ()) -> Path:
    """`audio` (2, n) at `rate` encoded as AAC as a phone or a camera would, in the container `path`'s
    suffix names; `more`: further (audio, rate) streams, as a camera records each input."""
    with av.open(str(path), "w") as out:
        if video:
            picture = out.add_stream("mpeg4", rate=25)
            picture.width, picture.height = 64, 48
        streams = [(out.add_stream("aac", rate=its_rate, layout="stereo"), samples, its_rate)
                   for samples, its_rate in ((audio, rate), *more)]         # every stream before any packet
        for sound, samples, its_rate in streams:
            for at in range(0, samples.shape[1], 1024):
                frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(samples[:, at:at + 1024]), format="fltp",
                                                   layout="stereo")
                frame.sample_rate = its_rate
                for packet in sound.encode(frame):
                    out.mux(packet)
            for packet in sound.encode(None):
                out.mux(packet)
        if video:
            for packet in picture.encode(None):
                out.mux(packet)
    return path


def test_a_phones_aac_recording_opens_with_its_sound(tmp_path):
    source = tones(3.0)
    memo = encoded(tmp_path / "phone.m4a", source)
    before = memo.read_bytes()
    with open_recording(memo) as rec:
        assert (rec.channels, rec.sample_rate, rec.path, rec.name) == (2, RATE, memo, "phone.m4a")
        heard = rec.read(PRIMING, PRIMING + source.shape[1] - 4096)
    expected = source[:, :heard.shape[1]]
    gain = float(np.sum(heard * expected) / np.sum(expected ** 2))
    error = heard - gain * expected
    assert gain == pytest.approx(1.0, abs=0.02) and 10 * np.log10(np.sum(expected ** 2) / np.sum(error ** 2)) > 15
    assert memo.read_bytes() == before


def test_a_decoded_recording_is_kept_and_decoded_again_only_once_the_file_changes(tmp_path):
    memo = encoded(tmp_path / "phone.m4a", tones(1.0))
    first = drive(decode_job(memo))
    assert first == decoded_path(memo) and first.exists()
    made = first.stat().st_mtime_ns
    with open_recording(memo):
        pass
    assert first.stat().st_mtime_ns == made                  # read from the cache, not decoded again
    encoded(memo, tones(2.0))
    with open_recording(memo) as rec:
        assert rec.frames > 1.5 * RATE and decoded_path(memo) != first


def test_a_videos_sound_opens(tmp_path):
    with open_recording(encoded(tmp_path / "camera.mp4", tones(1.0), video=True)) as rec:
        assert (rec.channels, rec.sample_rate) == (2, RATE) and rec.frames >= RATE


def test_a_video_without_sound_is_named(tmp_path):
    with av.open(str(tmp_path / "silent.mp4"), "w") as out:
        picture = out.add_stream("mpeg4", rate=25)
        picture.width, picture.height, picture.pix_fmt = 64, 48, "yuv420p"
        black = av.VideoFrame.from_ndarray(np.zeros((48, 64, 3), np.uint8), format="rgb24").reformat(
            format="yuv420p")
        for frame in (black, None):
            for packet in picture.encode(frame):
                out.mux(packet)
    with pytest.raises(AudioFileError, match="silent.mp4 holds no audio stream"):
        open_recording(tmp_path / "silent.mp4")


def test_a_damaged_file_is_named_with_its_reason_and_leaves_nothing_in_the_cache(tmp_path):
    (tmp_path / "broken.m4a").write_bytes(b"\x00\x00\x00\x18ftypM4A " + bytes(range(256)) * 8)
    with pytest.raises(AudioFileError, match="broken.m4a could not be"):
        open_recording(tmp_path / "broken.m4a")
    assert not decoded_path(tmp_path / "broken.m4a").exists()
    assert not list(decoded_path(tmp_path / "broken.m4a").parent.glob(".broken-*"))


def test_a_folder_search_finds_phone_and_video_files(tmp_path):
    memo, video = encoded(tmp_path / "phone.m4a", tones(0.5)), encoded(tmp_path / "camera.mov", tones(0.5))
    (tmp_path / "notes.txt").write_text("not audio")
    assert expand_inputs([tmp_path]) == [video, memo]


def test_info_says_where_a_recording_was_decoded_to(tmp_path, capsys):
    import json

    from app.cli import main

    memo = encoded(tmp_path / "phone.m4a", tones(1.0))
    assert main(["info", str(memo), "--json"]) == 0
    found = json.loads(capsys.readouterr().out)["files"][0]
    assert (found["channels"], found["sample_rate"], found["decoded_copy"]) == (2, RATE, str(decoded_path(memo)))


def test_a_full_disk_under_the_cache_is_said_and_leaves_no_part_behind(tmp_path, monkeypatch):
    import soundfile as sf

    memo = encoded(tmp_path / "phone.m4a", tones(1.0))
    real_write = sf.SoundFile.write

    def full(self, data):
        if self.name.endswith(".part.wav"):
            raise OSError(28, "No space left on device")
        return real_write(self, data)

    monkeypatch.setattr(sf.SoundFile, "write", full)
    with pytest.raises(AudioFileError, match="phone.m4a could not be decoded into the cache .*: the disk is full"):
        drive(decode_job(memo))
    assert not decoded_path(memo).exists() and not list(decoded_path(memo).parent.glob(".phone-*"))


def test_a_cameras_audio_streams_become_channels_side_by_side_at_the_first_ones_rate(tmp_path):
    """Two microphone inputs recorded as streams of their own, the second at 44.1 kHz and shorter."""
    first, second = tones(2.0), tones(1.0, 44_100)[::-1]          # channels swapped: 660 Hz then 440 Hz
    camera = encoded(tmp_path / "camera.mov", first, more=((second, 44_100),))
    with open_recording(camera) as rec:
        assert (rec.channels, rec.sample_rate) == (4, RATE) and rec.frames >= 2 * RATE
        heard = rec.read(RATE // 4, RATE // 2)
        late = rec.read(rec.frames - RATE // 4, rec.frames)
    spectrum = np.abs(np.fft.rfft(heard, axis=1))
    peaks = np.fft.rfftfreq(heard.shape[1], 1 / RATE)[spectrum.argmax(axis=1)]
    np.testing.assert_allclose(peaks, [440, 660, 660, 440], atol=5)
    assert np.abs(late[2:]).max() == 0 and np.abs(late[:2]).max() > 0.1   # the shorter stream padded with silence
