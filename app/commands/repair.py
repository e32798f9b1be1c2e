"""`meco-studio repair INPUT... --out DIR`: Process ▸ Repair the recording… for files (RX's Repair
Assistant): each recording read through the chosen repairs (`app.engine.restoration`) in its order —
clipped runs redrawn, then dropouts of up to 20 ms, then clicks, then the late reverberation taken
out — and written as `DIR/<stem>.wav` at its rate and channels, to separate (or open) instead.

With no repair named, the three that redraw damage are done (`--declip --fill-dropouts --declick`);
`--dereverb` changes the sound, so it is only done when asked. 32-bit float when clipped runs are
redrawn (their peaks rise above full scale), else 24-bit. Folders are searched for audio; a bad file
is reported and the batch goes on; the output is renamed into place only when complete, and the
input is never written.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from app.commands import HelpFormatter
from app.commands.dereverb import add_wpe_options, wpe_settings
from app.commands.output import process_into_file, run_on_inputs
from app.engine.files import open_recording
from app.engine.provenance import read_tags, with_step
from app.engine.restoration import Restoration, repaired_format, restored_blocks_job


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("repair", help="redraw the clipped runs, dropouts and clicks of recordings (files or folders) "
                                      "and take out their reverberation if asked", formatter_class=HelpFormatter)
    p.add_argument("inputs", nargs="+", metavar="INPUT", help="audio files or folders")
    p.add_argument("--out", required=True, type=Path, help="output folder; DIR/<stem>.wav")
    p.add_argument("--declip", action="store_true", help="redraw clipped runs (as meco-studio declip does)")
    p.add_argument("--fill-dropouts", action="store_true",
                   help="redraw dropouts (runs of exact zeros) of up to 20 ms; longer ones are left as they are")
    p.add_argument("--declick", action="store_true", help="redraw clicks (as meco-studio declick does)")
    p.add_argument("--dereverb", action="store_true",
                   help="take the late reverberation out last, every channel from all of them (WPE, as meco-studio "
                        "dereverb does)")
    add_wpe_options(p)
    p.add_argument("--overwrite", action="store_true", help="replace existing outputs")
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    p.set_defaults(run=run)


def chosen_repairs(args: argparse.Namespace) -> Restoration:
    """The repairs named, or with none named the three that redraw damage."""
    named = args.declip or args.fill_dropouts or args.declick or args.dereverb
    return Restoration(declip=args.declip or not named, dropouts=args.fill_dropouts or not named,
                       declick=args.declick or not named, dereverb=args.dereverb, wpe=wpe_settings(args))


def repair_file(path: Path, out_dir: Path, restoration: Restoration, overwrite: bool, show_bar: bool) -> dict:
    """One file into `out_dir/<stem>.wav`; nothing is left behind on failure."""
    with open_recording(path) as rec:
        tags = with_step(read_tags(path), restoration.described())
        counts, output, notes = process_into_file(path, out_dir, rec, tags, overwrite, show_bar, "block",
                                                  lambda sink: restored_blocks_job(rec, restoration, sink),
                                                  repaired_format(restoration))
    return {"input": str(path), "output": str(output), "redrawn": counts, "dereverberated": restoration.dereverb,
            "notes": notes}


def _said(done: dict) -> list[str]:
    redrawn = ", ".join(f"{count} {kind if count != 1 else kind.removesuffix('s')}"
                        for kind, count in done["redrawn"].items())
    said = [f"{redrawn} redrawn" if redrawn else "", "reverberation taken out" if done["dereverberated"] else ""]
    return [f"{done['output']} ({'; '.join(s for s in said if s)})"]


def run(args: argparse.Namespace) -> int:
    restoration = chosen_repairs(args)
    return run_on_inputs(args, lambda path, bar: repair_file(path, args.out, restoration, args.overwrite, bar),
                         "repaired", _said)
