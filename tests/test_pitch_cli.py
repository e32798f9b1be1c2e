"""`meco-studio pitch`: a CSV of every channel's F0 per file, a summary, and the batch rules."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest
import soundfile as sf

from app.cli import EXIT_FAILED, EXIT_OK, main
from tests.engine.bad_files import not_audio
from tests.engine.test_pitch import voice_like

RATE = 16_000


def two_voices(path, seconds: float = 2.0):
    n = round(seconds * RATE)
    sf.write(path, np.stack([voice_like(np.full(n, 120.0), RATE), voice_like(np.full(n, 240.0), RATE)], axis=1), RATE)
    return path


def test_each_channels_track_is_a_column_of_the_csv(tmp_path, capsys):
    source = two_voices(tmp_path / "duo.wav")
    assert main(["pitch", str(source), "--out", str(tmp_path / "f0"), "--json"]) == EXIT_OK
    (report,) = json.loads(capsys.readouterr().out)["files"]
    assert [ch["median_hz"] for ch in report["channels"]] == pytest.approx([120.0, 240.0], rel=0.01)
    assert all(ch["voiced_share"] > 0.9 for ch in report["channels"])
    with open(tmp_path / "f0" / "duo.f0.csv", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["time_s", "ch1_f0_hz", "ch2_f0_hz"]
    assert rows[1][0] == "0.00" and rows[2][0] == "0.01" and len(rows) - 1 == report["channels"][0]["frames"]
    middle = rows[len(rows) // 2]
    assert float(middle[1]) == pytest.approx(120.0, rel=0.01) and float(middle[2]) == pytest.approx(240.0, rel=0.01)


def test_an_unvoiced_frame_is_an_empty_cell(tmp_path, capsys):
    audio = np.zeros(RATE, np.float32)
    sf.write(tmp_path / "quiet.wav", audio, RATE)
    assert main(["pitch", str(tmp_path / "quiet.wav"), "--out", str(tmp_path), "--json"]) == EXIT_OK
    (report,) = json.loads(capsys.readouterr().out)["files"]
    assert report["channels"][0]["median_hz"] is None and report["channels"][0]["voiced_share"] == 0.0
    rows = (tmp_path / "quiet.f0.csv").read_text().splitlines()
    assert rows[1] == "0.00,"


def test_a_range_tracks_that_part_alone(tmp_path, capsys):
    source = two_voices(tmp_path / "duo.wav", seconds=4.0)
    assert main(["pitch", str(source), "--out", str(tmp_path), "--range", "1", "2.5", "--json"]) == EXIT_OK
    capsys.readouterr()
    rows = (tmp_path / "duo.f0.csv").read_text().splitlines()
    assert rows[1].startswith("1.00,") and rows[-1].startswith("2.49,")


def test_a_range_past_the_end_is_named(tmp_path, capsys):
    source = two_voices(tmp_path / "duo.wav")
    assert main(["pitch", str(source), "--out", str(tmp_path), "--range", "10", "12"]) == EXIT_FAILED
    assert "Nothing to track in duo.wav from 10.000 s: it lasts 2.000 s" in capsys.readouterr().err
    assert not (tmp_path / "duo.f0.csv").exists()


def test_a_csv_is_kept_unless_overwriting_is_asked(tmp_path, capsys):
    source = two_voices(tmp_path / "duo.wav")
    (tmp_path / "duo.f0.csv").write_text("mine")
    assert main(["pitch", str(source), "--out", str(tmp_path)]) == EXIT_FAILED
    assert "duo.f0.csv already exists" in capsys.readouterr().err
    assert (tmp_path / "duo.f0.csv").read_text() == "mine"
    assert main(["pitch", str(source), "--out", str(tmp_path), "--overwrite"]) == EXIT_OK
    assert (tmp_path / "duo.f0.csv").read_text().startswith("time_s,")


def test_a_bad_file_is_named_and_the_others_are_tracked(tmp_path, capsys):
    good = two_voices(tmp_path / "duo.wav")
    bad = not_audio(tmp_path)
    assert main(["pitch", str(good), str(bad), "--out", str(tmp_path / "f0"), "--json"]) == EXIT_FAILED
    report = json.loads(capsys.readouterr().out)
    assert [f["output"] for f in report["files"]] == [str(tmp_path / "f0" / "duo.f0.csv")]
    assert report["failed"][0]["input"] == str(bad)


def test_files_that_share_a_name_get_csvs_of_their_own(tmp_path, capsys):
    first = two_voices((tmp_path / "a").mkdir() or tmp_path / "a" / "take.wav")
    second = two_voices((tmp_path / "b").mkdir() or tmp_path / "b" / "take.wav")
    assert main(["pitch", str(first), str(second), "--out", str(tmp_path / "f0")]) == EXIT_OK
    assert sorted(p.name for p in (tmp_path / "f0").iterdir()) == ["a_take.f0.csv", "b_take.f0.csv"]


def test_an_impossible_search_range_is_refused(tmp_path, capsys):
    source = two_voices(tmp_path / "duo.wav")
    assert main(["pitch", str(source), "--out", str(tmp_path), "--floor", "500", "--ceiling", "100"]) == EXIT_FAILED
    assert "500–100 Hz cannot be tracked" in capsys.readouterr().err
