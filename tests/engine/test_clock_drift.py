"""Channels of a second recorder put back on the first one's clock: after the correction the delay
no longer drifts, every channel keeps the recording's length, and the others are copied as they are."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from app.engine import clock_drift
from app.engine.clock_drift import corrected_blocks, corrected_copy_job
from app.engine.delay_track import delay_track_job, drift
from app.engine.errors import ConfigError
from app.engine.files import ArraySource, open_recording
from app.engine.jobs import drive
from tests.engine.test_delay_track import RATE, drifting


def recording_of(tmp_path, audio: np.ndarray, name: str = "two-clocks.wav"):
    sf.write(tmp_path / name, (0.3 * audio / np.abs(audio).max()).T.astype(np.float32), RATE, subtype="FLOAT")
    return open_recording(tmp_path / name)


def blocks_of(recording, chosen, ppm) -> tuple[np.ndarray, object]:
    written = []
    result = drive(corrected_blocks(recording, chosen, ppm, written.append))
    return np.concatenate(written, axis=1), result


def test_the_corrected_channel_no_longer_drifts_and_keeps_its_length(tmp_path):
    recording = recording_of(tmp_path, drifting(50.0))
    before = drift(drive(delay_track_job(recording, (0, 1), 0.005)))
    result = drive(corrected_copy_job(recording, tmp_path / "in-step.wav", [1], before.ppm))
    copy = open_recording(tmp_path / "in-step.wav")
    after = drift(drive(delay_track_job(copy, (0, 1), 0.005)))
    assert before.ppm == pytest.approx(50.0, abs=0.5) and abs(after.ppm) < 0.5
    assert copy.frames == recording.frames and copy.channels == 2
    assert result.filled == pytest.approx(48, abs=2)            # 60 s × 16 kHz × 50 ppm fewer samples
    np.testing.assert_allclose(copy.read(0, copy.frames)[0], recording.read(0, recording.frames)[0], atol=1e-6)
    assert sf.info(tmp_path / "in-step.wav").subtype == "PCM_24"


def test_the_stream_gives_what_the_whole_channel_resampled_at_once_would(tmp_path, monkeypatch):
    recording = recording_of(tmp_path, drifting(-30.0, seconds=8.0))
    whole, _ = blocks_of(recording, [1], -30.0)
    monkeypatch.setattr(clock_drift, "BLOCK", 5000)
    streamed, result = blocks_of(recording, [1], -30.0)
    np.testing.assert_allclose(streamed, whole, atol=1e-6)
    assert streamed.shape == (2, recording.frames) and result.filled < 0      # a slow clock's channel comes out longer


def test_the_channels_of_one_recorder_are_corrected_together_and_the_others_copied(tmp_path):
    two = drifting(40.0, seconds=6.0)
    recording = recording_of(tmp_path, np.stack([two[0], two[1], two[1], two[0]]))
    out, result = blocks_of(recording, [1, 2], 40.0)
    source = recording.read(0, recording.frames)
    np.testing.assert_array_equal(out[[0, 3]], source[[0, 3]])
    np.testing.assert_array_equal(out[1], out[2])
    assert not np.allclose(out[1], source[1]) and result.channels == (1, 2)


@pytest.mark.parametrize("chosen, ppm, message", [
    ([], 20.0, "Choose the channels"),
    ([2], 20.0, "within the recording's 2"),
    ([1], 0.0, "cannot be taken out"),
    ([1], 5000.0, "cannot be taken out"),
])
def test_a_correction_that_cannot_be_made_is_named_before_anything_is_written(tmp_path, chosen, ppm, message):
    recording = recording_of(tmp_path, drifting(10.0, seconds=2.0))
    with pytest.raises(ConfigError, match=message):
        next(corrected_copy_job(recording, tmp_path / "copy.wav", chosen, ppm))
    assert not (tmp_path / "copy.wav").exists()


def test_an_in_memory_source_is_corrected_too():
    audio = drifting(50.0, seconds=4.0).astype(np.float32)
    written = []
    drive(corrected_blocks(ArraySource(audio, RATE), [1], 50.0, written.append))
    assert np.concatenate(written, axis=1).shape == audio.shape
