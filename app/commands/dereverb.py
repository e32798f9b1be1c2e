"""`meco-studio dereverb INPUT... --out DIR`: Process ▸ Dereverberate (WPE)… for files: every
channel's late reverberation predicted from all channels' past and taken away (`app.engine.dereverb`),
`DIR/<stem>.wav` per input at its rate, still an array recording for `separate` (or File ▸ Open).

Written as 24-bit WAV (samples beyond full scale, rare since dereverberation lowers the level, go
through the soft limiter with a note); solved block by block, so memory does not grow with the
length; folders are searched for audio; a bad file is reported and the batch goes on; the output is
renamed into place only when complete, and the input is never written.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from app.commands import HelpFormatter
from app.commands.output import process_into_file, run_on_inputs
from app.engine.dereverb import check_settings, dereverb_job, described
from app.engine.export import REWRITTEN
from app.engine.files import open_recording
from app.engine.provenance import read_tags, with_step
from models.baselines.wpe import WpeSettings


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("dereverb", help="take the late reverberation out of recordings (files or folders), every "
                                        "channel from all of them (WPE)", formatter_class=HelpFormatter)
    p.add_argument("inputs", nargs="+", metavar="INPUT", help="audio files or folders")
    p.add_argument("--out", required=True, type=Path, help="output folder; DIR/<stem>.wav")
    add_wpe_options(p)
    p.add_argument("--overwrite", action="store_true", help="replace existing outputs")
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    p.set_defaults(run=run)


def add_wpe_options(p: argparse.ArgumentParser) -> None:
    defaults = WpeSettings()
    p.add_argument("--taps-ms", type=float, default=defaults.taps_ms, metavar="MS",
                   help="how far back the reverberation is predicted from (the filter's span)")
    p.add_argument("--delay-ms", type=float, default=defaults.delay_ms, metavar="MS",
                   help="what is kept as it arrived: the direct sound and the reflections within this")
    p.add_argument("--iterations", type=int, default=defaults.iterations, help="WPE's alternations")


def wpe_settings(args: argparse.Namespace) -> WpeSettings:
    settings = WpeSettings(args.taps_ms, args.delay_ms, args.iterations)
    check_settings(settings)
    return settings


def dereverb_file(path: Path, out_dir: Path, settings: WpeSettings, overwrite: bool, show_bar: bool) -> dict:
    """One file into `out_dir/<stem>.wav`; nothing is left behind on failure."""
    with open_recording(path) as rec:
        tags = with_step(read_tags(path), described(settings))
        result, output, notes = process_into_file(path, out_dir, rec, tags, overwrite, show_bar, "block",
                                                  lambda sink: dereverb_job(rec, sink, settings), REWRITTEN)
    return {"input": str(path), "output": str(output), "channels": result.channels, "blocks": result.blocks,
            "taps_ms": settings.taps_ms, "delay_ms": settings.delay_ms, "iterations": settings.iterations,
            "notes": notes}


def run(args: argparse.Namespace) -> int:
    settings = wpe_settings(args)
    return run_on_inputs(args, lambda path, bar: dereverb_file(path, args.out, settings, args.overwrite, bar),
                         "dereverberated", lambda d: [d["output"]])
