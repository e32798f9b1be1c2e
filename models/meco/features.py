"""Compressed complex STFT features, as MeCo (after SGMSE+/FlowSE) feeds its network.

A spectrum X becomes `factor * |X|^exponent * e^{j angle X}`, stored as two real channels
(re, im) so the network, the JVP and the losses work on real tensors only. Shapes: waveforms
`(..., samples)`, features `(..., 2, bins, frames)`.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from models.common.stft import Stft, StftConfig


@dataclass(frozen=True)
class SpectralConfig:
    n_fft: int = 510         # 256 bins, MeCo's STFT (reference: n_fft 510)
    hop: int = 256           # MeCo uses 64; 4x coarser so one step fits RTF <= 0.01 on 2 CPU cores
    factor: float = 0.15     # spec_factor of MeCo / SGMSE+
    exponent: float = 0.5    # spec_abs_exponent of MeCo / SGMSE+

    def __post_init__(self) -> None:
        if not 0 < self.exponent <= 1 or self.factor <= 0:
            raise ValueError(f"SpectralConfig needs 0 < exponent <= 1 and factor > 0, got {self}")
        if self.bins % 2:
            raise ValueError(f"n_fft {self.n_fft} gives an odd bin count the U-Net cannot halve; use e.g. 510")
        StftConfig(self.n_fft, self.hop)      # raises on an impossible n_fft / hop pair

    @property
    def bins(self) -> int:
        return self.n_fft // 2 + 1


class SpectralFeatures(nn.Module):
    """Waveform <-> compressed complex spectrum as real (re, im) channels.

    n_fft 510 gives 256 bins, all kept; that is why MeCo chose 510 over 512 (257 bins do not halve).
    """

    def __init__(self, config: SpectralConfig) -> None:
        super().__init__()
        self.config = config
        self.stft = Stft(StftConfig(config.n_fft, config.hop))

    def encode(self, wave: torch.Tensor) -> torch.Tensor:
        """`(..., samples)` -> `(..., 2, bins, frames)`; used on data only, never differentiated."""
        spec = self.stft(wave)
        mag = spec.abs()
        spec = spec * (self.config.factor * mag.clamp_min(1e-12).pow(self.config.exponent - 1))
        return torch.stack([spec.real, spec.imag], dim=-3)

    def decode(self, features: torch.Tensor, samples: int) -> torch.Tensor:
        """Inverse of `encode`: `(..., 2, bins, frames)` -> `(..., samples)`, differentiable.

        |S/f|^(1/e - 1) * S/f is smooth at S = 0 for e <= 1, so gradients of the Endpoint
        SI-SDR loss flow back to the network output everywhere.
        """
        scaled = features.float() / self.config.factor
        power = 1.0 / self.config.exponent - 1.0
        expanded = scaled * (scaled.pow(2).sum(-3, keepdim=True) + 1e-12).pow(0.5 * power)
        spec = torch.complex(expanded.select(-3, 0), expanded.select(-3, 1))
        return self.stft.inverse(spec, samples)
