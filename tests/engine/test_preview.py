"""What a Preview plays: the first seconds of what an effect changes, or from the playhead, always
inside the version."""

from __future__ import annotations

import numpy as np

from app.engine.documents import Version, VersionKind
from app.engine.preview import PREVIEW_SECONDS, preview_span

RATE = 16_000


def version(seconds: float) -> Version:
    return Version("Separated · talker 1", 0, VersionKind.SEPARATED, np.zeros(round(seconds * RATE), np.float32),
                   RATE, "sep", {})


def test_a_preview_starts_at_the_selection_or_the_playhead_and_stays_inside():
    ten = version(10.0)
    assert preview_span(ten, (3.0, 5.0), playhead=1.0) == (3.0, 5.0)
    assert preview_span(ten, (1.0, 9.0), playhead=0.0) == (1.0, 1.0 + PREVIEW_SECONDS)
    assert preview_span(ten, None, playhead=2.0) == (2.0, 2.0 + PREVIEW_SECONDS)
    assert preview_span(ten, None, playhead=9.0) == (10.0 - PREVIEW_SECONDS, 10.0)
    assert preview_span(version(1.0), None, playhead=0.5) == (0.0, 1.0)
