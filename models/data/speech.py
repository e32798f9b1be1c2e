"""Speech utterances by split and voice: the built corpus, a user's folder, or synthetic voices.

Splits are by voice, so a test voice is never heard in training (issue #4 item 1c). `REAL` holds
recorded human speech used only for evaluation (item 1d).
"""

from __future__ import annotations

import hashlib
import json
import logging
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, replace
from enum import StrEnum
from pathlib import Path

import numpy as np
import soundfile as sf

from models.data.audio import CorpusWarning, try_read_audio
from models.data.paths import cache_root
from models.data.synthetic import SyntheticVoice

log = logging.getLogger(__name__)

AUDIO_SUFFIXES = (".wav", ".flac", ".ogg", ".mp3", ".sph", ".aiff", ".aif")


class Split(StrEnum):
    TRAIN = "train"
    VALID = "valid"
    TEST = "test"
    REAL = "real"


@dataclass(frozen=True)
class Utterance:
    """One recording of one voice. `path` is None for synthetic voices, made from `seed`."""

    utterance_id: str
    voice_id: str
    split: Split
    seconds: float
    path: str | None = None
    sex: str = "unknown"
    engine: str = "synthetic"
    text: str = ""
    seed: int = 0

    def to_json(self) -> dict:
        return {k: (str(v) if isinstance(v, StrEnum) else v) for k, v in asdict(self).items()}

    @classmethod
    def from_json(cls, obj: dict) -> Utterance:
        fields = {k: obj[k] for k in cls.__dataclass_fields__ if k in obj}
        return cls(**{**fields, "split": Split(obj["split"])})


def split_by_hash(key: str, valid_share: float = 0.1, test_share: float = 0.1) -> Split:
    """A stable split for a speaker or file key (same key, same split, on every machine)."""
    u = int(hashlib.sha256(key.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
    if u < test_share:
        return Split.TEST
    if u < test_share + valid_share:
        return Split.VALID
    return Split.TRAIN


class SpeechPool:
    """Utterances grouped by split and voice, loaded on demand at `sample_rate`.

    Picklable and light (a list of records), so each DataLoader worker holds its own copy; a
    bounded per-process cache keeps recently used utterances decoded.
    """

    CACHE_ITEMS = 512

    def __init__(self, utterances: Sequence[Utterance], sample_rate: int = 16000, root: Path | None = None) -> None:
        self.sample_rate = sample_rate
        self.root = root
        self._utterances = list(utterances)
        self._by_voice: dict[tuple[Split, str], list[Utterance]] = {}
        for utt in self._utterances:
            self._by_voice.setdefault((utt.split, utt.voice_id), []).append(utt)
        self._cache: dict[str, np.ndarray] = {}
        self._bad: set[str] = set()

    def __len__(self) -> int:
        return len(self._utterances)

    def __getstate__(self) -> dict:
        return {**self.__dict__, "_cache": {}}

    @property
    def utterances(self) -> list[Utterance]:
        return list(self._utterances)

    def voices(self, split: Split) -> list[str]:
        return sorted({voice for s, voice in self._by_voice if s == split})

    def voice_utterances(self, split: Split, voice_id: str) -> list[Utterance]:
        return list(self._by_voice.get((split, voice_id), []))

    def hours(self, split: Split | None = None) -> float:
        return sum(u.seconds for u in self._utterances if split is None or u.split == split) / 3600

    def merged(self, other: SpeechPool) -> SpeechPool:
        """Both pools' utterances; paths are made absolute so the roots may differ."""
        return SpeechPool([*self._absolute(), *other._absolute()], self.sample_rate)

    def _absolute(self) -> Iterable[Utterance]:
        for u in self._utterances:
            yield replace(u, path=str(self._resolve(u))) if u.path else u

    def _resolve(self, utt: Utterance) -> Path:
        path = Path(utt.path)
        return path if path.is_absolute() or self.root is None else self.root / path

    def load(self, utt: Utterance) -> np.ndarray | None:
        """float32 `(frames,)`, or None (with a `CorpusWarning` naming the file) if unreadable."""
        cached = self._cache.get(utt.utterance_id)
        if cached is not None:
            return cached
        if utt.path is None:
            voice = SyntheticVoice.from_index(int(utt.voice_id.rsplit("-", 1)[-1]))
            audio = voice.speak(utt.seconds, self.sample_rate, utt.seed)
        else:
            audio = try_read_audio(self._resolve(utt), self.sample_rate)
        if audio is None:
            self._bad.add(utt.utterance_id)
            return None
        if len(self._cache) >= self.CACHE_ITEMS:
            self._cache.pop(next(iter(self._cache)))
        self._cache[utt.utterance_id] = audio
        return audio

    def draw(
        self, split: Split, rng: np.random.Generator, frames: int, exclude: Sequence[str] = ()
    ) -> tuple[np.ndarray, str]:
        """`frames` of one voice of `split` not in `exclude`: its utterances joined with short
        pauses, cut at a random offset. Returns (float32 `(frames,)`, voice id)."""
        voices = [v for v in self.voices(split) if v not in exclude]
        if not voices:
            raise ValueError(f"no {split} voices left (have {len(self.voices(split))}, excluding {len(exclude)})")
        for _ in range(20):
            voice = voices[rng.integers(len(voices))]
            audio = self._join(self.voice_utterances(split, voice), rng, frames)
            if audio is not None:
                return audio, voice
        raise RuntimeError(f"no readable {split} utterances found after 20 voices; see the warnings")

    def _join(self, utts: list[Utterance], rng: np.random.Generator, frames: int) -> np.ndarray | None:
        pieces, total = [], 0
        for _ in range(4 * len(utts) + 8):
            utt = utts[rng.integers(len(utts))]
            if utt.utterance_id in self._bad:
                if all(u.utterance_id in self._bad for u in utts):
                    return None
                continue
            audio = self.load(utt)
            if audio is None:
                continue
            gap = np.zeros(int(rng.uniform(0.1, 0.4) * self.sample_rate), np.float32)
            pieces += [audio, gap]
            total += audio.size + gap.size
            if total >= frames:
                break
        if not pieces:
            return None
        joined = np.concatenate(pieces)
        if joined.size < frames:
            joined = np.pad(joined, (0, frames - joined.size))
        start = int(rng.integers(joined.size - frames + 1))
        return joined[start : start + frames]

    @classmethod
    def synthetic(
        cls, voices: dict[Split, int] | None = None, utterances_per_voice: int = 4, sample_rate: int = 16000
    ) -> SpeechPool:
        """Harmonic stand-in voices, split by voice; needs nothing installed (tests, CI)."""
        voices = voices or {Split.TRAIN: 12, Split.VALID: 4, Split.TEST: 4}
        utts, index = [], 0
        for split, count in voices.items():
            for _ in range(count):
                voice_id = f"synthetic-{index}"
                for k in range(utterances_per_voice):
                    seconds = 2.0 + (index * 7 + k * 3) % 4  # 2-5 s, fixed per utterance
                    utts.append(
                        Utterance(
                            f"{voice_id}-{k}",
                            voice_id,
                            split,
                            float(seconds),
                            sex="female" if index % 2 else "male",
                            seed=index * 1000 + k,
                        )
                    )
                index += 1
        return cls(utts, sample_rate)

    @classmethod
    def from_manifest(cls, path: Path, sample_rate: int = 16000) -> SpeechPool:
        """A corpus written by `models.data.corpus` (JSON lines, paths relative to the file)."""
        utts = []
        with open(path, encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    utts.append(Utterance.from_json(json.loads(line)))
        return cls(utts, sample_rate, root=path.parent)

    @classmethod
    def from_folder(
        cls, root: Path, split: Split | None = None, sample_rate: int = 16000, engine: str = "recorded"
    ) -> SpeechPool:
        """Every audio file under `root`; the speaker is the first folder below `root` (the
        LibriSpeech, VCTK and WSJ0 layouts), else the file's own name. With `split` None each
        speaker is assigned a stable split by hash. Unreadable files are skipped with a warning."""
        utts = []
        for path in sorted(p for p in Path(root).rglob("*") if p.suffix.lower() in AUDIO_SUFFIXES):
            rel = path.relative_to(root)
            speaker = rel.parts[0] if len(rel.parts) > 1 else rel.stem
            try:
                seconds = sf.info(str(path)).duration
            except (OSError, RuntimeError) as err:
                warnings.warn(f"skipped {path}: {err}", CorpusWarning, stacklevel=2)
                continue
            voice_id = f"{engine}:{speaker}"
            utts.append(
                Utterance(str(rel), voice_id, split or split_by_hash(voice_id), float(seconds), str(rel), engine=engine)
            )
        if not utts:
            raise ValueError(f"no readable audio files under {root}")
        log.info("speech folder %s: %d files, %d voices", root, len(utts), len({u.voice_id for u in utts}))
        return cls(utts, sample_rate, root=Path(root))

    @classmethod
    def default(cls, sample_rate: int = 16000, folder: Path | None = None) -> SpeechPool:
        """The user's speech `folder` when given (`from_folder`, split by speaker hash), else the
        corpus built by `data-prep` when present, else synthetic voices; plus the recorded real
        speech (split `REAL`) when its manifest exists."""
        cache = cache_root() / "speech"
        manifest, real = cache / "manifest.jsonl", cache / "real.jsonl"
        pool = None
        if folder is not None:
            pool = cls.from_folder(folder, sample_rate=sample_rate)
        elif manifest.exists() and manifest.stat().st_size > 0:
            pool = cls.from_manifest(manifest, sample_rate)
            if not (pool.voices(Split.TRAIN) and pool.voices(Split.TEST)):
                pool = None
        if pool is None:
            log.info("no speech corpus at %s; using synthetic voices", manifest)
            pool = cls.synthetic(sample_rate=sample_rate)
        if real.exists():
            pool = pool.merged(cls.from_manifest(real, sample_rate))
        return pool
