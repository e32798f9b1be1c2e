"""The corpus builder with harmonic stand-in voices (no TTS engine is needed in tests)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from models.data.corpus import CorpusConfig, PlanItem, build_corpus
from models.data.speech import SpeechPool, Split
from models.data.synthetic import SyntheticVoice
from models.data.tts import classical_available, synthesize_classical
from models.data.voices import Engine, catalogue


@dataclass
class HarmonicSpeaker:
    """Speaks every plan item with a synthetic voice: about 1 s per 15 characters, like TTS."""

    engines: frozenset[Engine] = frozenset(Engine)

    def speak(self, item: PlanItem, sample_rate: int) -> np.ndarray:
        voice = SyntheticVoice.from_index(item.index % 7)
        return voice.speak(min(len(item.text) / 15, 4.0) / item.speed, sample_rate, seed=item.index)


def test_corpus_builds_to_its_size_and_resumes_without_repeating(tmp_path):
    first = list(build_corpus(tmp_path, HarmonicSpeaker(), CorpusConfig(hours=0.005)))
    assert first[-1].hours >= 0.005 > first[-2].hours
    more = list(build_corpus(tmp_path, HarmonicSpeaker(), CorpusConfig(hours=0.01)))
    assert more[0].utterances == len(first) + 1 and more[-1].hours >= 0.01
    pool = SpeechPool.from_manifest(tmp_path / "manifest.jsonl")
    assert len(pool) == len(first) + len(more) == len({u.utterance_id for u in pool.utterances})


def test_two_processes_build_the_corpus_one_process_builds(tmp_path):
    alone = list(build_corpus(tmp_path / "one", HarmonicSpeaker(), CorpusConfig(hours=0.005)))
    shared = list(build_corpus(tmp_path / "two", HarmonicSpeaker(), CorpusConfig(hours=0.005), workers=2))
    assert shared == alone
    assert (tmp_path / "two" / "manifest.jsonl").read_text() == (tmp_path / "one" / "manifest.jsonl").read_text()
    files = sorted(path.relative_to(tmp_path / "one") for path in (tmp_path / "one").rglob("*.flac"))
    assert files == sorted(path.relative_to(tmp_path / "two") for path in (tmp_path / "two").rglob("*.flac"))
    assert all((tmp_path / "one" / f).read_bytes() == (tmp_path / "two" / f).read_bytes() for f in files)


def test_corpus_voices_keep_their_catalogue_split(tmp_path):
    list(build_corpus(tmp_path, HarmonicSpeaker(), CorpusConfig(hours=0.01)))
    pool = SpeechPool.from_manifest(tmp_path / "manifest.jsonl")
    split_of = {v.voice_id: v.split for v in catalogue()}
    for split in (Split.TRAIN, Split.VALID, Split.TEST):
        assert all(split_of[voice] == split for voice in pool.voices(split))
    audio = pool.load(pool.utterances[0])
    assert audio is not None and audio.dtype == np.float32 and np.abs(audio).max() <= 1.0


def test_items_of_engines_not_installed_are_left_for_a_later_run(tmp_path):
    speaker = HarmonicSpeaker(frozenset({Engine.FLITE}))
    list(build_corpus(tmp_path, speaker, CorpusConfig(hours=0.003)))
    pool = SpeechPool.from_manifest(tmp_path / "manifest.jsonl")
    assert {u.voice_id.split(":")[0] for u in pool.utterances} == {"flite"}


@pytest.mark.skipif(not classical_available(Engine.ESPEAK), reason="data-prep installs espeak-ng and sox")
def test_a_classical_voice_speaks_an_item_the_same_way_every_time():
    voice = next(v for v in catalogue() if v.engine is Engine.ESPEAK)
    said = [synthesize_classical(voice, "The quick brown fox.", 1.1, 120.0, 16_000) for _ in range(2)]
    np.testing.assert_array_equal(*said)


def test_building_without_any_engine_says_what_to_do(tmp_path):
    with pytest.raises(RuntimeError, match="data-prep"):
        next(build_corpus(tmp_path, HarmonicSpeaker(frozenset())))
