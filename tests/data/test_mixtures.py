from __future__ import annotations

import numpy as np
import pytest
import torch

from models.data.arrays import ArrayKind
from models.data.mixtures import (
    MixtureConfig,
    MixtureDataset,
    MixtureSimulator,
    enhancement_config,
    out_of_domain_config,
    overlap_ratio,
    talker_spans,
)
from models.data.noise import NoiseKind

# Small rooms and short clips keep each simulation at a few tens of milliseconds.
FAST = dict(seconds=1.0, rt60_s=(0.15, 0.3), room_size_max_m=(5.0, 4.0, 3.0))


def _power_db(x: np.ndarray) -> float:
    return 10 * np.log10(np.mean(np.square(x, dtype=np.float64)))


def test_same_seed_gives_identical_mixture(speech_pool, noise_pool):
    sim = MixtureSimulator(MixtureConfig(**FAST), speech_pool, noise_pool)
    a, b = sim.sample(11), sim.sample(11)
    for name in ("mixture", "targets", "dry", "noise"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    assert a.meta == b.meta


def test_different_seeds_give_different_mixtures(speech_pool, noise_pool):
    sim = MixtureSimulator(MixtureConfig(**FAST), speech_pool, noise_pool)
    assert not np.array_equal(sim.sample(1).mixture[0, :100], sim.sample(2).mixture[0, :100])


@pytest.mark.parametrize("seed", range(4))
def test_shapes_and_channel_counts_follow_the_config(speech_pool, noise_pool, seed):
    cfg = MixtureConfig(**FAST, talkers=(2, 3), mics=(2, 6))
    mix = MixtureSimulator(cfg, speech_pool, noise_pool).sample(seed)
    mics, talkers = mix.meta["mics"], mix.meta["talkers"]
    assert 2 <= mics <= 6 and 2 <= talkers <= 3
    assert mix.mixture.shape == mix.noise.shape == (mics, cfg.frames)
    assert mix.targets.shape == mix.dry.shape == (talkers, cfg.frames)
    assert all(a.dtype == np.float32 for a in (mix.mixture, mix.targets, mix.dry, mix.noise))
    assert len(set(mix.meta["voices"])) == talkers
    assert np.max(np.abs(mix.mixture)) <= 0.99


@pytest.mark.parametrize("snr_db", [-5.0, 0.0, 12.5])
def test_realised_snr_is_within_half_a_decibel_of_the_request(speech_pool, noise_pool, snr_db):
    cfg = MixtureConfig(**FAST, snr_db=(snr_db, snr_db))
    mix = MixtureSimulator(cfg, speech_pool, noise_pool).sample(5)
    ref = mix.meta["ref_mic"]
    realised = _power_db(mix.mixture[ref] - mix.noise[ref]) - _power_db(mix.noise[ref])
    assert abs(realised - snr_db) < 0.5


def test_sir_sets_the_second_talker_image_level_relative_to_the_first(speech_pool, noise_pool):
    cfg = MixtureConfig(**FAST, talkers=(2, 2), sir_db=(6.0, 6.0), snr_db=(80.0, 80.0), mics=(1, 1))
    mix = MixtureSimulator(cfg, speech_pool, noise_pool).sample(2)
    assert mix.meta["sir_db"] == [0.0, 6.0]
    # The image is not returned per talker; the early targets follow it within a few dB.
    assert _power_db(mix.targets[1]) - _power_db(mix.targets[0]) == pytest.approx(6.0, abs=3.0)


def test_targets_are_the_early_part_of_each_talker_at_the_reference_mic(speech_pool, noise_pool):
    cfg = MixtureConfig(**FAST, talkers=(1, 1), snr_db=(80.0, 80.0), mics=(1, 1))
    mix = MixtureSimulator(cfg, speech_pool, noise_pool).sample(4)
    # With one talker and no audible noise the mixture is the target plus late reverberation.
    late = mix.mixture[0] - mix.targets[0]
    assert _power_db(mix.targets[0]) > _power_db(late)
    assert np.corrcoef(mix.targets[0], mix.mixture[0])[0, 1] > 0.8


@pytest.mark.parametrize(("talkers", "overlap"), [(2, 0.0), (2, 0.5), (2, 1.0), (3, 0.6)])
def test_talker_spans_realise_the_requested_overlap(talkers, overlap):
    spans = talker_spans(talkers, 16000, overlap)
    assert overlap_ratio(spans, 16000) == pytest.approx(overlap, abs=0.01)
    assert min(a for a, _ in spans) == 0 and max(b for _, b in spans) == 16000


def test_enhancement_config_gives_single_talker_single_mic_pairs(speech_pool, noise_pool):
    cfg = enhancement_config(seconds=1.0)
    mix = MixtureSimulator(cfg, speech_pool, noise_pool).sample(0)
    assert mix.mixture.shape == (1, cfg.frames) and mix.targets.shape == (1, cfg.frames)
    np.testing.assert_allclose(mix.mixture[0] - mix.noise[0], mix.targets[0], atol=1e-5)


def test_out_of_domain_config_shares_no_array_or_synthetic_noise_kind_with_training():
    ood, train = out_of_domain_config(), MixtureConfig()
    assert not set(ood.array_kinds) & set(train.array_kinds)
    assert set(ood.noise_kinds) & set(train.noise_kinds) == {NoiseKind.RECORDED}
    assert ood.rt60_s[1] > train.rt60_s[1] and ood.room_size_min_m[0] >= train.room_size_max_m[0]


def test_config_rejects_an_inverted_range():
    with pytest.raises(ValueError, match="snr_db"):
        MixtureConfig(snr_db=(10.0, 0.0))


def test_config_rejects_mics_no_array_kind_can_have():
    with pytest.raises(ValueError, match="no array kind"):
        MixtureConfig(mics=(5, 5), array_kinds=(ArrayKind.RESPEAKER_4,))


def test_dataset_items_are_identical_across_dataloader_workers(speech_pool, noise_pool):
    cfg = MixtureConfig(**FAST, talkers=(2, 2), mics=(2, 2))
    data = MixtureDataset(MixtureSimulator(cfg, speech_pool, noise_pool), length=4, base_seed=3)
    loader = torch.utils.data.DataLoader(data, batch_size=2, num_workers=2)
    batches = list(loader)
    assert batches[0]["mixture"].shape == (2, 2, cfg.frames)
    torch.testing.assert_close(batches[1]["targets"][1], data[3]["targets"])
