import pytest

from app.engine.timecode import format_clock, format_span, parse_clock


@pytest.mark.parametrize(("seconds", "text"), [
    (0.0, "0.000"), (12.5, "12.500"), (62.345, "1:02.345"), (3723.456, "1:02:03.456"), (36000.0, "10:00:00.000"),
])
def test_a_time_is_written_in_seconds_then_minutes_then_hours(seconds, text):
    assert format_clock(seconds) == text


def test_a_time_is_rounded_before_it_is_split_so_no_field_reads_sixty():
    assert format_clock(59.9996) == "1:00.000" and format_clock(3599.9999, 2) == "1:00:00.00"


def test_a_time_can_be_written_with_at_least_minutes_and_without_decimals():
    assert format_clock(0.0, 0, fields=2) == "0:00" and format_clock(90.0, 0) == "1:30"
    assert format_clock(5.0, 0, fields=3) == "0:00:05"


@pytest.mark.parametrize(("text", "seconds"), [
    ("90.5", 90.5), ("1:30.5", 90.5), ("0:01:30.5", 90.5), (" 12.345 s", 12.345), ("1:02:03.456", 3723.456),
    ("75", 75.0), (".5", 0.5), ("3.", 3.0),
])
def test_a_time_is_read_as_seconds_m_ss_or_h_mm_ss(text, seconds):
    assert parse_clock(text) == pytest.approx(seconds)


def test_every_written_time_reads_back_as_itself():
    for seconds in (0.0, 0.001, 59.999, 60.0, 3599.999, 3600.0, 86399.5):
        assert parse_clock(format_clock(seconds)) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "abc", "1:2:3:4", "-5", "1::2", "1:30:", "1e3"])
def test_text_that_is_no_time_is_refused_with_the_forms_that_are(text):
    with pytest.raises(ValueError, match="is not a time: write seconds"):
        parse_clock(text)


def test_a_field_of_sixty_or_more_after_a_colon_is_refused_as_a_slip():
    with pytest.raises(ValueError, match="seconds must be under 60"):
        parse_clock("1:75")
    with pytest.raises(ValueError, match="minutes must be under 60"):
        parse_clock("1:60:00")


def test_a_span_reads_in_seconds_within_the_first_minute_and_alike_at_both_ends_after():
    assert format_span(2.0, 5.0) == "2.00–5.00 s"
    assert format_span(59.5, 61.25) == "0:59.50–1:01.25"
    assert format_span(10.0, 3600.0, decimals=0) == "0:00:10–1:00:00"
