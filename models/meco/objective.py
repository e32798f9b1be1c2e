"""MeCo's training objective: flow matching, the MeanFlow x_r-loss and the Endpoint SI-SDR loss (DSO).

Per batch (clean x, estimate y, mixture m in compressed-spectrum features, z ~ CN(0, 1)):
- t ~ U(t_min, 1], r from `flow.sample_times`; x_t = (1-t)x + ty + t sigma z; v = sigma z + (y - x).
- Flow loss: || u(x_t, t, t) - v ||^2 (MeCo code: instantaneous velocity at r = t).
- MeanFlow identity (Geng et al. 2025, eq. 6): u = v - (t - r) du/dt with du/dt = v d_x u + d_t u,
  the JVP of u(., r, .) with tangent (v, 1) on (x_t, t). Target u_tgt = v - c (t - r) du/dt,
  du/dt clipped per sample to L2 <= 5 and detached (MeCo code; c = 0.5 there, 1 is exact).
- x_r-loss: || (t - r)(u(x_t, r, t) - u_tgt) ||^2, the error of the jump x_r = x_t - (t - r) u
  (MeCo's Data-Space Optimization); without scaling, plain MeanFlow's || u - u_tgt ||^2.
- Endpoint loss: -SI-SDR of x_hat = (y + sigma z) - (1 - t_min) u(y + sigma z, t_min, 1) against
  clean speech, in the waveform domain.
- Total: (1 - w) L_flow + w L_xr + lambda L_endpoint, w ramped 0 -> 0.25 over the first half;
  while w < 0.05 only L_flow (MeCo code skips the MeanFlow branch there).
Squared errors are summed over (re/im, bins, frames), times 0.5, averaged over the batch (MeCo's
`_loss`), and multiplied by hop / 64: MeCo sums over a hop-64 grid, so a coarser hop would
otherwise shrink the flow and x_r terms against the SI-SDR term (per second of audio, the
balance stays MeCo's). The three network calls that need gradients run as one batch of 3B items.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import torch

from models.losses.si_sdr import si_sdr
from models.meco.corrector import Conditioning, MeanFlowCorrector
from models.meco.flow import MeanFlowConfig, conditional_velocity, interpolate, prior_sample, sample_times
from models.meco.sampling import Velocity


REFERENCE_HOP = 64      # MeCo's STFT hop, the grid its summed squared errors were balanced on


class JvpMethod(StrEnum):
    FORWARD_AD = "forward-ad"                    # torch.func.jvp: exact, one forward-mode pass
    CENTRAL_DIFFERENCE = "central-difference"    # MeCo's training script: two extra forwards


@dataclass(frozen=True)
class DsoConfig:
    meanflow: bool = True            # False: plain conditional flow matching (the FlowSE baseline)
    coefficient: float = 0.5         # c in u_tgt = v - c (t - r) du/dt: 0.5 MeCo code, 1.0 exact identity
    xr_scaling: bool = True          # x_r-loss ||(t - r)(u - u_tgt)||^2; False: ||u - u_tgt||^2
    xr_weight: float = 0.25          # final w (MeCo mf_weight_final)
    xr_ramp_share: float = 0.5       # w ramps 0 -> xr_weight over this share of training (mf_warmup_frac)
    xr_min_weight: float = 0.05      # below this w only the flow loss trains (MeCo's ~10 % warm-up)
    endpoint_weight: float = 1.0     # lambda of the Endpoint SI-SDR loss (MeCo scale_sisnr)
    jvp: JvpMethod = JvpMethod.FORWARD_AD
    jvp_clip: float = 5.0            # per-sample L2 bound on du/dt (MeCo mf_jvp_clip)
    jvp_step: float = 1e-3           # relative step of the central difference (MeCo mf_jvp_eps)

    def __post_init__(self) -> None:
        if not 0 <= self.xr_weight <= 1 or not 0 < self.xr_ramp_share <= 1:
            raise ValueError("DsoConfig needs 0 <= xr_weight <= 1 and 0 < xr_ramp_share <= 1")
        if self.endpoint_weight < 0 or self.coefficient < 0 or self.jvp_clip <= 0 or self.jvp_step <= 0:
            raise ValueError("DsoConfig weights, coefficient, jvp_clip and jvp_step must be non-negative")


@dataclass(frozen=True)
class LossWeights:
    flow: float
    xr: float
    endpoint: float


def loss_weights(progress: float, config: DsoConfig) -> LossWeights:
    """(1 - w, w, lambda) at `progress` in [0, 1] of training; flow only before w reaches its floor."""
    if not config.meanflow:
        return LossWeights(1.0, 0.0, 0.0)
    w = config.xr_weight * min(1.0, max(0.0, progress) / config.xr_ramp_share)
    if w < config.xr_min_weight:
        return LossWeights(1.0, 0.0, 0.0)
    return LossWeights(1.0 - w, w, config.endpoint_weight)


def time_derivative(velocity: Velocity, state: torch.Tensor, r: torch.Tensor, t: torch.Tensor,
                    tangent: torch.Tensor, config: DsoConfig) -> torch.Tensor:
    """du/dt = v d_x u + d_t u at (state, r, t), r held fixed; clipped per sample, no gradient.

    Runs in fp32 even inside a bf16 autocast region: forward-mode AD through autocast's casts
    fails for convolutions, and the difference quotient needs the precision.
    """
    def along(x: torch.Tensor, time: torch.Tensor) -> torch.Tensor:
        return velocity(x, r, time)

    with torch.no_grad(), torch.autocast(state.device.type, enabled=False):
        if config.jvp is JvpMethod.FORWARD_AD:
            _, derivative = torch.func.jvp(along, (state, t), (tangent, torch.ones_like(t)))
        else:
            dims = tuple(range(1, state.dim()))
            eps = config.jvp_step * (state.abs().mean(dims) + tangent.abs().mean(dims)).clamp_min(1e-6)
            col = eps.reshape(-1, *([1] * (state.dim() - 1)))
            derivative = (along(state + col * tangent, t + eps) - along(state - col * tangent, t - eps)) / (2 * col)
        norm = derivative.float().flatten(1).norm(dim=1).clamp_min(1e-12)
        scale = (config.jvp_clip / norm).clamp(max=1.0)
        return (derivative.float() * scale.reshape(-1, *([1] * (state.dim() - 1)))).detach()


def meanflow_target(velocity: Velocity, state: torch.Tensor, r: torch.Tensor, t: torch.Tensor,
                    v: torch.Tensor, config: DsoConfig) -> torch.Tensor:
    """u_tgt = v - c (t - r) du/dt, detached."""
    delta = (t - r).reshape(-1, *([1] * (state.dim() - 1)))
    return (v - config.coefficient * delta * time_derivative(velocity, state, r, t, v, config)).detach()


def squared_error(prediction: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """0.5 * sum over re/im, bins and frames of the squared error, averaged over the batch."""
    return 0.5 * (prediction.float() - target.float()).pow(2).flatten(1).sum(1).mean()


@dataclass
class DsoLosses:
    total: torch.Tensor
    flow: float
    xr: float
    endpoint_si_sdr: float           # dB of the one-step output (the loss is its negative)
    weights: LossWeights


def dso_loss(model: MeanFlowCorrector, clean: torch.Tensor, cond: Conditioning, clean_wave: torch.Tensor,
             progress: float, config: DsoConfig, generator: torch.Generator | None = None) -> DsoLosses:
    """The DSO objective for one batch; `clean` and `cond` in features, `clean_wave` `(batch, samples)`."""
    flow_cfg: MeanFlowConfig = model.config.flow
    grid = model.config.spectral.hop / REFERENCE_HOP
    weights = loss_weights(progress, config)
    b = clean.shape[0]
    noise = model.noise_like(cond, generator)
    r, t = sample_times(b, progress, flow_cfg, generator, clean.device)
    if weights.xr == 0:
        r = t
    state = interpolate(clean, cond.estimate, noise, t, flow_cfg.sigma)
    v = conditional_velocity(clean, cond.estimate, noise, flow_cfg.sigma)
    velocity = model.velocity(cond)

    states, rs, ts = [state], [t], [t]
    target = None
    if weights.xr > 0:
        target = meanflow_target(velocity, state, r, t, v, config)
        states, rs, ts = states + [state], rs + [r], ts + [t]
    if weights.endpoint > 0:
        states.append(prior_sample(cond.estimate, noise, flow_cfg.sigma))
        rs.append(torch.full_like(t, flow_cfg.t_min))
        ts.append(torch.ones_like(t))
    k = len(states)
    outputs = model.unet(torch.cat(states), cond.estimate.repeat(k, 1, 1, 1), cond.mixture.repeat(k, 1, 1, 1, 1),
                         cond.mic_mask.repeat(k, 1), torch.cat(rs), torch.cat(ts)).split(b)

    flow = grid * squared_error(outputs[0], v)
    total = weights.flow * flow
    xr = torch.zeros(())
    if target is not None:
        delta = ((t - r) if config.xr_scaling else torch.ones_like(t)).reshape(-1, 1, 1, 1)
        xr = grid * squared_error(delta * outputs[1], delta * target)
        total = total + weights.xr * xr
    score = torch.full((), float("nan"))
    if weights.endpoint > 0:
        corrected = states[-1] - (1 - flow_cfg.t_min) * outputs[-1]
        score = si_sdr(model.features.decode(corrected, cond.samples), clean_wave.float()).mean()
        total = total - weights.endpoint * score
    return DsoLosses(total, float(flow.detach()), float(xr.detach()), float(score.detach()), weights)
