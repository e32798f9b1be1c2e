"""`meco-studio declick INPUT... --out DIR`: RX's De-click for files: every click of every channel
found where the waveform stops being predictable and redrawn from the sound around it
(`app.engine.clicks`), `DIR/<stem>.wav` per input at its rate and channels, 24-bit.

Folders are searched for audio; a bad file is reported and the batch goes on; the output is renamed
into place only when complete, and the input is never written.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from app.commands import HelpFormatter
from app.commands.output import process_into_file, run_on_inputs
from app.engine.clicks import ClickSettings, declick_recording_job
from app.engine.export import REWRITTEN
from app.engine.files import open_recording
from app.engine.provenance import read_tags, with_step


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("declick", help="find and redraw the clicks of recordings (files or folders), every channel",
                       formatter_class=HelpFormatter)
    p.add_argument("inputs", nargs="+", metavar="INPUT", help="audio files or folders")
    p.add_argument("--out", required=True, type=Path, help="output folder; DIR/<stem>.wav")
    defaults = ClickSettings()
    p.add_argument("--sensitivity", type=float, default=defaults.sensitivity,
                   help="how far a click's prediction error must stand out (robust standard deviations): lower "
                        "finds more")
    p.add_argument("--max-ms", type=float, default=defaults.max_ms, metavar="MS",
                   help="the longest click; a longer burst is left as a sound")
    p.add_argument("--overwrite", action="store_true", help="replace existing outputs")
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    p.set_defaults(run=run)


def declick_file(path: Path, out_dir: Path, settings: ClickSettings, overwrite: bool, show_bar: bool) -> dict:
    """One file into `out_dir/<stem>.wav`; nothing is left behind on failure."""
    with open_recording(path) as rec:
        tags = with_step(read_tags(path), f"clicks redrawn (sensitivity {settings.sensitivity:g})")
        result, output, notes = process_into_file(path, out_dir, rec, tags, overwrite, show_bar, "block",
                                                  lambda sink: declick_recording_job(rec, sink, settings), REWRITTEN)
    return {"input": str(path), "output": str(output), "clicks": result.runs, "samples": result.samples,
            "sensitivity": settings.sensitivity, "max_ms": settings.max_ms, "notes": notes}


def run(args: argparse.Namespace) -> int:
    settings = ClickSettings(args.sensitivity, args.max_ms)
    settings.check()
    return run_on_inputs(args, lambda path, bar: declick_file(path, args.out, settings, args.overwrite, bar),
                         "declicked", lambda d: [f"{d['output']} ({d['clicks']} clicks redrawn)"])
