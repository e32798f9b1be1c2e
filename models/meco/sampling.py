"""Samplers over a velocity field `u(state, r, t)`: MeCo's one step and the baselines it is compared with.

- ONE_STEP (MeCo): x_hat = (y + sigma z) - (1 - t_min) u(y + sigma z, r = t_min, t = 1); 1 NFE.
- EULER (FlowSE-style): `steps` Euler steps of the instantaneous velocity u(x, t, t) from t = 1
  to t_min; `steps` NFE. Trained with plain flow matching this is the multi-step corrector.
- FROM_HALF (Fast-GeCo-style): start nearer the estimate, x_0.5 = y + 0.5 sigma z, and jump once
  to t_min with u(x_0.5, r = t_min, t = 0.5); 1 NFE.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from models.meco.flow import MeanFlowConfig, prior_sample
from models.meco.modes import InferenceMode

Velocity = Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor]   # (state, r, t) -> u

FROM_HALF_START = 0.5    # Fast-GeCo-style start time of the single step


def _full(like: torch.Tensor, value: float) -> torch.Tensor:
    return torch.full((like.shape[0],), value, device=like.device)


def one_step(velocity: Velocity, estimate: torch.Tensor, noise: torch.Tensor, config: MeanFlowConfig) -> torch.Tensor:
    """MeCo's correction: one average-velocity jump from the prior at t = 1 to t_min."""
    start = prior_sample(estimate, noise, config.sigma)
    return start - (1 - config.t_min) * velocity(start, _full(start, config.t_min), _full(start, 1.0))


def euler(velocity: Velocity, estimate: torch.Tensor, noise: torch.Tensor, config: MeanFlowConfig,
          steps: int) -> torch.Tensor:
    """FlowSE-style multi-step solve with the instantaneous velocity u(x, t, t) on a uniform grid."""
    if steps < 1:
        raise ValueError(f"euler needs steps >= 1, got {steps}")
    times = torch.linspace(1.0, config.t_min, steps + 1).tolist()
    state = prior_sample(estimate, noise, config.sigma)
    for t, t_next in zip(times[:-1], times[1:]):
        now = _full(state, t)
        state = state - (t - t_next) * velocity(state, now, now)
    return state


def from_half(velocity: Velocity, estimate: torch.Tensor, noise: torch.Tensor, config: MeanFlowConfig) -> torch.Tensor:
    """Fast-GeCo-style single step started at t = 0.5 from the estimate with half the prior noise."""
    start = estimate + FROM_HALF_START * config.sigma * noise
    return start - (FROM_HALF_START - config.t_min) * velocity(
        start, _full(start, config.t_min), _full(start, FROM_HALF_START))


def sample(mode: InferenceMode, velocity: Velocity, estimate: torch.Tensor, noise: torch.Tensor,
           config: MeanFlowConfig, steps: int = 1) -> torch.Tensor:
    match mode:
        case InferenceMode.ONE_STEP:
            return one_step(velocity, estimate, noise, config)
        case InferenceMode.EULER:
            return euler(velocity, estimate, noise, config, steps)
        case InferenceMode.FROM_HALF:
            return from_half(velocity, estimate, noise, config)
    raise ValueError(f"unknown inference mode {mode}")
