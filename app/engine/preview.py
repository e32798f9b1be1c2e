"""What a dialog's Preview plays (Audacity's Preview in its effect dialogs): a few seconds of one
version as the dialog's settings would make it, worked out over that stretch alone (with the
context the effect needs) and played on a player of its own, the session unchanged."""

from __future__ import annotations

from app.engine.documents import Version

Seconds = tuple[float, float]

PREVIEW_SECONDS = 6.0           # Audacity's default preview length


def preview_span(version: Version, span: Seconds | None, playhead: float) -> Seconds:
    """What Preview plays of `version`: the first `PREVIEW_SECONDS` of `span` (the selection an
    effect will change), or without one as much from `playhead` on, moved back when the version
    ends sooner."""
    if span is not None:
        return span[0], min(span[1], span[0] + PREVIEW_SECONDS)
    length = min(PREVIEW_SECONDS, version.seconds)
    start = min(max(playhead, 0.0), version.seconds - length)
    return start, start + length
