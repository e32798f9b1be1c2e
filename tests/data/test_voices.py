from __future__ import annotations

from models.data.corpus import CorpusConfig, plan_item
from models.data.speech import Split
from models.data.text import LANGUAGES, passage
from models.data.voices import HELD_OUT, KOKORO_PACKS, Engine, catalogue, pack_language


def test_catalogue_has_at_least_60_distinct_voices():
    voices = catalogue()
    assert len({v.voice_id for v in voices}) == len(voices) >= 60


def test_held_out_packs_never_appear_in_training_voices():
    held_out = {p for packs in HELD_OUT.values() for p in packs}
    for voice in catalogue():
        if voice.split == Split.TRAIN:
            assert not set(voice.packs) & held_out, voice.voice_id
        else:
            assert all(p in HELD_OUT[voice.split] for p in voice.packs), voice.voice_id


def test_held_out_stock_packs_are_balanced_by_sex():
    for packs in HELD_OUT.values():
        female = sum(p[1] == "f" for p in packs)
        assert female == len(packs) - female
        assert set(packs) <= set(KOKORO_PACKS)


def test_blends_mix_two_or_three_packs_of_one_sex_and_language_with_weights_summing_to_one():
    for voice in catalogue():
        if voice.engine == Engine.KOKORO and len(voice.packs) > 1:
            assert 2 <= len(voice.packs) <= 3 and len({p[1] for p in voice.packs}) == 1
            assert len({pack_language(p)[:2] for p in voice.packs}) == 1  # US and UK English may mix
            assert abs(sum(voice.weights) - 1.0) < 1e-6


def test_corpus_plan_is_deterministic_and_mostly_kokoro():
    voices, config = catalogue(), CorpusConfig()
    plan = [plan_item(i, voices, config) for i in range(400)]
    assert plan[17] == plan_item(17, voices, config)
    kokoro = sum(item.voice.engine == Engine.KOKORO for item in plan) / len(plan)
    assert 0.75 < kokoro < 0.95
    assert all(
        config.kokoro_speed[0] <= i.speed <= config.kokoro_speed[1] for i in plan if i.voice.engine == Engine.KOKORO
    )


def test_sentence_generator_varies_its_text():
    import numpy as np

    rng = np.random.default_rng(0)
    texts = {passage(rng) for _ in range(200)}
    assert len(texts) == 200


def test_every_language_a_test_voice_speaks_is_also_spoken_in_training():
    voices = catalogue()
    trained = {v.language for v in voices if v.split == Split.TRAIN}
    assert {v.language for v in voices if v.split != Split.TRAIN} <= trained <= set(LANGUAGES)
