from __future__ import annotations

import numpy as np
import pytest
from scipy import signal

from models.data.noise import NoiseKind, coloured, diffuse_field
from models.data.speech import Split

SAMPLE_RATE = 16000


@pytest.mark.parametrize("kind", list(NoiseKind)[:-1])
def test_every_synthetic_noise_kind_has_unit_variance(noise_pool, kind):
    x = noise_pool.draw(kind, Split.TRAIN, 8000, np.random.default_rng(0))
    assert x.shape == (8000,) and x.dtype == np.float32
    assert np.std(x) == pytest.approx(1.0, rel=0.01)


def test_pink_noise_falls_by_about_3_db_per_octave():
    f, psd = signal.welch(coloured(2**16, 1.0, np.random.default_rng(0)), fs=SAMPLE_RATE, nperseg=1024)
    low, high = psd[(f > 500) & (f < 1000)].mean(), psd[(f > 2000) & (f < 4000)].mean()
    assert 10 * np.log10(low / high) == pytest.approx(6.0, abs=1.5)  # two octaves


def test_diffuse_field_has_spherical_coherence_between_mics():
    d = 0.1
    mics = np.array([[0.0, d], [0.0, 0.0], [0.0, 0.0]])
    rng = np.random.default_rng(0)
    field = diffuse_field(rng.standard_normal((2, 2**17)), mics, SAMPLE_RATE)
    f, coh = signal.coherence(field[0], field[1], fs=SAMPLE_RATE, nperseg=256)
    expected = np.sinc(2 * f * d / 343.0) ** 2  # magnitude-squared coherence
    band = (f > 100) & (f < 6000)
    assert np.max(np.abs(coh[band] - expected[band])) < 0.1


def test_recorded_noise_needs_files_of_the_split(noise_pool):
    assert NoiseKind.RECORDED not in noise_pool.kinds(Split.TRAIN)


def test_recorded_noise_reads_a_segment_of_a_file_of_its_split(tmp_path, speech_pool):
    import soundfile as sf

    from models.data.noise import NoisePool

    rng = np.random.default_rng(0)
    for name in ("rain", "wind", "crowd", "river"):
        sf.write(tmp_path / f"{name}.ogg", 0.1 * rng.standard_normal(44100 * 3), 44100)
    files = NoisePool.scan_folder(tmp_path, split=Split.TRAIN)
    pool = NoisePool(speech_pool, files)
    assert NoiseKind.RECORDED in pool.kinds(Split.TRAIN)
    assert NoiseKind.RECORDED not in pool.kinds(Split.TEST) and NoiseKind.RECORDED not in pool.kinds(Split.REAL)
    x = pool.draw(NoiseKind.RECORDED, Split.TRAIN, 16000, np.random.default_rng(1))
    assert x.shape == (16000,) and np.std(x) == pytest.approx(1.0, rel=0.01)


@pytest.mark.parametrize("kind", [NoiseKind.SPEECH_SHAPED, NoiseKind.PINK, NoiseKind.BABBLE])
def test_channels_for_a_diffuse_field_are_independent_unit_variance_signals(noise_pool, kind):
    x = noise_pool.draw_channels(kind, Split.TRAIN, 3, 8000, np.random.default_rng(0))
    assert x.shape == (3, 8000) and x.dtype == np.float32
    np.testing.assert_allclose(np.std(x, axis=1), 1.0, rtol=0.01)
    assert abs(np.corrcoef(x)[0, 1]) < 0.2
