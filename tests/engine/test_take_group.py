"""Recording from several input devices at once: a real PortAudio stream per test device
(tests/conftest.py), a file each named after its device, kept or deleted together."""

from __future__ import annotations

from pathlib import Path

import pytest
import soundfile as sf

from app.engine.capture import CaptureError, CaptureSettings
from app.engine.take_group import TakeGroup, device_slug, device_take_paths, take_files
from tests.conftest import TEST_ARRAY_DEVICE, TEST_ARRAY_RATE, TEST_ARRAY_TONES_HZ, TEST_PAIR_DEVICE, TEST_PAIR_TONES_HZ
from tests.engine.test_capture import dominant_hz
from tests.engine.test_playback import wait_until


def settings_for(paths: list[Path], devices=(TEST_ARRAY_DEVICE, TEST_PAIR_DEVICE), channels=(4, 2),
                 seconds: float | None = 0.5) -> list[CaptureSettings]:
    return [CaptureSettings(path, n, TEST_ARRAY_RATE, device, max_seconds=seconds)
            for path, device, n in zip(paths, devices, channels)]


def test_a_device_name_becomes_a_file_name_part():
    assert device_slug("USB Audio Device: - (hw:1,0)") == "usb-audio-device-hw-1-0"
    assert device_slug(None) == "default" and device_slug(3) == "3" and device_slug("§§") == "device"


def test_each_device_gets_a_file_beside_the_take_named_after_it(tmp_path):
    paths = device_take_paths(tmp_path / "take.flac", ["ReSpeaker 4 Mic", "Blue Yeti", "Blue-Yeti"])
    assert [p.name for p in paths] == ["take-respeaker-4-mic.flac", "take-blue-yeti.flac", "take-blue-yeti-2.flac"]


def test_a_take_from_two_devices_records_each_to_its_own_file(tmp_path):
    paths = device_take_paths(tmp_path / "take.flac", [TEST_ARRAY_DEVICE, TEST_PAIR_DEVICE])
    group = TakeGroup(settings_for(paths))
    group.start()
    assert wait_until(lambda: group.ended, timeout=5)
    results = group.stop()
    assert [r.path for r in results] == paths and all(r.problem == "" for r in results)
    for path, tones in zip(paths, (TEST_ARRAY_TONES_HZ, TEST_PAIR_TONES_HZ)):
        audio, rate = sf.read(path)
        assert audio.shape == (TEST_ARRAY_RATE // 2, len(tones))
        assert [dominant_hz(audio[:, k], rate) for k in range(len(tones))] == pytest.approx(tones, rel=0.02)
    assert sorted(tmp_path.iterdir()) == sorted(paths)


def test_each_file_names_the_other_devices_of_its_take_in_its_tags(tmp_path):
    paths = device_take_paths(tmp_path / "take.flac", [TEST_ARRAY_DEVICE, TEST_PAIR_DEVICE])
    group = TakeGroup(settings_for(paths))
    group.start()
    assert wait_until(lambda: group.ended, timeout=5)
    group.stop()
    with sf.SoundFile(paths[0]) as take:
        comment = take.copy_metadata()["comment"]
    assert comment.endswith(f"together with input device {TEST_PAIR_DEVICE} (a file each)")


def test_a_cancelled_take_deletes_every_devices_file(tmp_path):
    group = TakeGroup(settings_for(device_take_paths(tmp_path / "take.flac", [TEST_ARRAY_DEVICE, TEST_PAIR_DEVICE]),
                                   seconds=None))
    group.start()
    assert wait_until(lambda: all(r.frames > 0 for r in group.recorders), timeout=5)
    group.cancel()
    assert list(tmp_path.iterdir()) == []


def test_a_device_chosen_twice_is_refused_before_any_opens(tmp_path):
    paths = [tmp_path / "a.flac", tmp_path / "b.flac"]
    with pytest.raises(CaptureError, match=f"input device {TEST_ARRAY_DEVICE} twice"):
        TakeGroup(settings_for(paths, devices=(TEST_ARRAY_DEVICE, TEST_ARRAY_DEVICE), channels=(4, 4)))
    assert list(tmp_path.iterdir()) == []


def test_a_device_that_refuses_cancels_the_others_and_leaves_no_file(tmp_path):
    paths = [tmp_path / "a.flac", tmp_path / "b.flac"]
    group = TakeGroup(settings_for(paths, devices=(TEST_ARRAY_DEVICE, 999)))
    with pytest.raises(CaptureError, match="input device 999"):
        group.start()
    assert list(tmp_path.iterdir()) == []


def test_a_device_unplugged_mid_take_ends_its_file_there_while_the_others_go_on(tmp_path):
    paths = device_take_paths(tmp_path / "take.flac", [TEST_ARRAY_DEVICE, TEST_PAIR_DEVICE])
    group = TakeGroup(settings_for(paths, seconds=None))
    group.start()
    pair = group.recorders[1]
    assert wait_until(lambda: pair.frames > 1000, timeout=5)
    pair._stream.abort()                       # as when a USB microphone is pulled out
    assert wait_until(lambda: pair.device_gone, timeout=5)
    assert not group.ended and not group.recorders[0].device_gone
    array, unplugged = group.stop()
    assert array.problem == "" and "input device stopped delivering audio" in unplugged.problem
    assert sf.info(paths[1]).frames == unplugged.frames > 1000


def recorded_take(tmp_path: Path) -> list[Path]:
    paths = device_take_paths(tmp_path / "take.flac", [TEST_ARRAY_DEVICE, TEST_PAIR_DEVICE])
    group = TakeGroup(settings_for(paths))
    group.start()
    assert wait_until(lambda: group.ended, timeout=5)
    group.stop()
    return paths


def test_a_takes_files_are_found_again_from_any_one_of_them(tmp_path):
    paths = recorded_take(tmp_path)
    sf.write(tmp_path / "take-other.flac", [0.0] * 800, 16_000)               # beside it, but of no take
    assert take_files(paths[0]) == paths and take_files(paths[1]) == paths[::-1]


def test_a_file_of_no_take_or_renamed_since_is_alone(tmp_path):
    paths = recorded_take(tmp_path)
    sf.write(tmp_path / "plain.flac", [0.0] * 800, 16_000)
    assert take_files(tmp_path / "plain.flac") == [tmp_path / "plain.flac"]
    renamed = paths[1].rename(tmp_path / "pair.flac")
    assert take_files(renamed) == [renamed] and take_files(paths[0]) == [paths[0]]


def tagged(path: Path, comment: str) -> Path:
    from app.engine.provenance import write_tags

    with sf.SoundFile(path, "w", 16_000, 1, format="FLAC") as file:
        write_tags(file, {"comment": comment})
        file.write([0.0] * 800)
    return path


def test_devices_whose_names_begin_alike_are_told_apart(tmp_path):
    made = "recorded from input device {}, 1 channel(s) at 16000 Hz, together with {} (a file each)"
    one = tagged(tmp_path / "t-1.flac", made.format(1, "input device 12"))
    twelve = tagged(tmp_path / "t-12.flac", made.format(12, "input device 1"))
    tagged(tmp_path / "t-2.flac", made.format(2, "input device 12"))                  # another take's
    assert take_files(one) == [one, twelve] and take_files(twelve) == [twelve, one]
