"""A late or inverted estimate aligned with the mixture: shifted to the sample and flipped, its
length kept; one with no clear delay, or already aligned, is named and left alone."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from app.engine.documents import Version, VersionKind
from app.engine.errors import ConfigError
from app.engine.files import open_recording
from app.engine.jobs import drive
from app.engine.time_align import ALIGNED_SUFFIX, align_job, delay_against_mixture

RATE = 16_000


@pytest.fixture
def meeting(tmp_path):
    """A 48 kHz two-channel mixture of two noise 'talkers', and each talker's clean 16 kHz signal."""
    import soxr

    rng = np.random.default_rng(0)
    talkers = [rng.standard_normal(6 * RATE).astype(np.float32) * 0.1 for _ in range(2)]
    mixture = np.stack([talkers[0] + talkers[1], talkers[0] + 0.5 * talkers[1]], axis=1)
    path = tmp_path / "meeting.wav"
    sf.write(path, soxr.resample(mixture, RATE, 48_000), 48_000, subtype="FLOAT")
    with open_recording(path) as recording:
        yield recording, talkers


def late_by(audio: np.ndarray, frames: int) -> np.ndarray:
    return np.concatenate([np.zeros(frames, np.float32), audio[:-frames]])


def estimate(audio: np.ndarray, name: str = "Imported · talker 1") -> Version:
    return Version(name, 0, VersionKind.IMPORTED, audio.astype(np.float32), RATE, "other.wav", {})


def test_a_late_inverted_estimate_is_moved_back_and_flipped(meeting):
    recording, talkers = meeting
    late = -np.concatenate([np.zeros(800, np.float32), talkers[0][:-800]])             # 50 ms late, inverted
    (aligned,) = drive(align_job([estimate(late)], recording))
    np.testing.assert_allclose(aligned.audio[:-800], talkers[0][:-800], atol=1e-6)
    assert (aligned.audio[-800:] == 0).all() and aligned.audio.shape == late.shape
    assert aligned.name.endswith(ALIGNED_SUFFIX)
    assert aligned.settings["aligned"]["shift_ms"] == -50.0 and aligned.settings["aligned"]["polarity_flipped"]


def test_an_early_estimate_is_moved_later(meeting):
    recording, talkers = meeting
    early = np.concatenate([talkers[1][160:], np.zeros(160, np.float32)])             # 10 ms early
    delay = drive(delay_against_mixture(estimate(early), recording))
    assert delay.seconds == pytest.approx(-0.010, abs=1 / RATE) and not delay.inverted
    (aligned,) = drive(align_job([estimate(early)], recording))
    np.testing.assert_allclose(aligned.audio[160:], talkers[1][160:], atol=1e-6)
    assert aligned.settings["aligned"]["shift_ms"] == 10.0


def test_an_estimate_already_in_step_is_named_and_not_copied(meeting):
    recording, talkers = meeting
    with pytest.raises(ConfigError, match="already aligned"):
        drive(align_job([estimate(talkers[0])], recording))


def test_an_estimate_unrelated_to_the_recording_has_no_clear_delay(meeting):
    recording, _ = meeting
    stranger = np.random.default_rng(9).standard_normal(6 * RATE)
    with pytest.raises(ConfigError, match="no clear delay"):
        drive(align_job([estimate(stranger, "Imported · stranger")], recording))


def test_an_estimate_under_a_second_is_too_short(meeting):
    recording, talkers = meeting
    with pytest.raises(ConfigError, match="too short"):
        drive(align_job([estimate(talkers[0][:RATE // 2])], recording))


def test_a_late_estimate_gets_a_note_saying_what_aligning_would_do(meeting):
    from app.engine.time_align import step_note

    recording, talkers = meeting
    late = -np.concatenate([np.zeros(512, np.float32), talkers[0][:-512]])
    assert drive(step_note(estimate(late), recording)) == ("“Imported · talker 1” meets the mixture 32 ms late and "
                                                           "inverted: Edit ▸ Align with the mixture puts it in step.")
    assert drive(step_note(estimate(talkers[1]), recording)) is None
    assert drive(step_note(estimate(late_by(talkers[1], 8)), recording)) is None         # 0.5 ms: another mic's
    assert drive(step_note(estimate(talkers[1][:RATE // 2]), recording)) is None         # too short to tell
