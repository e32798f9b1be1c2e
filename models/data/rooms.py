"""Shoebox rooms with pyroomacoustics: random size, RT60, placement; RIRs and early targets.

Short rooms use the randomised image-source method at the order inverse Sabine asks for; long
ones (whose full order would take seconds) use a low ISM order plus ray tracing for the tail,
pyroomacoustics' hybrid simulator. Both are made deterministic by seeding numpy's global RNG,
which pyroomacoustics draws from, for the duration of the call.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pyroomacoustics as pra

from models.data.arrays import ArrayGeometry

log = logging.getLogger(__name__)

SPEED_OF_SOUND_M_S = 343.0


@dataclass(frozen=True)
class RoomConfig:
    size_min_m: tuple[float, float, float] = (3.0, 3.0, 2.4)  # small office
    size_max_m: tuple[float, float, float] = (10.0, 8.0, 3.5)  # meeting room
    rt60_s: tuple[float, float] = (0.1, 0.8)  # issue #4 item 2
    wall_margin_m: float = 0.4  # sources and mics keep this far from walls
    source_distance_m: tuple[float, float] = (0.5, 3.0)  # talker to array centre
    source_height_m: tuple[float, float] = (1.1, 1.9)  # seated to standing mouth height
    array_height_m: tuple[float, float] = (0.7, 1.6)  # table to shelf
    full_ism_order_max: int = 30  # above this the hybrid ISM + ray tracing is cheaper
    hybrid_ism_order: int = 3  # early part of the hybrid simulator
    rays: int = 4000  # ray tracing: 0.4-0.7 s per room here, measured
    rir_seconds_max: float = 1.2  # RIRs are cut here; beyond it the tail is below -60 dB at 0.8 s
    anechoic: bool = False  # direct path only (free field), for plain denoising sets

    def __post_init__(self) -> None:
        if not 0.05 <= self.rt60_s[0] <= self.rt60_s[1] <= 2.0:
            raise ValueError(f"rt60_s must be an increasing range within 0.05-2.0 s, got {self.rt60_s}")
        if any(lo > hi for lo, hi in zip(self.size_min_m, self.size_max_m, strict=True)):
            raise ValueError(f"size_min_m {self.size_min_m} exceeds size_max_m {self.size_max_m}")


@dataclass(frozen=True)
class RoomLayout:
    """Where everything is: room size (m), RT60 asked for, mic and source positions (3, n)."""

    size_m: tuple[float, float, float]
    rt60_s: float
    mics_m: np.ndarray  # (3, mics) absolute
    sources_m: np.ndarray  # (3, sources) absolute

    def meta(self) -> dict:
        return {
            "room_m": [round(v, 3) for v in self.size_m],
            "rt60_s": round(self.rt60_s, 3),
            "mics_m": np.round(self.mics_m, 4).T.tolist(),
            "sources_m": np.round(self.sources_m, 3).T.tolist(),
        }


@contextlib.contextmanager
def seeded_global_numpy(seed: int) -> Iterator[None]:
    """pyroomacoustics draws from numpy's global RNG; seed it, then restore the caller's state."""
    state = np.random.get_state()
    np.random.seed(seed % 2**32)
    try:
        yield
    finally:
        np.random.set_state(state)


def shortest_rt60_s(size_m: np.ndarray) -> float:
    """The shortest RT60 a shoebox can have under Sabine's formula, with walls absorbing 83 %
    (inverse Sabine fails at 100 %; the margin keeps the image sources audible)."""
    lx, ly, lz = size_m
    volume, surface = lx * ly * lz, 2 * (lx * ly + lx * lz + ly * lz)
    return float(24 * np.log(10) / SPEED_OF_SOUND_M_S * volume / surface / 0.83)


def sample_layout(config: RoomConfig, array: ArrayGeometry, sources: int, rng: np.random.Generator) -> RoomLayout:
    """Draw a room, an array placement inside it and `sources` source positions around it.

    A short RT60 is impossible in a large room; such rooms are redrawn, and after 20 tries the
    RT60 is raised to the shortest the room allows.
    """
    lo, hi = np.array(config.size_min_m), np.array(config.size_max_m)
    rt60 = float(rng.uniform(*config.rt60_s))
    for _ in range(20):
        size = rng.uniform(lo, hi)
        if config.anechoic or shortest_rt60_s(size) <= rt60:
            break
    else:
        rt60 = shortest_rt60_s(size)
    margin = config.wall_margin_m + array.aperture_m / 2
    centre = np.array(
        [
            rng.uniform(margin, size[0] - margin),
            rng.uniform(margin, size[1] - margin),
            rng.uniform(*config.array_height_m),
        ]
    )
    mics = array.positions + centre[:, None]
    positions = []
    for _ in range(sources):
        positions.append(_place_source(config, size, centre, positions, rng))
    return RoomLayout(tuple(float(v) for v in size), rt60, mics, np.array(positions).T)


def _place_source(
    config: RoomConfig, size: np.ndarray, centre: np.ndarray, taken: list, rng: np.random.Generator
) -> np.ndarray:
    """A point at the configured distance from the array, inside the walls, apart from others.

    Rejection sampling; after many misses the distance rule is relaxed (small rooms) rather than
    failing, since any in-room position is still a valid scene.
    """
    m = config.wall_margin_m
    for attempt in range(200):
        z = rng.uniform(*config.source_height_m)
        if attempt < 150:
            dist = rng.uniform(*config.source_distance_m)
            azimuth = rng.uniform(0, 2 * np.pi)
            horizontal = np.sqrt(max(dist**2 - (z - centre[2]) ** 2, 0.01))
            p = np.array([centre[0] + horizontal * np.cos(azimuth), centre[1] + horizontal * np.sin(azimuth), z])
        else:
            p = np.array([rng.uniform(m, size[0] - m), rng.uniform(m, size[1] - m), z])
        inside = np.all(p[:2] >= m) and np.all(p[:2] <= size[:2] - m) and m / 2 <= z <= size[2] - m / 2
        apart = all(np.linalg.norm(p - q) > 0.3 for q in taken) and np.linalg.norm(p - centre) > 0.3
        if inside and apart:
            return p
    raise RuntimeError(f"could not place a source in a room of {size} m")


def simulate_rirs(layout: RoomLayout, config: RoomConfig, sample_rate: int, seed: int) -> np.ndarray:
    """Room impulse responses, float32 `(mics, sources, frames)`, cut at `rir_seconds_max`."""
    if config.anechoic:
        absorption, order = 1.0, 0
    else:
        absorption, order = pra.inverse_sabine(layout.rt60_s, layout.size_m)
    hybrid = order > config.full_ism_order_max
    with seeded_global_numpy(seed):
        room = pra.ShoeBox(
            list(layout.size_m),
            fs=sample_rate,
            materials=pra.Material(absorption),
            max_order=config.hybrid_ism_order if hybrid else order,
            ray_tracing=hybrid,
            air_absorption=False,
            use_rand_ism=not hybrid,
            max_rand_disp=0.05,
        )
        if hybrid:
            room.set_ray_tracing(receiver_radius=0.5, n_rays=config.rays, energy_thres=1e-5)
        for src in layout.sources_m.T:
            room.add_source(src)
        room.add_microphone_array(layout.mics_m)
        room.compute_rir()
    frames = int(config.rir_seconds_max * sample_rate)
    longest = max(len(r) for mic in room.rir for r in mic)
    rirs = np.zeros((len(room.rir), len(room.rir[0]), min(frames, longest)), np.float32)
    for m, mic in enumerate(room.rir):
        for s, r in enumerate(mic):
            n = min(len(r), rirs.shape[-1])
            rirs[m, s, :n] = r[:n]
    return rirs


def early_part(rir: np.ndarray, sample_rate: int, early_ms: float, fade_ms: float = 5.0) -> np.ndarray:
    """Direct path plus early reflections: `rir` (..., frames) kept up to its direct-path peak
    + `early_ms`, with a half-cosine fade of `fade_ms` so the cut adds no click (the usual
    SMS-WSJ/WHAMR-style early target)."""
    out = np.zeros_like(rir)
    fade = int(fade_ms * sample_rate / 1000)
    early = int(early_ms * sample_rate / 1000)
    flat, flat_out = rir.reshape(-1, rir.shape[-1]), out.reshape(-1, rir.shape[-1])
    for r, r_out in zip(flat, flat_out, strict=True):
        end = min(int(np.argmax(np.abs(r))) + early, r.shape[-1])
        seg = r[: end + fade].copy()
        tail = seg.shape[-1] - end
        if tail > 0:
            seg[end:] *= 0.5 + 0.5 * np.cos(np.linspace(0, np.pi, tail, dtype=np.float32))
        r_out[: seg.shape[-1]] = seg
    return out


def measure_rt60(rir: np.ndarray, sample_rate: int) -> float:
    """RT60 from the Schroeder decay between -5 and -25 dB (T20), as pyroomacoustics does."""
    return float(pra.experimental.measure_rt60(rir, sample_rate, decay_db=20))
