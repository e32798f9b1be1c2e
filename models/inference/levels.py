"""Output levels that follow the input: scale-invariant training leaves a network's gain arbitrary.

The separator is trained with SI-SDR and MeCo with a scale-invariant endpoint loss, so their
outputs come out at whatever level the networks settled on (measured on the demos: the separated
talkers about 10 dB louder than the mixture they came from, MeCo's about 35 dB quieter than its
input). A listener, an export and every level-dependent metric need the level of the recording,
so each chunk's output is scaled by the least-squares gain onto what it should match.
"""

from __future__ import annotations

import torch


def projection_gain(signal: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Gain g minimising |target - g * signal|^2 over the last axis (kept, size 1).

    Where that gain is not positive (the signal is unrelated to the target), the RMS ratio is used
    instead, so the level still follows the target; a silent signal stays silent either way.
    """
    signal, target = signal.float(), target.float()
    energy = signal.pow(2).sum(-1, keepdim=True).clamp_min(1e-12)
    least_squares = (signal * target).sum(-1, keepdim=True) / energy
    rms_ratio = (target.pow(2).sum(-1, keepdim=True) / energy).sqrt()
    return torch.where(least_squares > 0, least_squares, rms_ratio)


def to_mixture_level(estimates: torch.Tensor, reference: torch.Tensor) -> torch.Tensor:
    """Talker estimates `(batch, talkers, n)` scaled by one gain so that their sum best matches the
    reference mic `(batch, 1, n)`: each talker keeps its share, the whole keeps the recording's level."""
    return estimates * projection_gain(estimates.sum(1, keepdim=True), reference)


def to_input_level(outputs: torch.Tensor, inputs: torch.Tensor) -> torch.Tensor:
    """Each corrected talker `(batch, talkers, n)` at the level of the estimate it corrected."""
    return outputs * projection_gain(outputs, inputs)
