"""Integrated loudness (ITU-R BS.1770-4, pyloudnorm) and the gain that brings audio to a target.

A/B playback matches lanes by it; export can bring each file to a delivery target such as
EBU R128's −23 LUFS or the −16 LUFS podcasts use.
"""

from __future__ import annotations

import math

import numpy as np

LOUDNESS_FLOOR_LUFS = -70.0          # BS.1770's absolute gate: quieter audio counts as silent
GATING_BLOCK_SECONDS = 0.4           # BS.1770 measures 400 ms blocks; shorter audio has no loudness
TARGET_RANGE_LUFS = (-60.0, -5.0)    # loudness targets export accepts


def integrated_loudness(audio: np.ndarray, sample_rate: int) -> float:
    """Integrated loudness (LUFS) of `(frames,)`; -inf when silent or shorter than one gating block."""
    import pyloudnorm

    if audio.shape[0] < int(GATING_BLOCK_SECONDS * sample_rate):
        return -math.inf
    value = float(pyloudnorm.Meter(sample_rate).integrated_loudness(audio.astype(np.float64)))
    return value if math.isfinite(value) and value > LOUDNESS_FLOOR_LUFS else -math.inf


def gain_to_target(loudness_lufs: float, target_lufs: float) -> float:
    """Linear gain that moves `loudness_lufs` to `target_lufs`."""
    return 10 ** ((target_lufs - loudness_lufs) / 20)
