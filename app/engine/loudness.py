"""Integrated loudness (ITU-R BS.1770-4) and the gain that brings audio to a target.

One implementation, fed block by block (`LoudnessMeter`), serves a whole array at once, a file
streamed in blocks and the analysis panel; it equals pyloudnorm on the whole signal (tested).
A/B playback matches lanes by it; export can bring each file to a delivery target such as EBU
R128's -23 LUFS or the -16 LUFS podcasts use.
"""

from __future__ import annotations

import math

import numpy as np

GATE_SECONDS, GATE_STEP_SECONDS = 0.4, 0.1    # BS.1770 gating blocks of 400 ms every 100 ms
ABSOLUTE_GATE_LUFS, RELATIVE_GATE_LU = -70.0, -10.0    # quieter than the absolute gate counts as silent
LOUDNESS_OFFSET_DB = -0.691
TARGET_RANGE_LUFS = (-60.0, -5.0)    # loudness targets export accepts


class LoudnessMeter:
    """The integrated loudness of one mono signal fed in consecutive blocks.

    The K-weighting filters keep their state across blocks and mean squares are summed per
    100 ms step, so the gating is that of BS.1770 on the whole signal, in memory that does not
    grow with it (one float per 100 ms).
    """

    def __init__(self, sample_rate: int) -> None:
        import pyloudnorm     # with scipy.signal, most of a second: loaded by the first measurement, not at start

        # BS.1770's K-weighting as pyloudnorm designs it for this rate: a high shelf, then a high pass.
        self._filters = [pyloudnorm.IIRfilter(4.0, 1 / math.sqrt(2), 1500.0, sample_rate, "high_shelf"),
                         pyloudnorm.IIRfilter(0.0, 0.5, 38.0, sample_rate, "high_pass")]
        self._states = [np.zeros(max(len(f.a), len(f.b)) - 1) for f in self._filters]
        self._step = round(GATE_STEP_SECONDS * sample_rate)
        self._step_energies: list[float] = []     # K-weighted sum of squares per complete 100 ms step
        self._partial = np.zeros(0)

    def update(self, block: np.ndarray) -> None:
        import scipy.signal

        x = np.asarray(block, dtype=np.float64)
        for k, f in enumerate(self._filters):
            x, self._states[k] = scipy.signal.lfilter(f.b, f.a, x, zi=self._states[k])
            x = f.passband_gain * x
        squares = np.concatenate([self._partial, x * x])
        whole = squares.size // self._step * self._step
        self._step_energies.extend(squares[:whole].reshape(-1, self._step).sum(axis=1).tolist())
        self._partial = squares[whole:]

    def lufs(self) -> float:
        """LUFS; nan under 400 ms or when every block is gated out."""
        energies = np.asarray(self._step_energies)
        steps_per_gate = round(GATE_SECONDS / GATE_STEP_SECONDS)
        if energies.size < steps_per_gate:
            return math.nan
        z = np.convolve(energies, np.ones(steps_per_gate), mode="valid") / (self._step * steps_per_gate)
        with np.errstate(divide="ignore"):
            loudness = LOUDNESS_OFFSET_DB + 10.0 * np.log10(z)      # per gating block
        above = loudness >= ABSOLUTE_GATE_LUFS
        if not above.any():
            return math.nan
        relative = LOUDNESS_OFFSET_DB + 10.0 * math.log10(z[above].mean()) + RELATIVE_GATE_LU
        kept = (loudness > relative) & (loudness > ABSOLUTE_GATE_LUFS)
        return LOUDNESS_OFFSET_DB + 10.0 * math.log10(z[kept].mean()) if kept.any() else math.nan


def integrated_loudness(audio: np.ndarray, sample_rate: int) -> float:
    """Integrated loudness (LUFS) of `(frames,)`; -inf when silent or shorter than one gating block."""
    meter = LoudnessMeter(sample_rate)
    meter.update(audio)
    value = meter.lufs()
    return value if math.isfinite(value) and value > ABSOLUTE_GATE_LUFS else -math.inf


def gain_to_target(loudness_lufs: float, target_lufs: float) -> float:
    """Linear gain that moves `loudness_lufs` to `target_lufs`."""
    return 10 ** ((target_lufs - loudness_lufs) / 20)
