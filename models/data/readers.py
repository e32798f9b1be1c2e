"""Readers for corpora users own: LibriMix / WHAMR!, SMS-WSJ, VoiceBank-DEMAND, MeCo's layout.

Each reader indexes its tree once and yields `Example`s. A file that is missing or unreadable is
skipped with a `CorpusWarning` naming it; it never stops a run (issue #4 item 5).
"""

from __future__ import annotations

import logging
import re
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from models.data.audio import CorpusWarning, try_read_audio

log = logging.getLogger(__name__)


@dataclass
class Example:
    name: str
    mixture: np.ndarray  # float32 (mics, frames)
    references: np.ndarray  # float32 (talkers, frames)
    estimates: np.ndarray | None = None  # float32 (talkers, frames): a separator's outputs (MeCo layout)
    meta: dict = field(default_factory=dict)


@dataclass(frozen=True)
class ItemPaths:
    name: str
    mixture: Path
    references: tuple[Path, ...]
    estimates: tuple[Path, ...] = ()
    reference_channel: int | None = None  # multichannel reference files: keep this channel


class CorpusReader:
    """Base: an index of `ItemPaths` read lazily; subclasses only build the index."""

    def __init__(self, items: Sequence[ItemPaths], sample_rate: int = 16000) -> None:
        self.sample_rate = sample_rate
        self.items = [i for i in items if self._complete(i)]

    @staticmethod
    def _complete(item: ItemPaths) -> bool:
        for path in (item.mixture, *item.references, *item.estimates):
            if not path.exists():
                warnings.warn(f"skipped {item.name}: {path} is missing", CorpusWarning, stacklevel=3)
                return False
        return True

    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self) -> Iterator[Example]:
        for item in self.items:
            example = self.read(item)
            if example is not None:
                yield example

    def read(self, item: ItemPaths) -> Example | None:
        mixture = try_read_audio(item.mixture, self.sample_rate, mono=False)
        refs = [self._reference(p, item.reference_channel) for p in item.references]
        ests = [try_read_audio(p, self.sample_rate) for p in item.estimates]
        if mixture is None or any(r is None for r in refs) or any(e is None for e in ests):
            return None
        frames = min([mixture.shape[-1], *(r.shape[-1] for r in refs), *(e.shape[-1] for e in ests)])
        return Example(
            item.name,
            mixture[:, :frames],
            np.stack([r[:frames] for r in refs]),
            np.stack([e[:frames] for e in ests]) if ests else None,
            {"mixture": str(item.mixture), "references": [str(p) for p in item.references]},
        )

    def _reference(self, path: Path, channel: int | None) -> np.ndarray | None:
        audio = try_read_audio(path, self.sample_rate, mono=channel is None)
        if audio is None or channel is None:
            return audio
        return audio[min(channel, audio.shape[0] - 1)]


def _audio_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.glob("*") if p.suffix.lower() in (".wav", ".flac"))


class LibriMixReader(CorpusReader):
    """A LibriMix/WHAM!-style split folder: `<mixture>/<id>.wav` and `<source>/<id>.wav` per talker.

    LibriMix: mixture `mix_clean`, `mix_both` or `mix_single`, sources `s1`, `s2` (`s3`).
    WHAMR!: mixture e.g. `mix_both_reverb`, sources `s1_anechoic`, `s2_anechoic` (or `_reverb`).
    """

    def __init__(
        self, root: Path, mixture: str = "mix_both", sources: Sequence[str] = ("s1", "s2"), sample_rate: int = 16000
    ) -> None:
        root = Path(root)
        items = [ItemPaths(p.stem, p, tuple(root / s / p.name for s in sources)) for p in _audio_files(root / mixture)]
        if not items:
            raise ValueError(f"no mixtures in {root / mixture}")
        super().__init__(items, sample_rate)

    @classmethod
    def whamr(
        cls, root: Path, mixture: str = "mix_both_reverb", reverberant_targets: bool = False, sample_rate: int = 16000
    ) -> LibriMixReader:
        suffix = "reverb" if reverberant_targets else "anechoic"
        return cls(root, mixture, (f"s1_{suffix}", f"s2_{suffix}"), sample_rate)


class SmsWsjReader(CorpusReader):
    """SMS-WSJ: `observation/<dataset>/<id>.wav` (6 mics); references from `early/<dataset>/
    <id>_<k>.wav` at `ref_mic` (direct + early, as our targets), else `speech_source/...`."""

    def __init__(self, root: Path, dataset: str = "test_eval92", ref_mic: int = 0, sample_rate: int = 16000) -> None:
        root = Path(root)
        items = []
        for mix in _audio_files(root / "observation" / dataset):
            early = sorted((root / "early" / dataset).glob(f"{mix.stem}_[0-9].wav"))
            if early:
                items.append(ItemPaths(mix.stem, mix, tuple(early), reference_channel=ref_mic))
            else:
                source = tuple(sorted((root / "speech_source" / dataset).glob(f"{mix.stem}_[0-9].wav")))
                if not source:
                    warnings.warn(
                        f"skipped {mix.stem}: no early/ or speech_source/ files for {mix}", CorpusWarning, stacklevel=2
                    )
                    continue
                items.append(ItemPaths(mix.stem, mix, source))
        if not items and not (root / "observation" / dataset).is_dir():
            raise ValueError(f"no SMS-WSJ observations in {root / 'observation' / dataset}")
        super().__init__(items, sample_rate)


class VoiceBankDemandReader(CorpusReader):
    """VoiceBank-DEMAND: `noisy_<subset>set*_wav/<name>.wav` with `clean_<subset>set*_wav/<name>.wav`."""

    def __init__(self, root: Path, subset: str = "test", sample_rate: int = 16000) -> None:
        root = Path(root)
        noisy_dirs = sorted(root.glob(f"noisy_{subset}set*_wav"))
        if not noisy_dirs:
            raise ValueError(f"no noisy_{subset}set*_wav folder in {root}")
        items = []
        for noisy_dir in noisy_dirs:
            clean_dir = root / noisy_dir.name.replace("noisy_", "clean_", 1)
            items += [ItemPaths(p.stem, p, (clean_dir / p.name,)) for p in _audio_files(noisy_dir)]
        super().__init__(items, sample_rate)


class MeCoReader(CorpusReader):
    """MeCo's reference layout (`rlaehghks5/MECO`, format "wsj_hierarchical"):
    `spk_<N>/<case>/<prefix>_mix.wav`, clean `<prefix>_spk<k>.wav` and the separator's estimate
    `<prefix>_spk<k>_p.wav` for k = 1..N. Estimates are optional here (absent: references only)."""

    PATTERN = re.compile(r"spk_(\d)")

    def __init__(self, root: Path, sample_rate: int = 16000, require_estimates: bool = False) -> None:
        root = Path(root)
        items = []
        for spk_dir in sorted(d for d in root.glob("spk_*") if self.PATTERN.fullmatch(d.name)):
            talkers = int(self.PATTERN.fullmatch(spk_dir.name).group(1))
            for case in sorted(d for d in spk_dir.iterdir() if d.is_dir()):
                mixes = sorted(case.glob("*_mix.wav"))
                if not mixes:
                    warnings.warn(f"skipped {case}: no *_mix.wav", CorpusWarning, stacklevel=2)
                    continue
                prefix = mixes[0].name[: -len("_mix.wav")]
                refs = tuple(case / f"{prefix}_spk{k}.wav" for k in range(1, talkers + 1))
                ests = tuple(case / f"{prefix}_spk{k}_p.wav" for k in range(1, talkers + 1))
                if not require_estimates and not all(p.exists() for p in ests):
                    ests = ()
                items.append(ItemPaths(f"{spk_dir.name}/{case.name}", mixes[0], refs, ests))
        if not items:
            raise ValueError(f"no spk_<N>/<case>/*_mix.wav under {root}")
        super().__init__(items, sample_rate)
