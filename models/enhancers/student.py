"""GTCRN-class student: a ~50 k-parameter enhancer that runs far faster than real time on a laptop CPU.

After GTCRN (Rong et al., ICASSP 2024: 48 k parameters, 33 MMAC/s, PESQ-WB 2.87 on
VoiceBank-DEMAND), kept to what matters for our CPU budget:
- STFT 512 / hop 256 (GTCRN's), 62.5 frames/s: half the frames of DISPatch's loss STFT.
- The 192 bins above ~2 kHz are merged into 64 ERB bands (129 bands in all), and each band sees
  its two neighbours (subband feature extraction), so convolutions run on few, wide bands.
- Encoder: two strided frequency convolutions (129 -> 65 -> 33 bands), then grouped temporal
  convolutions (GT-conv: half the channels through pointwise / dilated depthwise / pointwise,
  then a channel shuffle) with dilations 1, 2, 5.
- Two dual-path RNN blocks: a bidirectional GRU across the 33 bands of a frame, then a GRU along
  time, each with a residual connection. GTCRN splits each GRU into 2 feature groups; on a CPU
  each group is another sequential loop over 250 frames, so we default to 1 group of width 24.
- Decoder mirrors the encoder with skip connections and ends in a bounded (tanh) complex mask
  on the ERB bands, expanded back to 257 bins by the transposed filterbank.
Not kept: GTCRN's temporal recurrent attention and its causal padding (the app runs offline on
overlapping chunks, so symmetric context is free).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from models.common.checkpoint import register_architecture
from models.common.stft import StftConfig
from models.enhancers.base import MaskingEnhancer

EPS = 1e-8


@dataclass(frozen=True)
class StudentConfig:
    sample_rate: int = 16_000
    stft: StftConfig = field(default_factory=lambda: StftConfig(n_fft=512, hop=256))   # GTCRN's STFT
    linear_bins: int = 65            # GTCRN: bins below ~2 kHz stay linear
    erb_bands: int = 64              # GTCRN: the other 192 bins become 64 ERB bands
    channels: int = 24               # GTCRN uses 16; 24 measured within the RTF budget here
    dilations: tuple[int, ...] = (1, 2, 5)   # GTCRN's GT-conv dilations
    rnn_groups: int = 1              # GTCRN groups by 2; on CPU each group is another 250-step loop
    dual_path_blocks: int = 2        # GTCRN: two DPGRNN blocks

    def __post_init__(self) -> None:
        if self.channels % (2 * self.rnn_groups):
            raise ValueError(f"StudentConfig.channels ({self.channels}) must be a multiple of 2 * rnn_groups")
        if not 0 < self.linear_bins < self.stft.bins:
            raise ValueError(f"StudentConfig.linear_bins must be in (0, {self.stft.bins}), got {self.linear_bins}")

    @property
    def bands(self) -> int:
        return self.linear_bins + self.erb_bands

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, raw: dict) -> StudentConfig:
        return cls(**{**raw, "stft": StftConfig(**raw["stft"]), "dilations": tuple(raw["dilations"])})


def _hz_to_erb(hz: np.ndarray) -> np.ndarray:
    return 21.4 * np.log10(1 + 0.00437 * hz)


def _erb_to_hz(erb: np.ndarray) -> np.ndarray:
    return (10 ** (erb / 21.4) - 1) / 0.00437


def erb_filters(linear_bins: int, bands: int, bins: int, sample_rate: int) -> np.ndarray:
    """Triangular filters `(bands, bins - linear_bins)` evenly spaced on the ERB scale (Glasberg &
    Moore) from the first merged bin to Nyquist; each bin's weights over bands sum to 1."""
    hz_per_bin = sample_rate / (2 * (bins - 1))
    centres = _erb_to_hz(np.linspace(_hz_to_erb(np.array(linear_bins * hz_per_bin)),
                                      _hz_to_erb(np.array(sample_rate / 2)), bands)) / hz_per_bin
    position = np.arange(linear_bins, bins, dtype=np.float64)
    filters = np.zeros((bands, bins - linear_bins))
    for k in range(bands):
        left = centres[k - 1] if k else centres[0] - 1e-9
        right = centres[k + 1] if k + 1 < bands else centres[-1] + 1e-9
        rising = (position - left) / max(centres[k] - left, 1e-9)
        falling = (right - position) / max(right - centres[k], 1e-9)
        filters[k] = np.clip(np.minimum(rising, falling), 0, None)
    filters[0, position <= centres[0]] = 1.0
    filters[-1, position >= centres[-1]] = 1.0
    return filters / filters.sum(axis=0, keepdims=True)


class ErbBands(nn.Module):
    """Bins -> bands (linear below `linear_bins`, ERB-weighted averages above) and back."""

    def __init__(self, config: StudentConfig) -> None:
        super().__init__()
        self.linear_bins = config.linear_bins
        filters = torch.from_numpy(erb_filters(config.linear_bins, config.erb_bands, config.stft.bins,
                                               config.sample_rate)).float()
        self.register_buffer("analysis", filters / filters.sum(dim=1, keepdim=True), persistent=False)
        self.register_buffer("synthesis", filters.T.contiguous(), persistent=False)

    def merge(self, x: torch.Tensor) -> torch.Tensor:
        """(..., bins) -> (..., bands)."""
        low, high = x[..., :self.linear_bins], x[..., self.linear_bins:]
        return torch.cat([low, high @ self.analysis.T.to(x.dtype)], dim=-1)

    def split(self, x: torch.Tensor) -> torch.Tensor:
        """(..., bands) -> (..., bins)."""
        low, high = x[..., :self.linear_bins], x[..., self.linear_bins:]
        return torch.cat([low, high @ self.synthesis.T.to(x.dtype)], dim=-1)


def channels_last(x: torch.Tensor) -> torch.Tensor:
    """torch's CPU depthwise and small convolutions ran 10-60x faster on channels-last input (measured)."""
    return x.contiguous(memory_format=torch.channels_last)


def subband_features(x: torch.Tensor) -> torch.Tensor:
    """Each band with its two neighbours stacked as channels: (b, c, t, f) -> (b, 3c, t, f)."""
    padded = F.pad(x, (1, 1))
    return torch.cat([padded[..., :-2], x, padded[..., 2:]], dim=1)


class UpsampleConv(nn.Conv2d):
    """A (1, 5) convolution over bands with zeros stuffed between them (f -> 2f - 1 bands), i.e. a
    stride-2 transposed convolution, computed polyphase: even outputs see taps 0, 2, 4 and odd
    outputs taps 1, 3 of the same weights. torch's CPU transposed convolution ran ~3-15x slower,
    and convolving the stuffed zeros doubled the work and the memory traffic (measured here)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        even = F.conv2d(x, self.weight[..., 0::2], self.bias, padding=(0, 1), groups=self.groups)
        odd = F.conv2d(x, self.weight[..., 1::2], self.bias, groups=self.groups)
        out = torch.empty(*even.shape[:-1], 2 * x.shape[-1] - 1, dtype=even.dtype, device=even.device,
                          memory_format=torch.channels_last)
        out[..., 0::2] = even
        out[..., 1::2] = odd
        return out


def conv_block(cin: int, cout: int, upsample: bool, groups: int = 1, last: bool = False) -> nn.Sequential:
    """A (1, 5) convolution over bands with stride 2, halving them (or, upsampling, doubling them)."""
    if upsample:       # the empty first slot keeps the parameter names of the shipped checkpoints
        layers = [nn.Identity(), UpsampleConv(cin, cout, (1, 5), padding=(0, 2), groups=groups)]
    else:
        layers = [nn.Conv2d(cin, cout, (1, 5), stride=(1, 2), padding=(0, 2), groups=groups)]
    return nn.Sequential(*layers, nn.BatchNorm2d(cout), nn.Tanh() if last else nn.PReLU(cout))


class GroupedTemporalConv(nn.Module):
    """GTCRN's GT-conv: half the channels through point / dilated depth / point convs, then shuffle.

    The first pointwise convolution sees each band with its two neighbours (GTCRN's subband
    features); it runs as the equivalent (1, 3) convolution over bands, which never builds the
    three-times-larger stacked input."""

    def __init__(self, channels: int, dilation: int) -> None:
        super().__init__()
        half = channels // 2
        self.net = nn.Sequential(
            nn.Conv2d(3 * half, channels, 1), nn.BatchNorm2d(channels), nn.PReLU(channels),
            nn.Conv2d(channels, channels, (3, 3), padding=(dilation, 1), dilation=(dilation, 1), groups=channels),
            nn.BatchNorm2d(channels), nn.PReLU(channels),
            nn.Conv2d(channels, half, 1), nn.BatchNorm2d(half),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        a, b = x.chunk(2, dim=1)
        pointwise = self.net[0]
        out, stacked = pointwise.weight.shape[:2]
        # (out, [left, centre, right] x half, 1, 1) -> (out, half, 1, [left, centre, right])
        neighbours = pointwise.weight.reshape(out, 3, stacked // 3).permute(0, 2, 1).unsqueeze(2)
        h = F.conv2d(channels_last(a), neighbours, pointwise.bias, padding=(0, 1))
        y = torch.cat([self.net[1:](channels_last(h)), b], dim=1)
        n, c, t, f = y.shape
        return y.reshape(n, 2, c // 2, t, f).transpose(1, 2).reshape(n, c, t, f)   # channel shuffle


class GroupedGru(nn.Module):
    """Feature groups, each through its own small GRU (GTCRN's GRNN): fewer weights, same width."""

    def __init__(self, features: int, groups: int, bidirectional: bool) -> None:
        super().__init__()
        per = features // groups
        hidden = per // 2 if bidirectional else per
        self.rnns = nn.ModuleList(nn.GRU(per, hidden, batch_first=True, bidirectional=bidirectional)
                                  for _ in range(groups))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        parts = x.chunk(len(self.rnns), dim=-1)
        return torch.cat([rnn(p)[0] for rnn, p in zip(self.rnns, parts, strict=True)], dim=-1)


class DualPathGru(nn.Module):
    """Across bands within a frame (bidirectional), then along time; residual, layer-normed."""

    def __init__(self, channels: int, bands: int, groups: int) -> None:
        super().__init__()
        self.intra = GroupedGru(channels, groups, bidirectional=True)
        self.intra_out = nn.Linear(channels, channels)
        self.intra_norm = nn.LayerNorm((bands, channels))
        self.inter = GroupedGru(channels, groups, bidirectional=False)
        self.inter_out = nn.Linear(channels, channels)
        self.inter_norm = nn.LayerNorm((bands, channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x `(batch, channels, frames, bands)`."""
        b, c, t, f = x.shape
        h = x.permute(0, 2, 3, 1)                                               # (b, t, f, c)
        intra = self.intra_out(self.intra(h.reshape(b * t, f, c))).reshape(b, t, f, c)
        h = h + self.intra_norm(intra)
        inter = self.inter_out(self.inter(h.transpose(1, 2).reshape(b * f, t, c))).reshape(b, f, t, c)
        h = h + self.inter_norm(inter.transpose(1, 2))
        return h.permute(0, 3, 1, 2)


class GtcrnStudent(MaskingEnhancer):
    def __init__(self, config: StudentConfig = StudentConfig()) -> None:
        super().__init__(config.stft)
        self.config = config
        c = config.channels
        inner = ((config.bands + 1) // 2 + 1) // 2                     # bands after two stride-2 convs
        self.bands = ErbBands(config)
        self.encoder = nn.ModuleList([conv_block(9, c, upsample=False), conv_block(c, c, upsample=False, groups=2),
                                      *[GroupedTemporalConv(c, d) for d in config.dilations]])
        self.dual_path = nn.Sequential(*[DualPathGru(c, inner, config.rnn_groups)
                                         for _ in range(config.dual_path_blocks)])
        self.decoder = nn.ModuleList([*[GroupedTemporalConv(c, d) for d in reversed(config.dilations)],
                                      conv_block(c, c, upsample=True, groups=2),
                                      conv_block(c, 2, upsample=True, last=True)])
        self.to(memory_format=torch.channels_last)      # conv weights too, or torch falls back to slow kernels

    def mask(self, spec: torch.Tensor) -> torch.Tensor:
        mag = spec.abs()
        compressed = spec / (mag + EPS).pow(0.5)                        # |X|^0.5 e^{j angle X}
        feats = torch.stack([mag.pow(0.5), compressed.real, compressed.imag], dim=1).transpose(2, 3)
        x = subband_features(self.bands.merge(feats))                  # (b, 9, t, bands)
        skips = []
        for layer in self.encoder:
            x = layer(channels_last(x))
            skips.append(x)
        x = self.dual_path(x)
        for layer, skip in zip(self.decoder, reversed(skips), strict=True):
            x = layer(channels_last(x + skip))
        m = self.bands.split(x.float()).transpose(2, 3)                # (b, 2, bins, t)
        return torch.complex(m[:, 0], m[:, 1])


register_architecture("GtcrnStudent", lambda cfg: GtcrnStudent(StudentConfig.from_dict(cfg)))
