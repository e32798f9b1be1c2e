"""Scale-invariant SDR (Le Roux et al., 2019) and permutation-invariant training over talkers."""

from __future__ import annotations

import itertools

import torch

EPS = 1e-8


def projection_scale(estimate: torch.Tensor, reference: torch.Tensor) -> torch.Tensor:
    """<estimate, reference> / <reference, reference> over the last axis (kept): the scale and sign at
    which `reference` lies in `estimate`, SI-SDR's target; 0 for a silent reference."""
    return (estimate * reference).sum(-1, keepdim=True) / (reference.pow(2).sum(-1, keepdim=True) + EPS)


def si_sdr(estimate: torch.Tensor, reference: torch.Tensor, zero_mean: bool = True) -> torch.Tensor:
    """SI-SDR in dB over the last axis; any leading shape."""
    if zero_mean:
        estimate = estimate - estimate.mean(-1, keepdim=True)
        reference = reference - reference.mean(-1, keepdim=True)
    target = projection_scale(estimate, reference) * reference
    noise = estimate - target
    return 10 * torch.log10(target.pow(2).sum(-1) + EPS) - 10 * torch.log10(noise.pow(2).sum(-1) + EPS)


def pit_si_sdr(estimates: torch.Tensor, references: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Best-permutation mean SI-SDR per item and that permutation.

    estimates, references: `(batch, talkers, samples)`. Returns `(batch,)` dB and `(batch, talkers)`
    indices such that `estimates[b, perm[b]]` lines up with `references[b]`.
    """
    if estimates.shape != references.shape:
        raise ValueError(f"pit_si_sdr needs equal shapes, got {tuple(estimates.shape)} and {tuple(references.shape)}")
    talkers = estimates.shape[1]
    pair = si_sdr(estimates[:, :, None], references[:, None, :])          # (batch, est, ref)
    perms = list(itertools.permutations(range(talkers)))
    scores = torch.stack([pair[:, list(p), list(range(talkers))].mean(-1) for p in perms], dim=1)
    best, index = scores.max(dim=1)
    perm = torch.tensor(perms, device=estimates.device)[index]
    return best, perm
