from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from models.data.audio import CorpusWarning
from models.data.speech import SpeechPool, Split


def test_voice_splits_are_disjoint(speech_pool):
    splits = [set(speech_pool.voices(s)) for s in (Split.TRAIN, Split.VALID, Split.TEST)]
    assert all(splits)
    assert not (splits[0] & splits[1] or splits[0] & splits[2] or splits[1] & splits[2])


def test_draw_gives_the_requested_frames_of_one_voice_not_excluded(speech_pool):
    rng = np.random.default_rng(0)
    first, voice = speech_pool.draw(Split.TRAIN, rng, 24000)
    _, other = speech_pool.draw(Split.TRAIN, rng, 24000, exclude=[voice])
    assert first.shape == (24000,) and other != voice and np.std(first) > 0


def _write_tree(root, speakers=("p225", "p226"), files=2):
    for spk in speakers:
        (root / spk).mkdir(parents=True)
        for k in range(files):
            t = np.arange(8000) / 16000
            sf.write(root / spk / f"{spk}_{k:03d}.flac", 0.3 * np.sin(2 * np.pi * 150 * (k + 1) * t), 16000)


def test_folder_pool_takes_the_speaker_from_the_first_folder(tmp_path):
    _write_tree(tmp_path)
    pool = SpeechPool.from_folder(tmp_path, split=Split.TRAIN)
    assert pool.voices(Split.TRAIN) == ["recorded:p225", "recorded:p226"]
    assert len(pool.voice_utterances(Split.TRAIN, "recorded:p225")) == 2


def test_corrupt_file_in_a_user_corpus_is_skipped_with_a_warning_naming_it(tmp_path):
    _write_tree(tmp_path)
    bad = tmp_path / "p225" / "broken.wav"
    bad.write_bytes(b"RIFF not really a wave file")
    with pytest.warns(CorpusWarning, match="broken.wav"):
        pool = SpeechPool.from_folder(tmp_path, split=Split.TRAIN)
    assert len(pool) == 4


def test_file_that_disappears_after_scanning_is_skipped_and_another_drawn(tmp_path):
    _write_tree(tmp_path, speakers=("p225",), files=3)
    pool = SpeechPool.from_folder(tmp_path, split=Split.TRAIN)
    (tmp_path / "p225" / "p225_000.flac").unlink()
    with pytest.warns(CorpusWarning, match="p225_000.flac"):
        for seed in range(10):
            audio, _ = pool.draw(Split.TRAIN, np.random.default_rng(seed), 16000)
            assert audio.shape == (16000,)


def test_default_pool_is_synthetic_without_a_corpus_and_adds_indexed_real_speech(tmp_path, monkeypatch):
    import json

    from models.data.speech import Utterance

    monkeypatch.setenv("MECO_CACHE", str(tmp_path))
    assert all(v.startswith("synthetic") for v in SpeechPool.default().voices(Split.TRAIN))
    _write_tree(tmp_path / "recorded", speakers=("June", "Carlo"))
    real = [
        Utterance(f"r{i}", f"asterisk:{spk}", Split.REAL, 0.5, str(tmp_path / "recorded" / spk / f"{spk}_000.flac"))
        for i, spk in enumerate(("June", "Carlo"))
    ]
    (tmp_path / "speech").mkdir()
    (tmp_path / "speech" / "real.jsonl").write_text("".join(json.dumps(u.to_json()) + "\n" for u in real))
    pool = SpeechPool.default()
    assert pool.voices(Split.REAL) == ["asterisk:Carlo", "asterisk:June"]
    audio, _ = pool.draw(Split.REAL, np.random.default_rng(0), 4000)
    assert audio.shape == (4000,)
