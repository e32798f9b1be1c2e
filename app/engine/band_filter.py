"""A band of frequencies alone (or all but it), streamed: what playback plays while an area of
the spectrogram (a band over a range) is selected, as iZotope RX plays a spectral selection, so
the user hears what an attenuation would take away (or leave) before making it.

A Butterworth filter in second-order sections (a low-pass from 0 Hz, a high-pass up to the
Nyquist frequency, else a band-pass), with its state carried from block to block so the joins
are seamless. scipy.signal takes most of a second to import: the window imports it in the
background as soon as an area is first selected (`warm_up`), so the feeder does not stop for it,
and the ring run dry, when the band is then played; the app's start does not pay for it.
"""

from __future__ import annotations

import importlib
import sys
import threading

import numpy as np

ORDER = 8          # per edge: about 48 dB an octave outside the band
WARM_UP_THREAD = "scipy-signal-warm-up"


def warm_up() -> threading.Thread | None:
    """Import scipy.signal in a background thread (pure Python mostly, so the GIL keeps changing
    hands and the window goes on); None when it is imported or being imported already."""
    if "scipy.signal" in sys.modules or any(t.name == WARM_UP_THREAD for t in threading.enumerate()):
        return None
    thread = threading.Thread(target=importlib.import_module, args=("scipy.signal",), name=WARM_UP_THREAD,
                              daemon=True)
    thread.start()
    return thread


class BandFilter:
    """The band alone (`keep`), or everything but the band: what an attenuation would take away,
    or what it would leave."""

    def __init__(self, band: tuple[float, float], rate: int, columns: int, keep: bool = True) -> None:
        from scipy.signal import butter

        low, high = band
        nyquist = rate / 2
        above = low >= nyquist              # a band this rate does not reach (drawn on a track of a higher rate)
        self.silent = (not keep and low <= 0 and high >= nyquist) or (keep and above)   # nothing is left to play
        if (low <= 0 and high >= nyquist) or above:
            self.sos = None
        elif low <= 0:
            self.sos = butter(ORDER, high, "lowpass" if keep else "highpass", fs=rate, output="sos")
        elif high >= nyquist:
            self.sos = butter(ORDER, low, "highpass" if keep else "lowpass", fs=rate, output="sos")
        else:
            self.sos = butter(ORDER // 2, [low, high], "bandpass" if keep else "bandstop", fs=rate, output="sos")
        self.band, self.columns, self.keep = band, columns, keep
        self.state = None if self.sos is None else np.zeros((self.sos.shape[0], 2, columns))

    def process(self, block: np.ndarray) -> np.ndarray:
        """`block` (frames, columns) filtered, continuing from the last block."""
        if self.silent:
            return np.zeros_like(block)
        if self.sos is None:
            return block
        from scipy.signal import sosfilt

        out, self.state = sosfilt(self.sos, block, axis=0, zi=self.state)
        return out.astype(np.float32)
