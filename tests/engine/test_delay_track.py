"""The delay between two microphones over time (a GCC-PHAT correlogram): each talker's line where
its delay is, lit while it speaks, read block by block, on signals whose delays are known."""

from __future__ import annotations

import numpy as np
import pyroomacoustics as pra
import pytest
import soxr

from app.engine import delay_track
from app.engine.delay_track import UPSAMPLE, delay_track_job, describe, drift, source_labels, strongest_delays
from app.engine.demo import DEMO_DIR
from app.engine.errors import ConfigError
from app.engine.files import ArraySource, Span, open_recording
from app.engine.jobs import drive
from tests.engine.test_alignment import delayed

RATE = 16_000
SPEED_OF_SOUND = 343.0


def turns(seconds: float = 8.0, delays: tuple[int, int] = (3, -5)) -> np.ndarray:
    """Two channels: one noise source for the first half, heard `delays[0]` samples later on the
    second channel, another for the second half, `delays[1]` samples later."""
    rng = np.random.default_rng(1)
    half = round(seconds * RATE / 2)
    first, second = rng.standard_normal(half), rng.standard_normal(half)
    return np.stack([np.concatenate([first, second]),
                     np.concatenate([delayed(first, delays[0]), delayed(second, delays[1])])])


def test_each_columns_peak_sits_at_the_delay_of_the_source_heard_then():
    track = drive(delay_track_job(ArraySource(turns(), RATE)))
    times = track.times
    early, late = times < 3.9, times > 4.1
    np.testing.assert_allclose(track.peak[early], 3 / RATE, atol=0.5 / (UPSAMPLE * RATE))
    np.testing.assert_allclose(track.peak[late], -5 / RATE, atol=0.5 / (UPSAMPLE * RATE))
    assert track.height[early | late].min() > 0.9                   # a pure delay correlates fully


def test_the_strongest_delays_are_the_two_sources_with_the_share_of_time_each_holds():
    track = drive(delay_track_job(ArraySource(turns(delays=(3, -5)), RATE)))
    modes = strongest_delays(track)
    assert [round(m.seconds * RATE) for m in modes] == [-5, 3] or [round(m.seconds * RATE) for m in modes] == [3, -5]
    assert sum(m.share for m in modes) == pytest.approx(1.0, abs=0.03)
    assert all(m.share == pytest.approx(0.5, abs=0.05) for m in modes)
    assert "+0.188 ms" in describe(track, modes) and "-0.312 ms" in describe(track, modes)


def test_two_talkers_in_a_room_draw_lines_at_their_geometric_delays():
    room = pra.ShoeBox([6.0, 5.0, 3.0], fs=RATE, max_order=4, materials=pra.Material(0.6))
    mics = np.array([[2.9, 3.1], [2.5, 2.5], [1.2, 1.2]])          # 20 cm apart along x
    room.add_microphone_array(mics)
    places = [np.array([1.5, 4.0, 1.5]), np.array([4.6, 1.2, 1.5])]
    rng = np.random.default_rng(2)
    half = 3 * RATE
    for k, place in enumerate(places):
        signal = np.zeros(2 * half)
        signal[k * half:(k + 1) * half] = rng.standard_normal(half)
        room.add_source(place.tolist(), signal=signal)
    room.simulate()
    audio = room.mic_array.signals[:, :2 * half]
    track = drive(delay_track_job(ArraySource(audio, RATE)))
    expected = sorted((np.linalg.norm(p - mics[:, 1]) - np.linalg.norm(p - mics[:, 0])) / SPEED_OF_SOUND
                      for p in places)
    found = sorted(m.seconds for m in strongest_delays(track)[:2])
    np.testing.assert_allclose(found, expected, atol=0.5 / RATE)


@pytest.mark.parametrize("reach", [0.002, 0.1])
def test_unrelated_channels_have_no_clear_delay(reach):
    rng = np.random.default_rng(3)
    track = drive(delay_track_job(ArraySource(rng.standard_normal((2, 60 * RATE)), RATE), reach_s=reach))
    assert track.height.max() < track.floor
    assert strongest_delays(track) == [] and "no clear delay" in describe(track, [])


def test_silence_has_no_delay_to_show():
    audio = turns()
    audio[:, :2 * RATE] = 0.0
    track = drive(delay_track_job(ArraySource(audio, RATE)))
    silent = track.times < 1.9
    assert np.isnan(track.peak[silent]).all() and (track.height[silent] == 0).all()
    assert not track.clear[silent].any() and track.clear[~silent & (track.times > 2.1)].all()


def test_blocks_give_the_columns_the_whole_would(monkeypatch):
    audio = turns()
    whole = drive(delay_track_job(ArraySource(audio, RATE)))
    monkeypatch.setattr(delay_track, "BLOCK_SAMPLES", 5000)
    seen = []
    blocked = drive(delay_track_job(ArraySource(audio, RATE)), on_progress=seen.append)
    assert seen[-1].total > 10
    np.testing.assert_allclose(blocked.image, whole.image, atol=1e-5)


def test_a_selection_is_tracked_in_the_recordings_time():
    source = ArraySource(turns(), RATE)
    track = drive(delay_track_job(Span(source, 3 * RATE, 7 * RATE)))
    assert track.times[0] == pytest.approx(3.0 + track.column_seconds / 2)
    assert track.times[-1] < 7.0
    assert np.nanmedian(track.peak[track.times > 4.2]) == pytest.approx(-5 / RATE, abs=0.5 / (UPSAMPLE * RATE))


def test_a_long_span_gets_longer_columns_and_never_more_than_the_bound(monkeypatch):
    monkeypatch.setattr(delay_track, "MOST_COLUMNS", 20)
    track = drive(delay_track_job(ArraySource(turns(), RATE)))
    assert track.image.shape[0] <= 20 and track.column_seconds > delay_track.COLUMN_SECONDS


def test_a_wider_reach_finds_a_delay_of_channels_out_of_step():
    audio = turns(delays=(800, 800))                                 # 50 ms: channels of two devices
    narrow = drive(delay_track_job(ArraySource(audio, RATE)))
    wide = drive(delay_track_job(ArraySource(audio, RATE), reach_s=0.1))
    assert narrow.height.max() < narrow.floor
    assert strongest_delays(wide)[0].seconds == pytest.approx(0.05, abs=0.5 / RATE)


@pytest.mark.parametrize("channels, pair, reach, message", [
    (1, (0, 1), 0.002, "at least two channels"),
    (4, (0, 4), 0.002, "not both in a recording of 4 channels"),
    (4, (2, 2), 0.002, "against itself"),
    (2, (0, 1), 0.5, "outside 0–250 ms"),
])
def test_a_pair_or_reach_that_cannot_be_tracked_is_named(channels, pair, reach, message):
    source = ArraySource(np.zeros((channels, RATE), np.float32), RATE)
    with pytest.raises(ConfigError, match=message):
        next(delay_track_job(source, pair, reach))


def test_a_range_shorter_than_one_column_is_refused():
    with pytest.raises(ConfigError, match="are needed for a delay"):
        next(delay_track_job(ArraySource(np.zeros((2, 500), np.float32), RATE)))


def drifting(ppm: float, seconds: float = 60.0) -> np.ndarray:
    """Two channels of one noise, the second sampled by a clock `ppm` millionths fast: the delay
    grows by `ppm` microseconds a second."""
    source = np.random.default_rng(4).standard_normal(round(seconds * RATE))
    late = soxr.resample(source, RATE, RATE * (1 + ppm * 1e-6))[:source.size]
    return np.stack([source, np.pad(late, (0, source.size - late.size))])


def test_clocks_parting_make_the_delays_drift_at_their_rate():
    track = drive(delay_track_job(ArraySource(drifting(50.0), RATE), reach_s=0.005))
    moved = drift(track)
    assert moved.ppm == pytest.approx(50.0, abs=0.5) and moved.error_ppm < 1.0
    assert "drift +50.0 ± 0.0 ppm (+3.000 ms over the 60 s)" in describe(track, strongest_delays(track), moved)


def test_talkers_taking_turns_at_two_delays_are_no_drift():
    track = drive(delay_track_job(ArraySource(turns(seconds=40.0), RATE)))
    moved = drift(track)
    assert abs(moved.ppm) < 0.1
    assert "No drift to see" in describe(track, strongest_delays(track), moved)


@pytest.mark.parametrize("name", ["meeting-respeaker4", "kitchen-respeaker6", "interview-stereo"])
def test_one_arrays_channels_never_read_as_drifting(name):
    recording = open_recording(DEMO_DIR / name / "mixture.flac")
    for other in range(1, min(recording.channels, 4)):
        track = drive(delay_track_job(recording, (0, other)))
        moved = drift(track)
        assert moved is None or "No drift to see" in describe(track, strongest_delays(track), moved)


def test_too_few_clear_columns_say_nothing_of_a_drift():
    audio = turns()
    audio[:, RATE:] = 0.0                     # one second of sound: ten columns
    assert drift(drive(delay_track_job(ArraySource(audio, RATE)))) is None


def test_each_source_gets_a_label_over_the_time_it_is_heard_from_its_place():
    track = drive(delay_track_job(Span(ArraySource(turns(), RATE), RATE, 8 * RATE)))
    labels = source_labels(track, strongest_delays(track))
    assert [label.text.split(" at ")[1] for label in labels] == ["+0.188 ms", "-0.312 ms"]
    first, second = labels
    assert first.start == pytest.approx(1.0, abs=0.11) and first.stop == pytest.approx(4.0, abs=0.2)
    assert second.start == pytest.approx(4.0, abs=0.2) and second.stop == pytest.approx(8.0, abs=0.11)
    assert source_labels(track, []) == []
