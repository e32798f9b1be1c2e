from __future__ import annotations

import json

import numpy as np

from models.data.fixedsets import FixedSet, fixed_set_config, read_fixed_set, write_fixed_set
from models.data.mixtures import MixtureConfig, MixtureSimulator
from models.data.speech import Split


def test_fixed_set_round_trips_through_its_manifest(tmp_path, speech_pool, noise_pool):
    cfg = MixtureConfig(seconds=1.0, rt60_s=(0.15, 0.25), room_size_max_m=(5.0, 4.0, 3.0), split=Split.TEST)
    sim = MixtureSimulator(cfg, speech_pool, noise_pool)
    assert list(write_fixed_set(sim, tmp_path, count=2, base_seed=10)) == [1, 2]
    lines = [json.loads(line) for line in (tmp_path / "manifest.jsonl").read_text().splitlines()]
    assert [line["name"] for line in lines] == ["00000", "00001"]
    assert {"mixture", "targets", "room_m", "rt60_s", "snr_db", "voices", "array", "channels"} <= set(lines[0])
    for mix, seed in zip(read_fixed_set(tmp_path / "manifest.jsonl"), (10, 11), strict=True):
        fresh = sim.sample(seed)
        assert mix.mixture.shape == fresh.mixture.shape and mix.targets.shape == fresh.targets.shape
        np.testing.assert_allclose(mix.mixture, fresh.mixture, atol=1e-4)  # 16-bit FLAC


def test_writing_again_resumes_without_rewriting(tmp_path, speech_pool, noise_pool):
    cfg = MixtureConfig(seconds=0.5, rt60_s=(0.15, 0.2), room_size_max_m=(4.0, 4.0, 3.0), split=Split.TEST)
    sim = MixtureSimulator(cfg, speech_pool, noise_pool)
    list(write_fixed_set(sim, tmp_path, count=1, base_seed=0))
    assert list(write_fixed_set(sim, tmp_path, count=2, base_seed=0)) == [2]
    assert len((tmp_path / "manifest.jsonl").read_text().splitlines()) == 2


def test_fixed_sets_use_held_out_or_real_voices_only():
    assert all(fixed_set_config(s).split != Split.TRAIN for s in FixedSet)
    assert fixed_set_config(FixedSet.REAL_SPEECH).split == Split.REAL


def test_in_domain_set_is_the_separator_target_condition_on_eight_mics():
    config = fixed_set_config(FixedSet.IN_DOMAIN)
    assert (config.talkers, config.mics, config.snr_db) == ((2, 2), (8, 8), (5.0, 15.0))
