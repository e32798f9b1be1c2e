"""A/B lane audio: read and measured once per recording, off the GUI thread, and never carried
over to the next recording."""

from __future__ import annotations

import time

import numpy as np

from app.engine.documents import Version, VersionKind
from app.engine.files import open_recording
from app.gui.lane_audio import LaneAudio


def test_the_mixture_lane_is_silent_until_its_channel_is_read_then_it_is_that_channel(qtbot, make_recording):
    with open_recording(make_recording(seconds=2.0)) as rec:
        lanes = LaneAudio(rec)
        with qtbot.waitSignal(lanes.mixture_arrived, timeout=10_000):
            assert not np.any(lanes.mixture()) and not lanes.mixture_ready
        np.testing.assert_array_equal(lanes.mixture(), rec.read(0, rec.frames, [0])[0])
        lanes.close()


def test_a_version_at_another_rate_is_resampled_in_a_worker_to_the_recordings_rate_and_length(qtbot,
                                                                                            make_recording):
    with open_recording(make_recording(seconds=2.0, rate=16_000)) as rec:
        lanes = LaneAudio(rec)
        version = Version("talker 1", 0, VersionKind.SEPARATED, np.ones(8_000, np.float32), 8_000, "tiny", {})
        with qtbot.waitSignal(lanes.lane_arrived, timeout=10_000):
            stand_in = lanes.version(version)
            assert stand_in.shape == (rec.frames,) and not stand_in.any()      # silence until it is made
        lane = lanes.version(version)
        assert lane.shape == (rec.frames,) and lane[4_000:12_000].min() > 0.9 and not lane[16_100:].any()
        assert lane is lanes.version(version)                                  # made once
        lanes.close()


def test_a_long_version_is_resampled_block_by_block_as_one_continuous_signal(qtbot, make_recording):
    import soxr

    with open_recording(make_recording(seconds=70.0, channels=1, rate=16_000)) as rec:
        lanes = LaneAudio(rec)
        frames = 70 * 8_000
        speech = np.sin(np.arange(frames) * 0.3).astype(np.float32) * np.linspace(0, 1, frames, dtype=np.float32)
        version = Version("talker 1", 0, VersionKind.SEPARATED, speech, 8_000, "tiny", {})
        with qtbot.waitSignal(lanes.lane_arrived, timeout=20_000):
            lanes.version(version)
        whole = soxr.resample(speech, 8_000, 16_000, quality="HQ")
        np.testing.assert_allclose(lanes.version(version), whole[:rec.frames], atol=1e-5)
        lanes.close()


def _reporting(rec) -> tuple[LaneAudio, list, np.ndarray]:
    """Lane audio for `rec`, the measurements it reports, and a tone as long as `rec`."""
    lanes, reported = LaneAudio(rec), []
    lanes.loudness_measured.connect(reported.append)
    return lanes, reported, np.sin(np.arange(rec.frames) / 5).astype(np.float32)


def test_a_closed_lane_audio_reports_no_measurement_to_the_next_recording(qtbot, make_recording):
    with open_recording(make_recording(seconds=20.0)) as rec:
        lanes, reported, tone = _reporting(rec)
        lanes.measure_loudness(["a", "b"], [tone, tone])
        lanes.close()                    # as when another file is opened mid-measurement
        qtbot.wait(300)
        assert reported == []


def test_loudness_measurements_that_end_together_are_both_reported(qtbot, make_recording):
    with open_recording(make_recording(seconds=5.0)) as rec:
        lanes, reported, tone = _reporting(rec)
        lanes.measure_loudness(["a"], [tone])
        lanes.measure_loudness(["b"], [0.5 * tone])
        time.sleep(1.0)                  # the GUI thread busy while both end, their results queued
        qtbot.waitUntil(lambda: len(reported) == 2, timeout=10_000)
        assert lanes.loudness("a") > lanes.loudness("b")
