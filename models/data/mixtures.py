"""Multi-talker, multi-channel mixtures in simulated rooms, deterministic from a seed.

`MixtureSimulator.sample(seed)` makes one mixture; `MixtureDataset` makes them on the fly in
DataLoader workers (seed = f(base seed, index)). Targets are each talker's direct path plus
early reflections at the reference mic, aligned with the mixture (issue #4 items 2 and 4).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace

import numpy as np
import torch
from scipy import signal

from models.data.arrays import ArrayKind
from models.data.audio import EPS, db_to_gain, fade_edges, gain_for_ratio_db, power
from models.data.noise import NoiseField, NoiseKind, NoisePool, diffuse_field
from models.data.rooms import RoomConfig, early_part, measure_rt60
from models.data.scenes import RirBank, Scene, SceneConfig, simulate_scene
from models.data.speech import SpeechPool, Split

log = logging.getLogger(__name__)

IN_DOMAIN_NOISE = (
    NoiseKind.WHITE,
    NoiseKind.PINK,
    NoiseKind.BROWN,
    NoiseKind.SPEECH_SHAPED,
    NoiseKind.BABBLE,
    NoiseKind.RECORDED,
)
OUT_OF_DOMAIN_NOISE = (NoiseKind.HUM, NoiseKind.TRANSIENTS, NoiseKind.RECORDED)


@dataclass(frozen=True)
class MixtureConfig:
    sample_rate: int = 16000
    seconds: float = 4.0  # separator training segments
    talkers: tuple[int, int] = (1, 3)  # issue #4 item 4
    mics: tuple[int, int] = (1, 8)  # issue #4 item 2
    snr_db: tuple[float, float] = (0.0, 20.0)  # speech image vs noise at the reference mic
    rt60_s: tuple[float, float] = (0.1, 0.8)  # issue #4 item 2
    early_ms: float = 50.0  # target = direct path + 50 ms of early reflections (issue #4 item 2)
    ref_mic: int = 0
    overlap: tuple[float, float] = (0.0, 1.0)  # share of the mixture where >= 2 talkers speak
    sir_db: tuple[float, float] = (-5.0, 5.0)  # each talker's image vs the first talker's
    noise_kinds: tuple[NoiseKind, ...] = IN_DOMAIN_NOISE
    diffuse_share: float = 0.6  # share of mixtures with diffuse (else point-source) noise
    array_kinds: tuple[ArrayKind, ...] = SceneConfig.array_kinds
    aperture_m: tuple[float, float] = (0.02, 0.30)  # issue #4 item 2
    room_size_min_m: tuple[float, float, float] = RoomConfig.size_min_m
    room_size_max_m: tuple[float, float, float] = RoomConfig.size_max_m
    source_distance_m: tuple[float, float] = RoomConfig.source_distance_m
    reverberant: bool = True  # False: free-field direct path only (plain denoising sets)
    split: Split = Split.TRAIN  # whose voices and noise files are used
    level_db: tuple[float, float] = (-35.0, -15.0)  # mixture RMS at the ref mic, dBFS
    bank: str | None = None  # folder of an RIR bank; None simulates each room afresh

    def __post_init__(self) -> None:
        for name in ("talkers", "mics", "snr_db", "rt60_s", "overlap", "sir_db", "aperture_m", "level_db"):
            lo, hi = getattr(self, name)
            if lo > hi:
                raise ValueError(f"{name} must be (min, max), got {getattr(self, name)}")
        if not 1 <= self.talkers[0] <= self.talkers[1] <= 3:
            raise ValueError(f"talkers must be within 1-3, got {self.talkers}")
        if not 0.0 <= self.overlap[0] <= self.overlap[1] <= 1.0:
            raise ValueError(f"overlap must be within 0-1, got {self.overlap}")
        if not self.noise_kinds:
            raise ValueError("noise_kinds must name at least one kind")
        self.scene_config()  # validates mics against array kinds

    @property
    def frames(self) -> int:
        return int(round(self.seconds * self.sample_rate))

    def scene_config(self) -> SceneConfig:
        room = RoomConfig(
            size_min_m=self.room_size_min_m,
            size_max_m=self.room_size_max_m,
            rt60_s=self.rt60_s,
            source_distance_m=self.source_distance_m,
            anechoic=not self.reverberant,
        )
        return SceneConfig(room=room, mics=self.mics, array_kinds=self.array_kinds, aperture_m=self.aperture_m)


def out_of_domain_config(**overrides) -> MixtureConfig:
    """Rooms, arrays and noise kinds never used by the default (training) config, test voices."""
    base = MixtureConfig(
        rt60_s=(0.6, 1.0),
        room_size_min_m=(10.0, 8.0, 3.5),
        room_size_max_m=(18.0, 12.0, 5.0),
        source_distance_m=(1.0, 4.0),
        array_kinds=(ArrayKind.UMA_8, ArrayKind.PHONE),
        noise_kinds=OUT_OF_DOMAIN_NOISE,
        split=Split.TEST,
    )
    return replace(base, **overrides)


def enhancement_config(**overrides) -> MixtureConfig:
    """One talker, one mic, no room: noisy/clean pairs for speech enhancement (DISPatch)."""
    return replace(
        MixtureConfig(
            talkers=(1, 1),
            mics=(1, 1),
            overlap=(1.0, 1.0),
            reverberant=False,
            snr_db=(-5.0, 20.0),
            array_kinds=(ArrayKind.LINEAR,),
        ),
        **overrides,
    )


@dataclass
class Mixture:
    mixture: np.ndarray  # float32 (mics, frames), what the array hears
    targets: np.ndarray  # float32 (talkers, frames): direct path + early reflections at ref mic
    dry: np.ndarray  # float32 (talkers, frames), the source signals as placed in time
    noise: np.ndarray  # float32 (mics, frames), noise as heard at the array
    meta: dict = field(default_factory=dict)


def talker_spans(talkers: int, frames: int, overlap: float) -> list[tuple[int, int]]:
    """Equal-length activity spans, evenly staggered, whose share of frames with two or more
    talkers active equals `overlap` as closely as span lengths allow (one talker: whole)."""
    if talkers == 1:
        return [(0, frames)]

    def spans(length: int) -> list[tuple[int, int]]:
        step = (frames - length) / (talkers - 1)
        return [(int(round(k * step)), int(round(k * step)) + length) for k in range(talkers)]

    def realised(length: int) -> float:
        return overlap_ratio(spans(length), frames)

    lo, hi = frames // talkers, frames
    while hi - lo > 1:  # realised overlap grows with span length
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if realised(mid) <= overlap else (lo, mid)
    return spans(hi if abs(realised(hi) - overlap) < abs(realised(lo) - overlap) else lo)


def overlap_ratio(spans: list[tuple[int, int]], frames: int) -> float:
    active = np.zeros(frames, np.int32)
    for a, b in spans:
        active[a:b] += 1
    return float(np.mean(active >= 2))


class MixtureSimulator:
    def __init__(self, config: MixtureConfig, speech: SpeechPool, noise: NoisePool) -> None:
        self.config = config
        self.speech = speech
        self.noise = noise
        self.bank = RirBank(config.bank) if config.bank else None
        self._scene_config = config.scene_config()
        kinds = [k for k in config.noise_kinds if k in noise.kinds(config.split)]
        if not kinds:
            raise ValueError(f"none of {config.noise_kinds} can be made for {config.split} (no noise files?)")
        self._noise_kinds = kinds

    def scene(self, rng: np.random.Generator, sources: int) -> Scene:
        if self.bank is not None:
            return self.bank.pick(rng, sources, self.config.mics)
        return simulate_scene(self._scene_config, sources, self.config.sample_rate, rng)

    def sample(self, seed: int) -> Mixture:
        """One mixture, identical for the same seed, config and pools."""
        cfg = self.config
        rng = np.random.default_rng(seed)
        frames = cfg.frames
        talkers = int(rng.integers(cfg.talkers[0], cfg.talkers[1] + 1))
        field_kind = NoiseField.DIFFUSE if rng.random() < cfg.diffuse_share else NoiseField.POINT
        scene = self.scene(rng, talkers + 1)  # the last source is the point noise
        mics = scene.rirs.shape[0]
        ref = min(cfg.ref_mic, mics - 1)

        overlap = float(rng.uniform(*cfg.overlap))
        spans = talker_spans(talkers, frames, overlap)
        dry = np.zeros((talkers, frames), np.float32)
        voices: list[str] = []
        for k, (a, b) in enumerate(spans):
            speech, voice = self.speech.draw(cfg.split, rng, b - a, exclude=voices)
            dry[k, a:b] = fade_edges(speech.copy(), int(0.01 * cfg.sample_rate))
            voices.append(voice)

        rirs = scene.rirs[:, :talkers]  # (mics, talkers, L)
        images = signal.oaconvolve(dry[None], rirs, axes=-1)[..., :frames].astype(np.float32)
        targets = signal.oaconvolve(dry, early_part(rirs[ref], cfg.sample_rate, cfg.early_ms), axes=-1)[..., :frames]
        sir = [0.0] + [float(rng.uniform(*cfg.sir_db)) for _ in range(talkers - 1)]
        for k in range(1, talkers):
            g = gain_for_ratio_db(images[ref, 0], images[ref, k], -sir[k])
            images[:, k] *= g
            targets[k] *= g
            dry[k] *= g

        noise_kind = self._noise_kinds[rng.integers(len(self._noise_kinds))]
        noise = self._noise(noise_kind, field_kind, scene, mics, frames, voices, rng)
        speech_image = images.sum(axis=1)
        snr = float(rng.uniform(*cfg.snr_db))
        noise *= gain_for_ratio_db(speech_image[ref], noise[ref], snr)
        mixture = speech_image + noise

        level = float(rng.uniform(*cfg.level_db))
        gain = db_to_gain(level) / np.sqrt(max(power(mixture[ref]), EPS))
        gain = min(gain, 0.99 / max(np.max(np.abs(mixture)), EPS), 0.99 / max(np.max(np.abs(targets)), EPS))
        meta = {
            "seed": int(seed),
            **scene.meta(),
            "ref_mic": ref,
            "talkers": talkers,
            "voices": voices,
            "split": str(cfg.split),
            "overlap": round(overlap_ratio(spans, frames), 4),
            "sir_db": [round(s, 2) for s in sir],
            "snr_db": round(snr, 2),
            "noise_kind": str(noise_kind),
            "noise_field": str(field_kind),
            "rt60_measured_s": round(measure_rt60(scene.rirs[ref, 0], cfg.sample_rate), 3) if cfg.reverberant else 0.0,
            "early_ms": cfg.early_ms,
            "sample_rate": cfg.sample_rate,
            "level_db": round(float(20 * np.log10(max(gain * np.sqrt(power(mixture[ref])), EPS))), 2),
        }
        return Mixture(
            (mixture * gain).astype(np.float32),
            (targets * gain).astype(np.float32),
            (dry * gain).astype(np.float32),
            (noise * gain).astype(np.float32),
            meta,
        )

    def _noise(
        self,
        kind: NoiseKind,
        field_kind: NoiseField,
        scene: Scene,
        mics: int,
        frames: int,
        voices: list[str],
        rng: np.random.Generator,
    ) -> np.ndarray:
        """Noise at the mics, `(mics, frames)`, before SNR scaling."""
        split = self.config.split
        if field_kind == NoiseField.POINT:
            source = self.noise.draw(kind, split, frames, rng, voices)
            return signal.oaconvolve(source[None], scene.rirs[:, -1], axes=-1)[:, :frames].astype(np.float32)
        channels = self.noise.draw_channels(kind, split, mics, frames, rng, voices)
        return diffuse_field(channels, scene.layout.mics_m, self.config.sample_rate)


class MixtureDataset(torch.utils.data.Dataset):
    """`length` mixtures made on the fly; item i is `simulator.sample(seed_for(base_seed, i))`,
    the same in any worker and any epoch. Items are dicts of float32 tensors plus the seed;
    batching needs equal shapes (fix `talkers` and `mics` in the config, or batch size 1)."""

    def __init__(self, simulator: MixtureSimulator, length: int, base_seed: int = 0) -> None:
        self.simulator = simulator
        self.length = length
        self.base_seed = base_seed

    def __len__(self) -> int:
        return self.length

    def __getitem__(self, index: int) -> dict:
        if not 0 <= index < self.length:
            raise IndexError(index)
        mix = self.simulator.sample(seed_for(self.base_seed, index))
        return {
            "mixture": torch.from_numpy(mix.mixture),
            "targets": torch.from_numpy(mix.targets),
            "dry": torch.from_numpy(mix.dry),
            "noise": torch.from_numpy(mix.noise),
            "seed": mix.meta["seed"],
        }


def seed_for(base_seed: int, index: int) -> int:
    """A well-mixed 63-bit seed for item `index` of a dataset seeded with `base_seed`."""
    return int(np.random.SeedSequence([base_seed, index]).generate_state(2, np.uint64)[0] >> np.uint64(1))
