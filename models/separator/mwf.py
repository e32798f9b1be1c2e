"""Mask-driven multichannel Wiener filter: the network says *when* a talker is active, the array
says *where* it is.

For each talker s and frequency f, spatial covariances are estimated from the mixture weighted by
the talker's mask power, and the filter w = (Phi_x + delta I)^-1 Phi_s e_ref gives the talker's
image at the reference mic (Souden et al., 2010; mask-based MWF as in Heymann et al., 2016).
Steered by ideal ratio masks it still stays well below a single-channel ideal mask on our fixed
sets (the evaluation's "Oracle IRM + MWF" rows): it estimates each talker's whole reverberant
image, while the target keeps only the direct path and early reflections.

Shapes: spec `(batch, mics, bins, frames)` complex; masks `(batch, talkers, bins, frames)` complex.
"""

from __future__ import annotations

import torch


def mask_weighted_mwf(spec: torch.Tensor, masks: torch.Tensor, mic_mask: torch.Tensor,
                      loading: float = 1e-3) -> torch.Tensor:
    """Talker spectra at mic 0, `(batch, talkers, bins, frames)`; mics outside mic_mask are ignored."""
    spec = spec * mic_mask[:, :, None, None].to(spec.dtype)
    power = masks.abs().clamp(max=1.0).pow(2)                                   # (b, s, f, t)
    outer = torch.einsum("bmft,bnft->bftmn", spec, spec.conj())                 # (b, f, t, m, m)
    phi_x = outer.mean(2)
    # Mean over *all* frames: masked frames estimate the talker's own covariance at its true
    # scale relative to phi_x (normalising by the mask sum would overstate it and over-scale w).
    phi_s = torch.einsum("bsft,bftmn->bsfmn", power.to(outer.dtype), outer) / spec.shape[-1]
    mics = spec.shape[1]
    eye = torch.eye(mics, dtype=spec.dtype, device=spec.device)
    # Invalid (padded) mics get an identity row so the solve stays well posed and ignores them.
    pad = (~mic_mask)[:, None, :, None].to(spec.dtype) * eye
    trace = torch.diagonal(phi_x, dim1=-2, dim2=-1).real.mean(-1)[..., None, None]
    phi_x = phi_x + (loading * trace + 1e-8) * eye + pad
    w = torch.linalg.solve(phi_x[:, None], phi_s[..., :, 0:1])                 # (b, s, f, m, 1)
    return torch.einsum("bsfm,bmft->bsft", w[..., 0].conj(), spec)
