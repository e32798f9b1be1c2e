"""Counting a network's multiply-accumulates with torch's FLOP counter, the same on every machine.

Attention is counted on PyTorch's math kernel: left to choose, a CPU picks its flash kernel or the
math one by what it supports, and the counter tallies the two differently (the shipped teacher
read 1029 MMAC/s on one machine and 998 on another), though the network does the same work.
"""

from __future__ import annotations

import torch
from torch.nn.attention import SDPBackend, sdpa_kernel
from torch.utils.flop_counter import FlopCounterMode


def count_macs(model: torch.nn.Module, *inputs: torch.Tensor) -> float:
    """Multiply-accumulates of one inference pass of `model` (in eval mode) over `inputs`."""
    with torch.inference_mode(), sdpa_kernel(SDPBackend.MATH), FlopCounterMode(display=False) as counter:
        model.eval()(*inputs)
    return counter.get_total_flops() / 2
