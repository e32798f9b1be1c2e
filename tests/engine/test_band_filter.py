"""A band of frequencies alone, streamed: the band stays, the rest goes, the joins are seamless,
and playback plays only the band while one is chosen."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from app.engine.band_filter import BandFilter
from app.engine.files import open_recording
from app.engine.playback import Player, RecordingSource
from tests.engine.test_playback import wait_until

RATE = 16_000


def _tones(*hz: float, seconds: float = 2.0) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    return np.stack([sum(0.3 * np.sin(2 * np.pi * f * t) for f in hz)] * 2, axis=1).astype(np.float32)


def _level_db(audio: np.ndarray, hz: float) -> float:
    piece = audio[RATE // 2:, 0]                         # past the filter's start-up
    spectrum = np.abs(np.fft.rfft(piece * np.hanning(piece.shape[0])))
    return float(20 * np.log10(spectrum[round(hz * piece.shape[0] / RATE)] + 1e-12))


@pytest.mark.parametrize(("band", "kept", "gone"), [((2000, 4000), 3000, 500), ((0, 1000), 500, 3000),
                                                    ((2000, 8000), 3000, 500)])
def test_the_band_stays_and_the_rest_falls_by_forty_decibels(band, kept, gone):
    audio = _tones(500, 3000)
    out = BandFilter(band, RATE, 2).process(audio)
    assert _level_db(out, kept) == pytest.approx(_level_db(audio, kept), abs=1.0)
    assert _level_db(out, gone) < _level_db(audio, gone) - 40


@pytest.mark.parametrize(("band", "kept", "gone"), [((2000, 4000), 500, 3000), ((0, 1000), 3000, 500),
                                                    ((1000, 8000), 500, 3000)])
def test_taken_away_the_band_goes_and_the_rest_stays(band, kept, gone):
    audio = _tones(500, 3000)
    out = BandFilter(band, RATE, 2, keep=False).process(audio)
    assert _level_db(out, kept) == pytest.approx(_level_db(audio, kept), abs=1.0)
    assert _level_db(out, gone) < _level_db(audio, gone) - 40


def test_the_whole_spectrum_taken_away_leaves_silence():
    assert not BandFilter((0, 8000), RATE, 2, keep=False).process(_tones(500, 3000)).any()


def test_a_band_above_the_rate_plays_nothing_alone_and_everything_taken_away():
    audio = _tones(500, 3000)
    assert not BandFilter((10_000, 20_000), RATE, 2).process(audio).any()
    np.testing.assert_array_equal(BandFilter((10_000, 20_000), RATE, 2, keep=False).process(audio), audio)


def test_blocks_join_seamlessly():
    audio = _tones(500, 3000)
    whole = BandFilter((2000, 4000), RATE, 2).process(audio)
    streamed = BandFilter((2000, 4000), RATE, 2)
    blocks = np.concatenate([streamed.process(audio[k:k + 1000]) for k in range(0, audio.shape[0], 1000)])
    np.testing.assert_allclose(blocks, whole, atol=1e-6)


def test_the_whole_spectrum_is_the_audio_as_it_was():
    audio = _tones(500, 3000)
    np.testing.assert_array_equal(BandFilter((0, 8000), RATE, 2).process(audio), audio)


def test_playback_meters_only_the_chosen_band(tmp_path):
    sf.write(tmp_path / "hum.wav", _tones(500, seconds=5.0), RATE, subtype="FLOAT")
    with open_recording(tmp_path / "hum.wav") as recording:
        player = Player()
        player.load(RecordingSource(recording, [0]))
        player.set_band((2000, 4000))
        player.seek(RATE)
        player.play()
        try:
            assert wait_until(lambda: player.level() is not None and player.position > 2 * RATE)
            assert player.level().max() < 0.003                  # the 500 Hz tone, 40 dB and more down
        finally:
            player.pause()


def test_the_warm_up_imports_the_filter_library_once_in_the_background():
    import subprocess
    import sys

    code = ("import sys, app.engine.band_filter as b; t = b.warm_up(); t.join(); "
            "print('scipy.signal' in sys.modules, b.warm_up() is None)")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True).stdout.split() == ["True", "True"]
