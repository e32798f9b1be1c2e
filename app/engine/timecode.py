"""Times as people read and type them: `12.5`, `1:02.5` or `1:02:03.5`, as Audacity's time fields.

A position in an hour-long meeting is easier to find as 1:02:03 than as 3723 s, and a time read
off the window's status bar should be typed back as it is shown, in the dialogs and on the command
line alike.
"""

from __future__ import annotations

import math
import re

_CLOCK = re.compile(r"^(?:(?:(\d+):)?(\d+):)?(\d+(?:\.\d*)?|\.\d+)$")


def format_clock(seconds: float, decimals: int = 3, fields: int = 1) -> str:
    """`ss.sss` under a minute, `m:ss.sss` under an hour, `h:mm:ss.sss` beyond (rounded first,
    so 59.9996 s reads 1:00.000, not 60.000); `fields` 2 or 3 writes at least minutes or hours,
    as a time axis ticked in minutes labels its start 0:00."""
    if not math.isfinite(seconds):
        return str(seconds)
    sign = "-" if seconds < 0 else ""
    units = round(abs(seconds) * 10**decimals)
    whole, fraction = divmod(units, 10**decimals)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    tail = f".{fraction:0{decimals}d}" if decimals else ""
    if hours or fields >= 3:
        return f"{sign}{hours}:{minutes:02d}:{secs:02d}{tail}"
    if minutes or fields == 2:
        return f"{sign}{minutes}:{secs:02d}{tail}"
    return f"{sign}{secs}{tail}"


def format_duration(seconds: float, decimals: int = 3) -> str:
    """A position or length, to the millisecond by default: `12.345 s`, `1:02.345` or `1:02:03.456`."""
    text = format_clock(seconds, decimals)
    return text if ":" in text else f"{text} s"


def parse_clock(text: str) -> float:
    """Seconds from `90.5`, `1:30.5` or `0:01:30.5`; a trailing `s` and spaces are allowed.

    Raises ValueError naming the text when it is none of these, or when a field after the
    first is 60 or more (`1:75` is a typing slip, not 135 s).
    """
    cleaned = text.strip().removesuffix("s").strip()
    match = _CLOCK.match(cleaned)
    if match is None:
        raise ValueError(f"'{text}' is not a time: write seconds (90.5), m:ss (1:30.5) or h:mm:ss (0:01:30.5)")
    hours, minutes, secs = match.groups()
    if minutes is not None and float(secs) >= 60:
        raise ValueError(f"'{text}': the seconds must be under 60 after a colon")
    if hours is not None and int(minutes) >= 60:
        raise ValueError(f"'{text}': the minutes must be under 60 after the hours")
    return int(hours or 0) * 3600 + int(minutes or 0) * 60 + float(secs)


def format_span(start: float, stop: float, decimals: int = 2) -> str:
    """`2.00–5.00 s` within the first minute; `0:59.00–1:05.00` (both ends alike; no unit, the
    colons say it) after."""
    last = format_clock(stop, decimals)
    first = format_clock(start, decimals, fields=last.count(":") + 1)
    return f"{first}–{last}" if ":" in last else f"{first}–{last} s"
