"""`meco-studio enhance INPUT... --out DIR`: denoise and dereverberate, `DIR/<stem>.wav` per input.

Every channel is enhanced on its own and written at the input's rate and length; folders are
searched for audio; a bad file is reported and the batch goes on; output streams into a
temporary file renamed only when the recording is complete.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from app.commands import HelpFormatter
from app.commands.options import add_run_options
from app.commands.output import process_into_file, run_on_inputs
from app.engine.enhancement import EnhanceSettings, enhance_job, find_enhancer
from app.engine.errors import ConfigError
from app.engine.files import open_recording
from app.engine.provenance import model_note, read_tags, with_step
from models.inference.chunked import ChunkConfig

log = logging.getLogger(__name__)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("enhance", help="enhance speech in recordings (files or folders), every channel",
                       formatter_class=HelpFormatter)
    p.add_argument("inputs", nargs="+", metavar="INPUT", help="audio files or folders")
    p.add_argument("--out", required=True, type=Path, help="output folder; DIR/<stem>.wav")
    p.add_argument("--model", default=None, help="enhancement card name (default: the best shipped student)")
    add_run_options(p, output_rate_of=None, threads=False)
    p.set_defaults(run=run)


def enhance_file(path: Path, out_dir: Path, settings: EnhanceSettings, overwrite: bool, show_bar: bool) -> dict:
    """Enhance one file into `out_dir/<stem>.wav`; nothing is left behind on failure."""
    with open_recording(path) as rec:
        tags = with_step(read_tags(path), f"enhanced by {model_note(find_enhancer(settings.model))}")
        result, output, notes = process_into_file(path, out_dir, rec, tags, overwrite, show_bar, "chunk",
                                                  lambda sink: enhance_job(rec, settings, sink=sink))
        return {"input": str(path), "output": str(output), **result.info,
                "rtf": round(result.seconds / max(rec.info.duration_seconds, 1e-9), 4), "notes": notes}


def run(args: argparse.Namespace) -> int:
    if args.chunk_seconds < 0.5:
        raise ConfigError(f"--chunk-seconds {args.chunk_seconds} is too short; use at least 0.5.")
    settings = EnhanceSettings(model=args.model, chunk=ChunkConfig(seconds=args.chunk_seconds))
    return run_on_inputs(args, lambda path, bar: enhance_file(path, args.out, settings, args.overwrite, bar),
                         "enhanced", lambda d: [d["output"]])
