"""What a Preview plays: the first seconds of what an effect changes, or from the playhead, always
inside the version or recording."""

from __future__ import annotations

from app.engine.preview import PREVIEW_SECONDS, preview_span


def test_a_preview_starts_at_the_selection_or_the_playhead_and_stays_inside():
    assert preview_span(10.0, (3.0, 5.0), playhead=1.0) == (3.0, 5.0)
    assert preview_span(10.0, (1.0, 9.0), playhead=0.0) == (1.0, 1.0 + PREVIEW_SECONDS)
    assert preview_span(10.0, None, playhead=2.0) == (2.0, 2.0 + PREVIEW_SECONDS)
    assert preview_span(10.0, None, playhead=9.0) == (10.0 - PREVIEW_SECONDS, 10.0)
    assert preview_span(1.0, None, playhead=0.5) == (0.0, 1.0)
