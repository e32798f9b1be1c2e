"""Speech quality metrics from maintained packages, and confidence intervals a reader can trust.

SI-SDR (Le Roux et al. 2019), PESQ-WB (ITU-T P.862.2 via `pesq`), ESTOI (`pystoi`, extended=True),
DNSMOS P.835 SIG/BAK/OVRL (Microsoft's ONNX models shipped in `speechmos`). All at 16 kHz.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import numpy as np

from models.common.helper_process import HelperProcess

log = logging.getLogger(__name__)

RATE = 16_000


def si_sdr(estimate: np.ndarray, reference: np.ndarray) -> float:
    """Scale-invariant SDR in dB of 1-D float arrays (zero-mean)."""
    est = estimate.astype(np.float64) - estimate.mean()
    ref = reference.astype(np.float64) - reference.mean()
    target = ref * (est @ ref) / (ref @ ref + 1e-12)
    noise = est - target
    return float(10 * np.log10((target @ target + 1e-12) / (noise @ noise + 1e-12)))


def snr(estimate: np.ndarray, reference: np.ndarray) -> float:
    """SNR in dB of float arrays of one shape (any channels): the reference's energy over the error's,
    as it is (not scale-invariant: redrawn samples are judged where they land)."""
    reference = np.asarray(reference, dtype=np.float64)
    error = np.asarray(estimate, dtype=np.float64) - reference
    return float(10 * np.log10((np.sum(reference ** 2) + 1e-12) / (np.sum(error ** 2) + 1e-12)))


METRICS_HELPER = HelperProcess("metrics")


def metrics_in_helper_process(enabled: bool = True) -> None:
    """Have PESQ and DNSMOS run in a helper process from now on (or again in this one); the
    process starts with the first metric, so an app that never scores starts none.

    PESQ's C code holds the GIL for its whole run (0.27 s for 20 s of speech here, measured by a
    thread that ticks beside it), and so does loading DNSMOS's ONNX models (0.28 s, once), so in
    a GUI their worker thread would freeze the event loop; the desktop app turns this on at start.
    SI-SDR and ESTOI (NumPy) and DNSMOS's inference release the GIL.
    """
    METRICS_HELPER.enable(enabled)


def _pesq(estimate: np.ndarray, reference: np.ndarray) -> tuple[float, str]:
    """(PESQ-WB, why it is NaN): runs here or in the helper process."""
    from pesq import BufferTooShortError, NoUtterancesError, pesq

    try:
        return float(pesq(RATE, reference, estimate, "wb")), ""
    except (NoUtterancesError, BufferTooShortError) as err:
        return math.nan, type(err).__name__


def pesq_wb(estimate: np.ndarray, reference: np.ndarray) -> float:
    """Wide-band PESQ (MOS-LQO, 1.04-4.64); NaN when PESQ finds no utterance or the clip is
    shorter than the quarter second it needs."""
    value, problem = METRICS_HELPER.run(_pesq, estimate.astype(np.float64), reference.astype(np.float64))
    if problem:
        log.warning("PESQ cannot score a %.2f s clip (%s)", reference.size / RATE, problem)
    return value


_STOI_TOO_SHORT = 1e-5      # what pystoi returns, with a warning, when too few frames hold speech


def estoi(estimate: np.ndarray, reference: np.ndarray) -> float:
    """Extended STOI (0-1); NaN when the clip holds too little speech to measure (pystoi needs
    30 frames, 384 ms, of speech once silence is removed) rather than pystoi's stand-in value."""
    import warnings

    from pystoi import stoi

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        value = float(stoi(reference.astype(np.float64), estimate.astype(np.float64), RATE, extended=True))
    if value == _STOI_TOO_SHORT:
        log.warning("ESTOI cannot score a %.2f s clip: too little speech", reference.size / RATE)
        return math.nan
    return value


DNSMOS_LEVEL_DBFS = -25.0     # every clip is scored at this RMS level (the DNS Challenge's normalisation)


def dnsmos(audio: np.ndarray) -> dict[str, float]:
    """DNSMOS P.835 {sig, bak, ovrl} of a 16 kHz clip, scored at DNSMOS_LEVEL_DBFS RMS.

    The models read level as quality: the same recording scores differently at different levels
    (`python -m models.metrics.dnsmos_level`), so an output that is merely quieter or louder
    would look cleaner or noisier. Every clip is therefore brought to one RMS level first (the DNS
    Challenge normalises to -25 dBFS), and peak-limited if that pushes it past full scale.
    """
    return METRICS_HELPER.run(_dnsmos, audio)


def _dnsmos(audio: np.ndarray) -> dict[str, float]:
    from speechmos import dnsmos as model

    audio = audio.astype(np.float64)
    rms = float(np.sqrt(np.mean(audio ** 2))) if audio.size else 0.0
    if rms > 0:
        audio = audio * (10 ** (DNSMOS_LEVEL_DBFS / 20) / rms)
    peak = float(np.max(np.abs(audio))) if audio.size else 0.0
    if peak > 1.0:
        audio = audio / peak
    audio = audio.astype(np.float32)
    scores = model.run(audio, RATE)
    return {"sig": float(scores["sig_mos"]), "bak": float(scores["bak_mos"]), "ovrl": float(scores["ovrl_mos"])}


def intrusive(estimate: np.ndarray, reference: np.ndarray) -> dict[str, float]:
    """SI-SDR, PESQ-WB and ESTOI of one estimate against its clean reference."""
    return {"si_sdr": si_sdr(estimate, reference), "pesq": pesq_wb(estimate, reference),
            "estoi": estoi(estimate, reference)}


@dataclass(frozen=True)
class Interval:
    mean: float
    half_width: float      # 95 % confidence half-width (Student t; cluster-robust when values come in groups)
    n: int                 # values (talkers, say), not groups

    def format(self, signed: bool = False) -> str:
        """'mean ± half-width' to two decimals; '—' for what cannot be estimated (a mean of no values,
        an interval from a single value or a single cluster)."""
        if math.isnan(self.mean):
            return "—"
        mean = f"{self.mean:+.2f}" if signed else f"{self.mean:.2f}"
        return f"{mean} ± " + ("—" if math.isnan(self.half_width) else f"{self.half_width:.2f}")

    def __str__(self) -> str:
        return self.format()


Clusters = Sequence[Hashable] | None


def confidence_interval(values: Sequence[float] | np.ndarray, level: float = 0.95,
                        clusters: Clusters = None) -> Interval:
    """Mean and the t-based half-width; NaNs (e.g. PESQ without speech) are left out and counted.

    `clusters` labels each value with the group it came from (the mixture a talker was separated
    from): values of one group are not independent (one hard room lowers both talkers of a
    mixture; the separation tables print how strongly they move together), so the half-width is
    then cluster-robust: the variance of the mean from the groups' summed residuals, on groups - 1
    degrees of freedom. With one value per group, as without `clusters`, this is the ordinary t
    interval.
    """
    from scipy import stats

    x = np.asarray(values, dtype=np.float64)
    finite = np.isfinite(x)
    labels = range(x.size) if clusters is None else clusters
    if len(labels) != x.size:
        raise ValueError(f"{len(labels)} cluster labels for {x.size} values")
    codes: dict[Hashable, int] = {}
    group = np.array([codes.setdefault(label, len(codes)) for label, keep in zip(labels, finite) if keep], dtype=int)
    x = x[finite]
    if x.size == 0:
        return Interval(math.nan, math.nan, 0)
    groups = len(codes)
    if groups == 1:
        return Interval(float(x.mean()), math.nan, int(x.size))
    residual_sums = np.bincount(group, weights=x - x.mean(), minlength=groups)
    variance = groups / (groups - 1) * float(residual_sums @ residual_sums) / x.size ** 2
    t = stats.t.ppf(0.5 + level / 2, groups - 1)
    return Interval(float(x.mean()), float(t * math.sqrt(variance)), int(x.size))


def paired_difference(a: Sequence[float] | np.ndarray, b: Sequence[float] | np.ndarray, level: float = 0.95,
                      clusters: Clusters = None) -> Interval:
    """CI of mean(a - b) over items scored by both, the right test for 'is A better than B';
    `clusters` as in `confidence_interval`."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    keep = np.isfinite(a) & np.isfinite(b)
    labels = None if clusters is None else [label for label, k in zip(clusters, keep) if k]
    return confidence_interval(a[keep] - b[keep], level, labels)
