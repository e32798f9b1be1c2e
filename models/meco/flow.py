"""MeCo's flow path between clean speech and the separator estimate, and its training schedules.

Path (t = 0 clean x, t = 1 estimate y):  x_t = (1 - t) x + t y + t sigma z,
conditional velocity v = dx_t/dt = sigma z + (y - x), prior x_1 = y + sigma z.
MeanFlow (Geng et al. 2025) learns the average velocity u(x_t, r, t) = 1/(t - r) int_r^t v,
so one jump x_r = x_t - (t - r) u replaces an ODE solve.

Everything here is a pure function of its inputs (schedules of the training progress in
[0, 1]), testable without a network.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class MeanFlowConfig:
    sigma: float = 0.487              # flow-path noise scale, MeCo (Kim & Choi 2026) / FlowSE
    t_min: float = 0.03               # smallest sampled t; also r of the one-step update (MeCo t_eps)
    gamma_start: float = 8.0          # r = t - U^gamma (t - t_min): gamma annealed 8 -> 1 (MeCo code)
    gamma_end: float = 1.0
    gamma_anneal_share: float = 0.7   # ... over the first 70 % of training
    equal_share: float = 0.1          # share of samples with r = t (MeCo code; MeanFlow found 25 %)

    def __post_init__(self) -> None:
        if not 0 < self.t_min < 1:
            raise ValueError(f"MeanFlowConfig.t_min must be in (0, 1), got {self.t_min}")
        if self.sigma < 0:
            raise ValueError(f"MeanFlowConfig.sigma must be >= 0, got {self.sigma}")
        if not 0 <= self.equal_share <= 1:
            raise ValueError(f"MeanFlowConfig.equal_share must be in [0, 1], got {self.equal_share}")
        if self.gamma_start <= 0 or self.gamma_end <= 0 or not 0 < self.gamma_anneal_share <= 1:
            raise ValueError("MeanFlowConfig needs gamma_start, gamma_end > 0 and 0 < gamma_anneal_share <= 1")


def _column(t: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """(batch,) -> (batch, 1, ..., 1) broadcasting against `like`."""
    return t.reshape(-1, *([1] * (like.dim() - 1)))


def interpolate(clean: torch.Tensor, estimate: torch.Tensor, noise: torch.Tensor, t: torch.Tensor,
                sigma: float) -> torch.Tensor:
    """x_t = (1 - t) x + t y + t sigma z."""
    tc = _column(t, clean)
    return (1 - tc) * clean + tc * estimate + tc * sigma * noise


def conditional_velocity(clean: torch.Tensor, estimate: torch.Tensor, noise: torch.Tensor,
                         sigma: float) -> torch.Tensor:
    """v = d x_t / dt = sigma z + (y - x); independent of t on this straight path."""
    return sigma * noise + (estimate - clean)


def prior_sample(estimate: torch.Tensor, noise: torch.Tensor, sigma: float) -> torch.Tensor:
    """x_1 = y + sigma z, where every correction starts."""
    return estimate + sigma * noise


def gamma_at(progress: float, config: MeanFlowConfig) -> float:
    """Exponent of U in r's sampling: gamma_start -> gamma_end linearly, then held."""
    share = min(1.0, max(0.0, progress) / config.gamma_anneal_share)
    return config.gamma_start + share * (config.gamma_end - config.gamma_start)


def sample_times(batch: int, progress: float, config: MeanFlowConfig, generator: torch.Generator | None = None,
                 device: torch.device | str = "cpu") -> tuple[torch.Tensor, torch.Tensor]:
    """(r, t), each `(batch,)`: t ~ U(t_min, 1], r = t - U^gamma (t - t_min), r = t w.p. equal_share.

    A large gamma early puts r close to t (short, easy jumps); gamma -> 1 spreads r over
    [t_min, t] so the long jumps that one-step inference needs are learnt too.
    """
    draws = torch.rand(3, batch, generator=generator).to(device)
    t = 1 - draws[0] * (1 - config.t_min)
    r = t - draws[1].pow(gamma_at(progress, config)) * (t - config.t_min)
    r = torch.where(draws[2] < config.equal_share, t, r)
    return r, t
