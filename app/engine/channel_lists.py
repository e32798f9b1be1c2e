"""Channel lists as users type and read them: counted from 1, with ranges ("1-4,6"), while the
engine counts from 0."""

from __future__ import annotations

from collections.abc import Sequence

from app.engine.errors import ConfigError


def parse_channel_list(text: str) -> tuple[int, ...]:
    """'1-4,6' -> (0, 1, 2, 3, 5): users count channels from 1; ConfigError naming the text."""
    out: list[int] = []
    try:
        for part in text.split(","):
            if "-" in part:
                a, b = (int(x) for x in part.split("-", 1))
                out.extend(range(a, b + 1))
            else:
                out.append(int(part))
    except ValueError as err:
        raise ConfigError(f"'{text}' is not a channel list like 1-4,6") from err
    if not out or min(out) < 1:
        raise ConfigError("channels are numbered from 1")
    return tuple(c - 1 for c in out)


def channel_list_text(channels: Sequence[int]) -> str:
    """(0, 1, 2, 3, 5) -> '1-4,6': the inverse of `parse_channel_list`."""
    runs: list[list[int]] = []
    for channel in channels:
        if runs and channel == runs[-1][-1] + 1:
            runs[-1].append(channel)
        else:
            runs.append([channel])
    return ",".join(str(run[0] + 1) if len(run) == 1 else f"{run[0] + 1}-{run[-1] + 1}" for run in runs)
