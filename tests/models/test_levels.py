"""Outputs at the recording's level: least-squares gains onto the mixture (separator) or onto the
corrected estimate (MeCo), with the RMS ratio where the least-squares gain is not positive."""

from __future__ import annotations

import torch

from models.inference.levels import projection_gain, to_input_level, to_mixture_level


def test_a_scaled_copy_is_brought_back_exactly():
    target = torch.randn(1, 1, 4000)
    assert torch.allclose(projection_gain(0.01 * target, target), torch.tensor(100.0))


def test_an_anticorrelated_signal_takes_the_rms_ratio_instead():
    target = torch.randn(1, 1, 4000)
    assert torch.allclose(projection_gain(-2 * target, target), torch.tensor(0.5))


def test_silence_stays_silent():
    assert to_input_level(torch.zeros(1, 2, 100), torch.randn(1, 2, 100)).abs().max() == 0


def test_talkers_keep_their_shares_and_their_sum_the_mixtures_level():
    talkers = torch.randn(1, 2, 8000) * torch.tensor([1.0, 0.25])[None, :, None]
    mixture = talkers.sum(1, keepdim=True) + 0.01 * torch.randn(1, 1, 8000)
    scaled = to_mixture_level(9.0 * talkers, mixture)
    assert torch.allclose(scaled, talkers, rtol=0.01, atol=0.01)


def test_each_corrected_talker_gets_the_level_of_its_own_estimate():
    estimates = torch.randn(1, 2, 4000) * torch.tensor([1.0, 0.1])[None, :, None]
    corrected = to_input_level(0.02 * estimates + 1e-4 * torch.randn(1, 2, 4000), estimates)
    assert torch.allclose(corrected.pow(2).mean(-1), estimates.pow(2).mean(-1), rtol=0.01)
