"""Talk time, turns and overlap per label text, on labellings whose answers are known by hand."""

from __future__ import annotations

import math

import pytest

from app.engine.label_stats import ANY_LABEL, OVERLAP, label_statistics, statistics_table
from app.engine.spans import merged
from app.engine.labels import Label


def by_name(labels: list[Label], duration: float = 20.0) -> dict:
    return {row.name: row for row in label_statistics(labels, duration)}


def test_each_speaker_gets_its_talk_time_turns_and_share():
    rows = by_name([Label(0, 4, "talker 1"), Label(6, 8, "talker 1"), Label(3, 5, "talker 2")])
    one, two = rows["talker 1"], rows["talker 2"]
    assert (one.turns, one.seconds, one.longest, one.mean_turn) == (2, 6.0, 4.0, 3.0)
    assert one.share == pytest.approx(0.3)
    assert (two.turns, two.seconds) == (1, 2.0)


def test_any_label_is_the_union_and_overlap_where_two_speak_at_once():
    rows = by_name([Label(0, 4, "talker 1"), Label(6, 8, "talker 1"), Label(3, 5, "talker 2")])
    assert (rows[ANY_LABEL].seconds, rows[ANY_LABEL].turns) == (7.0, 2)           # 0-5 and 6-8
    assert (rows[OVERLAP].seconds, rows[OVERLAP].turns) == (1.0, 1)               # 3-4
    assert list(rows) == ["talker 1", "talker 2", ANY_LABEL, OVERLAP]


def test_a_speakers_own_overlapping_or_touching_labels_count_once():
    rows = by_name([Label(0, 3, "a"), Label(2, 5, "a"), Label(5, 6, "a"), Label(10, 11, "a")])
    assert (rows["a"].turns, rows["a"].seconds) == (2, 7.0)
    assert rows[OVERLAP].seconds == 0.0


def test_two_speakers_touching_do_not_overlap():
    rows = by_name([Label(0, 2, "a"), Label(2, 4, "b")])
    assert rows[OVERLAP].seconds == 0.0 and rows[ANY_LABEL].turns == 1


def test_three_speakers_overlap_is_counted_once():
    rows = by_name([Label(0, 6, "a"), Label(1, 5, "b"), Label(2, 3, "c")])
    assert (rows[OVERLAP].seconds, rows[OVERLAP].turns) == (4.0, 1)              # 1-5


def test_points_are_left_out_and_no_spans_give_no_rows():
    assert label_statistics([Label(1, 1, "click")], 10.0) == []
    rows = by_name([Label(1, 1, "click"), Label(2, 3, "a")])
    assert "click" not in rows and rows["a"].seconds == 1.0


def test_a_recording_of_no_length_has_no_share():
    (row, *_) = label_statistics([Label(0, 1, "a")], 0.0)
    assert math.isnan(row.share)
    assert statistics_table([row])[1][3] == "–"


def test_merging_sorts_and_joins():
    assert merged([(5, 6), (0, 2), (1, 3), (3, 4)]) == [(0, 4), (5, 6)]


def test_the_table_reads_times_as_the_window_does():
    header, first, *_ = statistics_table(label_statistics([Label(0, 75.5, "talker 1")], 151.0))
    assert header == ["Label", "Turns", "Total", "Share", "Mean turn", "Longest turn"]
    assert first == ["talker 1", "1", "1:15.500", "50.0 %", "1:15.500", "1:15.500"]
