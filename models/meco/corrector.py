"""MeanFlowCorrector: features + average-velocity U-Net + sampler; the shippable MeCo model.

Inputs are waveforms: the separator's estimates `(batch, talkers, samples)` and the mixture
`(batch, mics, samples)` (reference mic first). Each talker is corrected on its own, seeing the
same mixture. Everything is normalised by the estimate's peak (MeCo's `normalize="noisy"`), so
the network sees the same scale whatever the recording level, and scaled back at the end.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field

import torch
from torch import nn

from models.common.checkpoint import register_architecture
from models.meco.features import SpectralConfig, SpectralFeatures
from models.meco.flow import MeanFlowConfig
from models.meco.network import AverageVelocityUNet, UNetConfig
from models.meco.modes import InferenceMode
from models.meco.sampling import Velocity, sample

PEAK_FLOOR = 1e-5        # a silent estimate is not blown up to full scale


@dataclass(frozen=True)
class MecoConfig:
    sample_rate: int = 16_000
    spectral: SpectralConfig = field(default_factory=SpectralConfig)
    unet: UNetConfig = field(default_factory=UNetConfig)
    flow: MeanFlowConfig = field(default_factory=MeanFlowConfig)

    def __post_init__(self) -> None:
        if self.spectral.bins % self.unet.stride[0]:
            raise ValueError(f"{self.spectral.bins} STFT bins do not divide into the U-Net's "
                             f"{self.unet.stride[0]}-bin cells; change n_fft, patch or levels")

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, raw: dict) -> MecoConfig:
        unet = dict(raw["unet"])
        unet["channels"] = tuple(unet["channels"])
        unet["patch"] = tuple(unet["patch"])
        return cls(sample_rate=raw["sample_rate"], spectral=SpectralConfig(**raw["spectral"]),
                   unet=UNetConfig(**unet), flow=MeanFlowConfig(**raw["flow"]))


@dataclass
class Conditioning:
    """What the velocity field is conditioned on, in feature units, for one batch."""

    estimate: torch.Tensor     # (batch, 2, bins, frames), peak-normalised
    mixture: torch.Tensor      # (batch, mics, 2, bins, frames)
    mic_mask: torch.Tensor     # (batch, mics) bool
    scale: torch.Tensor        # (batch,) the estimate's peak
    samples: int


class MeanFlowCorrector(nn.Module):
    GROWABLE = ("unet.gains",)      # zero at initialisation: a warm start from a card without it is unchanged

    def __init__(self, config: MecoConfig) -> None:
        super().__init__()
        self.config = config
        self.features = SpectralFeatures(config.spectral)
        self.unet = AverageVelocityUNet(config.unet)

    def condition(self, estimate: torch.Tensor, mixture: torch.Tensor, mic_mask: torch.Tensor | None = None
                  ) -> Conditioning:
        """estimate `(batch, samples)`, mixture `(batch, mics, samples)` -> features and peak scale."""
        if estimate.dim() != 2 or mixture.dim() != 3 or mixture.shape[0] != estimate.shape[0] \
                or mixture.shape[-1] != estimate.shape[-1]:
            raise ValueError(f"need estimate (batch, samples) and mixture (batch, mics, samples), got "
                             f"{tuple(estimate.shape)} and {tuple(mixture.shape)}")
        if mic_mask is None:
            mic_mask = torch.ones(mixture.shape[:2], dtype=torch.bool, device=mixture.device)
        scale = estimate.float().abs().amax(-1).clamp_min(PEAK_FLOOR)
        est = self.features.encode(estimate.float() / scale[:, None])
        mix = self.features.encode(mixture.float() / scale[:, None, None])
        return Conditioning(est, mix, mic_mask, scale, estimate.shape[-1])

    def velocity(self, cond: Conditioning) -> Velocity:
        """u(state, r, t) with the conditioning bound, for samplers and the training objective."""
        return lambda state, r, t: self.unet(state, cond.estimate, cond.mixture, cond.mic_mask, r, t)

    def noise_like(self, cond: Conditioning, generator: torch.Generator | None = None) -> torch.Tensor:
        """z for the path: complex standard normal (each of re, im has variance 1/2, as randn on complex)."""
        z = torch.randn(cond.estimate.shape, generator=generator, dtype=torch.float32)
        return (z * 0.5 ** 0.5).to(cond.estimate.device)

    def to_wave(self, state: torch.Tensor, cond: Conditioning) -> torch.Tensor:
        return self.features.decode(state, cond.samples) * cond.scale[:, None]

    def forward(self, estimates: torch.Tensor, mixture: torch.Tensor, mode: InferenceMode = InferenceMode.ONE_STEP,
                steps: int = 1, generator: torch.Generator | None = None,
                mic_mask: torch.Tensor | None = None, noise_scale: float = 1.0) -> torch.Tensor:
        """Corrected talkers `(batch, talkers, samples)` from estimates of the same shape and the mixture.

        `noise_scale` multiplies the prior's noise z: 1 is MeCo; other values are a diagnostic
        (0 starts from the estimate itself), never what the app or the CLI run."""
        if estimates.dim() != 3:
            raise ValueError(f"estimates must be (batch, talkers, samples), got {tuple(estimates.shape)}")
        b, talkers, samples = estimates.shape
        mix = mixture.repeat_interleave(talkers, 0)
        mask = None if mic_mask is None else mic_mask.repeat_interleave(talkers, 0)
        cond = self.condition(estimates.reshape(b * talkers, samples), mix, mask)
        noise = self.noise_like(cond, generator) * noise_scale
        out = sample(mode, self.velocity(cond), cond.estimate, noise, self.config.flow, steps)
        return self.to_wave(out, cond).reshape(b, talkers, samples)


def build_corrector(config: dict) -> MeanFlowCorrector:
    return MeanFlowCorrector(MecoConfig.from_dict(config))


register_architecture("MeanFlowCorrector", build_corrector)


def chunk_function(model: MeanFlowCorrector, talkers: int, mode: InferenceMode = InferenceMode.ONE_STEP,
                   steps: int = 1, generator: torch.Generator | None = None,
                   gain: float | torch.Tensor = 1.0) -> Callable[[torch.Tensor], torch.Tensor]:
    """For `ChunkedRunner`: `(1, talkers + mics, n)`, estimates first, -> `(1, talkers, n)`, times
    the card's calibrated output `gain` (`models.inference.levels`).

    The runner moves one tensor per chunk, so estimates and mixture travel stacked. The noise
    comes from `generator`, drawn chunk after chunk, so a fixed seed gives a fixed output.
    """
    def run(stacked: torch.Tensor) -> torch.Tensor:
        corrected = model(stacked[:, :talkers], stacked[:, talkers:], mode, steps, generator)
        return corrected * torch.as_tensor(gain, device=corrected.device)

    return run
