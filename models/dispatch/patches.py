"""Patch grids, knowledge gap scores, top-k keep masks and the MSSP low/high split.

A patch is `patch_bins` adjacent frequency bins x one frame; the frequency axis is zero-padded
to a multiple of `patch_bins` (as in the reference `rlaehghks5/DISPATCH`). Shapes: spectra
`(batch, bins, frames)`; patch maps `(batch, patches, frames)` with `patches = ceil(bins / patch_bins)`.
Selection carries no gradient: it is a hard 0/1 mask built from comparisons.
"""

from __future__ import annotations

import math

import torch

EPS = 1e-8    # the reference's eps in the frequency adapter and the complex cosine


def patch_count(bins: int, patch_bins: int) -> int:
    if patch_bins < 1:
        raise ValueError(f"patch_bins must be >= 1, got {patch_bins}")
    return math.ceil(bins / patch_bins)


def to_patches(x: torch.Tensor, patch_bins: int) -> torch.Tensor:
    """`(batch, bins, frames)` -> `(batch, patches, patch_bins, frames)`, zero-padding the top bins.

    Works for real, complex and bool tensors (padding with zeros / False).
    """
    if x.dim() != 3:
        raise ValueError(f"expected (batch, bins, frames), got {tuple(x.shape)}")
    b, f, t = x.shape
    n = patch_count(f, patch_bins)
    pad = n * patch_bins - f
    if pad:
        x = torch.cat([x, x.new_zeros(b, pad, t)], dim=1)
    return x.reshape(b, n, patch_bins, t)


def to_bins(patch_map: torch.Tensor, patch_bins: int, bins: int) -> torch.Tensor:
    """`(batch, patches, frames)` -> `(batch, bins, frames)`: each bin shows its patch's value."""
    return patch_map.repeat_interleave(patch_bins, dim=1)[:, :bins]


def patch_mean_squared_error(a: torch.Tensor, b: torch.Tensor, patch_bins: int) -> torch.Tensor:
    """Mean over each patch's bins of `(a - b)^2` for magnitudes `(batch, bins, frames)`; padded
    bins count as zeros in the mean, as in the reference."""
    return to_patches((a - b).pow(2), patch_bins).mean(dim=2)


def patch_complex_cosine_error(a: torch.Tensor, b: torch.Tensor, patch_bins: int) -> torch.Tensor:
    """1 - cos between complex patch vectors of `a` and `b` `(batch, bins, frames)`.

    The real inner product over the patch's bins divided by both norms (eps inside the root and
    in the denominator, as DFKD's `cosine_loss_complex`): insensitive to level, sensitive to phase.
    """
    pa, pb = to_patches(a, patch_bins), to_patches(b, patch_bins)
    dot = (pa.real * pb.real + pa.imag * pb.imag).sum(dim=2)
    norm_a = (pa.real.pow(2) + pa.imag.pow(2)).sum(dim=2).add(EPS).sqrt()
    norm_b = (pb.real.pow(2) + pb.imag.pow(2)).sum(dim=2).add(EPS).sqrt()
    return 1 - dot / (norm_a * norm_b + EPS)


def knowledge_gap_score(student_error: torch.Tensor, teacher_error: torch.Tensor) -> torch.Tensor:
    """KGS = student error - teacher error per patch: positive where the teacher is closer to clean."""
    return student_error - teacher_error


def top_k_keep_mask(score: torch.Tensor, keep_ratio: float, eligible: torch.Tensor | None = None) -> torch.Tensor:
    """Hard mask of each utterance's top-`keep_ratio` patches by score, `(batch, patches, frames)` bool.

    Per utterance, m = max(floor(keep_ratio * eligible patches), 1); the threshold is the m-th
    largest eligible score and every eligible patch at or above it is kept (ties are kept, so
    slightly more than m may be). No test of gap > 0: when fewer than m gaps are positive,
    negative-gap patches are kept too (the reference's behaviour). An utterance with no eligible
    patch keeps none.
    """
    if not 0.0 < keep_ratio <= 1.0:
        raise ValueError(f"keep_ratio must be in (0, 1], got {keep_ratio}")
    b = score.shape[0]
    flat = score.detach().reshape(b, -1)
    ok = torch.ones_like(flat, dtype=torch.bool) if eligible is None else eligible.reshape(b, -1)
    counts = ok.sum(dim=1)
    m = (counts.double() * keep_ratio).floor().long().clamp(min=1)
    ranked = flat.masked_fill(~ok, float("-inf")).sort(dim=1, descending=True).values
    threshold = ranked.gather(1, (m - 1).clamp(max=flat.shape[1] - 1)[:, None])
    keep = (flat >= threshold) & ok
    return keep.reshape(score.shape)


def frequency_split(teacher_magnitude: torch.Tensor) -> torch.Tensor:
    """Per-frame split bin m_t `(batch, frames)` from the teacher magnitude `(batch, bins, frames)`.

    DFKD's frequency adapter (Yuan et al. 2025), used by MSSP: F_o = cumulative max over
    frequency; rise_f = (F_o[f+1] - F_o[f]) / (F_o[f] + eps); m_t = argmax_f rise_f. The low
    band is f <= m_t, the high band f >= m_t (bin m_t is in both).
    """
    envelope = teacher_magnitude.abs().cummax(dim=1).values
    rise = (envelope[:, 1:] - envelope[:, :-1]) / (envelope[:, :-1] + EPS)
    return rise.argmax(dim=1)


def band_masks(split_bin: torch.Tensor, bins: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Low (f <= m_t) and high (f >= m_t) bin masks `(batch, bins, frames)` from `(batch, frames)`."""
    f = torch.arange(bins, device=split_bin.device)[None, :, None]
    m = split_bin[:, None, :]
    return f <= m, f >= m


def patches_in_band(band_mask: torch.Tensor, patch_bins: int) -> torch.Tensor:
    """A patch belongs to a band if any of its bins does, `(batch, patches, frames)` bool."""
    return to_patches(band_mask, patch_bins).any(dim=2)

