from __future__ import annotations

import numpy as np
import pytest

from models.data.mixtures import MixtureConfig, MixtureSimulator
from models.data.rooms import RoomConfig
from models.data.scenes import RirBank, SceneConfig


def test_rir_bank_builds_resumably_and_feeds_deterministic_mixtures(tmp_path, speech_pool, noise_pool):
    config = SceneConfig(room=RoomConfig(rt60_s=(0.15, 0.25), size_max_m=(5.0, 4.0, 3.0)), mics=(2, 4))
    assert list(RirBank.build(tmp_path, config, scenes=2, sources=4)) == [1, 2]
    assert list(RirBank.build(tmp_path, config, scenes=3, sources=4)) == [3]
    bank = RirBank(tmp_path)
    assert len(bank) == 3 and all(2 <= e["mics"] <= 4 for e in bank.entries)

    cfg = MixtureConfig(seconds=1.0, talkers=(2, 3), mics=(2, 4), bank=str(tmp_path))
    sim = MixtureSimulator(cfg, speech_pool, noise_pool)
    a, b = sim.sample(7), sim.sample(7)
    np.testing.assert_array_equal(a.mixture, b.mixture)
    assert a.mixture.shape[0] == a.meta["mics"]


def test_bank_scenes_are_drawn_only_with_the_mic_counts_asked_for(tmp_path):
    config = SceneConfig(room=RoomConfig(rt60_s=(0.15, 0.2), size_max_m=(4.0, 4.0, 3.0)), mics=(1, 8))
    list(RirBank.build(tmp_path, config, scenes=6, sources=3))
    bank = RirBank(tmp_path)
    counts = sorted({e["mics"] for e in bank.entries})
    rng = np.random.default_rng(0)
    for m in counts:
        assert all(bank.pick(rng, 2, (m, m)).rirs.shape[:2] == (m, 2) for _ in range(3))
    with pytest.raises(ValueError, match="no scene"):
        bank.pick(rng, 4, (1, 8))  # more sources than any scene has


def test_a_bank_built_on_worker_processes_equals_one_built_in_order(tmp_path):
    config = SceneConfig(room=RoomConfig(rt60_s=(0.15, 0.2), size_max_m=(4.0, 4.0, 3.0)), mics=(2, 3))
    list(RirBank.build(tmp_path / "serial", config, scenes=3, sources=2))
    assert list(RirBank.build(tmp_path / "parallel", config, scenes=3, sources=2, workers=2)) == [1, 2, 3]
    serial, parallel = RirBank(tmp_path / "serial"), RirBank(tmp_path / "parallel")
    assert serial.entries == parallel.entries
    for entry in serial.entries:
        np.testing.assert_array_equal(np.load(serial.root / entry["file"]), np.load(parallel.root / entry["file"]))
