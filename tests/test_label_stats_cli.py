"""`meco-studio label-stats`: each speaker's talk time, turns and the overlap, from label files."""

from __future__ import annotations

import json

import numpy as np
import soundfile as sf

from app.cli import EXIT_FAILED, EXIT_OK, main

RTTM = ("SPEAKER meeting 1 0.000 4.000 <NA> <NA> ann <NA> <NA>\n"
        "SPEAKER meeting 1 6.000 1.000 <NA> <NA> ann <NA> <NA>\n"
        "SPEAKER meeting 1 3.000 2.000 <NA> <NA> bob <NA> <NA>\n")


def test_an_rttm_files_speakers_get_their_talk_time_and_overlap(tmp_path, capsys):
    (tmp_path / "meeting.rttm").write_text(RTTM)
    assert main(["label-stats", str(tmp_path / "meeting.rttm"), "--json"]) == EXIT_OK
    (report,) = json.loads(capsys.readouterr().out)["files"]
    rows = {row["name"]: row for row in report["rows"]}
    assert (rows["ann"]["turns"], rows["ann"]["seconds"]) == (2, 5.0)
    assert rows["Two or more at once"]["seconds"] == 1.0
    assert report["duration_seconds"] == 7.0 and "last label" in report["shares_of"]
    assert rows["ann"]["share"] == round(5 / 7, 6)


def test_shares_are_of_the_recording_when_it_is_named(tmp_path, capsys):
    (tmp_path / "meeting.rttm").write_text(RTTM)
    sf.write(tmp_path / "meeting.wav", np.zeros(20 * 8000, np.float32), 8000)
    assert main(["label-stats", str(tmp_path / "meeting.rttm"), "--recording", str(tmp_path / "meeting.wav")]) == 0
    out = capsys.readouterr().out
    assert "shares of meeting.wav's length (20.000 s)" in out
    assert "ann" in out and "25.0 %" in out


def test_an_rttm_of_several_recordings_is_read_for_the_one_named(tmp_path, capsys):
    (tmp_path / "set.rttm").write_text(RTTM + "SPEAKER other 1 0.0 2.0 <NA> <NA> cy <NA> <NA>\n")
    assert main(["label-stats", str(tmp_path / "set.rttm")]) == EXIT_FAILED
    assert "holds the turns of 2 recordings" in capsys.readouterr().err
    assert main(["label-stats", str(tmp_path / "set.rttm"), "--file-id", "other", "--json"]) == EXIT_OK
    (report,) = json.loads(capsys.readouterr().out)["files"]
    assert [row["name"] for row in report["rows"]] == ["cy", "Any label", "Two or more at once"]


def test_a_file_without_spans_is_named_and_the_others_summarised(tmp_path, capsys):
    (tmp_path / "points.txt").write_text("1.0\t1.0\tclick\n")
    (tmp_path / "turns.txt").write_text("0.0\t2.0\ttalker 1\n")
    assert main(["label-stats", str(tmp_path / "points.txt"), str(tmp_path / "turns.txt"), "--json"]) == EXIT_FAILED
    report = json.loads(capsys.readouterr().out)
    assert report["failed"][0]["error"] == "points.txt holds no labels that span time."
    assert report["files"][0]["rows"][0]["name"] == "talker 1"


def test_a_reference_gives_each_labellings_diarization_error_rate(tmp_path, capsys):
    (tmp_path / "truth.rttm").write_text(RTTM)
    (tmp_path / "system.txt").write_text("0.0\t3.0\ttalker 1\n3.0\t5.0\ttalker 2\n6.0\t7.0\ttalker 1\n")
    assert main(["label-stats", str(tmp_path / "system.txt"), "--reference", str(tmp_path / "truth.rttm"),
                 "--json"]) == EXIT_OK
    (report,) = json.loads(capsys.readouterr().out)["files"]
    score = report["diarization"]
    parts = (score["reference_seconds"], score["missed"], score["false_alarm"], score["confusion"])
    assert parts == (7.0, 1.0, 0.0, 0.0)                    # ann's 3-4 s, under bob, missed
    assert score["error_rate"] == round(1 / 7, 6)
    assert main(["label-stats", str(tmp_path / "system.txt"), "--reference", str(tmp_path / "truth.rttm")]) == 0
    out = capsys.readouterr().out
    assert "against truth.rttm: DER 14.3 % (missed 14.3 %, false alarm 0.0 %, confusion 0.0 %)" in out
