"""`meco-studio delays`: each file's delay between two channels over time, the delays it gathers
at, a CSV of the columns on request, and the batch rules."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest
import soundfile as sf

from app.cli import EXIT_FAILED, EXIT_OK, main
from tests.engine.test_delay_track import RATE, turns


def pair_file(path, delays=(3, -5), channels: int = 2):
    audio = turns(delays=delays)
    if channels > 2:
        audio = np.concatenate([audio, audio[:1].repeat(channels - 2, axis=0)])
    sf.write(path, (0.2 * audio / np.abs(audio).max()).T, RATE, subtype="FLOAT")
    return path


def test_the_delays_each_talker_holds_are_printed_with_their_shares(tmp_path, capsys):
    source = pair_file(tmp_path / "duo.wav")
    assert main(["delays", str(source), "--json"]) == EXIT_OK
    (report,) = json.loads(capsys.readouterr().out)["files"]
    assert sorted(d["ms"] for d in report["delays"]) == pytest.approx([-5000 / RATE, 3000 / RATE], abs=0.02)
    assert all(d["share"] == pytest.approx(0.5, abs=0.05) for d in report["delays"])
    assert report["output"] is None and not list(tmp_path.glob("*.csv"))
    assert abs(report["drift_ppm"]) < 0.1 and "No drift to see" in report["summary"]


def test_each_column_is_a_row_of_the_csv_in_the_recordings_time(tmp_path, capsys):
    source = pair_file(tmp_path / "duo.wav")
    assert main(["delays", str(source), "--out", str(tmp_path / "d"), "--range", "2", "6", "--json"]) == EXIT_OK
    (report,) = json.loads(capsys.readouterr().out)["files"]
    with open(tmp_path / "d" / "duo.delays.csv", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["time_s", "delay_ms", "peak"] and len(rows) - 1 == report["columns"]
    assert 2.0 < float(rows[1][0]) < 2.1 and float(rows[-1][0]) < 6.0
    assert float(rows[1][1]) == pytest.approx(3000 / RATE, abs=0.02)
    assert float(rows[-1][1]) == pytest.approx(-5000 / RATE, abs=0.02)


def test_another_pair_and_a_pair_the_file_lacks(tmp_path, capsys):
    source = pair_file(tmp_path / "four.wav", channels=4)
    assert main(["delays", str(source), "--pair", "3", "1", "--json"]) == EXIT_OK
    (report,) = json.loads(capsys.readouterr().out)["files"]
    assert report["pair"] == [3, 1] and report["delays"][0]["ms"] == pytest.approx(0.0, abs=0.01)
    assert main(["delays", str(source), "--pair", "1", "5"]) == EXIT_FAILED
    assert "four.wav: Channels 1 and 5 are not both in a recording of 4 channels" in capsys.readouterr().err


def test_a_mono_file_is_named_and_the_batch_goes_on(tmp_path, capsys):
    sf.write(tmp_path / "a_mono.wav", np.zeros(RATE, np.float32), RATE)
    pair_file(tmp_path / "b_duo.wav")
    assert main(["delays", str(tmp_path), "--json"]) == EXIT_FAILED
    captured = capsys.readouterr()
    assert "a_mono.wav: The delay between two microphones needs a recording of at least two channels" in captured.err
    assert [f["input"].endswith("b_duo.wav") for f in json.loads(captured.out)["files"]] == [True]


def test_a_csv_is_kept_unless_overwriting_is_asked(tmp_path, capsys):
    source = pair_file(tmp_path / "duo.wav")
    (tmp_path / "duo.delays.csv").write_text("mine")
    assert main(["delays", str(source), "--out", str(tmp_path)]) == EXIT_FAILED
    assert "duo.delays.csv already exists" in capsys.readouterr().err
    assert (tmp_path / "duo.delays.csv").read_text() == "mine"
    assert main(["delays", str(source), "--out", str(tmp_path), "--overwrite"]) == EXIT_OK


def test_each_source_is_labelled_in_an_audacity_label_file(tmp_path, capsys):
    source = pair_file(tmp_path / "duo.wav")
    assert main(["delays", str(source), "--source-labels", str(tmp_path / "labels"), "--json"]) == EXIT_OK
    (report,) = json.loads(capsys.readouterr().out)["files"]
    rows = [line.split("\t") for line in (tmp_path / "labels" / "duo.sources.txt").read_text().splitlines()]
    assert report["source_labels"] == len(rows) == 2
    assert [row[2].split(" at ")[1] for row in sorted(rows, key=lambda r: float(r[0]))] == ["+0.188 ms", "-0.312 ms"]


def test_a_drifting_file_is_put_in_step_and_one_without_drift_gets_no_copy(tmp_path, capsys):
    from tests.engine.test_delay_track import drifting

    audio = drifting(60.0, seconds=30.0)
    sf.write(tmp_path / "two-clocks.wav", (0.3 * audio / np.abs(audio).max()).T.astype(np.float32), RATE,
             subtype="FLOAT")
    steady = pair_file(tmp_path / "steady.wav")
    out = tmp_path / "out"
    assert main(["delays", str(tmp_path / "two-clocks.wav"), str(steady), "--reach-ms", "5", "--in-step", str(out),
                 "--json"]) == EXIT_OK
    drifted, still = json.loads(capsys.readouterr().out)["files"]
    assert drifted["drift_ppm"] == pytest.approx(60.0, abs=1.0) and drifted["in_step_channels"] == [2]
    assert still["in_step_output"] is None and sorted(p.name for p in out.iterdir()) == ["two-clocks-in-step.wav"]
    assert main(["delays", drifted["in_step_output"], "--reach-ms", "5", "--json"]) == EXIT_OK
    assert abs(json.loads(capsys.readouterr().out)["files"][0]["drift_ppm"]) < 0.5


def test_the_channels_of_the_second_recorder_are_put_in_step_together(tmp_path, capsys):
    from tests.engine.test_delay_track import drifting

    first, second = drifting(60.0, seconds=30.0)
    audio = np.stack([first, second, 0.5 * second])
    sf.write(tmp_path / "two-recorders.wav", (0.3 * audio / np.abs(audio).max()).T.astype(np.float32), RATE,
             subtype="FLOAT")
    assert main(["delays", str(tmp_path / "two-recorders.wav"), "--reach-ms", "5", "--in-step", str(tmp_path),
                 "--clock-channels", "2-3", "--json"]) == EXIT_OK
    (report,) = json.loads(capsys.readouterr().out)["files"]
    assert report["in_step_channels"] == [2, 3]
    assert main(["delays", report["in_step_output"], "--pair", "1", "3", "--reach-ms", "5", "--json"]) == EXIT_OK
    assert abs(json.loads(capsys.readouterr().out)["files"][0]["drift_ppm"]) < 0.5
