"""F0 tracks with pYIN, piece by piece: right on tones of known pitch, silent where nothing is
voiced, and the same as one track of the whole lane across the pieces' edges."""

from __future__ import annotations

import math

import librosa
import numpy as np
import pytest
import soundfile as sf

from app.engine.errors import ConfigError, JobCancelled
from app.engine.files import ArraySource, open_recording
from app.engine.jobs import drive
from app.engine.pitch import (
    FRAME_LENGTH,
    HOP_SECONDS,
    PIECE_SECONDS,
    PITCH_RATE,
    PitchSettings,
    PitchTrack,
    piece_count,
    track_job,
    track_piece,
)
from app.engine.demo import DEMO_DIR


def voice_like(f0: np.ndarray, rate: int) -> np.ndarray:
    """A harmonic tone following `f0` (Hz per sample; 0 for silence), five partials falling off."""
    phase = 2 * np.pi * np.cumsum(f0) / rate
    tone = sum(np.sin(k * phase) / k for k in range(1, 6))
    return (0.2 * tone * (f0 > 0)).astype(np.float32)


def lane(audio: np.ndarray, rate: int) -> ArraySource:
    return ArraySource(audio[None], rate, "lane.wav")


def test_a_steady_tone_is_tracked_at_its_pitch_at_any_rate():
    for rate in (8_000, 16_000, 44_100):
        audio = voice_like(np.full(2 * rate, 150.0), rate)
        track = drive(track_job(lane(audio, rate), 0, PitchSettings()))
        assert track.voiced_share > 0.9
        assert track.percentile_hz(50) == pytest.approx(150.0, rel=0.01)


def test_a_glide_is_followed_frame_by_frame():
    rate = 16_000
    f0 = np.linspace(110.0, 220.0, 3 * rate)
    track = drive(track_job(lane(voice_like(f0, rate), rate), 0, PitchSettings()))
    inner = (track.times > 0.2) & (track.times < 2.8)
    expected = np.interp(track.times[inner], np.arange(f0.size) / rate, f0)
    assert np.nanmax(np.abs(track.f0_hz[inner] / expected - 1)) < 0.03


def test_silence_and_noise_have_no_pitch():
    rate = 16_000
    noise = 0.1 * np.random.default_rng(0).standard_normal(2 * rate).astype(np.float32)
    for audio in (np.zeros(2 * rate, np.float32), noise):
        track = drive(track_job(lane(audio, rate), 0, PitchSettings()))
        assert track.voiced_share < 0.05
    silent = drive(track_job(lane(np.zeros(rate, np.float32), rate), 0, PitchSettings()))
    assert math.isnan(silent.percentile_hz(50))


def test_frames_lie_every_ten_milliseconds_from_the_lane_start():
    rate = 22_050
    audio = voice_like(np.full(round(23.4 * rate), 200.0), rate)
    track = drive(track_job(lane(audio, rate), 0, PitchSettings()))
    assert track.times[0] == 0.0
    np.testing.assert_allclose(np.diff(track.times), HOP_SECONDS, atol=1e-9)
    assert track.times[-1] < 23.4
    assert track.times.size == pytest.approx(2340, abs=1)


def test_pieces_stitch_into_the_track_of_the_whole_lane():
    """A recording of the demo's talker, tracked whole by librosa and in 10 s pieces: the
    pieces' context makes the frames at their edges agree too."""
    audio, rate = sf.read(DEMO_DIR / "meeting-respeaker4" / "talker1.flac", dtype="float32")
    audio = np.concatenate([audio, audio[::-1], audio])[: round(2.5 * PIECE_SECONDS * rate)]
    assert rate == PITCH_RATE
    f0, voiced, _ = librosa.pyin(audio, fmin=65.0, fmax=600.0, sr=rate, frame_length=FRAME_LENGTH,
                                 hop_length=round(HOP_SECONDS * rate))
    whole = np.where(voiced, f0, np.nan)[: round(2.5 * PIECE_SECONDS / HOP_SECONDS)]
    pieces = drive(track_job(lane(audio, rate), 0, PitchSettings()))
    assert pieces.f0_hz.size == whole.size
    same_voicing = np.isfinite(pieces.f0_hz) == np.isfinite(whole)
    assert same_voicing.mean() > 0.99
    both = np.isfinite(pieces.f0_hz) & np.isfinite(whole)
    assert np.median(np.abs(pieces.f0_hz[both] / whole[both] - 1)) < 0.005
    near_edges = np.abs(((pieces.times + 0.5 * PIECE_SECONDS) % PIECE_SECONDS) - 0.5 * PIECE_SECONDS) < 0.1
    assert same_voicing[near_edges].mean() > 0.95


def test_a_piece_reports_only_its_own_ten_seconds():
    rate = 16_000
    source = lane(voice_like(np.full(25 * rate, 180.0), rate), rate)
    assert piece_count(source.frames, rate) == 3
    middle = track_piece(source, 0, 1, PitchSettings())
    assert middle.times[0] == pytest.approx(10.0)
    assert middle.times[-1] == pytest.approx(19.99)
    last = track_piece(source, 0, 2, PitchSettings())
    assert last.times[-1] < 25.0


def test_a_range_is_tracked_alone():
    rate = 16_000
    source = lane(voice_like(np.full(30 * rate, 180.0), rate), rate)
    track = drive(track_job(source, 0, PitchSettings(), 12.0, 14.5))
    assert track.times[0] == pytest.approx(12.0)
    assert track.times[-1] == pytest.approx(14.49)


def test_each_channel_of_a_recording_is_tracked_on_its_own(tmp_path):
    rate = 16_000
    low, high = voice_like(np.full(rate, 120.0), rate), voice_like(np.full(rate, 240.0), rate)
    path = tmp_path / "two.wav"
    sf.write(path, np.stack([low, high], axis=1), rate)
    recording = open_recording(path)
    medians = [drive(track_job(recording, c, PitchSettings())).percentile_hz(50) for c in (0, 1)]
    assert medians == pytest.approx([120.0, 240.0], rel=0.01)


def test_the_search_range_bounds_what_is_found():
    rate = 16_000
    audio = voice_like(np.full(rate, 400.0), rate)
    above = drive(track_job(lane(audio, rate), 0, PitchSettings(65.0, 300.0)))
    assert not np.any(above.f0_hz > 300.0)


def test_an_impossible_range_is_refused_by_its_figures():
    with pytest.raises(ConfigError, match="300–200 Hz"):
        PitchSettings(300.0, 200.0)
    with pytest.raises(ConfigError, match="at least 30 Hz"):
        PitchSettings(10.0, 200.0)


def test_not_a_number_samples_count_as_silence():
    rate = 16_000
    audio = voice_like(np.full(rate, 150.0), rate)
    audio[4000:4100] = np.nan
    track = drive(track_job(lane(audio, rate), 0, PitchSettings()))
    assert np.all(np.isnan(track.f0_hz) | np.isfinite(track.f0_hz))
    assert track.percentile_hz(50) == pytest.approx(150.0, rel=0.01)


def test_a_clip_shorter_than_a_frame_is_tracked_without_error():
    rate = 16_000
    track = drive(track_job(lane(voice_like(np.full(300, 150.0), rate), rate), 0, PitchSettings()))
    assert track.times.size <= 2


def test_the_value_at_a_time_is_the_frame_holding_it():
    track = PitchTrack(np.array([0.0, 0.01, 0.02]), np.array([100.0, np.nan, 120.0]))
    assert track.at(0.004) == 100.0
    assert math.isnan(track.at(0.011))
    assert track.at(0.0249) == 120.0
    assert math.isnan(track.at(0.5))
    assert math.isnan(PitchTrack.empty().at(0.0))


def test_tracking_stops_between_pieces_when_cancelled():
    rate = 16_000
    source = lane(voice_like(np.full(35 * rate, 150.0), rate), rate)
    seen = []
    with pytest.raises(JobCancelled):
        drive(track_job(source, 0, PitchSettings()), seen.append, lambda: len(seen) >= 1)
    assert [p.done for p in seen] == [1]


def test_the_helper_process_tracks_the_same_pitch_in_another_process():
    """The desktop app has pYIN run in a helper process (its compiled Viterbi holds the GIL)."""
    import os

    from app.engine import pitch

    rate = 16_000
    source = lane(voice_like(np.linspace(120.0, 180.0, 2 * rate), rate), rate)
    was_on = pitch.PITCH_HELPER.enabled
    pitch.pitch_in_helper_process(False)
    here = track_piece(source, 0, 0, PitchSettings())
    pitch.pitch_in_helper_process()
    try:
        there = track_piece(source, 0, 0, PitchSettings())
        np.testing.assert_array_equal(there.f0_hz, here.f0_hz)
        assert pitch.PITCH_HELPER.pool.submit(os.getpid).result() != os.getpid()
    finally:
        pitch.pitch_in_helper_process(was_on)


def test_several_lanes_are_tracked_together_and_known_pieces_are_not_tracked_again(monkeypatch):
    from app.engine import pitch

    rate = 16_000
    low = lane(voice_like(np.full(25 * rate, 120.0), rate), rate)
    high = lane(voice_like(np.full(12 * rate, 240.0), rate), rate)
    known = track_piece(low, 0, 1, PitchSettings())
    tracked = []
    original = pitch.track_piece

    def counted(source, channel, index, settings):
        tracked.append((source.frames, index))
        return original(source, channel, index, settings)

    monkeypatch.setattr(pitch, "track_piece", counted)
    seen = []
    tracks = drive(pitch.tracks_job([(low, 0), (high, 0)], PitchSettings(), 5.0, 30.0, [{1: known}, {}]), seen.append)
    assert tracked == [(low.frames, 0), (low.frames, 2), (high.frames, 0), (high.frames, 1)]
    assert [(p.done, p.total) for p in seen] == [(1, 4), (2, 4), (3, 4), (4, 4)]
    assert tracks[0].times[0] == 5.0 and tracks[0].times[-1] == pytest.approx(24.99)
    assert tracks[1].times[-1] == pytest.approx(11.99)
    assert [t.percentile_hz(50) for t in tracks] == pytest.approx([120.0, 240.0], rel=0.01)


def test_the_csv_has_a_row_for_every_frame_any_track_holds():
    from app.engine.pitch import pitch_csv

    long = PitchTrack(np.array([1.0, 1.01, 1.02]), np.array([100.0, np.nan, 102.5]))
    short = PitchTrack(np.array([1.01]), np.array([200.0]))
    text = pitch_csv(["ch1_f0_hz", "Separated · talker 1, take 2"], [long, short])
    assert text.splitlines() == ['time_s,ch1_f0_hz,"Separated · talker 1, take 2"',
                                 "1.00,100.00,", "1.01,,200.00", "1.02,102.50,"]
    assert pitch_csv(["a"], [PitchTrack.empty()]) == "time_s,a\n"
