"""`meco-studio correct --estimate E.wav --mixture M.wav --out DIR`: MeCo on another separator's output.

Each estimate file (one talker per channel) is corrected against the same mixture and written
to `DIR/<estimate stem>.wav` with as many channels, at the mixture's rate. One network
evaluation per chunk; `--seed` makes the output reproducible.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from app.commands import HelpFormatter
from app.commands.options import add_channel_options, add_run_options
from app.commands.output import run_batch, warn
from app.engine.correction import DEFAULT_SEED, CorrectSettings, correct_job
from app.engine.errors import ConfigError
from app.engine.export import AtomicAudioWriter, ExportSettings, PeakPolicy
from app.engine.files import open_recording
from app.engine.jobs import drive
from app.engine.pipeline import Task, find_model
from app.engine.provenance import model_note, read_tags, with_step
from app.engine.separation import OutputRate
from models.inference.chunked import ChunkConfig
from models.meco.modes import InferenceMode

log = logging.getLogger(__name__)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("correct", help="correct separated talkers with MeCo (one network evaluation per chunk)",
                       formatter_class=HelpFormatter)
    p.add_argument("--estimate", required=True, nargs="+", type=Path, metavar="E",
                   help="estimate file(s) from any separator; each channel is one talker")
    p.add_argument("--mixture", required=True, type=Path, metavar="M", help="the recording the estimates came from")
    p.add_argument("--out", required=True, type=Path, help="output folder; DIR/<estimate stem>.wav")
    p.add_argument("--model", default=None, help="corrector card name (default: the shipped one)")
    p.add_argument("--mode", choices=[m.value for m in InferenceMode], default=None,
                   help="one-step (MeCo, 1 evaluation), euler (STEPS evaluations), from-half (Fast-GeCo-style, 1); "
                        "default: the card's")
    p.add_argument("--steps", type=int, default=None, help="Euler steps; each costs one network evaluation")
    seed = p.add_mutually_exclusive_group()
    seed.add_argument("--seed", type=int, default=DEFAULT_SEED, help="noise seed: same inputs, same output")
    seed.add_argument("--random", dest="seed", action="store_const", const=None, help="fresh noise on every run")
    add_channel_options(p, "mixture channel (from 1) the estimates belong to")
    add_run_options(p, output_rate_of="mixture", threads=True)
    p.set_defaults(run=run)


def correct_file(estimate: Path, mixture: Path, out_dir: Path, settings: CorrectSettings, overwrite: bool) -> dict:
    """Correct one estimate file into `out_dir/<stem>.wav`; nothing is left behind on failure."""
    export = ExportSettings(peak=PeakPolicy.LIMIT, overwrite=overwrite)
    with open_recording(estimate) as est, open_recording(mixture) as mix:
        rate = mix.sample_rate if settings.output_rate is OutputRate.INPUT else 16_000
        corrector = model_note(find_model(settings.model, Task.CORRECTION))
        tags = with_step(read_tags(estimate), f"corrected by {corrector} with the mixture {mixture.name}")
        writer = AtomicAudioWriter(out_dir / f"{estimate.stem}.wav", rate, est.channels, export, tags)
        try:
            result = drive(correct_job(est, mix, settings, sink=writer.write))
            output = writer.commit()
        except BaseException:
            writer.abort()
            raise
        notes = result.notices + ([writer.peak_note] if writer.peak_note else [])
        for note in notes:
            warn(f"note: {note}")
        return {"estimate": str(estimate), "mixture": str(mixture), "output": str(output), **result.info,
                "rtf": round(result.seconds / mix.info.duration_seconds, 4), "notes": notes}


def run(args: argparse.Namespace) -> int:
    if args.chunk_seconds < 0.5:
        raise ConfigError(f"--chunk-seconds {args.chunk_seconds} is too short; use at least 0.5.")
    if args.steps is not None and args.steps < 1:
        raise ConfigError(f"--steps {args.steps} must be at least 1.")
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    settings = CorrectSettings(model=args.model, mode=InferenceMode(args.mode) if args.mode else None,
                               steps=args.steps, seed=args.seed, reference_channel=args.reference - 1,
                               channels=args.channels, chunk=ChunkConfig(seconds=args.chunk_seconds),
                               output_rate=OutputRate(args.output_rate))
    return run_batch(args.estimate, lambda e: correct_file(e, args.mixture, args.out, settings, args.overwrite),
                     "corrected", args.json, lambda d: [d["output"]], key="estimate")
