"""Dropped samples found where a channel goes to exact zero in the middle of sound, never in the
silence around a take or in quiet noise; labelled per stretch with the channels that dropped."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from app.engine import clipping
from app.engine.demo import DEMO_DIR
from app.engine.dropouts import dropouts_job
from app.engine.files import ArraySource
from app.engine.jobs import drive

RATE = 16_000


@pytest.fixture(scope="module")
def talker() -> np.ndarray:
    """Four seconds of a demo talker over a quiet hiss, as a recorder would hold it."""
    audio = sf.read(DEMO_DIR / "meeting-respeaker4" / "talker1.flac", dtype="float32")[0][:4 * RATE]
    return audio + (0.003 * np.random.default_rng(0).standard_normal(audio.size)).astype(np.float32)


def labels_of(audio: np.ndarray) -> list[tuple[float, float, str]]:
    return [(round(label.start, 4), round(label.stop, 4), label.text)
            for label in drive(dropouts_job(ArraySource(audio, RATE, "take.wav")))]


def test_runs_of_zeros_in_sound_are_labelled_with_their_channels(talker):
    audio = np.stack([talker, talker.copy()])
    audio[0, RATE:RATE + 32] = 0
    audio[1, 2 * RATE:2 * RATE + 16] = 0
    audio[:, 3 * RATE:3 * RATE + 48] = 0
    assert labels_of(audio) == [(1.0, 1.002, "dropout ch 1"), (2.0, 2.001, "dropout ch 2"),
                                (3.0, 3.003, "dropout ch 1, 2")]


def test_silence_around_and_between_takes_is_no_dropout(talker):
    take = np.concatenate([np.zeros(RATE), talker[:RATE], np.zeros(RATE // 2), talker[RATE:2 * RATE], np.zeros(RATE)])
    assert labels_of(take[None].astype(np.float32)) == []


def test_quiet_16_bit_noise_crossing_zero_holds_no_dropout():
    noise = np.round(0.001 * np.random.default_rng(1).standard_normal(60 * RATE) * 32768) / 32768   # -60 dBFS
    assert np.count_nonzero(noise == 0) > 10_000 and labels_of(noise[None].astype(np.float32)) == []


def test_a_run_across_a_block_edge_is_one_dropout(talker, monkeypatch):
    monkeypatch.setattr(clipping, "BLOCK", RATE + 10)
    audio = talker.copy()
    audio[RATE:RATE + 32] = 0
    assert labels_of(audio[None]) == [(1.0, 1.002, "dropout ch 1")]


def test_a_short_run_of_zeros_is_a_zero_crossing_not_a_dropout(talker):
    audio = talker.copy()
    audio[RATE:RATE + 7] = 0
    assert labels_of(audio[None]) == []
