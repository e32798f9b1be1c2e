"""`meco-studio declip INPUT... --out DIR`: RX's De-clip for files: every clipped run of every
channel redrawn from the waveform around it (`app.engine.declip`), `DIR/<stem>.wav` per input, to
separate instead of the clipped recording (`separate`, or File ▸ Open).

The redrawn peaks rise above full scale, so the copy is 32-bit float; `--fit` lowers the whole
copy until its highest peak sits at -1 dBFS and writes 24-bit. Folders are searched for audio; a bad
file is reported and the batch goes on; the output is renamed into place only when complete, and
the input is never written.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

from app.commands import HelpFormatter
from app.commands.output import process_into_file, run_on_inputs
from app.engine.declip import declip_job
from app.engine.export import ExportSettings, PeakPolicy, SampleFormat
from app.engine.files import open_recording
from app.engine.provenance import read_tags, with_step


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("declip", help="redraw the clipped samples of recordings (files or folders), every channel",
                       formatter_class=HelpFormatter)
    p.add_argument("inputs", nargs="+", metavar="INPUT", help="audio files or folders")
    p.add_argument("--out", required=True, type=Path, help="output folder; DIR/<stem>.wav")
    p.add_argument("--fit", action="store_true",
                   help="lower the whole copy until its highest redrawn peak sits at -1 dBFS (24-bit) instead of "
                        "keeping the level (32-bit float)")
    p.add_argument("--overwrite", action="store_true", help="replace existing outputs")
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    p.set_defaults(run=run)


def declip_file(path: Path, out_dir: Path, fit: bool, overwrite: bool, show_bar: bool) -> dict:
    """One file into `out_dir/<stem>.wav`; nothing is left behind on failure."""
    export = (ExportSettings(sample_format=SampleFormat.PCM_24, peak=PeakPolicy.LIMIT) if fit
              else ExportSettings(sample_format=SampleFormat.FLOAT, peak=PeakPolicy.NONE))
    with open_recording(path) as rec:
        tags = with_step(read_tags(path), "clipped runs redrawn" + (", lowered to fit" if fit else ""))
        result, output, notes = process_into_file(path, out_dir, rec, tags, overwrite, show_bar, "block",
                                                  lambda sink: declip_job(rec, sink, fit), export)
    return {"input": str(path), "output": str(output), "runs": result.runs, "samples": result.samples,
            "peak_dbfs": round(20 * math.log10(result.peak), 2), "gain_db": round(20 * math.log10(result.gain), 2),
            "notes": notes}


def _said(done: dict) -> list[str]:
    line = f"{done['output']} ({done['runs']} clipped runs, {done['samples']} samples redrawn"
    line += f"; peak {done['peak_dbfs']:+.1f} dBFS" if done["runs"] else ""
    line += f", lowered {-done['gain_db']:.1f} dB" if done["gain_db"] else ""
    return [line + ")"]


def run(args: argparse.Namespace) -> int:
    return run_on_inputs(args, lambda path, bar: declip_file(path, args.out, args.fit, args.overwrite, bar),
                         "declipped", _said)
