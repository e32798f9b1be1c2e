"""The diarization error rate of who-speaks-when labels, on labellings whose errors are known by hand."""

from __future__ import annotations

import pytest

from app.engine.diarization import describe, diarization_score
from app.engine.errors import ConfigError
from app.engine.labels import Label

REFERENCE = [Label(0, 4, "ann"), Label(6, 10, "bob"), Label(9, 12, "ann")]      # 11 s of speech, 1 s overlapped


def test_the_same_turns_under_other_names_have_no_error():
    hypothesis = [Label(0, 4, "talker 1"), Label(6, 10, "talker 2"), Label(9, 12, "talker 1")]
    score = diarization_score(REFERENCE, hypothesis, 20.0)
    assert score.error_rate == 0.0 and score.reference_seconds == 11.0


def test_missed_false_alarm_and_confusion_are_told_apart():
    hypothesis = [Label(0, 3, "talker 1"),              # ann's last second missed
                  Label(6, 10, "talker 2"), Label(9, 10, "talker 1"),
                  Label(10, 12, "talker 2"),            # ann's 10-12 s given to bob's speaker
                  Label(14, 16, "talker 1")]            # speech where no one speaks
    score = diarization_score(REFERENCE, hypothesis, 20.0)
    assert (score.missed, score.false_alarm, score.confusion) == (1.0, 2.0, 2.0)
    assert score.error_rate == pytest.approx(5.0 / 11.0)


def test_a_collar_forgives_the_edges_of_the_reference_turns():
    late = [Label(0.2, 4, "a"), Label(6.2, 10, "b"), Label(9.2, 12, "a")]
    assert diarization_score(REFERENCE, late, 20.0).missed > 0
    assert diarization_score(REFERENCE, late, 20.0, collar=0.5).error_rate == 0.0


def test_overlapped_speech_can_be_left_out():
    one_at_a_time = [Label(0, 4, "a"), Label(6, 10, "b"), Label(10, 12, "a")]
    assert diarization_score(REFERENCE, one_at_a_time, 20.0).missed == pytest.approx(1.0)
    assert diarization_score(REFERENCE, one_at_a_time, 20.0, skip_overlap=True).error_rate == 0.0


def test_a_reference_without_speech_is_refused():
    with pytest.raises(ConfigError, match="no speech"):
        diarization_score([Label(1, 1, "click")], REFERENCE, 20.0)


def test_the_score_reads_as_percentages_of_the_reference_speech():
    text = describe(diarization_score(REFERENCE, [Label(0, 4, "x"), Label(6, 12, "y")], 20.0))
    assert text.startswith("DER ") and text.endswith("over 11.0 s of reference speech")
