"""A portable copy of the training corpus, for a machine that cannot run `data-prep` (a GPU lent
for minutes, with no network and a small upload).

    python -m models.data.pack pack --to .devpack/corpus                 # here: speech as Opus
    MECO_CACHE=/tmp/cache python -m models.data.pack unpack .devpack/corpus   # there: back to FLAC

Packing keeps the speech manifest's chosen splits (train and valid: the test sets are made and
scored at home; one token utterance per test voice) with each file as Ogg Opus, and the recorded
noise of the train and valid splits as it is (its split is a hash of its name, so the names are
kept). Opus at level
0.92 is about 24 kbps, about 7x smaller than FLAC, with its coding noise about 20 dB below the
speech; mixtures and their targets are both made from the decoded speech, so the targets stay
exact. Unpacking decodes back to FLAC: every data worker reads every file many times, and
FLAC decodes several times faster than Opus.
"""

from __future__ import annotations

import argparse
import json
import shutil
from collections.abc import Sequence
from pathlib import Path

import soundfile as sf

from models.common.processes import worker_pool
from models.data.noise import NoisePool
from models.data.paths import cache_root, read_jsonl
from models.data.speech import Split

OPUS_LEVEL = 0.92
PACKED_SPLITS = ("train", "valid")


def _convert(job: tuple[Path, Path, str, float | None]) -> None:
    source, target, subtype, level = job
    audio, rate = sf.read(str(source), dtype="float32")
    target.parent.mkdir(parents=True, exist_ok=True)
    fmt = "OGG" if subtype == "OPUS" else "FLAC"
    sf.write(str(target), audio, rate, format=fmt, subtype=subtype, compression_level=level)


def _rewrite(source_root: Path, target_root: Path, suffix: str, subtype: str, level: float | None,
             splits: Sequence[str] | None, workers: int) -> int:
    """Convert the speech of `source_root/manifest.jsonl` into `target_root`; the utterance count."""
    records, voices = [], set()
    for r in read_jsonl(source_root / "manifest.jsonl"):
        # a token utterance of each voice of the other splits: the engine takes a corpus only when
        # every split has voices (`SpeechPool.default`), and the test sets are not made there
        if splits is None or r["split"] in splits or r["voice_id"] not in voices:
            records.append(r)
            voices.add(r["voice_id"])
    if not any(splits is None or r["split"] in splits for r in records):
        raise ValueError(f"no speech of splits {splits} in {source_root / 'manifest.jsonl'}")
    jobs, out = [], []
    for record in records:
        path = str(Path(record["path"]).with_suffix(suffix))
        jobs.append((source_root / record["path"], target_root / path, subtype, level))
        out.append({**record, "path": path})
    with worker_pool(workers) as pool:
        list(pool.map(_convert, jobs, chunksize=8))
    manifest = target_root / "manifest.jsonl"
    manifest.write_text("".join(json.dumps(r) + "\n" for r in out), encoding="utf-8")
    return len(out)


def pack(to: Path, cache: Path | None = None, splits: Sequence[str] = PACKED_SPLITS, level: float = OPUS_LEVEL,
         workers: int = 2) -> dict[str, int]:
    """`cache`'s speech (as Opus) and recorded noise (as is) into `to/speech` and `to/noise`."""
    cache = cache or cache_root()
    if to.exists():
        raise FileExistsError(f"{to} exists; pack into a new folder")
    utterances = _rewrite(cache / "speech", to / "speech", ".ogg", "OPUS", level, splits, workers)
    noise = cache / "noise"
    if noise.is_dir():
        for item in NoisePool.scan_folder(noise):
            if item.split is not Split.TEST:         # the same names, so the same splits there
                target = to / "noise" / Path(item.path).relative_to(noise)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(item.path, target)
    return {"utterances": utterances, "bytes": sum(p.stat().st_size for p in to.rglob("*") if p.is_file())}


def unpack(source: Path, cache: Path | None = None, workers: int = 2) -> dict[str, int]:
    """A pack into `cache` (speech as FLAC), where the recipes read it through `MECO_CACHE`."""
    cache = cache or cache_root()
    if (cache / "speech" / "manifest.jsonl").exists():
        raise FileExistsError(f"{cache} already holds a speech corpus")
    utterances = _rewrite(source / "speech", cache / "speech", ".flac", "PCM_16", None, None, workers)
    if (source / "noise").is_dir():
        shutil.copytree(source / "noise", cache / "noise", dirs_exist_ok=True)
    return {"utterances": utterances}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    verbs = parser.add_subparsers(dest="verb", required=True)
    p = verbs.add_parser("pack", help="the cache's training corpus into a small folder")
    p.add_argument("--to", type=Path, required=True)
    p.add_argument("--splits", nargs="+", default=list(PACKED_SPLITS))
    p.add_argument("--opus-level", type=float, default=OPUS_LEVEL, help="libsndfile's compression level, 0-1")
    p.add_argument("--workers", type=int, default=2)
    u = verbs.add_parser("unpack", help="a pack into the cache ($MECO_CACHE)")
    u.add_argument("source", type=Path)
    u.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    if args.verb == "pack":
        result = pack(args.to, splits=args.splits, level=args.opus_level, workers=args.workers)
    else:
        result = unpack(args.source, workers=args.workers)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
