"""DISPatch as specified: knowledge gap scores, top-k selection, the MSSP split and grids, and the
KD losses, on hand-built spectrograms whose answers are known."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from models.dispatch.losses import (FRAME_BINS, DispatchConfig, KdLoss, StudentVariant, WaveDistillation,
                                    dfkd_distillation, distillation_loss, l2_distillation, variant_config)
from models.dispatch.patches import (band_masks, frequency_split, knowledge_gap_score, patch_complex_cosine_error,
                                     patch_count, patch_mean_squared_error, patches_in_band, to_bins, to_patches,
                                     top_k_keep_mask)


def _spec(mag: list[list[float]]) -> torch.Tensor:
    """(bins, frames) magnitudes -> complex (1, bins, frames) with zero phase."""
    return torch.tensor(mag, dtype=torch.float32)[None].to(torch.complex64)


def test_frequency_axis_is_zero_padded_to_whole_patches():
    x = torch.arange(5.0).reshape(1, 5, 1)
    patches = to_patches(x, 2)
    assert patches.shape == (1, 3, 2, 1) and patch_count(257, 10) == 26 and patch_count(257, 40) == 7
    assert patches[0, :, :, 0].tolist() == [[0, 1], [2, 3], [4, 0]]
    assert to_bins(torch.tensor([[[7.0], [8.0], [9.0]]]), 2, 5)[0, :, 0].tolist() == [7, 7, 8, 8, 9]


def test_knowledge_gap_score_is_student_minus_teacher_patch_mean_squared_error():
    clean = torch.zeros(1, 4, 2)
    teacher = torch.tensor([[[1.0, 0.0], [1.0, 0.0], [0.0, 2.0], [0.0, 0.0]]])
    student = torch.tensor([[[3.0, 0.0], [1.0, 1.0], [0.0, 0.0], [0.0, 0.0]]])
    kgs = knowledge_gap_score(patch_mean_squared_error(student, clean, 2), patch_mean_squared_error(teacher, clean, 2))
    # patch 0 frame 0: (9 + 1)/2 - (1 + 1)/2 = 4; frame 1: (0 + 1)/2 - 0 = 0.5
    # patch 1 frame 0: 0 - 0 = 0;                frame 1: 0 - 4/2 = -2
    np.testing.assert_allclose(kgs[0].numpy(), [[4.0, 0.5], [0.0, -2.0]])


def test_top_k_keeps_the_highest_scores_of_each_utterance():
    score = torch.tensor([[[5.0, 1.0, 3.0, 2.0]], [[0.0, 9.0, 8.0, 7.0]]])
    keep = top_k_keep_mask(score, 0.5)
    assert keep.tolist() == [[[True, False, True, False]], [[False, True, True, False]]]


def test_top_k_keeps_ties_and_at_least_one_patch():
    score = torch.tensor([[[1.0, 2.0, 2.0, 0.0]]])
    assert top_k_keep_mask(score, 0.25).tolist() == [[[False, True, True, False]]]   # m = 1, tie kept
    assert top_k_keep_mask(torch.tensor([[[0.5, 3.0, 1.0]]]), 0.1).tolist() == [[[False, True, False]]]


def test_negative_gaps_are_distilled_when_too_few_gaps_are_positive():
    score = torch.tensor([[[2.0, -1.0, -3.0, -0.5, -2.0]]])
    keep = top_k_keep_mask(score, 0.8)                     # m = 4 of 5: one positive, three negative
    assert keep.tolist() == [[[True, True, False, True, True]]]


def test_selection_runs_only_over_eligible_patches():
    score = torch.tensor([[[9.0, 1.0, 2.0, 3.0, 4.0]]])
    eligible = torch.tensor([[[False, True, True, True, True]]])
    keep = top_k_keep_mask(score, 0.5, eligible)           # m = 2 of the 4 eligible
    assert keep.tolist() == [[[False, False, False, True, True]]]
    assert not top_k_keep_mask(score, 0.5, torch.zeros_like(eligible)).any()


def test_band_split_finds_a_known_spectral_edge():
    bins = 257
    mag = torch.full((1, bins, 3), 1e-3)
    mag[0, :40, 0] = 1.0                                   # energy up to bin 39: a rise at bin 0 only
    mag[0, 100:, 1] = 5.0                                  # a floor, then an edge into bin 100
    mag[0, :, 2] = torch.linspace(1, 2, bins)              # smooth: the largest relative rise is first
    split = frequency_split(mag)
    assert split[0].tolist() == [0, 99, 0]
    low, high = band_masks(split, bins)
    assert low[0, :100, 1].all() and not low[0, 100:, 1].any()
    assert high[0, 99:, 1].all() and not high[0, :99, 1].any()


@pytest.mark.parametrize("patch_bins", [10, 40, 20])
def test_mssp_grid_covers_every_bin_of_a_band_exactly_once(patch_bins):
    torch.manual_seed(0)
    bins, frames = 257, 50
    numbered = to_patches(torch.arange(1, bins + 1).reshape(1, bins, 1), patch_bins)   # 0 marks padding
    assert sorted(numbered[numbered > 0].tolist()) == list(range(1, bins + 1))          # each bin in one patch
    split = torch.randint(0, bins - 1, (2, frames))
    for band in band_masks(split, bins):
        eligible = patches_in_band(band, patch_bins)
        covered = to_bins(eligible, patch_bins, bins)
        assert covered[band].all()                                   # every in-band bin is in an eligible patch
        touching = to_patches(band, patch_bins).any(dim=2)
        assert (eligible == touching).all()                          # and no eligible patch misses the band


def test_complex_cosine_error_ignores_level_and_sees_phase():
    a = torch.tensor([[[1.0 + 1.0j], [2.0 - 1.0j]]])
    assert patch_complex_cosine_error(a, 3 * a, 2).item() == pytest.approx(0.0, abs=1e-6)
    assert patch_complex_cosine_error(a, -a, 2).item() == pytest.approx(2.0, abs=1e-6)
    assert patch_complex_cosine_error(a, 1j * a, 2).item() == pytest.approx(1.0, abs=1e-6)


def test_l2_loss_is_the_kept_patch_error_over_batch_patches_frames_and_k():
    clean = _spec([[0, 0], [0, 0], [0, 0], [0, 0]])
    teacher = _spec([[1, 0], [1, 0], [0, 0], [0, 0]])
    student = _spec([[3, 0], [1, 1], [0, 0], [0, 0]])
    result = l2_distillation(student, teacher, clean, DispatchConfig(loss=KdLoss.L2, patch_bins=2, keep_ratio=0.5))
    # KGS [[4, .5], [0, 0]] -> m = 2: keeps (0,0) and (0,1); KD per patch (|S|-|T|)^2 mean: 2 and 0.5
    assert result.bands[0].keep[0].tolist() == [[True, True], [False, False]]
    assert result.loss.item() == pytest.approx((2.0 + 0.5) / (1 * 2 * 2 * 0.5))
    assert result.positive_gap_share().item() == 1.0


def test_kd_loss_is_zero_where_the_mask_is_zero_and_flows_only_through_the_student():
    clean = _spec([[1, 1], [1, 1], [1, 1], [1, 1]])
    teacher = _spec([[1.5, 1], [1.5, 1], [1, 1], [1, 1.4]]).requires_grad_()
    student = _spec([[1.5, 1], [1.5, 1], [1, 1], [1, 1.2]]).requires_grad_()   # differs only where it is better
    result = l2_distillation(student, teacher, clean, DispatchConfig(loss=KdLoss.L2, patch_bins=2, keep_ratio=0.5))
    assert result.bands[0].keep[0].tolist() == [[True, True], [True, False]]   # KGS 0, 0, 0, -0.06; ties kept
    assert result.loss.item() == 0.0
    result = l2_distillation(student, teacher, clean, DispatchConfig(loss=KdLoss.L2, patch_bins=2, keep_ratio=1.0))
    result.loss.backward()
    assert teacher.grad is None
    grad = student.grad.abs()[0]
    assert grad[3, 1] > 0 and grad[:, 0].sum() == 0        # kept and different: gradient; equal: none


def test_dfkd_gradient_reaches_only_kept_patches():
    torch.manual_seed(0)
    clean = torch.randn(1, 257, 6, dtype=torch.complex64)
    teacher = clean + 0.1 * torch.randn_like(clean)
    student = (clean + torch.randn_like(clean)).requires_grad_()
    result = dfkd_distillation(student, teacher, clean, DispatchConfig(keep_ratio=0.5))
    result.loss.backward()
    low, high = result.bands
    reached = to_bins(low.keep, 10, 257) | to_bins(high.keep, 40, 257)
    assert (student.grad.abs()[~reached] == 0).all() and (student.grad.abs()[reached] > 0).float().mean() > 0.9


def test_dfkd_low_band_is_cosine_and_high_band_mixes_cosine_and_l2():
    bins, frames = 257, 4
    teacher = torch.full((1, bins, frames), 0.1, dtype=torch.complex64)
    teacher[:, 10:] = 1.0                                    # an edge into bin 10: m_t = 9
    student = 2 * teacher                                    # same direction everywhere, double level
    result = dfkd_distillation(student, teacher, teacher, DispatchConfig(keep_ratio=1.0, low_patch_bins=FRAME_BINS,
                                                                          high_patch_bins=FRAME_BINS))
    assert result.split_bin.unique().tolist() == [9]
    low, high = result.bands
    assert low.loss.item() == pytest.approx(0.0, abs=1e-6)   # cosine only: a scaled copy costs nothing
    expected_l2 = (0.1**2 + 247 * 1.0**2) / bins              # frame mean of (|S| - |T|)^2 over bins 9..256
    assert high.loss.item() == pytest.approx(0.5 * expected_l2, rel=1e-4)


def test_the_five_students_have_the_reference_settings():
    assert variant_config(StudentVariant.NO_KD).loss is KdLoss.NONE
    out = variant_config(StudentVariant.OUTPUT_KD)
    assert (out.loss, out.keep_ratio, out.patch_bins) == (KdLoss.L2, 1.0, 1)
    l2 = variant_config(StudentVariant.DISPATCH_L2)
    assert (l2.loss, l2.keep_ratio) == (KdLoss.L2, 0.8)
    mssp = variant_config(StudentVariant.DFKD_DISPATCH_MSSP)
    settings = (mssp.loss, mssp.keep_ratio, mssp.low_patch_bins, mssp.high_patch_bins, mssp.beta)
    assert settings == (KdLoss.DFKD, 0.8, 10, 40, 0.5)
    assert variant_config(StudentVariant.DFKD).keep_ratio == 1.0
    assert DispatchConfig.from_dict(mssp.to_dict()) == mssp
    with pytest.raises(ValueError, match="no distillation loss"):
        distillation_loss(torch.zeros(1, 3, 2, dtype=torch.complex64), torch.zeros(1, 3, 2, dtype=torch.complex64),
                          torch.zeros(1, 3, 2, dtype=torch.complex64), variant_config(StudentVariant.NO_KD))


def test_keep_ratio_one_distils_every_patch_on_waveforms():
    torch.manual_seed(0)
    clean = torch.randn(2, 4000)
    result = WaveDistillation(variant_config(StudentVariant.OUTPUT_KD))(clean + 0.3 * torch.randn(2, 4000),
                                                                        clean + 0.1 * torch.randn(2, 4000), clean)
    assert result.bands[0].keep.all() and result.loss.item() > 0
