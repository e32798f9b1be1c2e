"""DISPatch distillation losses: L2 on a uniform patch grid, and DFKD on the MSSP band grids.

Both follow the reference `rlaehghks5/DISPATCH` (`dispatch_L2.py`, `dispatch_DFKD.py`):
- L2: KGS = patch mean of (|S| - |Y|)^2 minus that of (|T| - |Y|)^2; top-k over all patches of
  the utterance; loss = sum of the kept patches' mean (|S| - |T|)^2 / (batch * patches * frames * k).
- DFKD (Yuan et al. 2025) + DISPatch: a per-frame low/high split from the teacher magnitude;
  low band complex cosine, high band beta * cosine + (1 - beta) * magnitude L2; spectra outside a
  band are zeroed; KGS uses the band loss's own error against the clean target; top-k runs per
  band over the patches touching it; each band's loss is normalised by its kept patch count and
  the two are added. MSSP is the 10-bin low / 40-bin high grid.
The teacher and the selection carry no gradient; only the student's spectrum does.
Spectra are complex `(batch, bins, frames)` from the 512/128 Hann STFT at 16 kHz.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from enum import StrEnum

import torch

from models.common.stft import Stft, StftConfig
from models.dispatch.patches import (band_masks, frequency_split, knowledge_gap_score, patch_complex_cosine_error,
                                     patch_count, patch_mean_squared_error, patches_in_band, top_k_keep_mask)

FRAME_BINS = StftConfig().bins     # a "patch" spanning the whole frame: plain (unselected) DFKD


class KdLoss(StrEnum):
    NONE = "none"      # supervised loss only
    L2 = "l2"          # magnitude L2 on a uniform grid
    DFKD = "dfkd"      # band-split complex cosine / cosine + magnitude L2


class StudentVariant(StrEnum):
    """The five students of issue #7, in the order the paper expects them to rank (worst first)."""
    NO_KD = "no-kd"
    OUTPUT_KD = "output-kd"
    DISPATCH_L2 = "dispatch-l2"
    DFKD = "dfkd"
    DFKD_DISPATCH_MSSP = "dfkd-dispatch-mssp"


@dataclass(frozen=True)
class DispatchConfig:
    loss: KdLoss = KdLoss.DFKD
    keep_ratio: float = 0.8          # k: share of patches kept per utterance (reference default)
    patch_bins: int = 20             # uniform grid for L2 (the reference's "w/o MSSP" size, 20/20)
    low_patch_bins: int = 10         # MSSP low-band patch (reference: low_sb = 10)
    high_patch_bins: int = 40        # MSSP high-band patch (reference: high_sb = 40)
    beta: float = 0.5                # high band: beta * cosine + (1 - beta) * L2 (reference)
    stft: StftConfig = field(default_factory=StftConfig)   # 512 / 128 Hann, DISPatch's STFT

    def __post_init__(self) -> None:
        if not 0.0 < self.keep_ratio <= 1.0:
            raise ValueError(f"DispatchConfig.keep_ratio must be in (0, 1], got {self.keep_ratio}")
        if min(self.patch_bins, self.low_patch_bins, self.high_patch_bins) < 1:
            raise ValueError("DispatchConfig patch sizes must be >= 1 bin")
        if not 0.0 <= self.beta <= 1.0:
            raise ValueError(f"DispatchConfig.beta must be in [0, 1], got {self.beta}")

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, raw: dict) -> DispatchConfig:
        return cls(**{**raw, "loss": KdLoss(raw["loss"]), "stft": StftConfig(**raw["stft"])})


def variant_config(variant: StudentVariant) -> DispatchConfig:
    """The KD setting of each of the five students.

    Output KD is L2 with every patch kept at one-bin patches (plain spectral-magnitude KD);
    plain DFKD keeps every patch and makes each band one patch per frame (the frame-level band
    losses of Yuan et al.); DFKD + DISPatch + MSSP is the reference's 10/40 setting with k = 0.8.
    """
    base = DispatchConfig()
    match variant:
        case StudentVariant.NO_KD:
            return replace(base, loss=KdLoss.NONE)
        case StudentVariant.OUTPUT_KD:
            return replace(base, loss=KdLoss.L2, keep_ratio=1.0, patch_bins=1)
        case StudentVariant.DISPATCH_L2:
            return replace(base, loss=KdLoss.L2)
        case StudentVariant.DFKD:
            return replace(base, loss=KdLoss.DFKD, keep_ratio=1.0, low_patch_bins=FRAME_BINS,
                           high_patch_bins=FRAME_BINS)
        case StudentVariant.DFKD_DISPATCH_MSSP:
            return replace(base, loss=KdLoss.DFKD)
    raise ValueError(f"unknown student variant {variant}")


@dataclass(frozen=True)
class BandSelection:
    """One patch grid's scores and selection; maps are `(batch, patches, frames)`."""
    patch_bins: int
    score: torch.Tensor        # knowledge gap score per patch
    eligible: torch.Tensor     # bool: the patch touches this band (all True on a uniform grid)
    keep: torch.Tensor         # bool: distilled
    loss: torch.Tensor         # scalar: this grid's KD loss


@dataclass(frozen=True)
class KdResult:
    loss: torch.Tensor                      # scalar, differentiable w.r.t. the student only
    bands: tuple[BandSelection, ...]        # (uniform,) for L2; (low, high) for DFKD
    split_bin: torch.Tensor | None = None   # (batch, frames) m_t for DFKD

    def positive_gap_share(self) -> torch.Tensor:
        """Share of kept patches whose gap is positive (teacher better than student)."""
        kept = sum(b.keep.sum() for b in self.bands)
        positive = sum((b.keep & (b.score > 0)).sum() for b in self.bands)
        return positive / torch.clamp(kept, min=1)


def l2_distillation(student: torch.Tensor, teacher: torch.Tensor, clean: torch.Tensor,
                    config: DispatchConfig) -> KdResult:
    """DISPatch with the L2 loss on a uniform `patch_bins` grid (`dispatch_L2.py`)."""
    s_mag, t_mag, y_mag = student.abs(), teacher.detach().abs(), clean.abs()
    sb = config.patch_bins
    with torch.no_grad():
        score = knowledge_gap_score(patch_mean_squared_error(s_mag, y_mag, sb),
                                    patch_mean_squared_error(t_mag, y_mag, sb))
        keep = top_k_keep_mask(score, config.keep_ratio)
    per_patch = patch_mean_squared_error(s_mag, t_mag, sb)
    batch, bins, frames = student.shape
    loss = (per_patch * keep).sum() / (batch * patch_count(bins, sb) * frames * config.keep_ratio)
    band = BandSelection(sb, score, torch.ones_like(keep), keep, loss)
    return KdResult(loss, (band,))


def _band_error(a: torch.Tensor, b: torch.Tensor, patch_bins: int, beta: float | None) -> torch.Tensor:
    """The DFKD band error per patch: cosine (low band, beta None) or beta*cosine + (1-beta)*L2."""
    cosine = patch_complex_cosine_error(a, b, patch_bins)
    if beta is None:
        return cosine
    return beta * cosine + (1 - beta) * patch_mean_squared_error(a.abs(), b.abs(), patch_bins)


def _dfkd_band(student: torch.Tensor, teacher: torch.Tensor, clean: torch.Tensor, band: torch.Tensor,
               patch_bins: int, keep_ratio: float, beta: float | None) -> BandSelection:
    s, t, y = student * band, teacher * band, clean * band
    with torch.no_grad():
        eligible = patches_in_band(band, patch_bins)
        score = knowledge_gap_score(_band_error(y, s, patch_bins, beta), _band_error(y, t, patch_bins, beta))
        keep = top_k_keep_mask(score, keep_ratio, eligible)
    loss = (_band_error(t, s, patch_bins, beta) * keep).sum() / keep.sum().clamp(min=1)
    return BandSelection(patch_bins, score, eligible, keep, loss)


def dfkd_distillation(student: torch.Tensor, teacher: torch.Tensor, clean: torch.Tensor,
                      config: DispatchConfig) -> KdResult:
    """DFKD + DISPatch on the low/high grids (`dispatch_DFKD.py`); MSSP when they differ."""
    teacher = teacher.detach()
    split = frequency_split(teacher.abs())
    low, high = band_masks(split, student.shape[1])
    low_sel = _dfkd_band(student, teacher, clean, low, config.low_patch_bins, config.keep_ratio, None)
    high_sel = _dfkd_band(student, teacher, clean, high, config.high_patch_bins, config.keep_ratio, config.beta)
    return KdResult(low_sel.loss + high_sel.loss, (low_sel, high_sel), split)


def distillation_loss(student: torch.Tensor, teacher: torch.Tensor, clean: torch.Tensor,
                      config: DispatchConfig) -> KdResult:
    """The configured KD loss on complex spectra `(batch, bins, frames)`."""
    if not student.shape == teacher.shape == clean.shape:
        raise ValueError(f"spectra must have equal shapes, got {tuple(student.shape)}, {tuple(teacher.shape)}, "
                         f"{tuple(clean.shape)}")
    match config.loss:
        case KdLoss.L2:
            return l2_distillation(student, teacher, clean, config)
        case KdLoss.DFKD:
            return dfkd_distillation(student, teacher, clean, config)
    raise ValueError(f"{config.loss} has no distillation loss; skip KD for it")


class WaveDistillation(torch.nn.Module):
    """The KD loss on waveforms `(batch, samples)`: the 512/128 STFT of student, teacher and clean."""

    def __init__(self, config: DispatchConfig) -> None:
        super().__init__()
        self.config = config
        self.stft = Stft(config.stft)

    def forward(self, student: torch.Tensor, teacher: torch.Tensor, clean: torch.Tensor) -> KdResult:
        return distillation_loss(self.stft(student.float()), self.stft(teacher.float()),
                                 self.stft(clean.float()), self.config)
