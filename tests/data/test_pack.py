"""The portable corpus: speech of the training splits as Opus there and FLAC back, noise kept by name."""

from __future__ import annotations

import json

import numpy as np
import pytest
import soundfile as sf

from models.data.noise import NoisePool
from models.data.pack import pack, unpack
from models.data.speech import SpeechPool, Split

RATE = 16000


def _cache(root):
    rng = np.random.default_rng(0)
    records = []
    for i, (split, voice) in enumerate([("train", 0), ("valid", 1), ("test", 2), ("test", 2)]):
        path = f"{split}/voice{voice}/000{i}.flac"
        (root / "speech" / path).parent.mkdir(parents=True, exist_ok=True)
        t = np.arange(RATE) / RATE
        sf.write(root / "speech" / path, 0.3 * np.sin(2 * np.pi * 220 * (i + 1) * t), RATE)
        records.append({"utterance_id": f"000{i}", "voice_id": f"tts:voice{voice}", "split": split, "seconds": 1.0,
                        "path": path})
    (root / "speech" / "manifest.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    (root / "noise" / "game").mkdir(parents=True)
    for k in range(12):
        sf.write(root / "noise" / "game" / f"n{k}.wav", 0.1 * rng.standard_normal(RATE), RATE)
    return root


def test_a_pack_holds_the_training_splits_as_opus_and_the_non_test_noise(tmp_path):
    cache = _cache(tmp_path / "cache")
    pack(tmp_path / "pack", cache=cache, workers=1)
    records = [json.loads(line) for line in (tmp_path / "pack" / "speech" / "manifest.jsonl").read_text().splitlines()]
    assert [r["split"] for r in records] == ["train", "valid", "test"]     # a token utterance of the test voice
    assert all(sf.info(tmp_path / "pack" / "speech" / r["path"]).subtype == "OPUS" for r in records)
    kept = {n.path.rsplit("/", 1)[-1] for n in NoisePool.scan_folder(tmp_path / "pack" / "noise")}
    home = NoisePool.scan_folder(cache / "noise")
    assert kept == {n.path.rsplit("/", 1)[-1] for n in home if n.split is not Split.TEST}
    assert len(kept) < len(home)


def test_an_unpacked_corpus_loads_as_a_speech_pool_close_to_the_original(tmp_path):
    cache = _cache(tmp_path / "cache")
    pack(tmp_path / "pack", cache=cache, workers=1)
    unpack(tmp_path / "pack", cache=tmp_path / "there", workers=1)
    pool = SpeechPool.from_manifest(tmp_path / "there" / "speech" / "manifest.jsonl")
    assert len(pool.voices(Split.TRAIN)) == 1 and len(pool.voices(Split.VALID)) == 1
    original, _ = sf.read(cache / "speech" / "train/voice0/0000.flac")
    decoded, rate = sf.read(tmp_path / "there" / "speech" / "train/voice0/0000.flac")
    assert rate == RATE and decoded.shape == original.shape
    snr = 10 * np.log10(np.sum(original**2) / np.sum((original - decoded) ** 2))
    assert snr > 15


def test_packing_into_an_existing_folder_is_refused(tmp_path):
    cache = _cache(tmp_path / "cache")
    (tmp_path / "pack").mkdir()
    with pytest.raises(FileExistsError, match="pack"):
        pack(tmp_path / "pack", cache=cache, workers=1)
