"""Finding where a recording dropped samples: a USB array or a network stream that loses a buffer
writes exact zeros in the middle of sound, a click to the ear and a hole in every spatial cue to a
separator. Process ▸ Label dropouts puts a label over each, to step through (Alt+→) and redraw with
Edit ▸ Repair the selection once separated, or to leave out of a score.

A dropout is a run of `MIN_RUN` or more samples of one channel at exactly zero, no longer than
`MAX_SECONDS`, with sound on both sides of it: the RMS of the `AROUND_SECONDS` before and after it
above `SOUND_DBFS`. Digital silence at the start or the end or from a noise gate has no sound around
it, and a longer stretch of zeros is a cut or a mute between takes: neither is a dropout;
and sound at that level does not hold eight zeros in a row by chance (white noise at -60 dBFS is
zero in about one 16-bit sample of 80; eight in a row, once in 10^15), while a lost buffer is a
millisecond or more. The recording is read a block at a time;
runs of a channel under 10 ms apart make one label, and overlapping ones of several channels one
naming them all, as Label clipping does.
"""

from __future__ import annotations

import numpy as np

from app.engine.clipping import Runs, sample_runs, stretch_labels
from app.engine.files import Recording
from app.engine.jobs import Job
from app.engine.labels import Label

MIN_RUN = 8
MAX_SECONDS = 0.1
AROUND_SECONDS = 0.01
SOUND_DBFS = -60.0


def _sounding(recording: Recording, channel: int, lo: int, hi: int) -> bool:
    around = recording.read(lo, hi, [channel])[0].astype(np.float64)
    return around.size > 0 and 10 * np.log10(np.mean(around ** 2) + 1e-30) > SOUND_DBFS


def dropout_runs(recording: Recording) -> Job[list[Runs]]:
    """Per channel, the runs of `MIN_RUN` or more zeros, no longer than `MAX_SECONDS`, with sound
    either side."""
    found = yield from sample_runs(recording, lambda block: block == 0.0, MIN_RUN, "find dropouts")
    reach = round(AROUND_SECONDS * recording.sample_rate)
    longest = MAX_SECONDS * recording.sample_rate
    return [runs[[b - a <= longest and _sounding(recording, channel, a - reach, a)
                  and _sounding(recording, channel, b, b + reach) for a, b in runs]].reshape(-1, 2)
            for channel, runs in enumerate(found)]


def dropouts_job(recording: Recording) -> Job[list[Label]]:
    """The labels of every dropout of `recording` ("dropout ch 2")."""
    runs = yield from dropout_runs(recording)
    return stretch_labels(runs, recording.sample_rate, "dropout")
