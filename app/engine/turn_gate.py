"""Separated tracks on disk silenced between their talkers' turns (`separate --silence-between-turns`).

A separator leaves a little of every talker, and of the room, in each track; between a talker's
turns that residue is all the track holds, and a transcriber or a speech recogniser hears words in
it. Who speaks when is found from the tracks as `app.engine.activity` finds it, and each track is
rewritten with silence outside its own talker's turns, faded over 10 ms inside each gap. Both
passes stream the files block by block, so an hour costs no more memory than a minute.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import soundfile as sf

from app.engine.activity import ActivitySettings, activity_from_levels, frame_levels_db, runs
from app.engine.export import AtomicAudioWriter, ExportSettings
from app.engine.provenance import read_tags, with_step
from app.engine.version_edits import JOIN_FADE_SECONDS, outside, span_gain

BLOCK_FRAMES_OF_ACTIVITY = 1500          # activity frames per read (30 s at 20 ms)


def _levels(path: Path, settings: ActivitySettings) -> tuple[np.ndarray, int, int]:
    """A track's frame levels in dB, its rate and the samples per activity frame."""
    with sf.SoundFile(path) as source:
        rate = source.samplerate
        hop = max(1, round(settings.frame_seconds * rate))
        levels = [frame_levels_db(block[:, 0] if block.ndim > 1 else block, rate, settings.frame_seconds)
                  for block in source.blocks(hop * BLOCK_FRAMES_OF_ACTIVITY, dtype="float32")]
    return (np.concatenate(levels) if levels else np.zeros(0)), rate, hop


def silence_between_turns(paths: list[Path], export: ExportSettings,
                          settings: ActivitySettings = ActivitySettings()) -> list[int]:
    """Rewrite each of the talkers' mono tracks at `paths` (in `export`'s format) silent outside
    its talker's turns; the number of turns per track."""
    found = [_levels(path, settings) for path in paths]
    active = activity_from_levels([levels for levels, _, _ in found], settings)
    turns = []
    for path, (_, rate, hop), speech in zip(paths, found, active):
        own = [(lo * settings.frame_seconds, hi * settings.frame_seconds) for lo, hi in runs(speech, True)]
        with sf.SoundFile(path) as source:
            total = source.frames
            gaps = [(round(a * rate), round(b * rate)) for a, b in outside(own, total / rate)]
            tags = with_step(read_tags(source), "silenced between its talker's turns")
            writer = AtomicAudioWriter(path, rate, 1, replace(export, overwrite=True), tags)
            fade = round(JOIN_FADE_SECONDS * rate)
            with writer:
                at = 0
                for block in source.blocks(hop * BLOCK_FRAMES_OF_ACTIVITY, dtype="float32"):
                    block = block if block.ndim == 1 else block[:, 0]
                    writer.write((block * span_gain(at, block.shape[0], gaps, 0.0, fade, total))[None])
                    at += block.shape[0]
        writer.commit()
        turns.append(len(own))
    return turns
