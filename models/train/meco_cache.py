"""Separator-output cache for MeCo: run a separator once over simulated mixtures, store shards.

MeCo trains on precomputed separator outputs (no separator in the training loop). One command:

    python -m models.train.meco_cache --separator resources/models/separator/tacband-separator.json

writes `<cache>/meco/<name>/{train,valid,test,ood,real}/shard-00000.safetensors` (cache = `$MECO_CACHE`
or `<repo>/cache`, git-ignored) and `manifest.json`. Each shard holds float16 tensors `mixture`
`(n, max_mics, samples)` zero-padded past `mics` `(n,)`, `estimates` and `targets`
`(n, talkers, samples)` with the estimates at the separator card's output gain and put in the
targets' talker order (best SI-SDR permutation), and the mixture `seeds` `(n,)`. float16 keeps
~66 dB below the signal, far under what separators leave, and halves the disk. Existing shards
are kept, so an interrupted build resumes. `CachedPairs` reads them back as (clean, estimate,
mixture) training pairs, one per talker.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from enum import StrEnum
from pathlib import Path

import numpy as np
import torch
from safetensors import safe_open
from safetensors.torch import save_file

from models.common import checkpoint
from models.data.mixtures import MixtureConfig, MixtureSimulator, out_of_domain_config, seed_for
from models.data.noise import NoisePool
from models.data.paths import cache_root
from models.data.speech import SpeechPool, Split
from models.inference.levels import output_gain
from models.losses.si_sdr import pit_si_sdr, projection_scale

log = logging.getLogger(__name__)

Separate = Callable[[np.ndarray], np.ndarray]      # (mics, samples) -> (talkers, samples)
MAX_MICS = 8


class CacheSplit(StrEnum):
    TRAIN = "train"
    VALID = "valid"
    TEST = "test"          # in-domain: training rooms and noise, held-out voices
    OOD = "ood"            # out-of-domain rooms, arrays and noise kinds, held-out voices
    REAL = "real"          # recorded (not synthesised) speech in training-like rooms, evaluation only


@dataclass(frozen=True)
class CacheConfig:
    name: str = "default"
    seconds: float = 4.0          # the separator's training segment length
    talkers: int = 2              # our separator's output count
    train_items: int = 4000       # mixtures; x2 talkers = pairs (MeCo: WSJ0-scale, ~20 k pairs)
    eval_items: int = 64          # per valid / test / ood split
    shard_items: int = 32
    seed: int = 0

    def items(self, split: CacheSplit) -> int:
        return self.train_items if split is CacheSplit.TRAIN else self.eval_items

    def mixture_config(self, split: CacheSplit) -> MixtureConfig:
        talkers = (self.talkers, self.talkers)
        match split:
            case CacheSplit.TRAIN:
                return MixtureConfig(seconds=self.seconds, talkers=talkers)
            case CacheSplit.VALID:
                return MixtureConfig(seconds=self.seconds, talkers=talkers, split=Split.VALID)
            case CacheSplit.TEST:
                return MixtureConfig(seconds=self.seconds, talkers=talkers, split=Split.TEST)
            case CacheSplit.OOD:
                return out_of_domain_config(seconds=self.seconds, talkers=talkers)
            case CacheSplit.REAL:
                return MixtureConfig(seconds=self.seconds, talkers=talkers, split=Split.REAL)
        raise ValueError(f"unknown cache split {split}")

    def base_seed(self, split: CacheSplit) -> int:
        return self.seed * 100 + list(CacheSplit).index(split)


def cache_folder(name: str) -> Path:
    return cache_root() / "meco" / name


def separator_function(card_path: Path, device: str = "cpu") -> tuple[Separate, dict]:
    """The separator of a card as (mics, samples) -> (talkers, samples), as the engine would run it:
    with the card's output gain, so MeCo learns from estimates at the level and polarity the app
    and the command line hand it (a card without one runs at gain 1)."""
    model, card = checkpoint.load(card_path)
    model = model.to(device)
    use_mwf = bool(card.get("inference", {}).get("spatial_filter", False))
    gain = output_gain(card).to(device)

    def separate(mixture: np.ndarray) -> np.ndarray:
        with torch.inference_mode():
            x = torch.from_numpy(mixture)[None].to(device)
            out = model.forward_with_mwf(x)[1] if use_mwf and mixture.shape[0] > 1 else model(x)
        return (out * gain)[0].float().cpu().numpy()

    return separate, card


def aligned(estimates: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Estimates reordered so talker k lines up with target k (best mean SI-SDR permutation)."""
    _, perm = pit_si_sdr(torch.from_numpy(estimates)[None], torch.from_numpy(targets)[None])
    return estimates[perm[0].numpy()]


def _write_shard(path: Path, simulator: MixtureSimulator, separate: Separate, seeds: list[int]) -> None:
    mixtures, mics, estimates, targets = [], [], [], []
    for seed in seeds:
        mix = simulator.sample(seed)
        mixtures.append(mix.mixture)
        mics.append(mix.mixture.shape[0])
        targets.append(mix.targets)
        estimates.append(aligned(separate(mix.mixture).astype(np.float32), mix.targets))
    padded = np.zeros((len(seeds), MAX_MICS, mixtures[0].shape[1]), np.float16)
    for i, m in enumerate(mixtures):
        padded[i, :m.shape[0]] = m
    tensors = {"mixture": torch.from_numpy(padded), "mics": torch.tensor(mics, dtype=torch.int32),
               "estimates": torch.from_numpy(np.stack(estimates).astype(np.float16)),
               "targets": torch.from_numpy(np.stack(targets).astype(np.float16)),
               "seeds": torch.tensor(seeds, dtype=torch.int64)}
    tmp = path.with_name(f".{path.name}.tmp")
    save_file(tensors, str(tmp))
    os.replace(tmp, path)


def build_cache(config: CacheConfig, separate: Separate, separator_card: dict, speech: SpeechPool,
                noise: NoisePool, splits: tuple[CacheSplit, ...] = tuple(CacheSplit),
                folder: Path | None = None) -> Path:
    """Fill the cache folder shard by shard (skipping finished shards); returns the folder."""
    folder = folder or cache_folder(config.name)
    folder.mkdir(parents=True, exist_ok=True)
    separator = {k: separator_card.get(k) for k in ("name", "architecture", "weights")}
    separator["steps"] = separator_card.get("training", {}).get("steps")
    separator["output_gain"] = separator_card.get("inference", {}).get("output_gain")   # applied to the estimates
    manifest = {"config": asdict(config), "separator": separator, "mixtures": {}}
    for split in splits:
        mixture_config = config.mixture_config(split)
        manifest["mixtures"][str(split)] = asdict(mixture_config)
        simulator = MixtureSimulator(mixture_config, speech, noise)
        out = folder / str(split)
        out.mkdir(exist_ok=True)
        items = config.items(split)
        for shard, start in enumerate(range(0, items, config.shard_items)):
            path = out / f"shard-{shard:05d}.safetensors"
            if path.exists():
                continue
            seeds = [seed_for(config.base_seed(split), i) for i in range(start, min(items, start + config.shard_items))]
            _write_shard(path, simulator, separate, seeds)
            log.info("cache %s/%s: shard %d (%d mixtures) written", config.name, split, shard, len(seeds))
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=1, default=str) + "\n")
    return folder


class CachedPairs(torch.utils.data.Dataset):
    """(clean, estimate, mixture) pairs, one per talker of each cached mixture.

    With `crop_samples`, item i is a random crop of a random pair drawn from seed (seed, i)
    (training: any length, deterministic in any worker); without, item i is pair i whole.

    With `clean_at_estimate`, the clean speech is scaled to its projection on the estimate (the
    target of SI-SDR), measured over the whole pair: MeCo's path runs from clean speech to the
    estimate, and a separator trained with SI-SDR leaves each talker at its own level and sign
    (ours, before its card's output gain: about four times louder, the second talker upside down;
    the gain sets them right on average, the projection for each pair), which would otherwise be most
    of what the path's velocity y - x carries and leave the network guessing the sign.
    """

    def __init__(self, folder: Path, crop_samples: int | None = None, length: int | None = None, seed: int = 0,
                 clean_at_estimate: bool = False) -> None:
        self.shards = sorted(Path(folder).glob("shard-*.safetensors"))
        if not self.shards:
            raise ValueError(f"no cache shards in {folder}; build them with `python -m models.train.meco_cache`")
        self.pairs: list[tuple[int, int, int]] = []
        for s, path in enumerate(self.shards):
            with safe_open(str(path), "pt") as f:
                n, talkers, self.samples = f.get_slice("estimates").get_shape()
            self.pairs += [(s, i, k) for i in range(n) for k in range(talkers)]
        if crop_samples is not None and crop_samples > self.samples:
            raise ValueError(f"crops of {crop_samples} samples exceed the cached {self.samples}")
        self.crop, self.seed, self.clean_at_estimate = crop_samples, seed, clean_at_estimate
        self.length = length if length is not None else len(self.pairs)

    def __len__(self) -> int:
        return self.length

    def mixture_of(self, index: int) -> tuple[int, int]:
        """(shard, mixture) whole pair `index` came from: its talkers share it."""
        s, i, _ = self.pairs[index]
        return s, i

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        if not 0 <= index < self.length:
            raise IndexError(index)
        rng = np.random.default_rng([self.seed, index])
        pair = int(rng.integers(len(self.pairs))) if self.crop else index
        s, i, k = self.pairs[pair]
        start, stop = 0, self.samples
        if self.crop:
            start = int(rng.integers(self.samples - self.crop + 1))
            stop = start + self.crop
        with safe_open(str(self.shards[s]), "pt") as f:
            mics = int(f.get_slice("mics")[i:i + 1][0])
            clean, estimate = f.get_slice("targets")[i, k].float(), f.get_slice("estimates")[i, k].float()
            mixture = f.get_slice("mixture")[i, :mics, start:stop].float()
        if self.clean_at_estimate:
            clean = clean * projection_scale(estimate, clean)
        return {"clean": clean[start:stop], "estimate": estimate[start:stop], "mixture": mixture}


def collate(items: list[dict[str, torch.Tensor]]) -> dict[str, torch.Tensor]:
    """Stack pairs; microphones are zero-padded to the batch's largest array, `mic_mask` marks real ones."""
    mics = max(it["mixture"].shape[0] for it in items)
    mixture = torch.zeros(len(items), mics, items[0]["mixture"].shape[1])
    mask = torch.zeros(len(items), mics, dtype=torch.bool)
    for b, it in enumerate(items):
        mixture[b, :it["mixture"].shape[0]] = it["mixture"]
        mask[b, :it["mixture"].shape[0]] = True
    return {"clean": torch.stack([it["clean"] for it in items]),
            "estimate": torch.stack([it["estimate"] for it in items]), "mixture": mixture, "mic_mask": mask}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--separator", type=Path, required=True, help="separator card (.json)")
    parser.add_argument("--name", default=CacheConfig.name, help="cache name under <cache>/meco/")
    parser.add_argument("--train-items", type=int, default=CacheConfig.train_items)
    parser.add_argument("--eval-items", type=int, default=CacheConfig.eval_items)
    parser.add_argument("--seconds", type=float, default=CacheConfig.seconds)
    parser.add_argument("--splits", default=",".join(CacheSplit), help="comma-separated subset of splits")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    torch.set_num_threads(args.threads)
    import models.separator.network  # noqa: F401  (registers the separator architecture)

    separate, card = separator_function(args.separator, args.device)
    config = replace(CacheConfig(), name=args.name, train_items=args.train_items, eval_items=args.eval_items,
                     seconds=args.seconds)
    speech = SpeechPool.default(16_000)
    folder = build_cache(config, separate, card, speech, NoisePool(speech),
                         tuple(CacheSplit(s) for s in args.splits.split(",")))
    log.info("MeCo cache ready in %s", folder)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
