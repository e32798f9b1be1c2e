"""Labels: kept in time order in the session, undoable, saved with it, and exchanged with
Audacity (and Sonic Visualiser, ELAN) as label files; a malformed file imports nothing."""

from __future__ import annotations

import json

import pytest

from app.engine.documents import Session, load_session, save_session
from app.engine.errors import AudioFileError, ConfigError
from app.engine.labels import Label, label_file_text, labels_text, read_label_file, read_labels, read_rttm

AUDACITY_EXPORT = ("1.500000\t3.250000\ttalker 1\n"
                   "\\\t250.000000\t4000.000000\n"          # a spectral label's frequency line
                   "0.200000\t0.200000\tcough\n")


def test_an_audacity_label_file_is_read_in_time_order_skipping_frequency_lines(tmp_path):
    path = tmp_path / "labels.txt"
    path.write_text(AUDACITY_EXPORT)
    assert read_labels(path) == [Label(0.2, 0.2, "cough"), Label(1.5, 3.25, "talker 1")]


def test_labels_written_and_read_back_are_the_same(tmp_path):
    labels = [Label(0.0, 1.25, "intro"), Label(2.0, 2.0, ""), Label(3.5, 9.125, "talker 2 · overlap")]
    path = tmp_path / "back.txt"
    path.write_text(labels_text(labels), encoding="utf-8")
    assert read_labels(path) == labels


def test_a_malformed_line_names_the_file_and_line_and_imports_nothing(tmp_path):
    path = tmp_path / "bad.txt"
    path.write_text("1.0\t2.0\tfine\nstart\tend\toops\n")
    with pytest.raises(ConfigError, match=r"bad\.txt, line 2, is not a label"):
        read_labels(path)


@pytest.mark.parametrize("start, stop", [(-1.0, 2.0), (3.0, 2.0), (float("nan"), 1.0)])
def test_a_label_that_runs_backwards_or_before_zero_is_refused(start, stop):
    with pytest.raises(ValueError):
        Label(start, stop, "x")


def test_a_label_keeps_its_text_on_one_line():
    assert Label(0, 1, "two\tfields\nand lines").text == "two fields and lines"


def test_label_edits_keep_time_order_and_undo_one_by_one():
    session = Session()
    assert session.add_label(Label(5.0, 6.0, "late")) == 0
    assert session.add_label(Label(1.0, 2.0, "early")) == 0
    session.set_label_text(1, "later")
    session.remove_labels([0])
    assert session.labels == [Label(5.0, 6.0, "later")]
    assert session.undo() == "remove label “early”"
    assert session.undo() == "rename label “late”"
    assert [label.text for label in session.labels] == ["early", "late"]
    assert session.redo() == "rename label “late”" and session.labels[1].text == "later"


def test_adding_or_removing_several_labels_is_one_undo_step():
    session = Session()
    session.add_labels([Label(0, 1, "a"), Label(2, 3, "b"), Label(4, 5, "c")], "import 3 labels from talks.txt")
    assert session.undo_text == "import 3 labels from talks.txt"
    session.remove_labels([0, 2])
    assert session.labels == [Label(2, 3, "b")] and session.undo_text == "remove 2 labels"
    session.undo()
    session.undo()
    assert session.labels == []


def test_labels_are_saved_with_the_session(tmp_path):
    session = Session()
    session.add_label(Label(0.5, 1.5, "talker 1"))
    loaded = load_session(save_session(session, tmp_path / "s"))
    assert loaded.labels == [Label(0.5, 1.5, "talker 1")]


def test_a_session_with_a_damaged_label_is_refused_by_name(tmp_path):
    path = save_session(Session(), tmp_path / "s")
    document = json.loads((path / "session.json").read_text())
    document["labels"] = [{"start": 3.0, "stop": 1.0, "text": "backwards"}]
    (path / "session.json").write_text(json.dumps(document))
    with pytest.raises(AudioFileError, match=r"s\.mecosession is damaged: a label"):
        load_session(path)


PYANNOTE_RTTM = ("SPEAKER meeting 1 0.500 1.250 <NA> <NA> spk_A <NA> <NA>\n"
                 "SPKR-INFO meeting 1 <NA> <NA> <NA> unknown spk_A <NA> <NA>\n"
                 "SPEAKER meeting 1 0.100 0.300 <NA> <NA> spk_B <NA> <NA>\n")


def test_rttm_speaker_turns_are_read_as_labels_named_after_their_speaker(tmp_path):
    path = tmp_path / "meeting.rttm"
    path.write_text(PYANNOTE_RTTM)
    assert read_label_file(path) == [Label(0.1, 0.4, "spk_B"), Label(0.5, 1.75, "spk_A")]


def test_labels_written_as_rttm_read_back_with_underscores_for_spaces(tmp_path):
    labels = [Label(0.25, 1.5, "talker 1"), Label(1.0, 2.0, "talker 2")]
    path = tmp_path / "out.rttm"
    path.write_text(label_file_text(labels, path, "my meeting", 3.0))
    assert path.read_text().splitlines()[0] == "SPEAKER my_meeting 1 0.250 1.250 <NA> <NA> talker_1 <NA> <NA>"
    assert read_label_file(path) == [Label(0.25, 1.5, "talker_1"), Label(1.0, 2.0, "talker_2")]


PRAAT_SHORT_TEXTGRID = """File type = "ooTextFile"
Object class = "TextGrid"

0
2.5
<exists>
2
"IntervalTier"
"words"
0
2.5
3
0
0.4
""
0.4
1.1
"hello"
1.1
2.5
"world"
"TextTier"
"events"
0
2.5
1
0.75
"click"
"""


def test_a_textgrid_holds_talkers_in_their_tiers_overlaps_apart_and_points_in_a_tier_of_their_own(tmp_path):
    from praatio import textgrid

    labels = [Label(0.5, 2.0, "talker 1"), Label(1.5, 3.0, "talker 2"), Label(4.0, 5.0, "talker 1"),
              Label(1.0, 2.0, "cough"), Label(1.5, 2.5, "door"), Label(6.0, 6.0, "mark")]
    path = tmp_path / "meeting.TextGrid"
    path.write_text(label_file_text(labels, path, "meeting", 10.0))
    grid = textgrid.openTextgrid(str(path), includeEmptyIntervals=False)
    assert list(grid.tierNames) == ["talker 1", "talker 2", "labels", "labels 2", "points"]
    assert (grid.minTimestamp, grid.maxTimestamp) == (0.0, 10.0)
    assert read_label_file(path) == sorted(labels)                        # and back, every label as it was


def test_a_textgrid_that_praat_wrote_in_its_short_format_is_read(tmp_path):
    path = tmp_path / "praat.TextGrid"
    path.write_text(PRAAT_SHORT_TEXTGRID)
    assert read_label_file(path) == [Label(0.4, 1.1, "hello"), Label(0.75, 0.75, "click"), Label(1.1, 2.5, "world")]


def test_a_textgrid_with_times_before_zero_is_refused_by_name(tmp_path):
    path = tmp_path / "shifted.TextGrid"
    path.write_text('File type = "ooTextFile"\nObject class = "TextGrid"\n\n-1\n2.5\n<exists>\n1\n'
                    '"IntervalTier"\n"words"\n-1\n2.5\n2\n-1\n0.4\n"um"\n0.4\n2.5\n"hello"\n')
    with pytest.raises(ConfigError, match="shifted.TextGrid: “um” in tier “words” runs -1–0.4 s"):
        read_label_file(path)


def test_a_file_that_is_not_a_textgrid_is_named(tmp_path):
    path = tmp_path / "notes.TextGrid"
    path.write_text("shopping list\n")
    with pytest.raises(ConfigError, match="notes.TextGrid cannot be read as a Praat TextGrid"):
        read_label_file(path)


def test_an_rttm_of_several_recordings_gives_the_turns_of_this_one_or_names_them(tmp_path):
    path = tmp_path / "all.rttm"
    path.write_text(PYANNOTE_RTTM + "SPEAKER kitchen 1 2.000 1.000 <NA> <NA> spk_C <NA> <NA>\n")
    assert read_rttm(path, "kitchen") == [Label(2.0, 3.0, "spk_C")]
    with pytest.raises(ConfigError, match=r"all\.rttm holds the turns of 2 recordings \(kitchen, meeting\)"):
        read_rttm(path, "interview")


def test_a_malformed_rttm_turn_names_the_file_and_line(tmp_path):
    path = tmp_path / "bad.rttm"
    path.write_text("SPEAKER meeting 1 0.5 <NA> <NA> <NA> spk <NA> <NA>\n")
    with pytest.raises(ConfigError, match=r"bad\.rttm, line 1, is not an RTTM speaker turn"):
        read_label_file(path)


@pytest.mark.parametrize("suffix, first_cue", [(".vtt", "WEBVTT\n\n00:00:01.500 --> 00:00:03.000\ntalker 1\n"),
                                              (".srt", "1\n00:00:01,500 --> 00:00:03,000\ntalker 1\n")])
def test_labels_are_written_as_subtitles_to_the_millisecond_and_read_back(tmp_path, suffix, first_cue):
    labels = [Label(1.5, 3.0, "talker 1"), Label(3723.25, 3725.0, "so we agree")]
    path = tmp_path / f"meeting{suffix}"
    path.write_text(label_file_text(labels, path, "meeting", 3800.0), encoding="utf-8")
    assert path.read_text(encoding="utf-8").startswith(first_cue)
    assert "01:02:03" in path.read_text(encoding="utf-8")
    assert read_label_file(path) == labels


def test_a_transcription_services_webvtt_gives_its_cues_with_their_speakers(tmp_path):
    path = tmp_path / "transcript.vtt"
    path.write_text("WEBVTT\n\nNOTE made by a service\n\nc1\n00:01.000 --> 00:02.500 align:start\n"
                    "<v Ann>Shall we\nstart?</v>\n\n00:00:03.000 --> 00:00:04.000\nYes.\n", encoding="utf-8")
    assert read_label_file(path) == [Label(1.0, 2.5, "Ann: Shall we start?"), Label(3.0, 4.0, "Yes.")]


def test_a_label_without_text_becomes_a_numbered_cue_as_a_cue_needs_a_line(tmp_path):
    path = tmp_path / "points.srt"
    path.write_text(label_file_text([Label(2.0, 2.0, "")], path, "points", 5.0), encoding="utf-8")
    assert read_label_file(path) == [Label(2.0, 2.0, "label 1")]


@pytest.mark.parametrize("name, text, reason", [
    ("bad.vtt", "no header here\n", "cannot be read as a WebVTT file"),
    ("bad.srt", "1\n00:00:01,000 --> later\nhi\n", "holds no SubRip cue that can be read")])
def test_a_malformed_subtitle_file_is_named_and_imports_nothing(tmp_path, name, text, reason):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=f"{name} {reason}"):
        read_label_file(path)
