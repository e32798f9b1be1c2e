"""Microphone array geometries: standard devices and random layouts, 1 to 8 mics.

Training across many geometries and channel counts lets a separator stay geometry agnostic
(issue #4 item 2). Positions are metres, relative to the array centre, shape `(3, mics)`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np


class ArrayKind(StrEnum):
    LINEAR = "linear"
    CIRCULAR = "circular"
    RESPEAKER_4 = "respeaker4"
    RESPEAKER_6 = "respeaker6"
    UMA_8 = "uma8"
    STEREO_PAIR = "stereo"
    PHONE = "phone"
    SMART_SPEAKER = "smart_speaker"
    RANDOM = "random"


# Fixed-count devices; the rest take their count from the config's mic range.
# ReSpeaker USB 4-mic array: 4 mics on a circle of ~32 mm radius; ReSpeaker 6-mic circular
# array: radius ~46 mm; miniDSP UMA-8: 6 mics on a ~43 mm radius plus one in the centre.
FIXED_MICS: dict[ArrayKind, tuple[int, ...]] = {
    ArrayKind.RESPEAKER_4: (4,),
    ArrayKind.RESPEAKER_6: (6,),
    ArrayKind.UMA_8: (7,),
    ArrayKind.STEREO_PAIR: (2,),
    ArrayKind.PHONE: (2, 3),
}


@dataclass(frozen=True)
class ArrayGeometry:
    kind: ArrayKind
    positions: np.ndarray  # (3, mics) metres, relative to the centre

    @property
    def mics(self) -> int:
        return self.positions.shape[1]

    @property
    def aperture_m(self) -> float:
        """Largest distance between two mics (0 for one mic)."""
        p = self.positions
        if p.shape[1] < 2:
            return 0.0
        return float(np.max(np.linalg.norm(p[:, :, None] - p[:, None, :], axis=0)))


def mic_counts(kind: ArrayKind, mics: tuple[int, int]) -> list[int]:
    """Mic counts `kind` can have inside the inclusive range `mics`."""
    allowed = FIXED_MICS.get(kind, tuple(range(1, 9)))
    return [m for m in allowed if mics[0] <= m <= mics[1]]


def _circle(count: int, radius_m: float, phase: float = 0.0) -> np.ndarray:
    angles = phase + 2 * np.pi * np.arange(count) / count
    return np.stack([radius_m * np.cos(angles), radius_m * np.sin(angles), np.zeros(count)])


def _rotate_z(positions: np.ndarray, angle: float) -> np.ndarray:
    c, s = np.cos(angle), np.sin(angle)
    rot = np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])
    return rot @ positions


def make_array(kind: ArrayKind, mics: int, aperture_m: float, rng: np.random.Generator) -> ArrayGeometry:
    """Build a `kind` array with `mics` mics; `aperture_m` sizes the free-form kinds.

    The result is rotated by a random azimuth so that no direction is privileged.
    """
    if mics not in mic_counts(kind, (1, 8)):
        raise ValueError(f"a {kind} array cannot have {mics} mics")
    if mics == 1:
        return ArrayGeometry(kind, np.zeros((3, 1)))
    match kind:
        case ArrayKind.LINEAR:
            x = np.linspace(-aperture_m / 2, aperture_m / 2, mics)
            pos = np.stack([x, np.zeros(mics), np.zeros(mics)])
        case ArrayKind.CIRCULAR | ArrayKind.SMART_SPEAKER:
            radius = aperture_m / 2 if kind == ArrayKind.CIRCULAR else rng.uniform(0.03, 0.05)
            pos = _circle(mics, radius)
        case ArrayKind.RESPEAKER_4:
            pos = _circle(4, 0.032, np.pi / 4)
        case ArrayKind.RESPEAKER_6:
            pos = _circle(6, 0.0463)
        case ArrayKind.UMA_8:
            pos = np.concatenate([np.zeros((3, 1)), _circle(6, 0.043)], axis=1)
        case ArrayKind.STEREO_PAIR:
            half = rng.uniform(0.02, 0.15)  # from near-coincident to spaced pairs (4-30 cm)
            pos = np.array([[-half, half], [0.0, 0.0], [0.0, 0.0]])
        case ArrayKind.PHONE:
            # Bottom, top and (for three) rear mics of a ~15 x 7 cm handset lying flat.
            pts = [[0.0, -0.07, 0.0], [0.01, 0.07, 0.0], [0.02, 0.06, 0.008]][:mics]
            pos = np.array(pts).T
            pos = pos - pos.mean(axis=1, keepdims=True)
        case ArrayKind.RANDOM:
            pts = rng.uniform(-0.5, 0.5, size=(3, mics)) * np.array([[1.0], [1.0], [0.3]])
            pts -= pts.mean(axis=1, keepdims=True)
            span = np.max(np.linalg.norm(pts[:, :, None] - pts[:, None, :], axis=0))
            pos = pts * (aperture_m / max(span, 1e-9))
    return ArrayGeometry(kind, _rotate_z(pos, rng.uniform(0, 2 * np.pi)))
