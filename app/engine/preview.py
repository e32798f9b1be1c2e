"""What a dialog's Preview plays (Audacity's Preview in its effect dialogs): a few seconds of one
version (or one channel of the recording) as the dialog's settings would make it, worked out over
that stretch alone (with the context the effect needs) and played on a player of its own, the
session unchanged."""

from __future__ import annotations

Seconds = tuple[float, float]

PREVIEW_SECONDS = 6.0           # Audacity's default preview length


def preview_span(seconds: float, span: Seconds | None, playhead: float) -> Seconds:
    """What Preview plays of a version (or a recording) `seconds` long: the first `PREVIEW_SECONDS`
    of `span` (the selection an effect will change), or without one as much from `playhead` on,
    moved back when it ends sooner."""
    if span is not None:
        return span[0], min(span[1], span[0] + PREVIEW_SECONDS)
    length = min(PREVIEW_SECONDS, seconds)
    start = min(max(playhead, 0.0), seconds - length)
    return start, start + length
