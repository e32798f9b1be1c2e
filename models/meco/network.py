"""The average-velocity network: a U-Net of the NCSN++ family, scaled down to run on a CPU.

Kept from NCSN++ / MeCo's backbone (Song et al. 2021; MeCo's `ncspp_mixture_concat_multichannel`):
BigGAN-style residual blocks with GroupNorm and SiLU, (h + skip)/sqrt(2), last conv of each block
initialised at zero, down-sampling inside residual blocks, ResBlock-Attention-ResBlock at the
bottom, and time conditioning by a Gaussian-Fourier embedding of log t plus a separate
Fourier + 2-layer MLP branch on log1p(t - r), added together.

Changed so one evaluation costs ~0.1 GMAC per second of audio and talker (the separator spends
~0.7 GMAC/s; see `python -m models.train.meco --profile`):
- a patch stem folds `patch` = (bins, frames) cells into channels before the first block, and
  a transposed convolution unfolds them at the end (DiT-style), so no 3x3 conv runs at the
  full STFT resolution;
- fewer levels and channels (NCSN++: 7 levels, nf 128, 2 blocks per level);
- one skip per level and transposed-conv up-sampling (NCSN++: a skip per block and up-sampling
  residual blocks, which run 3x3 convs at the finer resolution); no FIR kernels, no pyramids.
- a full-resolution linear path: u also gets a(t) x_t + b(t) y per STFT cell, with a, b from
  the t branch of the time embedding (the same for every r: on a near-straight path the jump's
  average velocity shares the instantaneous one's linear part, so the many r = t samples teach
  the one-step jump too). The patch stem squeezes 6 x 16 values of a cell into `channels[0]`,
  which cannot carry the white noise of x_t through to the output, while at t = 1 the ideal u is
  x_t - y plus a smooth correction (NCSN++ keeps this at its full-resolution first level; the
  patch stem had lost it, and one-step outputs stayed buried in the prior's noise);
- an optional gain path (`gains`): per STFT cell, complex gains g_y, g_m from the last
  level's features, unfolded like the head, give u another g_y * y + g_m * m_ref (complex
  products). The residual y - x a corrector must remove is mostly the estimate's own leaked
  talker and noise, i.e. y times a gain; an additive head at patch resolution cannot draw the
  fine harmonic structure of y it would have to subtract, a gain on y carries it for free.
  Zero at initialisation, so a card without it warm-starts unchanged. Under the DSO objective
  at CPU budget it made the corrector worse (README, "A gain path"); the shipped card has none;
- Any microphone count: each mic's spectrum, seen with the reference mic and the estimate, goes
  through one shared patch encoder and the results are averaged over the valid mics (as TAC's
  mean), so 1 to 8 mics of any geometry give inputs of one size. MeCo concatenates exactly 4.

Shapes: states `(batch, 2, bins, frames)` (re, im); mixture `(batch, mics, 2, bins, frames)`;
mic_mask `(batch, mics)` bool; r, t `(batch,)`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn


@dataclass(frozen=True)
class UNetConfig:
    channels: tuple[int, ...] = (24, 48, 96)   # per level; NCSN++ in MeCo: 128 x (1,1,2,2,2,2,2)
    res_blocks: int = 1                          # per level and direction (NCSN++: 2)
    patch: tuple[int, int] = (4, 4)              # (bins, frames) folded into channels by the stem
    mic_features: int = 16                       # width of the shared per-mic encoder
    attention: bool = True                       # self-attention at the bottom (NCSN++ middle block)
    fourier_features: int = 32                   # Gaussian-Fourier pairs (NCSN++: nf)
    fourier_scale: float = 16.0                  # NCSN++ / MeCo fourier_scale
    gains: bool = False                          # the complex gain path on y and the reference mic

    def __post_init__(self) -> None:
        if not self.channels or min(self.channels) < 8 or any(c % 4 for c in self.channels):
            raise ValueError(f"UNetConfig.channels must be multiples of 4 and >= 8, got {self.channels}")
        if self.res_blocks < 1 or min(self.patch) < 1 or self.mic_features < 1:
            raise ValueError("UNetConfig needs res_blocks >= 1, patch >= 1 and mic_features >= 1")

    @property
    def stride(self) -> tuple[int, int]:
        """How many bins and frames one bottom-level cell covers; inputs must divide by it."""
        down = 2 ** (len(self.channels) - 1)
        return self.patch[0] * down, self.patch[1] * down


def _groups(channels: int) -> int:
    return min(channels // 4, 32)                # NCSN++'s GroupNorm rule


def _complex_product(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """(re, im) channel pairs `(batch, 2, ...)` multiplied as complex numbers."""
    return torch.stack([a[:, 0] * b[:, 0] - a[:, 1] * b[:, 1], a[:, 0] * b[:, 1] + a[:, 1] * b[:, 0]], 1)


class GaussianFourierProjection(nn.Module):
    """Random Fourier features of a scalar (Tancik et al. 2020), fixed at initialisation."""

    def __init__(self, features: int, scale: float) -> None:
        super().__init__()
        self.register_buffer("weight", torch.randn(features) * scale)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        proj = 2 * math.pi * x[:, None] * self.weight[None]
        return torch.cat([proj.sin(), proj.cos()], dim=-1)


class TimeEmbedding(nn.Module):
    """emb(t, r) = MLP(GFP(log t)) + MLP(GFP(log1p(t - r))): MeCo's two conditioning branches."""

    def __init__(self, features: int, scale: float, width: int) -> None:
        super().__init__()
        self.t_proj = GaussianFourierProjection(features, scale)
        self.d_proj = GaussianFourierProjection(features, scale)
        self.t_mlp = nn.Sequential(nn.Linear(2 * features, width), nn.SiLU(), nn.Linear(width, width))
        self.d_mlp = nn.Sequential(nn.Linear(2 * features, width), nn.SiLU(), nn.Linear(width, width))

    def forward(self, r: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        delta = (t - r).clamp_min(0.0)
        return self.of_t(t) + self.d_mlp(self.d_proj(torch.log1p(delta)))

    def of_t(self, t: torch.Tensor) -> torch.Tensor:
        """The t branch alone."""
        return self.t_mlp(self.t_proj(t.clamp_min(1e-4).log()))


class ResBlock(nn.Module):
    """BigGAN-style residual block of NCSN++ with the time embedding added after the first conv."""

    def __init__(self, in_channels: int, out_channels: int, embedding: int, down: bool = False) -> None:
        super().__init__()
        self.down = down
        self.norm1 = nn.GroupNorm(_groups(in_channels), in_channels, eps=1e-6)
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, padding=1)
        self.emb = nn.Linear(embedding, out_channels)
        self.norm2 = nn.GroupNorm(_groups(out_channels), out_channels, eps=1e-6)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, padding=1)
        nn.init.zeros_(self.conv2.weight)        # NCSN++ init_scale 0: each block starts as its skip
        nn.init.zeros_(self.conv2.bias)
        self.skip = nn.Conv2d(in_channels, out_channels, 1) if in_channels != out_channels else nn.Identity()

    def _resample(self, x: torch.Tensor) -> torch.Tensor:
        return F.avg_pool2d(x, 2) if self.down else x

    def forward(self, x: torch.Tensor, emb: torch.Tensor) -> torch.Tensor:
        h = self._resample(F.silu(self.norm1(x)))
        h = self.conv1(h) + self.emb(F.silu(emb))[:, :, None, None].to(h.dtype)
        h = self.conv2(F.silu(self.norm2(h)))
        return (h + self.skip(self._resample(x))) / math.sqrt(2.0)


class SelfAttention(nn.Module):
    """NCSN++'s AttnBlockpp: single-head attention over all (bin, frame) cells, residual / sqrt(2).

    Written with matmul + softmax (not a fused kernel) so forward-mode AD (torch.func.jvp) runs.
    """

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.norm = nn.GroupNorm(_groups(channels), channels, eps=1e-6)
        self.qkv = nn.Conv2d(channels, 3 * channels, 1)
        self.out = nn.Conv2d(channels, channels, 1)
        nn.init.zeros_(self.out.weight)
        nn.init.zeros_(self.out.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, c, f, n = x.shape
        q, k, v = self.qkv(self.norm(x)).reshape(b, 3, c, f * n).unbind(1)
        weights = torch.softmax(torch.einsum("bci,bcj->bij", q, k) / math.sqrt(c), dim=-1)
        h = torch.einsum("bij,bcj->bci", weights, v).reshape(b, c, f, n)
        return (x + self.out(h)) / math.sqrt(2.0)


class AverageVelocityUNet(nn.Module):
    """u(x_t, r, t | y, mixture): MeCo's average velocity in compressed-spectrum units."""

    def __init__(self, config: UNetConfig) -> None:
        super().__init__()
        self.config = config
        ch = config.channels
        emb = 4 * ch[0]                                              # NCSN++: nf * 4
        self.time = TimeEmbedding(config.fourier_features, config.fourier_scale, emb)
        patch = config.patch
        # x_t, y, reference mic (re, im each) -> level-0 cells; per mic: mic, reference mic, y.
        self.stem = nn.Conv2d(6, ch[0], patch, stride=patch)
        self.mic_encoder = nn.Conv2d(6, config.mic_features, patch, stride=patch)
        self.mic_project = nn.Conv2d(config.mic_features, ch[0], 1)
        self.down = nn.ModuleList()
        self.resample_down = nn.ModuleList()
        for level, c in enumerate(ch):
            self.down.append(nn.ModuleList(ResBlock(c, c, emb) for _ in range(config.res_blocks)))
            if level < len(ch) - 1:
                self.resample_down.append(ResBlock(c, ch[level + 1], emb, down=True))
        self.mid1 = ResBlock(ch[-1], ch[-1], emb)
        self.mid_attention = SelfAttention(ch[-1]) if config.attention else nn.Identity()
        self.mid2 = ResBlock(ch[-1], ch[-1], emb)
        self.resample_up = nn.ModuleList(nn.ConvTranspose2d(ch[level + 1], ch[level], 2, stride=2)
                                         for level in range(len(ch) - 1))
        self.up = nn.ModuleList(
            nn.ModuleList([ResBlock(2 * c, c, emb)] + [ResBlock(c, c, emb) for _ in range(config.res_blocks - 1)])
            for c in ch)
        self.head_norm = nn.GroupNorm(_groups(ch[0]), ch[0], eps=1e-6)
        self.head = nn.ConvTranspose2d(ch[0], 2, patch, stride=patch)
        self.gains = nn.ConvTranspose2d(ch[0], 4, patch, stride=patch) if config.gains else None
        if self.gains is not None:
            nn.init.zeros_(self.gains.weight)
            nn.init.zeros_(self.gains.bias)
        self.direct = nn.Linear(emb, 2)                              # (a, b) of the full-resolution path
        nn.init.zeros_(self.direct.weight)
        nn.init.zeros_(self.direct.bias)

    def forward(self, state: torch.Tensor, estimate: torch.Tensor, mixture: torch.Tensor, mic_mask: torch.Tensor,
                r: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        b, _, bins, frames = state.shape
        stride_f, stride_n = self.config.stride
        if bins % stride_f:
            raise ValueError(f"{bins} bins do not divide into the U-Net's {stride_f}-bin cells")
        pad = (-frames) % stride_n
        if pad:
            state, estimate, mixture = (F.pad(x, (0, pad)) for x in (state, estimate, mixture))
        emb = self.time(r, t)
        reference = mixture[:, 0]
        mics = mixture.shape[1]
        per_mic = torch.cat([mixture, reference[:, None].expand_as(mixture), estimate[:, None].expand_as(mixture)], 2)
        encoded = F.silu(self.mic_encoder(per_mic.flatten(0, 1))).unflatten(0, (b, mics))
        weight = mic_mask.to(encoded.dtype) / mic_mask.sum(1, keepdim=True).clamp_min(1).to(encoded.dtype)
        pooled = torch.einsum("bmchw,bm->bchw", encoded, weight)
        h = self.stem(torch.cat([state, estimate, reference], 1)) + self.mic_project(pooled)

        skips = []
        for level, blocks in enumerate(self.down):
            for block in blocks:
                h = block(h, emb)
            skips.append(h)
            if level < len(self.resample_down):
                h = self.resample_down[level](h, emb)
        h = self.mid2(self.mid_attention(self.mid1(h, emb)), emb)
        for level in reversed(range(len(self.up))):
            if level < len(self.resample_up):
                h = self.resample_up[level](h)
            h = torch.cat([h, skips.pop()], 1)
            for block in self.up[level]:
                h = block(h, emb)
        h = F.silu(self.head_norm(h))
        out = self.head(h)
        a, b_ = self.direct(self.time.of_t(t)).to(out.dtype).unbind(-1)
        out = out + a[:, None, None, None] * state + b_[:, None, None, None] * estimate
        if self.gains is not None:
            g = self.gains(h)
            out = out + _complex_product(g[:, :2], estimate) + _complex_product(g[:, 2:], reference)
        return out[..., :frames].to(state.dtype)
