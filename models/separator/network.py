"""TAC band-split separator: any number of microphones, any geometry, two talkers at the reference mic.

Why this shape (scaled to train on two CPU cores):
- Each microphone is described *relative to the reference mic* (compressed spectrum, inter-channel
  phase as cos/sin, level ratio), so the features mean the same thing for any array geometry.
- Microphone streams share weights and exchange information by transform-average-concatenate
  (TAC, Luo et al. 2020, FaSNet-TAC), then are pooled with a mask, so 1 to 8 mics work alike
  and a batch may mix array sizes.
- Optional spatial blocks keep the microphone axis through dilated time convolutions, each followed
  by TAC, before pooling. A mic's phase and level cues only say which talker dominates a bin when
  compared with the same mic's cues over time; pooled right after the encoder, they are averaged
  across mics of unlike geometry before any such comparison can happen. Their output layers start
  at zero, so a model grown from a checkpoint without them computes the same function at first.
- The spectrum is split into bands (narrow below 1 kHz, wide above 4 kHz; BSRNN, Luo & Yu 2023),
  giving 28 band tokens per frame instead of 257 bins.
- Separation blocks alternate dilated depthwise convolutions over time with convolutions across
  bands: convolution-heavy, so bf16 autocast on CPU pays off (LSTMs gain little here).
- The output is a complex mask per talker on the reference mic's spectrum; a mask-driven
  multichannel Wiener filter (`mwf.py`) can refine it where two or more mics exist.

Shapes: mixture `(batch, mics, samples)`, mic_mask `(batch, mics)` bool; output
`(batch, talkers, samples)`.
"""

from __future__ import annotations

import itertools
from dataclasses import asdict, dataclass, field

import torch
from torch import nn

from models.common.checkpoint import register_architecture
from models.common.stft import Stft, StftConfig
from models.separator.mwf import mask_weighted_mwf

FEATURES_PER_BIN = 5     # re, im of the compressed mic spectrum; cos, sin of the IPD; log level ratio
EPS = 1e-6


@dataclass(frozen=True)
class SeparatorConfig:
    sample_rate: int = 16_000
    stft: StftConfig = field(default_factory=StftConfig)
    talkers: int = 2
    # (upper edge in Hz, band width in bins): 125 Hz bands below 1 kHz, 250 Hz to 4 kHz, 500 Hz above.
    band_plan: tuple[tuple[int, int], ...] = ((1000, 4), (4000, 8), (8000, 16))
    channels: int = 64           # D, features per band token
    tac_layers: int = 1
    spatial_blocks: int = 0      # per-mic time blocks, each followed by TAC, before pooling
    blocks: int = 4
    kernel: int = 5
    dilations: tuple[int, ...] = (1, 2, 4, 8)

    def __post_init__(self) -> None:
        if self.talkers < 1:
            raise ValueError(f"SeparatorConfig.talkers must be >= 1, got {self.talkers}")
        if self.blocks < 1 or self.channels < 8 or self.spatial_blocks < 0:
            raise ValueError("SeparatorConfig needs blocks >= 1, channels >= 8 and spatial_blocks >= 0")
        if self.band_plan[-1][0] < self.sample_rate // 2:
            raise ValueError(f"SeparatorConfig.band_plan must reach {self.sample_rate // 2} Hz")

    def band_widths(self) -> list[int]:
        """Bins per band, covering all `stft.bins` bins exactly once."""
        hz_per_bin = self.sample_rate / self.stft.n_fft
        widths, start = [], 0
        for upper_hz, width in self.band_plan:
            stop = min(self.stft.bins, int(round(upper_hz / hz_per_bin)))
            while start + width <= stop:
                widths.append(width)
                start += width
            if start < stop:
                widths.append(stop - start)
                start = stop
        if start < self.stft.bins:
            widths[-1] += self.stft.bins - start
        return widths

    @classmethod
    def from_dict(cls, raw: dict) -> SeparatorConfig:
        raw = dict(raw)
        raw["stft"] = StftConfig(**raw["stft"])
        raw["band_plan"] = tuple(tuple(p) for p in raw["band_plan"])
        raw["dilations"] = tuple(raw["dilations"])
        return cls(**raw)

    def to_dict(self) -> dict:
        return asdict(self)


class BandLinear(nn.Module):
    """One linear map per band. The weights are stored zero-padded to the widest band; the bands
    go in runs of equal width (four in the shipped plan), each one einsum over a reshaped
    slice of bins, so no padded copy of the input is ever made: this layer meets every mic's
    every frame, and a gather into a padded layout cost it more than its arithmetic."""

    def __init__(self, widths: list[int], in_per_bin: int, out_features: int, transpose: bool = False) -> None:
        super().__init__()
        self.widths, self.in_per_bin, self.transpose = widths, in_per_bin, transpose
        self.max_width = max(widths)
        fan = self.max_width * in_per_bin
        shape = (len(widths), out_features, fan) if transpose else (len(widths), fan, out_features)
        self.weight = nn.Parameter(torch.randn(shape) / (out_features if transpose else fan) ** 0.5)
        self.bias = nn.Parameter(torch.zeros(len(widths), fan if transpose else out_features))
        self.runs: list[tuple[int, int, int, int]] = []     # (first bin, first band, bands, width)
        first_bin = first_band = 0
        for width, run in itertools.groupby(widths):
            count = len(list(run))
            self.runs.append((first_bin, first_band, count, width))
            first_bin, first_band = first_bin + count * width, first_band + count

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(..., bins, C) -> (..., bands, D); transposed, (..., bands, D) -> (..., bins, C)."""
        c, pieces = self.in_per_bin, []
        for first_bin, first_band, count, width in self.runs:
            bands = slice(first_band, first_band + count)
            if self.transpose:
                part = torch.einsum("...kd,kdf->...kf", x[..., bands, :], self.weight[bands, :, :width * c])
                part = part + self.bias[bands, :width * c]
                pieces.append(part.reshape(*part.shape[:-2], count * width, c))
            else:
                part = x[..., first_bin:first_bin + count * width, :].reshape(*x.shape[:-2], count, width * c)
                pieces.append(torch.einsum("...kf,kfd->...kd", part, self.weight[bands, :width * c]))
        out = torch.cat(pieces, dim=-2)
        return out if self.transpose else out + self.bias


def pool_mics(h: torch.Tensor, mic_weight: torch.Tensor, reference: int) -> tuple[torch.Tensor, torch.Tensor]:
    """`h` `(batch, mics, ...)` averaged over mics with `mic_weight` `(batch, mics)`, and its row at
    mic `reference`: what the separator keeps of its mic-wide features."""
    return torch.einsum("bm...,bm->b...", h, mic_weight.to(h.dtype)), h[:, reference]


class TransformAverageConcatenate(nn.Module):
    """TAC: each mic's features meet the average of all valid mics (Luo et al., 2020)."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(channels)
        self.transform = nn.Sequential(nn.Linear(channels, channels), nn.PReLU())
        self.average = nn.Sequential(nn.Linear(channels, channels), nn.PReLU())
        self.concat = nn.Linear(2 * channels, channels)

    def forward(self, h: torch.Tensor, mic_weight: torch.Tensor) -> torch.Tensor:
        """h `(batch, mics, frames, bands, D)` (any two middle axes: TAC acts on each point alike);
        mic_weight `(batch, mics)` sums to 1 over valid mics.

        `concat` of [p, q] is computed as p W_p + (q W_q + b): q, the mics' average, is the same for
        every mic, so its half is computed once and broadcast rather than copied to every mic."""
        p, mean, shared = self._halves(h, mic_weight)
        mixed = nn.functional.linear(p, self.concat.weight[:, :p.shape[-1]]).add_(shared[:, None])
        return h + mixed          # not in place: under bf16 autocast the residual stays float32

    def pooled(self, h: torch.Tensor, mic_weight: torch.Tensor, reference: int) -> tuple[torch.Tensor, torch.Tensor]:
        """`forward(h)` averaged over mics with `mic_weight`, and its row at mic `reference`.

        Both are linear in the per-mic half of `concat`, so that matmul runs on two rows (the mics'
        average and the reference) instead of on every mic: the separator needs nothing else of
        its last TAC's output. With two mics or one, the whole output costs no more."""
        if h.shape[1] <= 2:
            return pool_mics(self(h, mic_weight), mic_weight, reference)
        p, mean, shared = self._halves(h, mic_weight)
        mixed = nn.functional.linear(torch.stack([mean, p[:, reference]]), self.concat.weight[:, :p.shape[-1]])
        pooled, at_reference = pool_mics(h, mic_weight, reference)
        return pooled + (mixed[0] + shared), at_reference + (mixed[1] + shared)

    def _halves(self, h: torch.Tensor, mic_weight: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Each mic's transform p, the mics' weighted average of p, and the shared half of `concat`."""
        p = self.transform(self.norm(h))
        mean, _ = pool_mics(p, mic_weight, 0)
        shared = nn.functional.linear(self.average(mean), self.concat.weight[:, p.shape[-1]:], self.concat.bias)
        return p, mean, shared


class TimeBlock(nn.Module):
    """Gated pointwise -> dilated depthwise conv over frames -> pointwise, residual."""

    def __init__(self, channels: int, kernel: int, dilation: int) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.GroupNorm(1, channels),
            nn.Conv1d(channels, 2 * channels, 1),
            nn.GLU(dim=1),
            nn.Conv1d(channels, channels, kernel, padding=dilation * (kernel - 1) // 2, dilation=dilation,
                      groups=channels),
            nn.PReLU(channels),
            nn.Conv1d(channels, channels, 1),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.net(x)


class BandBlock(nn.Module):
    """Convolution across neighbouring bands within each frame, residual."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.GroupNorm(1, channels),
            nn.Conv1d(channels, channels, 3, padding=1),
            nn.PReLU(channels),
            nn.Conv1d(channels, channels, 1),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.net(x)


class SpatialBlock(nn.Module):
    """A time block on every mic stream (shared weights), then TAC across mics; identity at init."""

    def __init__(self, channels: int, kernel: int, dilation: int) -> None:
        super().__init__()
        self.time = TimeBlock(channels, kernel, dilation)
        self.tac = TransformAverageConcatenate(channels)
        for last in (self.time.net[-1], self.tac.concat):
            nn.init.zeros_(last.weight)
            nn.init.zeros_(last.bias)

    def forward(self, h: torch.Tensor, mic_weight: torch.Tensor) -> torch.Tensor:
        """h `(batch, mics, frames, bands, D)`."""
        return self.tac(self._time(h), mic_weight)

    def pooled(self, h: torch.Tensor, mic_weight: torch.Tensor, reference: int) -> tuple[torch.Tensor, torch.Tensor]:
        """`forward(h)` pooled over mics and at mic `reference`, as `TransformAverageConcatenate.pooled`."""
        return self.tac.pooled(self._time(h), mic_weight, reference)

    def _time(self, h: torch.Tensor) -> torch.Tensor:
        b, m, t, k, d = h.shape
        x = h.permute(0, 1, 3, 4, 2).reshape(b * m * k, d, t)
        return self.time(x).reshape(b, m, k, d, t).permute(0, 1, 4, 2, 3)


def relative_features(spec: torch.Tensor, reference_mic: int = 0) -> torch.Tensor:
    """Geometry-free per-mic features `(batch, mics, ..., 5)` from spectra `(batch, mics, ...)`
    (frames and bins in either order)."""
    ref = spec[:, reference_mic:reference_mic + 1]
    mag = spec.abs()
    ref_mag = mag[:, reference_mic:reference_mic + 1]
    compressed = spec * (mag + EPS).rsqrt()                        # |X|^0.5 e^{j angle X}
    ipd = spec * ref.conj() / (mag * ref_mag + EPS)                # |X R*| = |X||R|: no second abs
    level = torch.log((mag + EPS) / (ref_mag + EPS)).clamp(-5, 5)
    return torch.stack([compressed.real, compressed.imag, ipd.real, ipd.imag, level], dim=-1)


class TacBandSeparator(nn.Module):
    # Layers a warm start may add to a checkpoint that lacks them: they start as the identity.
    GROWABLE = ("spatial.",)

    def __init__(self, config: SeparatorConfig) -> None:
        super().__init__()
        self.config = config
        d = config.channels
        widths = config.band_widths()
        self.stft = Stft(config.stft)
        self.encoder = BandLinear(widths, FEATURES_PER_BIN, d)
        self.encoder_norm = nn.LayerNorm(d)
        self.tac = nn.ModuleList(TransformAverageConcatenate(d) for _ in range(config.tac_layers))
        # Widest dilation first: a mic's cues are judged against its own cues over a longer span.
        self.spatial = nn.ModuleList(
            SpatialBlock(d, config.kernel, config.dilations[-1 - b % len(config.dilations)])
            for b in range(config.spatial_blocks))
        self.pool = nn.Linear(2 * d, d)
        layers: list[nn.Module] = []
        for b in range(config.blocks):
            layers.append(TimeBlock(d, config.kernel, config.dilations[b % len(config.dilations)]))
            layers.append(BandBlock(d))
        self.blocks = nn.ModuleList(layers)
        self.head_norm = nn.GroupNorm(1, d)
        self.decoder = BandLinear(widths, 2 * config.talkers, d, transpose=True)

    def masks(self, spec: torch.Tensor, mic_mask: torch.Tensor) -> torch.Tensor:
        """Complex masks `(batch, talkers, bins, frames)` from mixture spectra `(batch, mics, bins, frames)`."""
        b, m, f, t = spec.shape
        # Frames before bins from the start: the mic-wide tensors below then stay contiguous.
        feats = relative_features(spec.transpose(-1, -2))                 # (b, m, t, f, 5)
        h = self.encoder_norm(self.encoder(feats))                        # (b, m, t, k, d)
        weight = mic_mask.float() / mic_mask.float().sum(1, keepdim=True)
        mic_layers = [*self.tac, *self.spatial]
        for layer in mic_layers[:-1]:
            h = layer(h, weight)
        # the last mic layer's output is only used pooled and at the reference mic
        pooled, reference = mic_layers[-1].pooled(h, weight, 0) if mic_layers else pool_mics(h, weight, 0)
        x = self.pool(torch.cat([pooled, reference], dim=-1))             # (b, t, k, d)
        k, d = x.shape[2], x.shape[-1]
        x = x.permute(0, 2, 3, 1)                                         # (b, k, d, t)
        for layer in self.blocks:
            if isinstance(layer, TimeBlock):
                x = layer(x.reshape(b * k, d, t)).reshape(b, k, d, t)
            else:
                x = layer(x.permute(0, 3, 2, 1).reshape(b * t, d, k)).reshape(b, t, d, k).permute(0, 3, 2, 1)
        x = self.head_norm(x.reshape(b * k, d, t)).reshape(b, k, d, t).permute(0, 3, 1, 2)   # (b, t, k, d)
        out = self.decoder(x).float()                                     # (b, t, f, 2*talkers)
        out = out.reshape(b, t, f, self.config.talkers, 2).permute(0, 3, 2, 1, 4)
        return torch.complex(out[..., 0], out[..., 1])

    def _analyse(self, mixture: torch.Tensor, mic_mask: torch.Tensor | None
                 ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        if mixture.dim() != 3:
            raise ValueError(f"mixture must be (batch, mics, samples), got {tuple(mixture.shape)}")
        if mic_mask is None:
            mic_mask = torch.ones(mixture.shape[:2], dtype=torch.bool, device=mixture.device)
        scale = mixture[:, :1].float().pow(2).mean(-1, keepdim=True).sqrt() + 1e-5
        spec = self.stft(mixture.float() / scale)
        return spec, self.masks(spec, mic_mask), scale, mic_mask

    def forward(self, mixture: torch.Tensor, mic_mask: torch.Tensor | None = None) -> torch.Tensor:
        """Talker estimates `(batch, talkers, samples)` at mic 0 from `(batch, mics, samples)`."""
        spec, masks, scale, _ = self._analyse(mixture, mic_mask)
        return self.stft.inverse(masks * spec[:, :1].to(masks.dtype), mixture.shape[-1]) * scale

    def forward_with_mwf(self, mixture: torch.Tensor, mic_mask: torch.Tensor | None = None
                         ) -> tuple[torch.Tensor, torch.Tensor]:
        """Mask output and mask-driven multichannel Wiener filter output, both `(batch, talkers, samples)`."""
        spec, masks, scale, mic_mask = self._analyse(mixture, mic_mask)
        samples = mixture.shape[-1]
        masked = self.stft.inverse(masks * spec[:, :1].to(masks.dtype), samples) * scale
        filtered = self.stft.inverse(mask_weighted_mwf(spec, masks, mic_mask), samples) * scale
        return masked, filtered


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def build_separator(config: dict) -> TacBandSeparator:
    return TacBandSeparator(SeparatorConfig.from_dict(config))


register_architecture("TacBandSeparator", build_separator)
