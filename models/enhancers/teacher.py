"""Band-attention teacher: a ~2.5 M-parameter enhancer, convolution- and attention-heavy so that
bf16 autocast pays off when training on a CPU.

- Complex spectrum (|X|^0.5 compression) split into 32 bands: 4-bin bands to 2 kHz, 8-bin to
  4 kHz, 16-bin above (BSRNN's idea, Luo & Yu 2023): 32 band tokens per frame.
- Each block: a dilated depthwise convolution along time with a pointwise feed-forward (long
  temporal context at conv cost), then self-attention across the 32 bands of each frame (any
  band may inform any other: harmonics, broadband noise) and a feed-forward; pre-norm residuals.
- Per-band MLP heads (BSRNN's mask estimation: hidden 4 x width, tanh, then a GLU) give an
  unbounded complex mask at full 257-bin resolution. They hold most of the parameters but run
  once per band and frame, so they cost little: parameters are cheap, MACs per token are not.
Compared with the student it has ~70x the parameters and ~16x the MACs per second; a training
step costs about what the MACs say, so the trunk (blocks x width^2 x tokens) is kept small.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import torch
from torch import nn
from torch.nn import functional as F

from models.common.checkpoint import register_architecture
from models.common.stft import StftConfig
from models.enhancers.base import MaskingEnhancer
from models.separator.network import BandLinear

EPS = 1e-8


@dataclass(frozen=True)
class TeacherConfig:
    sample_rate: int = 16_000
    stft: StftConfig = field(default_factory=lambda: StftConfig(n_fft=512, hop=256))  # the student's frames
    # (first bin past the region, bins per band): 4-bin bands to 2 kHz, 8 to 4 kHz, 16 above.
    band_plan: tuple[tuple[int, int], ...] = ((64, 4), (128, 8), (257, 16))
    channels: int = 96
    blocks: int = 4
    heads: int = 4
    kernel: int = 5
    dilations: tuple[int, ...] = (1, 3, 9, 27)      # receptive field ~ 2.6 s at hop 256
    head_factor: int = 4                            # BSRNN: mask MLP hidden = 4 x width

    def __post_init__(self) -> None:
        if self.channels % self.heads:
            raise ValueError(f"TeacherConfig.channels ({self.channels}) must be a multiple of heads ({self.heads})")
        if self.band_plan[-1][0] != self.stft.bins:
            raise ValueError(f"TeacherConfig.band_plan must end at bin {self.stft.bins}")

    def band_widths(self) -> list[int]:
        """Bins per band, covering every bin exactly once; a short remainder joins the last band."""
        widths, start = [], 0
        for stop, width in self.band_plan:
            while start + width <= stop:
                widths.append(width)
                start += width
            if start < stop:
                widths[-1] += stop - start
                start = stop
        return widths

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, raw: dict) -> TeacherConfig:
        return cls(**{**raw, "stft": StftConfig(**raw["stft"]), "band_plan": tuple(tuple(p) for p in raw["band_plan"]),
                      "dilations": tuple(raw["dilations"])})


class TimeConvBlock(nn.Module):
    """Dilated depthwise conv along frames, then a pointwise feed-forward; residual."""

    def __init__(self, channels: int, kernel: int, dilation: int) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.GroupNorm(1, channels),
            nn.Conv1d(channels, channels, kernel, padding=dilation * (kernel - 1) // 2, dilation=dilation,
                      groups=channels),
            nn.Conv1d(channels, 2 * channels, 1), nn.GELU(), nn.Conv1d(2 * channels, channels, 1),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x `(batch * bands, channels, frames)`."""
        return x + self.net(x)


class BandAttentionBlock(nn.Module):
    """Self-attention across the bands of one frame, then a feed-forward; pre-norm residuals."""

    def __init__(self, channels: int, heads: int) -> None:
        super().__init__()
        self.heads = heads
        self.norm = nn.LayerNorm(channels)
        self.qkv = nn.Linear(channels, 3 * channels)
        self.out = nn.Linear(channels, channels)
        self.ff = nn.Sequential(nn.LayerNorm(channels), nn.Linear(channels, 2 * channels), nn.GELU(),
                                nn.Linear(2 * channels, channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x `(batch * frames, bands, channels)`."""
        n, k, d = x.shape
        q, key, v = self.qkv(self.norm(x)).reshape(n, k, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        att = F.scaled_dot_product_attention(q, key, v).transpose(1, 2).reshape(n, k, d)
        x = x + self.out(att)
        return x + self.ff(x)


class BandMlpHead(nn.Module):
    """Per band: width -> hidden (tanh) -> its bins x (2 complex parts x 2 GLU halves)."""

    def __init__(self, widths: list[int], channels: int, hidden: int) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(channels)
        self.weight = nn.Parameter(torch.randn(len(widths), channels, hidden) / channels ** 0.5)
        self.bias = nn.Parameter(torch.zeros(len(widths), hidden))
        self.out = BandLinear(widths, 4, hidden, transpose=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(..., bands, channels) -> (..., bins, 2): real and imaginary mask."""
        h = torch.tanh(torch.einsum("...kd,kdh->...kh", self.norm(x), self.weight) + self.bias)
        return F.glu(self.out(h).float(), dim=-1)


class BandAttentionTeacher(MaskingEnhancer):
    def __init__(self, config: TeacherConfig = TeacherConfig()) -> None:
        super().__init__(config.stft)
        self.config = config
        d = config.channels
        widths = config.band_widths()
        self.encoder = BandLinear(widths, 2, d)
        self.band_position = nn.Parameter(torch.zeros(len(widths), d))
        self.encoder_norm = nn.LayerNorm(d)
        self.time_blocks = nn.ModuleList(TimeConvBlock(d, config.kernel, config.dilations[i % len(config.dilations)])
                                         for i in range(config.blocks))
        self.band_blocks = nn.ModuleList(BandAttentionBlock(d, config.heads) for _ in range(config.blocks))
        self.head = BandMlpHead(widths, d, config.head_factor * d)

    def mask(self, spec: torch.Tensor) -> torch.Tensor:
        b, f, t = spec.shape
        compressed = spec / (spec.abs() + EPS).pow(0.5)
        feats = torch.stack([compressed.real, compressed.imag], dim=-1).transpose(1, 2)   # (b, t, f, 2)
        x = self.encoder_norm(self.encoder(feats) + self.band_position)                    # (b, t, k, d)
        k, d = x.shape[2], x.shape[3]
        for time_block, band_block in zip(self.time_blocks, self.band_blocks, strict=True):
            x = time_block(x.permute(0, 2, 3, 1).reshape(b * k, d, t)).reshape(b, k, d, t).permute(0, 3, 1, 2)
            x = band_block(x.reshape(b * t, k, d)).reshape(b, t, k, d)
        out = self.head(x)                                                                 # (b, t, f, 2)
        return torch.complex(out[..., 0], out[..., 1]).transpose(1, 2)


register_architecture("BandAttentionTeacher", lambda cfg: BandAttentionTeacher(TeacherConfig.from_dict(cfg)))
