"""Classical blind source separation a user would otherwise pick: AuxIVA and ILRMA (pyroomacoustics).

Both run on a 64 ms STFT (long windows suit convolutive mixing in rooms) and are projected back to
the reference microphone by least squares, so their outputs are comparable with our separator's.
ILRMA needs as many channels as talkers, so larger arrays are first reduced to the talkers'
principal subspace per frequency (a standard pre-processing step). ILRMA starts from random NMF
factors drawn from NumPy's global generator, so it runs under a fixed seed: the same mixture
always gives the same output, and the caller's generator is left as it was.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum

import numpy as np
import pyroomacoustics as pra
from scipy.signal import istft, stft

N_FFT = 1024
HOP = 256
ILRMA_SEED = 0        # evaluation rows name it, so a change re-scores ILRMA
SILENT_DB = -80.0     # a channel this far under the loudest is silent here (a recorder not yet started)
FLOOR_DB = -100.0     # the noise given such a channel, so its covariance is not singular


class BssMethod(StrEnum):
    AUXIVA = "auxiva"
    ILRMA = "ilrma"


def _project_back(y: np.ndarray, x_ref: np.ndarray) -> np.ndarray:
    """Scale each output (frames, bins, talkers) so it best explains the reference mic."""
    num = np.einsum("tfs,tf->fs", y.conj(), x_ref)
    den = np.einsum("tfs,tfs->fs", y.conj(), y).real + 1e-10
    return y * (num / den)[None]


@contextmanager
def _global_numpy_seed(seed: int) -> Iterator[None]:
    state = np.random.get_state()
    np.random.seed(seed)
    try:
        yield
    finally:
        np.random.set_state(state)


def _principal_subspace(x: np.ndarray, dims: int) -> np.ndarray:
    """(frames, bins, mics) -> (frames, bins, dims) onto the strongest spatial eigenvectors."""
    cov = np.einsum("tfm,tfn->fmn", x, x.conj()) / x.shape[0]
    _, vecs = np.linalg.eigh(cov)
    basis = vecs[:, :, ::-1][:, :, :dims]                      # (bins, mics, dims), strongest first
    return np.einsum("fmd,tfm->tfd", basis.conj(), x)


def _with_floor(mixture: np.ndarray, seed: int) -> np.ndarray:
    """`mixture` with a whisper of noise (`FLOOR_DB` under the loudest channel) on each silent one:
    both methods invert the channels' covariance, which a channel of digital silence (a recorder
    that had not started, in a combined recording) makes singular."""
    level = np.sqrt(np.mean(np.square(mixture, dtype=np.float64), axis=1))
    silent = level < level.max() * 10 ** (SILENT_DB / 20)
    if not silent.any() or level.max() == 0:
        return mixture
    noise = np.random.default_rng(seed).standard_normal((int(silent.sum()), mixture.shape[1]))
    out = np.array(mixture, dtype=np.float64)
    out[silent] += noise * level.max() * 10 ** (FLOOR_DB / 20)
    return out


def separate_bss(mixture: np.ndarray, method: BssMethod, talkers: int = 2, iterations: int = 30,
                 seed: int = ILRMA_SEED) -> np.ndarray:
    """Talker images at mic 0, float32 `(talkers, samples)`, from `(mics, samples)` with mics >= talkers."""
    mics, samples = mixture.shape
    if mics < talkers:
        raise ValueError(f"{method} needs at least {talkers} microphones, got {mics}")
    mixture = _with_floor(mixture, seed)
    if not np.any(mixture):
        return np.zeros((talkers, samples), np.float32)
    _, _, spec = stft(mixture, nperseg=N_FFT, noverlap=N_FFT - HOP)       # (mics, bins, frames)
    x = np.ascontiguousarray(spec.transpose(2, 1, 0))                     # (frames, bins, mics)
    if method is BssMethod.AUXIVA:
        y = pra.bss.auxiva(x, n_src=talkers, n_iter=iterations, proj_back=False)
    else:
        reduced = _principal_subspace(x, talkers) if mics > talkers else x
        with _global_numpy_seed(seed):
            y = pra.bss.ilrma(reduced, n_src=talkers, n_iter=iterations, proj_back=False)
    y = _project_back(y, x[:, :, 0])
    _, out = istft(y.transpose(2, 1, 0), nperseg=N_FFT, noverlap=N_FFT - HOP)
    out = out[:, :samples]
    if out.shape[1] < samples:
        out = np.pad(out, ((0, 0), (0, samples - out.shape[1])))
    return out.astype(np.float32)
