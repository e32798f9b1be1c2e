"""Distillation in practice: a toy run lowers the loss, the teacher cache and the five students'
shared data order, and the inspection API the app draws from."""

from __future__ import annotations

import time

import numpy as np
import pytest
import torch

from models.common import checkpoint
from models.dispatch.inspect import enhance, inspect_estimates, inspect_models, inspection_config
from models.dispatch.losses import StudentVariant, variant_config
from models.enhancers.base import MaskingEnhancer, torch_threads
from models.enhancers.student import GtcrnStudent, StudentConfig
from models.enhancers.teacher import BandAttentionTeacher, TeacherConfig
from models.train.distill import (CacheConfig, CachedTriples, DistillConfig, DistillObjective, ShuffledStream,
                                  build_cache)


@pytest.fixture(autouse=True)
def one_thread():
    """As the engine and recipes run the networks (`MaskingEnhancer.inference_threads`)."""
    with torch_threads(MaskingEnhancer.inference_threads):
        yield


def _toy_batch(seed: int = 0, items: int = 2, samples: int = 8_000) -> dict[str, torch.Tensor]:
    """A harmonic 'voice' in noise; the teacher is close to clean, as a trained one would be."""
    g = torch.Generator().manual_seed(seed)
    t = torch.arange(samples) / 16_000
    clean = torch.stack([0.2 * torch.sin(2 * torch.pi * (150 + 40 * i) * k * t) / k
                         for i in range(items) for k in (1,)])[:, None]
    noise = 0.05 * torch.randn(items, 1, samples, generator=g)
    return {"noisy": clean + noise, "clean": clean, "teacher": clean + 0.2 * noise}


@pytest.mark.parametrize("variant", [StudentVariant.DFKD_DISPATCH_MSSP, StudentVariant.DISPATCH_L2])
def test_a_toy_distillation_run_lowers_the_loss(variant):
    torch.manual_seed(0)
    student = GtcrnStudent(StudentConfig(channels=8))
    objective = DistillObjective(DistillConfig(variant))
    opt = torch.optim.Adam(student.parameters(), 3e-3)
    batch = _toy_batch()
    losses, kd = [], []
    for _ in range(12):
        loss, parts = objective(student, batch)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
        kd.append(parts["kd"])
    assert np.mean(losses[-3:]) < 0.8 * np.mean(losses[:3]) and np.mean(kd[-3:]) < np.mean(kd[:3])
    assert 0.75 <= parts["kept_share"] <= 0.85


def test_the_no_kd_student_has_only_the_supervised_loss():
    torch.manual_seed(0)
    loss, parts = DistillObjective(DistillConfig(StudentVariant.NO_KD))(GtcrnStudent(StudentConfig(channels=8)),
                                                                       _toy_batch())
    assert set(parts) == {"supervised"} and loss.item() == pytest.approx(parts["supervised"])


def _tiny_teacher(folder) -> BandAttentionTeacher:
    """A seeded, untrained tiny teacher saved as `folder/teacher.json`."""
    torch.manual_seed(0)
    teacher = BandAttentionTeacher(TeacherConfig(channels=16, blocks=1, heads=2, head_factor=1))
    checkpoint.save(teacher, folder / "teacher.json", {"name": "t", "architecture": "BandAttentionTeacher",
                                                       "config": teacher.config.to_dict(), "sample_rate": 16_000})
    return teacher


def test_teacher_cache_holds_the_teachers_outputs_and_streams_in_a_seeded_order(tmp_path):
    teacher = _tiny_teacher(tmp_path)
    config = CacheConfig(items=3, seconds=0.5, shard_items=2, rir_scenes=4)
    list(build_cache(tmp_path / "teacher.json", tmp_path / "cache", config))
    triples = CachedTriples(tmp_path / "cache")
    assert len(triples) == 3 and sorted(p.name for p in (tmp_path / "cache").glob("shard-*")) == [
        "shard-00000.safetensors", "shard-00001.safetensors"]
    item = triples[2]
    with torch.no_grad():
        expected = teacher.eval()(item["noisy"][None])[0]
    torch.testing.assert_close(item["teacher"], expected, atol=2e-3, rtol=1e-2)     # float16 storage
    order = [ShuffledStream(triples, seed=5)[i]["clean"].sum().item() for i in range(6)]
    again = [ShuffledStream(triples, seed=5)[i]["clean"].sum().item() for i in range(6)]
    assert order == again and sorted(order[:3]) == sorted(order[3:])              # each epoch sees every item


def test_a_cache_built_over_disjoint_shard_ranges_matches_one_build_once_no_shard_is_missing(tmp_path):
    _tiny_teacher(tmp_path)
    config = CacheConfig(items=5, seconds=0.25, shard_items=2, rir_scenes=4)
    assert list(build_cache(tmp_path / "teacher.json", tmp_path / "one", config)) == [1, 2, 3]
    assert list(build_cache(tmp_path / "teacher.json", tmp_path / "two", config, shards=range(2, 9))) == [1]
    with pytest.raises(ValueError, match="lacks shard 0"):
        CachedTriples(tmp_path / "two")                                   # a gap would shift every index
    assert list(build_cache(tmp_path / "teacher.json", tmp_path / "two", config, shards=range(0, 2))) == [1, 2]
    one, two = CachedTriples(tmp_path / "one"), CachedTriples(tmp_path / "two")
    assert len(one) == len(two) == 5
    for i in range(5):
        for key in ("noisy", "clean", "teacher"):
            torch.testing.assert_close(one[i][key], two[i][key])


def test_inspection_gives_the_maps_the_app_draws_in_well_under_a_second():
    rng = np.random.default_rng(0)
    t = np.arange(160_000) / 16_000
    clean = (0.2 * np.sin(2 * np.pi * 200 * t) * (t % 1 < 0.6)).astype(np.float32)
    teacher = clean + 0.01 * rng.standard_normal(t.size).astype(np.float32)
    student = clean + 0.05 * rng.standard_normal(t.size).astype(np.float32)
    start = time.perf_counter()
    maps = inspect_estimates(teacher, student, clean, variant_config(StudentVariant.DFKD_DISPATCH_MSSP))
    assert time.perf_counter() - start < 1.0
    frames = 160_000 // 128 + 1
    assert maps.score_bins.shape == maps.keep_bins.shape == (257, frames) and maps.split_bin.shape == (frames,)
    assert set(maps.spectrograms_db) == {"clean", "teacher", "student"}
    assert [(g.band, g.patch_bins, g.keep_mask.shape) for g in maps.grids] == [("low", 10, (26, frames)),
                                                                              ("high", 40, (7, frames))]
    assert 0.8 <= maps.kept_share < 0.9 and maps.positive_gap_share > 0.5      # k = 0.8, ties kept
    low = np.arange(257)[:, None] <= maps.split_bin[None]
    np.testing.assert_array_equal(maps.keep_bins[low], np.repeat(maps.grids[0].keep_mask, 10, axis=0)[:257][low])
    with pytest.raises(ValueError):
        maps.keep_bins[0, 0] = True                                                 # read-only for the views


def test_uniform_grid_inspection_runs_the_networks():
    torch.manual_seed(0)
    student = GtcrnStudent(StudentConfig(channels=8)).eval()
    teacher = BandAttentionTeacher(TeacherConfig(channels=16, blocks=1, heads=2, head_factor=1)).eval()
    clean = np.sin(np.arange(16_000) * 0.05).astype(np.float32) * 0.2
    noisy = clean + 0.05 * np.random.default_rng(1).standard_normal(16_000).astype(np.float32)
    maps = inspect_models(teacher, student, noisy, clean, variant_config(StudentVariant.DISPATCH_L2))
    assert [g.band for g in maps.grids] == ["all"] and maps.grids[0].keep_mask.shape == (13, 126)
    np.testing.assert_allclose(maps.spectrograms_db["student"],
                               inspect_estimates(enhance(teacher, noisy), enhance(student, noisy), clean,
                                                 variant_config(StudentVariant.DISPATCH_L2)).spectrograms_db["student"])
    assert "noisy" in maps.spectrograms_db


def test_a_cards_kd_setting_is_what_the_inspector_shows():
    l2 = variant_config(StudentVariant.DISPATCH_L2)
    assert inspection_config({"training": {"kd": {**l2.to_dict(), "loss": "l2"}}}) == l2
    mssp = variant_config(StudentVariant.DFKD_DISPATCH_MSSP)
    no_kd = variant_config(StudentVariant.NO_KD)
    assert inspection_config({"training": {"kd": {**no_kd.to_dict(), "loss": "none"}}}) == mssp
    assert inspection_config({}) == mssp
