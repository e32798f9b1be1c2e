"""`meco-studio denoise INPUT... --out DIR`: the classical spectral gate (Edit ▸ Reduce noise…,
Audacity's Noise Reduction) on every channel of recordings, `DIR/<stem>.wav` per input, to set
beside `enhance`'s trained students with `score --compare`.

Each channel's noise is learnt over `--noise START STOP` (a stretch of noise alone), tracked over
time with `--tracked` (noise that changes), or else found in its quietest frames; read and written
a block at a time at the input's rate and length; folders are searched for audio; a bad file is
reported and the batch goes on; the output is renamed into place only when complete.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from app.commands import HelpFormatter
from app.commands.options import parse_time
from app.commands.output import process_into_file, run_on_inputs
from app.engine.files import open_recording
from app.engine.noise_reduction import TRACKED, NoiseFrom, NoiseSettings, describe_noise_from, reduce_recording_job
from app.engine.provenance import read_tags, with_step
from app.engine.timecode import format_span


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("denoise", help="lower the steady noise of recordings (files or folders), every channel, "
                                       "with the classical spectral gate", formatter_class=HelpFormatter)
    p.add_argument("inputs", nargs="+", metavar="INPUT", help="audio files or folders")
    p.add_argument("--out", required=True, type=Path, help="output folder; DIR/<stem>.wav")
    found = p.add_mutually_exclusive_group()
    found.add_argument("--noise", nargs=2, type=parse_time, default=None, metavar=("START", "STOP"),
                       help="learn each channel's noise over this stretch of noise alone (default: its quietest "
                            "frames)")
    found.add_argument("--tracked", action="store_true",
                       help="follow each channel's noise over time, for noise that changes (each moment's from the "
                            "quietest in the 2 s around it)")
    defaults = NoiseSettings()
    p.add_argument("--reduction", type=float, default=defaults.reduction_db, metavar="DB",
                   help="how far the noise goes down")
    p.add_argument("--sensitivity", type=float, default=defaults.sensitivity_db, metavar="DB",
                   help="how far above the noise a sound must rise to be kept")
    p.add_argument("--smoothing", type=int, default=defaults.smoothing_bins, metavar="BINS",
                   help="frequency smoothing of the gains, bins either side")
    p.add_argument("--overwrite", action="store_true", help="replace existing outputs")
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    p.set_defaults(run=run)


def denoise_file(path: Path, out_dir: Path, settings: NoiseSettings, noise: NoiseFrom, overwrite: bool,
                 show_bar: bool) -> dict:
    """One file into `out_dir/<stem>.wav`; nothing is left behind on failure."""
    source = ("tracked over time" if noise == TRACKED else f"learnt over {format_span(*noise)}" if noise
              else "from the quietest frames")
    with open_recording(path) as rec:
        tags = with_step(read_tags(path), f"noise reduced by {settings.reduction_db:g} dB (sensitivity "
                                          f"{settings.sensitivity_db:g} dB, noise {source})")
        _, output, notes = process_into_file(path, out_dir, rec, tags, overwrite, show_bar, "block",
                                             lambda sink: reduce_recording_job(rec, settings, noise, sink))
    return {"input": str(path), "output": str(output), "reduction_db": settings.reduction_db,
            "sensitivity_db": settings.sensitivity_db, "smoothing_bins": settings.smoothing_bins,
            "noise": describe_noise_from(noise), "notes": notes}


def run(args: argparse.Namespace) -> int:
    settings = NoiseSettings(args.reduction, args.sensitivity, args.smoothing)
    settings.check()
    noise: NoiseFrom = TRACKED if args.tracked else None if args.noise is None else (args.noise[0], args.noise[1])
    return run_on_inputs(args, lambda path, bar: denoise_file(path, args.out, settings, noise, args.overwrite, bar),
                         "denoised", lambda d: [d["output"]])
