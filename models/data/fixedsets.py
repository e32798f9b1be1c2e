"""Fixed evaluation sets on disk: written once by `make-testsets`, read by every evaluation.

Three sets (issue #4 item 4): in-domain (test voices in training-like rooms, arrays and noise),
out-of-domain (rooms, arrays, noise kinds and voices never used in training) and real speech
(recorded human prompts in simulated rooms; asterisk prompts are 8 kHz, so band-limited to
4 kHz). Each mixture is a folder of FLAC files plus one JSON line in `manifest.jsonl`.

The in-domain set is the separator's target condition (issue #5: two talkers, 5-15 dB SNR) heard
by 8-mic arrays, so that scoring the first k channels compares every channel count on the same
mixtures (paired). Out-of-domain arrays (UMA-8, phones) have their own fixed mic counts.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import replace
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import soundfile as sf

from models.data.audio import write_flac
from models.data.paths import read_jsonl
from models.data.speech import Split

if TYPE_CHECKING:  # mixtures imports torch; the CLI imports this module to build its parser
    from models.data.mixtures import Mixture, MixtureConfig, MixtureSimulator

log = logging.getLogger(__name__)

EVAL_SECONDS = 6.0  # long enough for PESQ/STOI, short enough to keep sets small
BAND_LIMITED_ENGINES = {"asterisk": 4000}  # 8 kHz telephone prompts


class FixedSet(StrEnum):
    IN_DOMAIN = "in_domain"
    OUT_OF_DOMAIN = "out_of_domain"
    REAL_SPEECH = "real_speech"


def fixed_set_config(which: FixedSet, seconds: float = EVAL_SECONDS) -> MixtureConfig:
    from models.data.mixtures import MixtureConfig, out_of_domain_config

    match which:
        case FixedSet.IN_DOMAIN:
            return MixtureConfig(seconds=seconds, split=Split.TEST, talkers=(2, 2), mics=(8, 8), snr_db=(5.0, 15.0))
        case FixedSet.OUT_OF_DOMAIN:
            return out_of_domain_config(seconds=seconds, talkers=(2, 2))
        case FixedSet.REAL_SPEECH:
            return replace(MixtureConfig(seconds=seconds, split=Split.REAL, talkers=(2, 3)), snr_db=(5.0, 20.0))
    raise ValueError(f"unknown fixed set {which}")


# Base seeds per set, so that sets never share a mixture seed.
SET_SEEDS = {FixedSet.IN_DOMAIN: 1_000_000, FixedSet.OUT_OF_DOMAIN: 2_000_000, FixedSet.REAL_SPEECH: 3_000_000}


def write_fixed_set(simulator: MixtureSimulator, root: Path, count: int, base_seed: int) -> Iterator[int]:
    """Write `count` mixtures (seeds base_seed + i) into `root`; resumable: mixtures already in
    the manifest are kept. Yields the number written after each one."""
    root.mkdir(parents=True, exist_ok=True)
    manifest = root / "manifest.jsonl"
    done = {r["name"] for r in read_jsonl(manifest)}
    rate = simulator.config.sample_rate
    with open(manifest, "a", encoding="utf-8") as out:
        for i in range(count):
            name = f"{i:05d}"
            if name in done:
                continue
            mix = simulator.sample(base_seed + i)
            folder = root / name
            folder.mkdir(exist_ok=True)
            paths = {}
            for key in ("mixture", "targets", "dry", "noise"):
                paths[key] = f"{name}/{key}.flac"
                write_flac(root / paths[key], getattr(mix, key), rate)
            band = [BAND_LIMITED_ENGINES.get(v.split(":")[0]) for v in mix.meta["voices"]]
            record = {
                "name": name,
                **paths,
                "channels": int(mix.mixture.shape[0]),
                **mix.meta,
                "band_limited_hz": min((b for b in band if b), default=None),
            }
            out.write(json.dumps(record) + "\n")
            out.flush()
            yield i + 1


def read_fixed_set(manifest: Path) -> Iterator[Mixture]:
    """The mixtures of a fixed set, in manifest order, as `Mixture`s (meta = the manifest line)."""
    from models.data.mixtures import Mixture

    root = manifest.parent
    for record in read_jsonl(manifest):
        arrays = {}
        for key in ("mixture", "targets", "dry", "noise"):
            data, _ = sf.read(root / record[key], dtype="float32", always_2d=True)
            arrays[key] = np.ascontiguousarray(data.T)
        yield Mixture(arrays["mixture"], arrays["targets"], arrays["dry"], arrays["noise"], record)
