"""MACs counted the same whichever attention kernel the machine would pick."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from models.common.macs import count_macs


class Attention(torch.nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.scaled_dot_product_attention(x, x, x)


def test_attention_s_two_matmuls_are_counted():
    batch, heads, length, dim = 1, 2, 50, 8
    x = torch.randn(batch, heads, length, dim)
    assert count_macs(Attention(), x) == 2 * batch * heads * length * length * dim      # q·kᵀ and weights·v
