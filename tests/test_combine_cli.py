"""`meco-studio combine`: separate recorders' files made one array recording, with where each was put."""

from __future__ import annotations

import json

import pytest
import soundfile as sf

from app.cli import EXIT_FAILED, EXIT_OK, main
from tests.engine.test_combine import RATE, _recorder, _scene


@pytest.fixture
def recorders(tmp_path):
    sound = _scene(40)
    return (_recorder(tmp_path / "table.wav", sound, 1.5, 30, channels=2),
            _recorder(tmp_path / "phone.wav", sound, 0.0, 35, rate=48_000))


def test_the_recorders_are_written_side_by_side_and_each_placement_printed(tmp_path, recorders, capsys):
    assert main(["combine", *map(str, recorders), "--out", str(tmp_path / "array.wav"), "--json"]) == EXIT_OK
    report = json.loads(capsys.readouterr().out)
    info = sf.info(tmp_path / "array.wav")
    assert (info.channels, info.samplerate) == (3, 48_000) and report["sample_rate"] == 48_000
    table, phone = report["recorders"]
    assert table["channels"] == [1, 2] and phone["channels"] == [3]
    assert phone["offset_s"] == pytest.approx(1.5, abs=1e-4) and phone["drift_ppm"] == 0.0
    assert report["seconds"] == pytest.approx(30.0, abs=1e-3)



def test_info_names_the_recorders_a_combined_recordings_channels_came_from(tmp_path, recorders, capsys):
    assert main(["combine", *map(str, recorders), "--out", str(tmp_path / "array.wav")]) == EXIT_OK
    capsys.readouterr()
    assert main(["info", "--json", str(tmp_path / "array.wav")]) == EXIT_OK
    found = json.loads(capsys.readouterr().out)["files"][0]["recorders"]
    assert found == [{"name": "table.wav", "channels": [1, 2]}, {"name": "phone.wav", "channels": [3]}]
    assert main(["info", str(tmp_path / "array.wav")]) == EXIT_OK
    assert "  recorders: table.wav, channels 1-2; phone.wav, channel 3" in capsys.readouterr().out.splitlines()

def test_a_chosen_rate_and_all_of_every_recorder(tmp_path, recorders, capsys):
    assert main(["combine", *map(str, recorders), "--out", str(tmp_path / "array.wav"), "--rate", str(RATE),
                 "--keep", "all"]) == EXIT_OK
    out = capsys.readouterr().out
    assert "from 1.500 s before table.wav began" in out and "channel 3: phone.wav: started 1.5000 s before" in out
    assert sf.info(tmp_path / "array.wav").frames == pytest.approx(35 * RATE, abs=2)


def test_an_existing_output_is_kept_without_overwrite(tmp_path, recorders, capsys):
    (tmp_path / "array.wav").write_bytes(b"keep")
    assert main(["combine", *map(str, recorders), "--out", str(tmp_path / "array.wav")]) == EXIT_FAILED
    assert "array.wav already exists" in capsys.readouterr().err
    assert (tmp_path / "array.wav").read_bytes() == b"keep"


def test_a_recorder_that_cannot_be_placed_fails_with_its_name_and_writes_nothing(tmp_path, recorders, capsys):
    stranger = _recorder(tmp_path / "stranger.wav", _scene(40, seed=11), 0.0, 30)
    assert main(["combine", str(recorders[0]), str(stranger), "--out", str(tmp_path / "array.wav")]) == EXIT_FAILED
    assert "stranger.wav could not be placed against table.wav" in capsys.readouterr().err
    assert not (tmp_path / "array.wav").exists()


def test_a_combined_recording_named_as_another_format_is_refused_before_any_work(tmp_path, recorders, capsys):
    assert main(["combine", *map(str, recorders), "--out", str(tmp_path / "array.flac")]) == EXIT_FAILED
    assert "written as WAV: name it array.wav rather than array.flac" in capsys.readouterr().err
    assert not (tmp_path / "array.flac").exists()


def as_take(path, own: str, other: str, channels: int, rate: int):
    """`path` rewritten as `record --device` writes a take's file: named after its device, naming the other."""
    from app.engine.provenance import write_tags

    audio, _ = sf.read(path, dtype="float32", always_2d=True)
    named = path.with_name(f"take-{own}.wav")
    with sf.SoundFile(named, "w", rate, channels) as file:
        write_tags(file, {"comment": f"recorded from input device {own}, {channels} channel(s) at {rate} Hz, "
                                     f"together with input device {other} (a file each)"})
        file.write(audio)
    path.unlink()
    return named


def test_one_file_of_a_take_from_two_devices_brings_the_other(tmp_path, recorders, capsys):
    table = as_take(recorders[0], "table", "phone", 2, RATE)
    phone = as_take(recorders[1], "phone", "table", 1, 48_000)
    assert main(["combine", str(table), "--out", str(tmp_path / "array.wav"), "--json"]) == EXIT_OK
    captured = capsys.readouterr()
    assert f"note: {table.name} was recorded in one take with {phone.name}; combining them all" in captured.err
    assert [r["input"] for r in json.loads(captured.out)["recorders"]] == [table.name, phone.name]


def test_info_names_the_other_files_of_a_take(tmp_path, recorders, capsys):
    table = as_take(recorders[0], "table", "phone", 2, RATE)
    phone = as_take(recorders[1], "phone", "table", 1, 48_000)
    assert main(["info", str(phone), "--json"]) == EXIT_OK
    assert json.loads(capsys.readouterr().out)["files"][0]["take"] == [str(table)]
    assert main(["info", str(phone)]) == EXIT_OK
    assert f"  recorded in one take with {table.name}" in capsys.readouterr().out


def test_a_phones_aac_memo_is_combined_as_it_comes(tmp_path, recorders, capsys):
    from app.commands.bench import write_aac

    memo = write_aac(recorders[1], tmp_path / "phone.m4a")
    assert main(["combine", str(recorders[0]), str(memo), "--out", str(tmp_path / "array.wav"), "--json"]) == EXIT_OK
    placed = json.loads(capsys.readouterr().out)["recorders"][1]
    # the encoder's 1024 samples of priming (21 ms) lie ahead of the phone's sound, and are placed with it
    assert placed["input"] == "phone.m4a" and placed["offset_s"] == pytest.approx(1.5, abs=0.03)
    assert sf.info(tmp_path / "array.wav").channels == 3
