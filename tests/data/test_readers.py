from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from models.data.audio import CorpusWarning
from models.data.readers import LibriMixReader, MeCoReader, SmsWsjReader, VoiceBankDemandReader

RATE = 16000


def _tone(freq: float, channels: int = 1, frames: int = 1600) -> np.ndarray:
    t = np.arange(frames) / RATE
    x = 0.2 * np.sin(2 * np.pi * freq * t)
    return np.stack([x] * channels, axis=1) if channels > 1 else x


def _write(path: Path, audio: np.ndarray, rate: int = RATE) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, audio, rate)
    return path


def test_librimix_reader_pairs_mixture_and_sources_by_name(tmp_path):
    for name, f in (("a", 200), ("b", 300)):
        _write(tmp_path / "mix_both" / f"{name}.wav", _tone(f) + _tone(2 * f))
        _write(tmp_path / "s1" / f"{name}.wav", _tone(f))
        _write(tmp_path / "s2" / f"{name}.wav", _tone(2 * f))
    examples = list(LibriMixReader(tmp_path))
    assert [e.name for e in examples] == ["a", "b"]
    assert examples[0].mixture.shape == (1, 1600) and examples[0].references.shape == (2, 1600)
    np.testing.assert_allclose(examples[1].references.sum(0), examples[1].mixture[0], atol=1e-3)


def test_whamr_reader_uses_anechoic_targets_and_resamples(tmp_path):
    _write(tmp_path / "mix_both_reverb" / "x.wav", _tone(200, frames=800), rate=8000)
    for s in ("s1_anechoic", "s2_anechoic"):
        _write(tmp_path / s / "x.wav", _tone(200, frames=800), rate=8000)
    (example,) = LibriMixReader.whamr(tmp_path)
    assert example.mixture.shape == (1, 1600) and example.references.shape == (2, 1600)


def test_sms_wsj_reader_takes_the_early_image_at_the_reference_mic(tmp_path):
    mix = np.stack([_tone(200) * (c + 1) for c in range(6)], axis=1)
    _write(tmp_path / "observation" / "test_eval92" / "0_a_b.wav", mix)
    for k in range(2):
        early = np.stack([_tone(300 + k) * (c + 1) for c in range(6)], axis=1)
        _write(tmp_path / "early" / "test_eval92" / f"0_a_b_{k}.wav", early * 0.5)
    (example,) = SmsWsjReader(tmp_path, ref_mic=2)
    assert example.mixture.shape == (6, 1600) and example.references.shape == (2, 1600)
    np.testing.assert_allclose(np.abs(example.references[0]).max(), 0.3, atol=1e-3)  # 0.2 * 3 * 0.5


def test_voicebank_demand_reader_pairs_noisy_and_clean(tmp_path):
    for name in ("p232_001", "p232_002"):
        _write(tmp_path / "noisy_testset_wav" / f"{name}.wav", _tone(200) + 0.01)
        _write(tmp_path / "clean_testset_wav" / f"{name}.wav", _tone(200))
    examples = list(VoiceBankDemandReader(tmp_path))
    assert len(examples) == 2 and examples[0].references.shape == (1, 1600)


def test_meco_reader_reads_cases_with_and_without_estimates(tmp_path):
    case = tmp_path / "spk_2" / "01aa0108_m0p2374"
    _write(case / "457_mix.wav", np.stack([_tone(200)] * 4, axis=1))
    for k in (1, 2):
        _write(case / f"457_spk{k}.wav", _tone(200 * k))
        _write(case / f"457_spk{k}_p.wav", _tone(200 * k) * 0.9)
    _write(tmp_path / "spk_1" / "c" / "9_mix.wav", _tone(100))
    _write(tmp_path / "spk_1" / "c" / "9_spk1.wav", _tone(100))
    examples = {e.name: e for e in MeCoReader(tmp_path)}
    assert examples["spk_2/01aa0108_m0p2374"].mixture.shape == (4, 1600)
    assert examples["spk_2/01aa0108_m0p2374"].estimates.shape == (2, 1600)
    assert examples["spk_1/c"].estimates is None


def test_missing_reference_is_skipped_with_a_warning_naming_it(tmp_path):
    for name in ("a", "b"):
        _write(tmp_path / "mix_clean" / f"{name}.wav", _tone(200))
        _write(tmp_path / "s1" / f"{name}.wav", _tone(200))
    _write(tmp_path / "s2" / "a.wav", _tone(200))
    with pytest.warns(CorpusWarning, match=r"s2/b\.wav"):
        reader = LibriMixReader(tmp_path, mixture="mix_clean")
    assert [e.name for e in reader] == ["a"]


def test_corrupt_mixture_is_skipped_with_a_warning_and_the_run_goes_on(tmp_path):
    for name in ("a", "b"):
        _write(tmp_path / "noisy_testset_wav" / f"{name}.wav", _tone(200))
        _write(tmp_path / "clean_testset_wav" / f"{name}.wav", _tone(200))
    (tmp_path / "noisy_testset_wav" / "a.wav").write_bytes(b"RIFF\x00\x00garbage")
    reader = VoiceBankDemandReader(tmp_path)
    with pytest.warns(CorpusWarning, match="a.wav"):
        names = [e.name for e in reader]
    assert names == ["b"]
