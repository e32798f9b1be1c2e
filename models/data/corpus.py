"""Build the speech corpus incrementally and resumably into the cache.

Item i of the plan (voice, text, speed or pitch) depends only on (seed, i), so an interrupted
build resumes where it stopped and every prefix of the corpus has the same voice balance. Each
utterance is a 16 kHz FLAC written atomically, then one line appended to `manifest.jsonl`
(the format `SpeechPool.from_manifest` reads). Several processes may speak the plan's items, a
few ahead of the writer, which takes them in plan order: the corpus is the one a single process
would build.
"""

from __future__ import annotations

import itertools
import json
import logging
import subprocess
import time
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from models.common.processes import worker_pool
from models.data.audio import write_flac
from models.data.paths import read_jsonl
from models.data.speech import Utterance
from models.data.text import passage
from models.data.tts import KokoroEngine, classical_available, synthesize_classical
from models.data.voices import Engine, VoiceSpec, catalogue

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CorpusConfig:
    hours: float = 3.0  # "a few hours by default" (issue #4 item 1a)
    seed: int = 0
    sample_rate: int = 16000
    kokoro_speed: tuple[float, float] = (0.8, 1.25)  # issue #4 item 1a
    classical_tempo: tuple[float, float] = (0.85, 1.2)  # per-utterance rate variation (item 1b)
    classical_pitch_cents: tuple[float, float] = (-300.0, 300.0)  # +-3 semitones (item 1b)
    sentences: tuple[int, int] = (1, 3)  # 2-12 s per utterance
    max_seconds: float = 20.0  # longer utterances are dropped (rare, very slow speed)

    def __post_init__(self) -> None:
        if self.hours <= 0:
            raise ValueError(f"hours must be positive, got {self.hours}")
        for name in ("kokoro_speed", "classical_tempo", "classical_pitch_cents", "sentences"):
            lo, hi = getattr(self, name)
            if lo > hi:
                raise ValueError(f"{name} must be (min, max), got {getattr(self, name)}")


@dataclass(frozen=True)
class PlanItem:
    index: int
    voice: VoiceSpec
    text: str
    speed: float  # Kokoro speed or classical tempo factor
    pitch_cents: float

    @property
    def utterance_id(self) -> str:
        return f"{self.index:07d}"


@dataclass(frozen=True)
class CorpusProgress:
    hours: float
    target_hours: float
    utterances: int
    last: str


def plan_item(index: int, voices: list[VoiceSpec], config: CorpusConfig) -> PlanItem:
    rng = np.random.default_rng([config.seed, index])
    shares = np.array([v.share for v in voices])
    voice = voices[rng.choice(len(voices), p=shares / shares.sum())]
    text = passage(rng, config.sentences, voice.language)
    if voice.engine == Engine.KOKORO:
        return PlanItem(index, voice, text, float(rng.uniform(*config.kokoro_speed)), 0.0)
    return PlanItem(
        index,
        voice,
        text,
        float(rng.uniform(*config.classical_tempo)),
        float(rng.uniform(*config.classical_pitch_cents)),
    )


class Speaker(Protocol):
    """Turns a plan item into 16 kHz float32 speech with the engines it has."""

    engines: frozenset[Engine]

    def speak(self, item: PlanItem, sample_rate: int) -> np.ndarray: ...


class TtsSpeaker:
    """The engines installed here: Kokoro when its model and packs are present, and each
    classical engine whose program is on PATH. It travels to a worker process as its cache
    folder and opens its engines there (an ONNX session cannot be pickled)."""

    def __init__(self, cache: Path) -> None:
        self.cache = cache
        have = {e for e in (Engine.ESPEAK, Engine.FLITE, Engine.FESTIVAL) if classical_available(e)}
        self.kokoro = KokoroEngine(cache) if KokoroEngine.available(cache) else None
        self.engines = frozenset(have | ({Engine.KOKORO} if self.kokoro else set()))

    def __reduce__(self) -> tuple[type[TtsSpeaker], tuple[Path]]:
        return TtsSpeaker, (self.cache,)

    def speak(self, item: PlanItem, sample_rate: int) -> np.ndarray:
        if item.voice.engine == Engine.KOKORO:
            assert self.kokoro is not None
            return self.kokoro.synthesize(item.voice, item.text, item.speed, sample_rate)
        return synthesize_classical(item.voice, item.text, item.speed, item.pitch_cents, sample_rate)


Spoken = tuple[PlanItem, "np.ndarray | str"]       # the audio, or why the engine failed

_worker_speaker: Speaker | None = None


def _start_worker(speaker: Speaker) -> None:
    global _worker_speaker
    _worker_speaker = speaker


def _speak(speaker: Speaker, item: PlanItem, sample_rate: int) -> Spoken:
    try:
        return item, speaker.speak(item, sample_rate)
    except (subprocess.SubprocessError, OSError) as err:
        return item, str(err)


def _speak_in_worker(item: PlanItem, sample_rate: int) -> Spoken:
    assert _worker_speaker is not None
    return _speak(_worker_speaker, item, sample_rate)


def spoken(items: Iterable[PlanItem], speaker: Speaker, sample_rate: int, workers: int = 1) -> Iterator[Spoken]:
    """Each item with its audio, in the order of `items`; on `workers` processes (each with its
    own copy of `speaker`), a bounded few items ahead of the caller, who may stop at any time."""
    if workers <= 1:
        yield from (_speak(speaker, item, sample_rate) for item in items)
        return
    pool = worker_pool(workers, _start_worker, (speaker,))
    ahead: deque[Future[Spoken]] = deque()
    todo = iter(items)
    try:
        while True:
            while len(ahead) < 2 * workers and (item := next(todo, None)) is not None:
                ahead.append(pool.submit(_speak_in_worker, item, sample_rate))
            if not ahead:
                return
            yield ahead.popleft().result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def build_corpus(root: Path, speaker: Speaker, config: CorpusConfig = CorpusConfig(),
                 workers: int = 1) -> Iterator[CorpusProgress]:
    """Add utterances to `root` until it holds `config.hours`; yields after each one. `workers`
    processes speak (`spoken`); the corpus is the same for any number of them.

    Items whose engine `speaker` lacks are skipped for now and filled in by a later run.
    """
    if not speaker.engines:
        raise RuntimeError("no speech engine installed: run `meco-studio data-prep` with installs enabled")
    root.mkdir(parents=True, exist_ok=True)
    manifest = root / "manifest.jsonl"
    entries = read_jsonl(manifest)
    done = {e["utterance_id"] for e in entries}
    seconds = sum(e["seconds"] for e in entries)
    voices = catalogue(config.seed)
    log.info("corpus %s: %.2f of %.2f h, engines %s", root, seconds / 3600, config.hours, sorted(speaker.engines))
    if seconds >= config.hours * 3600:
        return
    todo = (item for item in (plan_item(index, voices, config) for index in itertools.count())
            if item.utterance_id not in done and item.voice.engine in speaker.engines)
    started = time.monotonic()
    with (open(manifest, "a", encoding="utf-8") as out,
          closing(spoken(todo, speaker, config.sample_rate, workers)) as said):
        for item, audio in said:
            if isinstance(audio, str):
                log.warning("utterance %s (%s) failed: %s", item.utterance_id, item.voice.voice_id, audio)
                continue
            duration = audio.size / config.sample_rate
            if not 0.5 <= duration <= config.max_seconds:
                continue
            rel = Path(str(item.voice.split)) / item.voice.voice_id.replace(":", "_") / f"{item.utterance_id}.flac"
            peak = float(np.max(np.abs(audio)))
            write_flac(root / rel, audio * (0.9 / peak) if peak > 0.99 else audio, config.sample_rate)
            utt = Utterance(
                item.utterance_id,
                item.voice.voice_id,
                item.voice.split,
                round(duration, 3),
                str(rel),
                sex=item.voice.sex,
                engine=str(item.voice.engine),
                text=item.text,
            )
            record = {**utt.to_json(), "speed": round(item.speed, 3), "pitch_cents": round(item.pitch_cents, 1)}
            out.write(json.dumps(record) + "\n")
            out.flush()
            done.add(item.utterance_id)
            seconds += duration
            log.debug("%s %s %.1f s at %.1f s", item.utterance_id, item.voice.voice_id, duration,
                      time.monotonic() - started)
            yield CorpusProgress(seconds / 3600, config.hours, len(done), item.voice.voice_id)
            if seconds >= config.hours * 3600:
                break
