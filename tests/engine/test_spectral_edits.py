"""A frequency band attenuated over a span: the band goes, the rest of the spectrum and the rest of
the time stay, and long spans done block by block give the samples the whole would."""

from __future__ import annotations

import math

import numpy as np
import pytest

from app.engine.documents import Version, VersionKind, default_name
from app.engine.errors import ConfigError
from app.engine.jobs import drive
from app.engine.spectral_edits import (
    AROUND,
    ATTENUATED_SUFFIX,
    attenuate_blocks,
    attenuate_job,
    band_weights,
    check_area,
    preview_job,
    window_frames,
)

RATE = 16000


def _tones(*hz: float, seconds: float = 4.0, rate: int = RATE) -> Version:
    t = np.arange(round(seconds * rate)) / rate
    audio = sum(0.3 * np.sin(2 * np.pi * f * t) for f in hz).astype(np.float32)
    return Version(default_name(VersionKind.SEPARATED, 0), 0, VersionKind.SEPARATED, audio, rate, "tiny", {})


def _level_db(audio: np.ndarray, hz: float, span: tuple[float, float], rate: int = RATE) -> float:
    piece = audio[round(span[0] * rate):round(span[1] * rate)] * np.hanning(round((span[1] - span[0]) * rate))
    spectrum = np.abs(np.fft.rfft(piece))
    return float(20 * np.log10(spectrum[round(hz * (span[1] - span[0]))]))


def test_the_window_is_about_forty_milliseconds_as_a_power_of_two():
    assert (window_frames(16000), window_frames(44100), window_frames(48000), window_frames(8000)) == (
        1024, 2048, 2048, 512)


def test_the_gain_is_reached_inside_the_band_and_ramps_back_to_one_over_two_bins():
    weights = band_weights(16000, 1024, (1000, 2000))       # 15.625 Hz bins: 1000 Hz is bin 64
    assert (weights[64:129] == 1).all()
    np.testing.assert_allclose(weights[61:65], [0.0, 0.0, 0.5, 1.0], atol=1e-6)
    np.testing.assert_allclose(weights[128:131], [1.0, 0.5, 0.0], atol=1e-6)
    assert (weights[:63] == 0).all() and (weights[130:] == 0).all()


def test_the_band_falls_by_the_gain_inside_the_span_and_the_other_tone_stays():
    version = _tones(1000, 3000)
    out = drive(attenuate_blocks(version, (1.0, 3.0), (2500, 3500), -40.0))
    before, after = (_level_db(a, 3000, (1.5, 2.5)) for a in (version.audio, out))
    assert after - before == pytest.approx(-40.0, abs=0.5)
    assert _level_db(out, 1000, (1.5, 2.5)) == pytest.approx(_level_db(version.audio, 1000, (1.5, 2.5)), abs=0.01)


def test_outside_the_span_and_one_window_either_side_the_audio_is_copied_exactly():
    version = _tones(1000, 3000)
    out = drive(attenuate_blocks(version, (1.0, 3.0), (2500, 3500), -math.inf))
    window = window_frames(RATE)
    assert (out[:RATE - window] == version.audio[:RATE - window]).all()
    assert (out[3 * RATE + 2 * window:] == version.audio[3 * RATE + 2 * window:]).all()
    assert _level_db(out, 3000, (1.5, 2.5)) < _level_db(version.audio, 3000, (1.5, 2.5)) - 80


def test_zero_decibels_gives_the_version_back():
    version = _tones(440, 5000)
    np.testing.assert_allclose(drive(attenuate_blocks(version, (0.5, 3.5), (0, 8000), 0.0)), version.audio, atol=1e-6)


def test_blocks_give_exactly_the_samples_the_whole_span_would():
    version = _tones(700, 2100, 6300, seconds=3.0)
    whole = drive(attenuate_blocks(version, (0.2, 2.9), (1500, 2500), -30.0))
    blocked = drive(attenuate_blocks(version, (0.2, 2.9), (1500, 2500), -30.0, block=3000))
    np.testing.assert_array_equal(blocked, whole)


def test_the_new_version_keeps_what_made_it_and_records_every_band():
    version = _tones(1000, 3000)
    (once,) = drive(attenuate_job([version], (1.0, 2.0), (2500, 9000), -20.0))
    (twice,) = drive(attenuate_job([once], (2.0, 3.0), (50, 60), -math.inf))
    assert (twice.talker, twice.kind, twice.model, twice.sample_rate) == (0, VersionKind.SEPARATED, "tiny", RATE)
    assert once.name == version.name + ATTENUATED_SUFFIX and twice.name == once.name
    assert once.settings["attenuated_from"] == version.id and twice.settings["attenuated_from"] == once.id
    assert twice.settings["attenuated"] == [{"seconds": [1.0, 2.0], "hz": [2500, 8000.0], "db": -20.0},
                                            {"seconds": [2.0, 3.0], "hz": [50, 60], "db": "removed"}]
    assert not twice.audio.flags.writeable


@pytest.mark.parametrize(("span", "band", "message"), [
    ((1.0, 2.0), (3000, 2000), "upper edge must lie above"),
    ((1.0, 2.0), (9000, 12000), "nothing above 8000 Hz"),
    ((1.0, 1.001), (100, 200), "too short"),
    ((5.0, 6.0), (100, 200), "too short"),
])
def test_a_band_or_span_with_nothing_to_attenuate_is_named(span, band, message):
    with pytest.raises(ConfigError, match=message):
        drive(attenuate_job([_tones(1000)], span, band, -20.0))


def test_every_version_is_checked_before_any_is_attenuated():
    wide, narrow = _tones(1000, rate=48000), _tones(1000, rate=8000)
    job = attenuate_job([wide, narrow], (1.0, 2.0), (5000, 6000), -20.0)
    with pytest.raises(ConfigError, match="nothing above 4000 Hz"):
        next(job)


def _knock(rate: int = RATE) -> Version:
    """Four seconds of a steady 500 Hz tone over faint noise, with a loud band of noise (a knock)
    from 1.5 to 2.0 s."""
    rng = np.random.default_rng(3)
    t = np.arange(4 * rate) / rate
    audio = 0.2 * np.sin(2 * np.pi * 500 * t) + 0.003 * rng.standard_normal(t.size)
    audio[int(1.5 * rate):2 * rate] += 0.3 * rng.standard_normal(rate // 2)
    return Version(default_name(VersionKind.SEPARATED, 0), 0, VersionKind.SEPARATED, audio.astype(np.float32), rate,
                   "tiny", {})


def _band_db(audio: np.ndarray, span: tuple[float, float], band: tuple[float, float]) -> float:
    piece = audio[round(span[0] * RATE):round(span[1] * RATE)]
    power = np.abs(np.fft.rfft(piece * np.hanning(piece.shape[0]))) ** 2 / piece.shape[0]
    hz = np.fft.rfftfreq(piece.shape[0], 1 / RATE)
    return float(10 * np.log10(power[(hz >= band[0]) & (hz <= band[1])].mean()))


def test_around_brings_the_band_down_to_the_level_around_the_span_and_keeps_the_tone():
    version = _knock()
    out = drive(attenuate_blocks(version, (1.45, 2.05), (1000, 8000), AROUND))
    around = _band_db(version.audio, (0.5, 1.3), (1000, 8000))
    assert _band_db(version.audio, (1.6, 1.9), (1000, 8000)) > around + 30           # the knock, before
    assert _band_db(out, (1.6, 1.9), (1000, 8000)) == pytest.approx(around, abs=3)   # the room's level, after
    assert _level_db(out, 500, (1.6, 1.9)) == pytest.approx(_level_db(version.audio, 500, (1.6, 1.9)), abs=0.5)


def test_around_never_raises_a_band_quieter_than_its_surroundings():
    knock = _knock()
    t = np.arange(RATE // 2) / RATE
    audio = knock.audio.copy()
    audio[3 * RATE:int(3.5 * RATE)] = 0.2 * np.sin(2 * np.pi * 500 * (t + 3.0))    # the faint noise stops here
    version = Version(knock.name, 0, knock.kind, audio, RATE, "tiny", {})
    out = drive(attenuate_blocks(version, (3.0, 3.5), (1000, 8000), AROUND))
    inside = slice(round(3.1 * RATE), round(3.4 * RATE))                # away from the frames reaching the noise
    np.testing.assert_allclose(out[inside], version.audio[inside], atol=1e-5)
    assert _band_db(out, (3.1, 3.4), (1000, 8000)) <= _band_db(version.audio, (3.1, 3.4), (1000, 8000)) + 1e-6


def test_around_a_span_at_the_start_matches_what_follows_it():
    version = _knock()
    (once,) = drive(attenuate_job([version], (0.0, 1.0), (1000, 8000), AROUND))
    assert once.settings["attenuated"][0]["db"] == "to the level around it"


def test_around_a_span_of_the_whole_version_has_nothing_to_match():
    with pytest.raises(ConfigError, match="no sound around it"):
        check_area([_knock()], (0.0, 4.0), (1000, 8000), AROUND)
    with pytest.raises(ConfigError, match="no sound around it"):
        next(attenuate_job([_knock()], (0.0, 4.0), (1000, 8000), AROUND))


@pytest.mark.parametrize("gain_db", [-30.0, AROUND])
def test_the_preview_holds_exactly_the_samples_the_attenuated_version_will(gain_db):
    version = _knock()
    whole = drive(attenuate_blocks(version, (1.45, 2.05), (1000, 8000), gain_db))
    heard = drive(preview_job(version, (1.45, 2.05), (1000, 8000), gain_db, (1.2, 2.3)))
    np.testing.assert_allclose(heard, whole[round(1.2 * RATE):round(2.3 * RATE)], atol=1e-6)


def test_the_preview_of_what_is_taken_away_and_what_is_left_add_up_to_the_version():
    version = _knock()
    heard, span = (1.5, 2.0), (1.45, 2.05)
    kept = drive(preview_job(version, span, (1000, 8000), AROUND, heard))
    taken = drive(preview_job(version, span, (1000, 8000), AROUND, heard, removed=True))
    np.testing.assert_allclose(kept + taken, version.audio[round(1.5 * RATE):round(2.0 * RATE)], atol=1e-6)
    assert _band_db(taken, (0.1, 0.4), (1000, 8000)) > _band_db(kept, (0.1, 0.4), (1000, 8000)) + 20   # the knock


def test_a_preview_outside_the_span_is_the_version_as_it_is():
    version = _knock()
    heard = drive(preview_job(version, (1.45, 2.05), (1000, 8000), -30.0, (3.0, 3.5)))
    np.testing.assert_array_equal(heard, version.audio[3 * RATE:round(3.5 * RATE)])
