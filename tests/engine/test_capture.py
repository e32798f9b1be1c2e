"""Recording from an input device: a real PortAudio stream from the test array (tests/conftest.py),
each channel to its own file channel, the ring's accounting, and refusals that touch nothing."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from app.engine.capture import CaptureError, CaptureRing, CaptureSettings, Recorder, input_devices
from tests.conftest import TEST_ARRAY_DEVICE, TEST_ARRAY_RATE, TEST_ARRAY_TONES_HZ
from tests.engine.test_playback import wait_until


class Status:
    input_overflow = False


class Stop(Exception):
    pass


def dominant_hz(channel: np.ndarray, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(channel * np.hanning(len(channel))))
    return float(np.argmax(spectrum) * rate / len(channel))


def record(tmp_path, name="take.flac", **kw) -> tuple[Recorder, object]:
    settings = CaptureSettings(tmp_path / name, channels=4, sample_rate=TEST_ARRAY_RATE, device=TEST_ARRAY_DEVICE,
                               max_seconds=kw.pop("max_seconds", 0.5), **kw)
    recorder = Recorder(settings)
    recorder.start()
    return recorder, settings


def test_the_test_array_is_listed_as_an_input_with_its_channels():
    names = {d.name: d for d in input_devices()}
    assert names[TEST_ARRAY_DEVICE].max_inputs >= len(TEST_ARRAY_TONES_HZ)


def test_a_take_records_each_mic_to_its_own_channel_and_stops_at_its_limit(tmp_path):
    recorder, settings = record(tmp_path)
    assert wait_until(lambda: recorder.ended, timeout=5)
    result = recorder.stop()
    assert result.path == settings.path and result.problem == "" and result.dropped_frames == 0
    audio, rate = sf.read(settings.path)
    assert rate == TEST_ARRAY_RATE and audio.shape == (TEST_ARRAY_RATE // 2, 4) == (result.frames, 4)
    assert [dominant_hz(audio[:, k], rate) for k in range(4)] == pytest.approx(TEST_ARRAY_TONES_HZ, rel=0.02)
    assert list(tmp_path.iterdir()) == [settings.path]          # no partial file left beside it


def test_a_take_says_where_and_when_it_was_recorded_in_its_tags(tmp_path):
    recorder, settings = record(tmp_path)
    assert wait_until(lambda: recorder.ended, timeout=5)
    recorder.stop()
    with sf.SoundFile(settings.path) as take:
        tags = take.copy_metadata()
    assert tags["comment"] == f"recorded from input device {TEST_ARRAY_DEVICE}, 4 channel(s) at {TEST_ARRAY_RATE} Hz"
    assert tags["date"].startswith(time.strftime("%Y-", time.gmtime())) and tags["software"].startswith("MeCo Studio")


def test_a_take_ends_only_once_its_last_block_is_written_and_metered(tmp_path, monkeypatch):
    recorder, _ = record(tmp_path)
    write = recorder._file.write

    def slow_write(block):                   # a slow disk: the writer holds each block a while
        time.sleep(0.05)
        return write(block)

    monkeypatch.setattr(recorder._file, "write", slow_write)
    assert wait_until(lambda: recorder.ended, timeout=5)
    assert recorder.frames == TEST_ARRAY_RATE // 2           # not one block short
    assert recorder.peaks() == pytest.approx([0.5] * 4, abs=0.01) and not recorder.peaks().any()
    recorder.stop()


def test_meters_read_each_channels_peak_once(tmp_path):
    recorder, _ = record(tmp_path)
    assert wait_until(lambda: recorder.ended, timeout=5)
    peaks = recorder.peaks()
    recorder.stop()
    assert peaks == pytest.approx([0.5] * 4, abs=0.01)
    assert not recorder.peaks().any()


def test_a_cancelled_take_leaves_no_file(tmp_path):
    recorder, settings = record(tmp_path, max_seconds=60)
    recorder.cancel()
    assert list(tmp_path.iterdir()) == []


def test_a_wav_take_in_float_keeps_the_samples(tmp_path):
    recorder, settings = record(tmp_path, name="take.wav", subtype="FLOAT")
    assert wait_until(lambda: recorder.ended, timeout=5)
    recorder.stop()
    info = sf.info(settings.path)
    assert (info.format, info.subtype, info.channels) == ("WAV", "FLOAT", 4)


@pytest.mark.parametrize(("name", "change", "reason"), [
    ("take.mp3", {}, "choose a .flac or .wav"),
    ("take.flac", {"channels": 12}, "FLAC holds at most 8"),
    ("take.flac", {"channels": 0}, "choose 1 to 64"),
    ("take.flac", {"sample_rate": 4000}, "choose 8 to 192 kHz"),
    ("take.flac", {"subtype": "FLOAT"}, "Cannot record FLOAT"),
    ("missing/take.flac", {}, "does not exist"),
])
def test_unusable_settings_are_refused_before_any_device_opens(tmp_path, name, change, reason):
    settings = CaptureSettings(tmp_path / name, **{"channels": 4, "sample_rate": 16000, **change})
    with pytest.raises(CaptureError, match=reason):
        Recorder(settings)


def test_an_existing_file_is_never_replaced(tmp_path):
    existing = tmp_path / "take.flac"
    existing.write_bytes(b"precious")
    with pytest.raises(CaptureError, match="the file exists"):
        Recorder(CaptureSettings(existing, channels=2, sample_rate=16000))
    assert existing.read_bytes() == b"precious"


def test_a_device_that_refuses_names_itself_and_leaves_no_file(tmp_path):
    recorder = Recorder(CaptureSettings(tmp_path / "take.flac", channels=2, sample_rate=16000, device=999))
    with pytest.raises(CaptureError, match="input device 999"):
        recorder.start()
    assert list(tmp_path.iterdir()) == []


def test_the_ring_counts_frames_that_do_not_fit_and_stops_at_its_limit():
    ring = CaptureRing(8, channels=1, limit=14, stop_signal=Stop)
    ring.callback(np.arange(6, dtype=np.float32)[:, None], 6, None, Status())
    assert ring.available() == 6 and ring.read(4)[:, 0].tolist() == [0, 1, 2, 3]
    ring.callback(np.arange(6, 12, dtype=np.float32)[:, None], 6, None, Status())   # 8 - 2 queued: all fit
    assert ring.dropped == 0 and ring.read(8)[:, 0].tolist() == [4, 5, 6, 7, 8, 9, 10, 11]
    with pytest.raises(Stop):
        ring.callback(np.arange(12, 18, dtype=np.float32)[:, None], 6, None, Status())
    assert ring.complete and ring.read(ring.available())[:, 0].tolist() == [12, 13]


def test_a_full_ring_drops_and_counts_the_overflow():
    ring = CaptureRing(4, channels=2, limit=None, stop_signal=Stop)
    ring.callback(np.ones((6, 2), dtype=np.float32), 6, None, Status())
    assert ring.available() == 4 and ring.dropped == 2


def test_a_wav_take_ends_before_its_header_overflows_and_flac_has_no_limit():
    wav = CaptureSettings(Path("x.wav"), channels=8, sample_rate=48000)
    assert 0.99 * 2**32 < wav.max_frames * 8 * 3 < 2**32
    assert CaptureSettings(Path("x.flac"), channels=8, sample_rate=48000).max_frames is None


def test_a_device_that_stops_mid_take_ends_it_and_the_take_is_kept(tmp_path):
    # No length limit: the unpaced test array would reach any limit before the abort below.
    recorder, settings = record(tmp_path, max_seconds=None)
    assert wait_until(lambda: recorder.frames > 1000)
    recorder._stream.abort()                   # the stream ends without stop(), as when a USB array is unplugged
    assert wait_until(lambda: recorder.ended)
    result = recorder.stop()
    assert result.path == settings.path and "input device stopped delivering audio" in result.problem
    assert sf.info(settings.path).frames == result.frames > 1000


def test_a_monitor_shows_each_channels_peak_and_writes_nothing(tmp_path):
    from app.engine.capture import InputMonitor

    monitor = InputMonitor(TEST_ARRAY_DEVICE, 4, TEST_ARRAY_RATE)
    monitor.start()
    try:
        assert wait_until(lambda: (monitor.peaks() > 0.45).all(), timeout=5)    # the sines peak at 0.5
    finally:
        monitor.stop()
    assert list(tmp_path.iterdir()) == []


def test_a_monitor_on_a_device_that_refuses_names_it():
    from app.engine.capture import InputMonitor

    with pytest.raises(CaptureError, match="input device 999"):
        InputMonitor(999, 2, 16_000).start()
