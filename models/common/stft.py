"""STFT pair with fixed settings per model, so analysis and synthesis always match.

Shapes: waveforms `(batch, channels, samples)`, spectra complex `(batch, channels, bins, frames)`.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class StftConfig:
    n_fft: int = 512        # 32 ms at 16 kHz; 257 bins (DISPatch's STFT)
    hop: int = 128          # 8 ms

    def __post_init__(self) -> None:
        if self.n_fft <= 0 or self.hop <= 0 or self.hop > self.n_fft:
            raise ValueError(f"StftConfig needs 0 < hop <= n_fft, got n_fft={self.n_fft}, hop={self.hop}")

    @property
    def bins(self) -> int:
        return self.n_fft // 2 + 1


class Stft(torch.nn.Module):
    def __init__(self, config: StftConfig) -> None:
        super().__init__()
        self.config = config
        self.register_buffer("window", torch.hann_window(config.n_fft), persistent=False)

    def forward(self, wave: torch.Tensor) -> torch.Tensor:
        lead = wave.shape[:-1]
        spec = torch.stft(wave.reshape(-1, wave.shape[-1]).float(), self.config.n_fft, self.config.hop,
                          window=self.window, center=True, return_complex=True)
        return spec.reshape(*lead, *spec.shape[-2:])

    def inverse(self, spec: torch.Tensor, samples: int) -> torch.Tensor:
        lead = spec.shape[:-2]
        wave = torch.istft(spec.reshape(-1, *spec.shape[-2:]), self.config.n_fft, self.config.hop,
                           window=self.window, center=True, length=samples)
        return wave.reshape(*lead, samples)

    def frames(self, samples: int) -> int:
        return samples // self.config.hop + 1
