"""Recordings of separate recorders are placed on the first one's clock and written side by side."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import soxr
from scipy.signal import lfilter

from app.engine.combine import (
    CombineSettings,
    Keep,
    RecorderChannels,
    check_recordings,
    combine_job,
    placement_job,
    recorders_in,
)
from app.engine.errors import ConfigError
from app.engine.files import ArraySource, Span, open_recording
from app.engine.jobs import drive
from app.engine.provenance import read_tags, write_tags

RATE = 16_000


def _scene(seconds: float, seed: int = 0) -> np.ndarray:
    """A room's sound: bursts of coloured noise a quarter second long, as talkers' syllables come and go."""
    rng = np.random.default_rng(seed)
    n = int(seconds * RATE)
    bursts = np.repeat((rng.random(n // 4000 + 1) > 0.4).astype(float), 4000)[:n]
    return (0.05 * lfilter([1.0], [1.0, -0.9], rng.standard_normal(n)) * bursts).astype(np.float32)


def _recorder(path: Path, sound: np.ndarray, start_s: float, seconds: float, rate: int = RATE, ppm: float = 0.0,
              channels: int = 1, sign: float = 1.0, subtype: str = "PCM_24") -> Path:
    """A recorder that started `start_s` into `sound` and ran `seconds` on a clock `ppm` fast at `rate`
    (its channels a sample apart, as a small array's)."""
    piece = sound[round(start_s * RATE):]
    recorded = soxr.resample(piece.astype(np.float64), RATE, rate * (1 + ppm * 1e-6))[:round(seconds * rate)]
    audio = sign * np.stack([np.roll(recorded, k) for k in range(channels)], axis=1)
    sf.write(path, audio.astype(np.float32), rate, subtype=subtype)
    return path


def _combine(tmp_path: Path, paths: list[Path], **settings) -> tuple:
    recordings = [open_recording(p) for p in paths]
    result = drive(combine_job(recordings, tmp_path / "combined.wav", CombineSettings(**settings)))
    audio, rate = sf.read(tmp_path / "combined.wav", dtype="float32", always_2d=True)
    return result, audio.T, rate


def _lag(a: np.ndarray, b: np.ndarray, reach: int = 40) -> int:
    """Whole samples `b` lags `a` by."""
    scores = [float(np.dot(a[reach:-reach], b[reach + k:len(b) - reach + k])) for k in range(-reach, reach + 1)]
    return int(np.argmax(scores)) - reach


def test_a_recorder_started_earlier_at_another_rate_on_a_drifting_clock_is_put_in_step(tmp_path):
    sound = _scene(200)
    first = _recorder(tmp_path / "first.wav", sound, 5.0, 180, channels=2)
    other = _recorder(tmp_path / "other.wav", sound, 2.5, 195, rate=44_100, ppm=80.0)
    result, audio, rate = _combine(tmp_path, [first, other], sample_rate=RATE)
    placed = result.placements[1]
    assert placed.offset_s == pytest.approx(2.5 * (1 + 80e-6), abs=2e-4)
    assert placed.ppm == pytest.approx(80.0, abs=2.0) and placed.probes_agreeing == placed.probes == 35
    assert rate == RATE and audio.shape == (3, 180 * RATE) and result.channels == ((1, 2), (3,))
    for at in range(0, 170 * RATE, 30 * RATE):
        assert abs(_lag(audio[0, at:at + 5 * RATE], audio[2, at:at + 5 * RATE])) <= 1


def test_two_talkers_at_different_lags_share_one_drift_and_the_recorder_is_lined_up_on_one(tmp_path):
    """A recorder across the room hears each talker a different few milliseconds later: the lags
    gather at two values, both slanting with the clock."""
    turns = np.repeat(np.arange(40) % 2, 3 * RATE)[:100 * RATE].astype(np.float32)
    one, two = _scene(100, seed=12) * turns, _scene(100, seed=13) * (1 - turns)
    later = 64                                                                  # 4 ms
    first = _recorder(tmp_path / "first.wav", one + two, 0.0, 95)
    other = _recorder(tmp_path / "other.wav", one + np.roll(two, later), 0.0, 95, rate=48_000, ppm=-50.0)
    result, audio, _ = _combine(tmp_path, [first, other], sample_rate=RATE)
    placed = result.placements[1]
    assert placed.ppm == pytest.approx(-50.0, abs=1.0)
    assert min(abs(placed.offset_s), abs(placed.offset_s - later / RATE)) < 1e-4
    assert len(placed.sources_s) == 2 and abs(placed.sources_s[1]) == pytest.approx(later / RATE, abs=1e-4)
    assert "other sources at" in placed.describe("first.wav")


def test_a_drift_asked_to_be_left_in_is_measured_and_said_so(tmp_path):
    sound = _scene(100, seed=14)
    result, _, _ = _combine(tmp_path, [_recorder(tmp_path / "a.wav", sound, 0.0, 90),
                                       _recorder(tmp_path / "b.wav", sound, 0.0, 90, ppm=60.0)], drift=False)
    placed = result.placements[1]
    assert placed.ppm == 0.0 and placed.measured_ppm == pytest.approx(60.0, abs=1.0)
    assert re.search(r"a drift left in \(\+(59|60)\.\d\d ppm", placed.describe("a.wav"))


def test_a_recorder_on_the_same_clock_is_given_no_drift(tmp_path):
    sound = _scene(130, seed=1)
    result, _, _ = _combine(tmp_path, [_recorder(tmp_path / "a.wav", sound, 1.0, 120),
                                       _recorder(tmp_path / "b.wav", sound, 0.0, 125)])
    placed = result.placements[1]
    assert placed.ppm == 0.0 and placed.offset_s == pytest.approx(1.0, abs=1e-4)
    assert placed.ppm_interval[0] <= 0 <= placed.ppm_interval[1]


def test_only_the_stretch_every_recorder_ran_is_kept_unless_all_is_asked_for(tmp_path):
    sound = _scene(40, seed=2)
    first = _recorder(tmp_path / "first.wav", sound, 0.0, 30)
    late = _recorder(tmp_path / "late.wav", sound, 4.0, 30)
    overlap, audio, _ = _combine(tmp_path, [first, late])
    assert overlap.start_s == pytest.approx(4.0, abs=1e-3) and audio.shape[1] == pytest.approx(26 * RATE, abs=2)
    assert abs(_lag(audio[0, RATE:6 * RATE], audio[1, RATE:6 * RATE])) <= 1
    whole, audio, _ = _combine(tmp_path, [first, late], keep=Keep.ALL)
    assert whole.start_s == pytest.approx(0.0, abs=1e-9) and audio.shape[1] == pytest.approx(34 * RATE, abs=2)
    assert not np.any(audio[1, :round(3.9 * RATE)]) and not np.any(audio[0, round(30.1 * RATE):])


def test_an_inverted_recorder_is_flipped(tmp_path):
    sound = _scene(40, seed=3)
    result, audio, _ = _combine(tmp_path, [_recorder(tmp_path / "a.wav", sound, 0.0, 30),
                                           _recorder(tmp_path / "b.wav", sound, 0.0, 30, sign=-1.0)])
    assert result.placements[1].inverted and "inverted, flipped" in result.placements[1].describe("a.wav")
    assert np.corrcoef(audio[0], audio[1])[0, 1] > 0.99


def test_a_recorder_that_hears_another_room_is_named_and_nothing_is_written(tmp_path):
    paths = [_recorder(tmp_path / "a.wav", _scene(40, seed=4), 0.0, 30),
             _recorder(tmp_path / "elsewhere.wav", _scene(40, seed=5), 0.0, 30)]
    with pytest.raises(ConfigError, match="elsewhere.wav could not be placed against a.wav"):
        _combine(tmp_path, paths)
    assert not (tmp_path / "combined.wav").exists() and len(list(tmp_path.iterdir())) == 2


def test_recorders_that_never_ran_together_are_refused_unless_all_is_kept(tmp_path):
    sound = _scene(60, seed=6)
    paths = [_recorder(tmp_path / "a.wav", sound, 0.0, 40), _recorder(tmp_path / "early.wav", sound, 0.0, 15),
             _recorder(tmp_path / "late.wav", sound, 22.0, 18)]
    recordings = [open_recording(p) for p in paths]
    with pytest.raises(ConfigError, match="overlap by 0.00 s only"):
        drive(combine_job(recordings, tmp_path / "combined.wav", CombineSettings()))
    result = drive(combine_job(recordings, tmp_path / "combined.wav", CombineSettings(keep=Keep.ALL)))
    assert result.frames == pytest.approx(40 * RATE, abs=2)


def test_a_recorder_overlapping_the_first_by_less_than_a_probe_cannot_be_placed(tmp_path):
    sound = _scene(60, seed=6)
    paths = [_recorder(tmp_path / "a.wav", sound, 0.0, 20), _recorder(tmp_path / "b.wav", sound, 15.0, 20)]
    with pytest.raises(ConfigError, match="b.wav could not be placed"):
        _combine(tmp_path, paths)


def test_a_float_recorder_makes_a_float_file_tagged_with_where_each_recorder_was_put(tmp_path):
    sound = _scene(40, seed=7)
    _combine(tmp_path, [_recorder(tmp_path / "a.wav", sound, 0.0, 30, subtype="FLOAT"),
                        _recorder(tmp_path / "b.wav", sound, 1.0, 30)])
    assert sf.info(tmp_path / "combined.wav").subtype == "FLOAT"
    assert "b.wav (ch 2): started 1.0000 s after a.wav" in read_tags(tmp_path / "combined.wav")["comment"]


def test_a_combined_recording_says_which_channels_came_from_which_recorder(tmp_path):
    sound = _scene(40, seed=10)
    _combine(tmp_path, [_recorder(tmp_path / "array.wav", sound, 0.0, 30, channels=3),
                        _recorder(tmp_path / "phone.wav", sound, 1.0, 30, rate=44_100)])
    with open_recording(tmp_path / "combined.wav") as combined:
        assert recorders_in(combined) == (RecorderChannels("array.wav", (0, 1, 2)),
                                          RecorderChannels("phone.wav", (3,)))
        assert recorders_in(Span(combined, RATE, 5 * RATE)) == recorders_in(combined)     # a selection of it
        assert recorders_in(ArraySource(combined.read(0, RATE), RATE)) == ()
    assert RecorderChannels("array.wav", (0, 1, 2)).describe() == "array.wav, channels 1-3"


def test_a_copy_of_some_of_a_combined_recordings_channels_names_no_recorders(tmp_path):
    sound = _scene(40, seed=11)
    _combine(tmp_path, [_recorder(tmp_path / "a.wav", sound, 0.0, 30, channels=2),
                        _recorder(tmp_path / "b.wav", sound, 1.0, 30)])
    audio, rate = sf.read(tmp_path / "combined.wav", always_2d=True)
    with sf.SoundFile(tmp_path / "two.wav", "w", rate, 2) as copy:
        write_tags(copy, read_tags(tmp_path / "combined.wav"))
        copy.write(audio[:, :2])
    with open_recording(tmp_path / "two.wav") as two, open_recording(tmp_path / "a.wav") as plain:
        assert "combined from" in read_tags(tmp_path / "two.wav")["comment"]
        assert recorders_in(two) == () and recorders_in(plain) == ()


def test_the_placement_alone_writes_nothing(tmp_path):
    sound = _scene(40, seed=8)
    recordings = [open_recording(_recorder(tmp_path / f"{k}.wav", sound, k * 0.5, 30)) for k in range(3)]
    placements = drive(placement_job(recordings, CombineSettings()))
    assert [round(p.offset_s, 3) for p in placements] == [0.0, -0.5, -1.0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["0.wav", "1.wav", "2.wav"]


def test_one_recording_too_many_channels_or_a_target_among_the_sources_is_refused(tmp_path):
    sound = _scene(5, seed=9)
    one = open_recording(_recorder(tmp_path / "one.wav", sound, 0.0, 4))
    wide = open_recording(_recorder(tmp_path / "wide.wav", sound, 0.0, 4, channels=32))
    with pytest.raises(ConfigError, match="at least two recorders"):
        check_recordings([one])
    with pytest.raises(ConfigError, match="33 channels"):
        check_recordings([one, wide])
    with pytest.raises(ConfigError, match="cannot replace one.wav"):
        check_recordings([one, one], tmp_path / "one.wav")


def test_a_search_reach_out_of_range_is_refused():
    with pytest.raises(ConfigError, match="either way"):
        CombineSettings(max_offset_s=0)


def test_a_combined_recording_combined_again_still_names_every_recorder(tmp_path):
    sound = _scene(50, seed=12)
    _combine(tmp_path, [_recorder(tmp_path / "array.wav", sound, 0.0, 40, channels=2),
                        _recorder(tmp_path / "phone.wav", sound, 1.0, 40)])
    (tmp_path / "combined.wav").rename(tmp_path / "table.wav")
    _combine(tmp_path, [tmp_path / "table.wav", _recorder(tmp_path / "camera.wav", sound, 2.0, 40, channels=2)])
    with open_recording(tmp_path / "combined.wav") as combined:
        assert recorders_in(combined) == (RecorderChannels("array.wav in table.wav", (0, 1)),
                                          RecorderChannels("phone.wav in table.wav", (2,)),
                                          RecorderChannels("camera.wav", (3, 4)))
