"""Labelling the sounds of one lane, as Audacity's Label Sounds does: a label over each stretch
whose level rises above a threshold, pauses shorter than the minimum silence bridged, sounds
shorter than the minimum length dropped, numbered "sound 1", "sound 2", …. On a single talker's
recording (or a separated talker's track) that is each utterance, ready for Export's Each label
or for scoring over each label; on a meeting's channels it is where anyone speaks.

Unlike Process ▸ Label talker activity, which weighs separated talkers against each other, this
reads one lane alone against a fixed level: the recording's channels (the loudest of them at each
moment, or one), or one version. A recording is read a block at a time (10 ms frames of RMS
level, `activity.frame_levels_db`), so an hour costs a few megabytes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from app.engine.activity import ActivitySettings, frame_levels_db, runs, smooth
from app.engine.errors import ConfigError
from app.engine.files import Recording
from app.engine.jobs import Job, Progress
from app.engine.labels import Label

FRAME_SECONDS = 0.01
BLOCK_FRAMES = 6000             # 60 s of 10 ms frames read at a time
ANY_CHANNEL = -1                # the loudest channel at each moment


@dataclass(frozen=True)
class SoundSettings:
    """Audacity's defaults: −30 dB RMS, a second of silence between sounds; sounds of a tenth of a
    second or more (a click is not an utterance)."""

    threshold_dbfs: float = -30.0
    min_silence_seconds: float = 1.0
    min_sound_seconds: float = 0.1
    text: str = "sound"

    def check(self) -> None:
        if not -100.0 <= self.threshold_dbfs < 0.0:
            raise ConfigError(f"A threshold of {self.threshold_dbfs:g} dBFS is out of range: use −100 to 0 dBFS.")
        if self.min_silence_seconds < 0 or self.min_sound_seconds < 0:
            raise ConfigError("The minimum silence and the minimum sound cannot be negative.")


def recording_levels(recording: Recording, channel: int) -> Job[np.ndarray]:
    """10 ms frame levels (dBFS) of one channel of `recording`, or of its loudest at each frame
    (`ANY_CHANNEL`), read a block at a time."""
    hop = max(1, round(FRAME_SECONDS * recording.sample_rate))
    step = BLOCK_FRAMES * hop
    chosen = None if channel == ANY_CHANNEL else [channel]
    levels = []
    blocks = range(0, recording.frames, step)
    for done, lo in enumerate(blocks):
        yield Progress("measure levels", done, len(blocks))
        audio = recording.read(lo, min(lo + step, recording.frames), chosen)
        levels.append(np.max([frame_levels_db(lane, recording.sample_rate, FRAME_SECONDS) for lane in audio], axis=0))
    return np.concatenate(levels) if levels else np.zeros(0)


def sound_labels(levels_db: np.ndarray, settings: SoundSettings) -> list[Label]:
    """A numbered label over each run of frames above the threshold, after bridging short pauses
    and dropping short sounds."""
    smoothing = ActivitySettings(frame_seconds=FRAME_SECONDS, min_gap_seconds=settings.min_silence_seconds,
                                 min_speech_seconds=settings.min_sound_seconds)
    active = smooth(levels_db > settings.threshold_dbfs, FRAME_SECONDS, smoothing)
    return [Label(start * FRAME_SECONDS, stop * FRAME_SECONDS, f"{settings.text} {n}")
            for n, (start, stop) in enumerate(runs(active, True), start=1)]


def recording_sounds_job(recording: Recording, channel: int, settings: SoundSettings) -> Job[list[Label]]:
    """The sounds of a recording's channel (or of its loudest channel at each moment)."""
    settings.check()
    levels = yield from recording_levels(recording, channel)
    return sound_labels(levels, settings)


def track_sounds_job(audio: np.ndarray, sample_rate: int, settings: SoundSettings) -> Job[list[Label]]:
    """The sounds of one version's audio (in memory or scratch space)."""
    settings.check()
    yield Progress("measure levels", 0, 1)
    return sound_labels(frame_levels_db(audio, sample_rate, FRAME_SECONDS), settings)
