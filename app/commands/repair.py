"""`meco-studio repair INPUT... --out DIR`: Process ▸ Repair the recording… for files (RX's Repair
Assistant): each recording read through the chosen repairs (`app.engine.restoration`) in its order —
clipped runs redrawn, then dropouts of up to 20 ms, then clicks, then the late reverberation taken
out, then the steady noise lowered (or taken out by a speech enhancer), then the mains hum notched —
and written as `DIR/<stem>.wav` at its rate and channels (`DIR/<parent>_<stem>.wav` for inputs that
share a name), to separate (or open) instead.

With no repair named, the three that redraw damage are done (`--declip --fill-dropouts --declick`);
`--dereverb`, `--reduce-noise`, `--enhance` and `--dehum` change the sound, so they are only done
when asked.
`--as-needed` counts each recording's damage first (what `info --damage` prints) and makes only the
redraws and notches it calls for, as the Repair Assistant offers them.
32-bit float WAV when clipped runs are redrawn (their peaks rise above full scale), else 24-bit, unless
`--format`/`--sample-format` name another (`DIR/<stem>.flac`; peaks then limited). Folders
are searched for audio; a bad file is reported and the batch goes on; the output is renamed into
place only when complete, and the input is never written.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from app.commands import HelpFormatter
from app.commands.dereverb import add_wpe_options, wpe_settings
from app.commands.options import add_format_options
from app.commands.output import progress_bar, run_batch, warn
from app.engine.batch import output_files
from app.engine.enhancement import EnhanceSettings
from app.engine.export import AudioFormat, ExportSettings, SampleFormat
from app.engine.files import expand_inputs
from app.engine.jobs import drive
from app.engine.noise_reduction import NoiseSettings
from app.engine.restoration import Restoration, repaired_file_job, what_was_done


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("repair", help="redraw the clipped runs, dropouts and clicks of recordings (files or "
                                      "folders), and take out their reverberation, noise or hum if asked",
                       formatter_class=HelpFormatter)
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
    p.add_argument("--reduce-noise", type=float, default=None, metavar="DB",
                   help="last, lower each channel's steady noise by this much, learnt from its quietest frames (as "
                        "meco-studio denoise does)")
    p.add_argument("--enhance", nargs="?", const="", default=None, metavar="NAME",
                   help="last, take the noise out with a speech enhancer instead (every channel, as meco-studio "
                        "enhance does; default NAME: the best shipped student); not with --reduce-noise")
    p.add_argument("--dehum", action="store_true",
                   help="last, notch out the 50 or 60 Hz mains hum and its harmonics, found in each recording's first "
                        "minute (as Edit ▸ Remove mains hum does; one pass, so the notches' phase shows within 1.4 Hz)")
    p.add_argument("--as-needed", action="store_true",
                   help="count each recording's damage first (as info --damage does) and make only the redraws and "
                        "notches it calls for; the reverberation and noise are still taken out when asked")
    add_format_options(p, "PCM_24; without --format and --sample-format, a float WAV where clipped runs are "
                          "redrawn, else 24-bit")
    p.add_argument("--overwrite", action="store_true", help="replace existing outputs")
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    p.set_defaults(run=run)


def chosen_repairs(args: argparse.Namespace) -> Restoration:
    """The repairs named, or with none named the three that redraw damage (with the noise lowered if asked)."""
    named = args.declip or args.fill_dropouts or args.declick or args.dereverb
    noise = None if args.reduce_noise is None else NoiseSettings(reduction_db=args.reduce_noise)
    if noise is not None:
        noise.check()
    enhance = None if args.enhance is None else EnhanceSettings(model=args.enhance or None)
    return Restoration(declip=args.declip or not named, dropouts=args.fill_dropouts or not named,
                       declick=args.declick or not named, dereverb=args.dereverb, wpe=wpe_settings(args), noise=noise,
                       dehum=args.dehum, enhance=enhance)


def chosen_format(args: argparse.Namespace) -> ExportSettings | None:
    """The copies' format when one is named (24-bit unless told), else None: as the repairs need."""
    if args.format is None and args.sample_format is None:
        return None
    return ExportSettings(args.format or AudioFormat.WAV, args.sample_format or SampleFormat.PCM_24)


def repair_file(path: Path, target: Path, restoration: Restoration, overwrite: bool, as_needed: bool,
                show_bar: bool, export: ExportSettings | None = None) -> dict:
    """One file into `target`, with a progress bar on a terminal; nothing is left behind on failure."""
    with progress_bar(path.name, "block", show_bar) as on_progress:
        report = drive(repaired_file_job(path, target, restoration, overwrite, as_needed, export=export), on_progress)
    for note in report["notes"]:
        warn(f"note: {note}")
    return report


def _said(done: dict) -> list[str]:
    return [f"{done['output']} ({what_was_done(done)})"]


def run(args: argparse.Namespace) -> int:
    restoration = chosen_repairs(args)
    files = expand_inputs(args.inputs)
    if not files:
        warn("error: no audio files found in the given inputs")
        return 1
    export = chosen_format(args)
    show_bar = sys.stderr.isatty() and not args.json
    targets = dict(zip(files, output_files(files, args.out, f".{export.format.value}" if export else ".wav")))
    return run_batch(files, lambda path: repair_file(path, targets[path], restoration, args.overwrite, args.as_needed,
                                                    show_bar, export),
                     "repaired", args.json, _said)
