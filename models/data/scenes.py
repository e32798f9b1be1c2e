"""A scene = a room, an array in it and source positions, with their RIRs; fresh or from a bank.

Simulating a room takes 0.02-1 s here, far too slow for on-the-fly training at 20+ mixtures/s,
so training draws scenes from a bank simulated once into the cache (`RirBank`); tests and the
fixed evaluation sets simulate each scene afresh.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from models.common.processes import worker_pool
from models.data.arrays import ArrayKind, make_array, mic_counts
from models.data.paths import cache_root
from models.data.rooms import RoomConfig, RoomLayout, sample_layout, simulate_rirs

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SceneConfig:
    room: RoomConfig = RoomConfig()
    mics: tuple[int, int] = (1, 8)  # issue #4 item 2: 1-8 mics
    array_kinds: tuple[ArrayKind, ...] = (
        ArrayKind.LINEAR,
        ArrayKind.CIRCULAR,
        ArrayKind.RESPEAKER_4,
        ArrayKind.RESPEAKER_6,
        ArrayKind.STEREO_PAIR,
        ArrayKind.SMART_SPEAKER,
        ArrayKind.RANDOM,
    )  # UMA_8 and PHONE are kept for the out-of-domain set
    aperture_m: tuple[float, float] = (0.02, 0.30)  # issue #4 item 2

    def __post_init__(self) -> None:
        if not 1 <= self.mics[0] <= self.mics[1] <= 8:
            raise ValueError(f"mics must be a range within 1-8, got {self.mics}")
        if not any(mic_counts(k, self.mics) for k in self.array_kinds):
            raise ValueError(f"no array kind in {self.array_kinds} has {self.mics} mics")


@dataclass
class Scene:
    layout: RoomLayout
    array_kind: ArrayKind
    rirs: np.ndarray  # float32 (mics, sources, frames)

    def meta(self) -> dict:
        return {**self.layout.meta(), "array": str(self.array_kind), "mics": int(self.rirs.shape[0])}


def simulate_scene(config: SceneConfig, sources: int, sample_rate: int, rng: np.random.Generator) -> Scene:
    """Draw an array kind and size, a room layout, and simulate its RIRs (deterministic in rng)."""
    kinds = [k for k in config.array_kinds if mic_counts(k, config.mics)]
    kind = kinds[rng.integers(len(kinds))]
    counts = mic_counts(kind, config.mics)
    array = make_array(kind, int(counts[rng.integers(len(counts))]), float(rng.uniform(*config.aperture_m)), rng)
    layout = sample_layout(config.room, array, sources, rng)
    rirs = simulate_rirs(layout, config.room, sample_rate, seed=int(rng.integers(2**31)))
    return Scene(layout, kind, rirs)


BANK_SOURCES = 5  # up to 3 talkers + the point noise + one spare position


def bank_dir(config: SceneConfig, sample_rate: int, sources: int = BANK_SOURCES) -> Path:
    """The cache folder of the bank for `config`: a changed setting gives a new bank."""
    key = json.dumps([asdict(config), sample_rate, sources], sort_keys=True, default=str)
    return cache_root() / "rirs" / hashlib.sha256(key.encode()).hexdigest()[:12]


class RirBank:
    """Scenes simulated once into `root` (`entries.jsonl` + one float16 `.npy` per scene).

    Picklable (only the index is held), so DataLoader workers share it by reading the files.
    """

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.entries: list[dict] = []
        index = self.root / "entries.jsonl"
        if index.exists():
            with open(index, encoding="utf-8") as f:
                self.entries = [json.loads(line) for line in f if line.strip()]

    def __len__(self) -> int:
        return len(self.entries)

    def pick(self, rng: np.random.Generator, sources: int, mics: tuple[int, int]) -> Scene:
        """A random scene with a mic count in `mics`, reduced to `sources` of its sources."""
        usable = [e for e in self.entries if mics[0] <= e["mics"] <= mics[1] and e["sources"] >= sources]
        if not usable:
            raise ValueError(f"RIR bank {self.root} has no scene with {mics} mics and {sources} sources")
        entry = usable[rng.integers(len(usable))]
        rirs = np.load(self.root / entry["file"]).astype(np.float32)
        chosen = np.sort(rng.choice(entry["sources"], size=sources, replace=False))
        layout = RoomLayout(
            tuple(entry["room_m"]),
            entry["rt60_s"],
            np.array(entry["mics_m"]).T,
            np.array(entry["sources_m"]).T[:, chosen],
        )
        return Scene(layout, ArrayKind(entry["array"]), rirs[:, chosen])

    @staticmethod
    def build(
        root: Path, config: SceneConfig, scenes: int, sources: int = 5, sample_rate: int = 16000, seed: int = 0,
        workers: int = 1,
    ) -> Iterator[int]:
        """Simulate scenes until `root` holds `scenes`; resumable (scene i always comes from
        seed (seed, i), on any number of `workers` processes). Yields the count after each scene,
        so callers can report or stop.

        An exclusive lock on the index makes a second builder of the same bank (another training
        run, the bench) wait, then continue from what the first one wrote."""
        root = Path(root)
        root.mkdir(parents=True, exist_ok=True)
        with open(root / "entries.jsonl", "a", encoding="utf-8") as index:
            fcntl.flock(index, fcntl.LOCK_EX)
            todo = [(config, sources, sample_rate, seed, i) for i in range(len(RirBank(root)), scenes)]
            with contextlib.ExitStack() as stack:
                if workers > 1 and len(todo) > 1:
                    pool = worker_pool(min(workers, len(todo)))
                    stack.callback(pool.shutdown, cancel_futures=True)      # a caller that stops early
                    simulated = pool.map(_simulate_scene, todo)
                else:
                    simulated = map(_simulate_scene, todo)
                for (*_, i), (rirs, meta) in zip(todo, simulated, strict=True):
                    name = f"{i:06d}.npy"
                    np.save(root / name, rirs)
                    index.write(json.dumps({**meta, "file": name, "sources": sources}) + "\n")
                    index.flush()
                    yield i + 1


def _simulate_scene(job: tuple[SceneConfig, int, int, int, int]) -> tuple[np.ndarray, dict]:
    """Scene `i` of a bank: float16 RIRs and its index entry (a top-level function, for worker processes)."""
    config, sources, sample_rate, seed, i = job
    scene = simulate_scene(config, sources, sample_rate, np.random.default_rng([seed, i]))
    return scene.rirs.astype(np.float16), scene.meta()


def ensure_bank(config: SceneConfig, sample_rate: int, scenes: int, sources: int = BANK_SOURCES,
                workers: int = 1) -> Path:
    """The cached bank for `config` (`bank_dir`), simulated up to `scenes` scenes if shorter
    (on `workers` processes).

    Trainers pass its path as `MixtureConfig.bank`; a config with other mic counts or rooms gets
    its own bank, so every scene drawn matches the config.
    """
    root = bank_dir(config, sample_rate, sources)
    for _ in RirBank.build(root, config, scenes, sources, sample_rate, workers=workers):
        pass
    return root
