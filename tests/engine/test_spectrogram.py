"""Spectrogram images: levels in dBFS, frequency axes, zoom ladder, tiles and cache."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from app.engine.errors import ConfigError
from app.engine.files import Recording, open_recording
from app.engine.spectrogram import (
    _PERIODIC_WINDOWS,
    TILE_COLUMNS,
    FrequencyAxis,
    FrequencyScale,
    SpectrogramSettings,
    TileCache,
    Window,
    _read_frames,
    bench_redraw,
    column_stride,
    compute_image,
    exact_envelope,
    image_steps,
    to_color_indices,
)

RATE = 16_000


def write(path: Path, audio: np.ndarray, rate: int = RATE) -> Recording:
    """`audio` is (frames, channels)."""
    sf.write(path, audio.astype(np.float32), rate, subtype="FLOAT")
    return open_recording(path)


def sine(hz: float, seconds: float, amplitude: float = 1.0, rate: int = RATE) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return amplitude * np.sin(2 * np.pi * hz * t)


class CountingRecording(Recording):
    """A real recording that also tallies the frames it was asked to read."""

    frames_read = 0

    def read(self, start_frame, stop_frame, channels=None):
        block = super().read(start_frame, stop_frame, channels)
        self.frames_read += block.shape[1]
        return block


@pytest.fixture
def two_tones(tmp_path: Path) -> Recording:
    """Channel 1: 1 kHz at full scale; channel 2: 3 kHz at -20 dBFS. 4 s."""
    audio = np.stack([sine(1000, 4), sine(3000, 4, 0.1)], axis=1)
    with write(tmp_path / "tones.wav", audio) as rec:
        yield rec


def peak_row_hz(image, channel: int) -> float:
    profile = image.level_db[channel].mean(axis=0)
    rows = image.level_db.shape[2]
    return float(image.axis.to_hz((np.argmax(profile) + 0.5) / rows))


def test_full_scale_sine_peaks_at_zero_dbfs(two_tones):
    settings = SpectrogramSettings(frequency_scale=FrequencyScale.LINEAR)
    image = compute_image(two_tones, 0, two_tones.frames, 200, settings, rows=512)   # one row per bin
    assert image.level_db[0].max() == pytest.approx(0.0, abs=0.5)
    assert image.level_db[1].max() == pytest.approx(-20.0, abs=0.5)


@pytest.mark.parametrize("scale", list(FrequencyScale))
def test_tone_lands_on_its_frequency_row_on_every_scale(two_tones, scale):
    image = compute_image(two_tones, 0, two_tones.frames, 200, SpectrogramSettings(frequency_scale=scale), rows=256)
    assert peak_row_hz(image, 0) == pytest.approx(1000, rel=0.06)
    assert peak_row_hz(image, 1) == pytest.approx(3000, rel=0.06)


@pytest.mark.parametrize("scale", list(FrequencyScale))
def test_frequency_axis_maps_hz_to_unit_and_back(scale):
    axis = FrequencyAxis.for_settings(SpectrogramSettings(frequency_scale=scale), 48_000)
    hz = np.array([100.0, 1000.0, 8000.0, 24000.0])
    np.testing.assert_allclose(axis.to_hz(axis.to_unit(hz)), hz, rtol=1e-9)
    assert axis.to_unit(24000.0) == pytest.approx(1.0)


def test_mel_axis_gives_speech_band_more_room_than_linear():
    linear = FrequencyAxis.for_settings(SpectrogramSettings(frequency_scale=FrequencyScale.LINEAR), 48_000)
    mel = FrequencyAxis.for_settings(SpectrogramSettings(frequency_scale=FrequencyScale.MEL), 48_000)
    assert mel.to_unit(4000.0) > 3 * linear.to_unit(4000.0)


def test_silence_is_below_any_floor(tmp_path):
    with write(tmp_path / "silence.wav", np.zeros((RATE, 1))) as rec:
        image = compute_image(rec, 0, rec.frames, 100, SpectrogramSettings())
    assert image.level_db.max() < -150
    assert to_color_indices(image.level_db, -100, -20).max() == 0


def test_color_indices_span_floor_to_ceiling():
    levels = np.array([-120.0, -100.0, -60.0, -20.0, 5.0], dtype=np.float32)
    np.testing.assert_array_equal(to_color_indices(levels, -100, -20), [0, 0, 127, 255, 255])


def test_zoomed_out_reads_about_one_frame_per_column(tmp_path):
    path = tmp_path / "long.flac"      # read through libsndfile, window by window, so each read is counted
    sf.write(path, np.zeros((RATE * 120, 2), np.float32), RATE)
    with CountingRecording(path) as rec:
        rec.frames_read = 0     # not counting the check read at open
        settings = SpectrogramSettings()
        image = compute_image(rec, 0, rec.frames, 300, settings)
        assert rec.frames_read <= image.columns * settings.n_fft
        assert rec.frames_read < rec.frames / 5


class WindowByWindow(Recording):
    """A real recording read one window at a time, as files without a memory map are."""

    def read_windows(self, *args, **kwargs):
        return None


@pytest.mark.parametrize("span_seconds", [120, 2])
def test_strided_reads_draw_the_same_image_as_one_read_per_window(tmp_path, span_seconds):
    path = tmp_path / "noise.wav"
    sf.write(path, 0.3 * np.random.default_rng(3).standard_normal((RATE * 120, 2)), RATE, subtype="PCM_16")
    images = []
    for kind in (Recording, WindowByWindow):
        with kind(path) as rec:
            start = rec.frames // 2
            images.append(compute_image(rec, start, start + span_seconds * RATE, 300, SpectrogramSettings()))
    np.testing.assert_array_equal(images[0].level_db, images[1].level_db)
    np.testing.assert_array_equal(images[0].envelope_max, images[1].envelope_max)


def test_zoomed_in_columns_are_the_real_hop(two_tones):
    settings = SpectrogramSettings(hop=128)
    image = compute_image(two_tones, 8000, 8000 + 1600, 1200, settings)
    assert image.stride == 128
    assert image.start_frame <= 8000 and image.stop_frame >= 9600


def test_zoomed_out_stride_is_within_ten_percent_of_one_column_per_pixel():
    for span in (400_000, 1_000_000, 172_800_000):
        stride = column_stride(span, 1200, 256)
        assert 0.9 < (span / 1200) / stride < 1.1


def test_image_covers_the_visible_range_at_about_screen_resolution(two_tones):
    image = compute_image(two_tones, 10_000, 50_000, 400, SpectrogramSettings(hop=64), rows=128)
    assert image.start_frame <= 10_000 and image.stop_frame >= 50_000
    assert image.level_db.shape[0] == 2 and image.level_db.shape[2] == 128
    visible_columns = 40_000 / image.stride
    assert 360 <= visible_columns <= 440


def test_image_does_not_depend_on_how_the_view_is_scrolled(two_tones):
    settings = SpectrogramSettings(hop=64)
    a = compute_image(two_tones, 0, 40_000, 400, settings)
    b = compute_image(two_tones, 20_000, 60_000, 400, settings)
    assert a.stride == b.stride
    offset = (b.start_frame - a.start_frame) // a.stride
    overlap = a.columns - offset
    np.testing.assert_array_equal(a.level_db[:, offset:], b.level_db[:, :overlap])


def test_second_request_is_served_from_cache(two_tones):
    cache = TileCache()
    settings = SpectrogramSettings()
    first = compute_image(two_tones, 0, two_tones.frames, 300, settings, cache=cache)
    misses = cache.misses
    second = compute_image(two_tones, 0, two_tones.frames, 300, settings, cache=cache)
    assert cache.misses == misses and cache.hits >= len(cache)
    np.testing.assert_array_equal(first.level_db, second.level_db)


def test_display_only_settings_keep_the_cache(two_tones):
    cache = TileCache()
    compute_image(two_tones, 0, two_tones.frames, 300, SpectrogramSettings(), cache=cache)
    misses = cache.misses
    recoloured = SpectrogramSettings(floor_db=-80, ceiling_db=0, colormap="viridis")
    compute_image(two_tones, 0, two_tones.frames, 300, recoloured, cache=cache)
    assert cache.misses == misses


def test_cache_drops_least_recently_used_tiles_beyond_its_budget(two_tones):
    settings = SpectrogramSettings(hop=64)
    one_view = compute_image(two_tones, 0, 64 * TILE_COLUMNS, TILE_COLUMNS, settings)
    tile_bytes = one_view.level_db.nbytes + 2 * one_view.envelope_min.nbytes
    cache = TileCache(max_bytes=3 * tile_bytes)
    compute_image(two_tones, 0, two_tones.frames, 20 * TILE_COLUMNS, settings, cache=cache)
    assert len(cache) == 3


def test_waveform_envelope_is_exact_when_zoomed_in(tmp_path):
    audio = np.zeros((RATE, 1))
    audio[5000, 0], audio[5001, 0] = 0.75, -0.5
    with write(tmp_path / "click.wav", audio) as rec:
        start, per_column, low, high = exact_envelope(rec, 0, 8000, 100)
    assert (start, per_column) == (0, 80.0)
    assert high[0, 5000 // 80] == pytest.approx(0.75) and low[0, 5000 // 80] == pytest.approx(-0.5)
    assert np.count_nonzero(high) == 1


def test_zoomed_out_envelope_sees_loud_passages(tmp_path):
    audio = np.zeros((RATE * 60, 1))
    audio[RATE * 30:RATE * 40, 0] = 0.5 * np.sign(sine(200, 10))
    with write(tmp_path / "burst.wav", audio) as rec:
        image = compute_image(rec, 0, rec.frames, 120, SpectrogramSettings())
    times = (image.start_frame + (np.arange(image.columns) + 0.5) * image.stride) / RATE
    loud = image.envelope_max[0] > 0.4
    assert loud.any() and np.all((times[loud] > 30) & (times[loud] < 40))


def test_settings_name_the_bad_field():
    with pytest.raises(ConfigError, match="hop"):
        SpectrogramSettings(n_fft=512, hop=1024)
    with pytest.raises(ConfigError, match="floor"):
        SpectrogramSettings(floor_db=-10, ceiling_db=-20)
    with pytest.raises(ConfigError, match="window"):
        SpectrogramSettings(window="triangle-ish")


def test_settings_come_back_from_stored_strings():
    stored = {"n_fft": "2048", "hop": "512", "window": "blackman", "floor_db": "-90.0",
              "ceiling_db": "-5", "frequency_scale": "log", "colormap": "viridis", "max_frequency_hz": "4000.0",
              "unknown": "x"}
    settings = SpectrogramSettings.from_dict(stored)
    assert settings == SpectrogramSettings(2048, 512, "blackman", -90.0, -5.0, "log", "viridis", 4000.0)
    assert SpectrogramSettings.from_dict({"max_frequency_hz": "None"}).max_frequency_hz is None


def test_a_lower_top_frequency_gives_the_rows_to_the_band_below_it(two_tones):
    rows = 128
    settings = SpectrogramSettings(frequency_scale="linear", max_frequency_hz=4000)
    image = compute_image(two_tones, 0, two_tones.frames, 50, settings, rows=rows)
    assert image.axis.max_hz == 4000
    peak_row = int(np.argmax(image.level_db[1].mean(axis=0)))            # channel 2: the 3 kHz tone
    assert abs(float(image.axis.to_hz((peak_row + 0.5) / rows)) - 3000) < 4000 / rows * 2
    whole = compute_image(two_tones, 0, two_tones.frames, 50, SpectrogramSettings(frequency_scale="linear"),
                          rows=rows)
    assert whole.axis.max_hz == RATE / 2


def test_a_top_frequency_above_nyquist_shows_the_whole_band_and_changes_the_tiles():
    axis = FrequencyAxis.for_settings(SpectrogramSettings(max_frequency_hz=16_000), RATE)
    assert axis.max_hz == RATE / 2
    assert FrequencyAxis.for_settings(SpectrogramSettings(max_frequency_hz=4000), RATE) != axis


def test_a_top_frequency_out_of_range_is_named():
    with pytest.raises(ConfigError, match="top frequency 100 Hz"):
        SpectrogramSettings(max_frequency_hz=100)


def test_bench_redraw_reports_the_three_views(two_tones):
    result = bench_redraw(two_tones, columns=200, rows=64)
    assert result.keys() == {"full_view_ms", "minute_view_ms", "second_view_ms"}
    assert all(ms > 0 for ms in result.values())


def test_image_grows_step_by_step_and_ends_complete(tmp_path):
    audio = np.tile(sine(440, 1), 60)[:, None]
    with write(tmp_path / "minute.wav", audio) as rec:
        steps = list(image_steps(rec, 0, rec.frames, 1200, SpectrogramSettings()))
        assert len(steps) > 2
        assert [s.complete for s in steps] == [False] * (len(steps) - 1) + [True]
        filled = [int((s.level_db[0].max(axis=1) > -150).sum()) for s in steps]
        assert filled == sorted(filled) and filled[-1] == steps[-1].columns


def test_cached_image_arrives_in_one_step(two_tones):
    cache = TileCache()
    compute_image(two_tones, 0, two_tones.frames, 1200, SpectrogramSettings(hop=32), cache=cache)
    steps = list(image_steps(two_tones, 0, two_tones.frames, 1200, SpectrogramSettings(hop=32), cache=cache))
    assert len(steps) == 1 and steps[0].complete


def test_frames_past_either_end_of_the_file_are_silent(tmp_path):
    with write(tmp_path / "ones.wav", np.full((4000, 1), 0.5)) as rec:
        frames = _read_frames(rec, np.array([-600, 100, 3500, 5000]), 1024, [0])
    np.testing.assert_array_equal(frames[0, 0, :600], 0.0)
    np.testing.assert_array_equal(frames[0, 0, 600:], 0.5)
    np.testing.assert_array_equal(frames[1, 0], 0.5)
    np.testing.assert_array_equal(frames[2, 0, :500], 0.5)
    np.testing.assert_array_equal(frames[2, 0, 500:], 0.0)
    np.testing.assert_array_equal(frames[3, 0], 0.0)


@pytest.mark.parametrize("window", list(Window))
@pytest.mark.parametrize("n_fft", [256, 1000])
def test_windows_are_the_periodic_ones_scipy_makes(window, n_fft):
    import scipy.signal

    expected = scipy.signal.get_window(window.value, n_fft, fftbins=True)
    np.testing.assert_allclose(_PERIODIC_WINDOWS[window](n_fft), expected, atol=1e-12)


def test_a_colour_index_reads_back_as_the_level_it_was_drawn_from():
    from app.engine.spectrogram import level_of_color_index, to_color_indices

    levels = np.array([-100.0, -73.4, -50.0, -20.0, 5.0], np.float32)
    back = [level_of_color_index(i, -100.0, -20.0) for i in to_color_indices(levels, -100.0, -20.0)]
    np.testing.assert_allclose(back[:4], levels[:4], atol=80 / 255)
    assert back[4] == -20.0                                      # beyond the ceiling reads as the ceiling
