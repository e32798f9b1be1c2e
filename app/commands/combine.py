"""`meco-studio combine FIRST OTHER... --out FILE`: the recordings of separate recorders made one
array recording on the first recorder's clock (File ▸ Combine recorders into one array…, as a command).

Each further recorder is placed by `app.engine.combine`: when it started against the first, how
fast its clock drifts (taken out when clear), whether it reads inverted; its channels follow the
first recorder's in the order given. One line per recorder says where it was put. One file of a
take recorded from several devices at once (`record --device A --device B`) brings the take's others.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from app.commands import HelpFormatter
from app.commands.output import emit, progress_bar, warn
from app.engine.combine import DEFAULT_MAX_OFFSET_S, CombineSettings, Combined, Keep, combine_files_job
from app.engine.errors import ExportError
from app.engine.jobs import drive
from app.engine.take_group import take_files
from app.engine.timecode import format_duration


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("combine", help="the recordings of separate recorders made one array recording (offsets, "
                                       "clock drift, rates)", formatter_class=HelpFormatter)
    p.add_argument("inputs", nargs="+", type=Path, metavar="INPUT",
                   help="two or more audio files, one per recorder; the first's clock is the one kept (one file of "
                        "a take from several devices brings the take's others)")
    p.add_argument("--out", type=Path, required=True, metavar="FILE", help="the combined recording (WAV)")
    p.add_argument("--rate", type=int, default=None, metavar="HZ",
                   help="its sample rate (default: the highest among the inputs)")
    p.add_argument("--max-offset", type=float, default=DEFAULT_MAX_OFFSET_S, metavar="S",
                   help="how far apart the recorders may have started, either way")
    p.add_argument("--keep", choices=[k.value for k in Keep], default=Keep.OVERLAP.value,
                   help="overlap: only where every recorder ran; all: every recorder's audio, silence where one "
                        "had not started or had stopped")
    p.add_argument("--no-drift", action="store_true", help="do not resample a recorder whose clock drifts")
    p.add_argument("--overwrite", action="store_true", help="replace FILE if it exists")
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    p.set_defaults(run=run)


def summary(result: Combined) -> dict:
    first = result.placements[0].name
    return {"output": str(result.path), "sample_rate": result.sample_rate, "channels": sum(map(len, result.channels)),
            "start_s": round(result.start_s, 6) + 0.0, "seconds": round(result.frames / result.sample_rate, 6),
            "recorders": [{"input": p.name, "channels": list(channels), "offset_s": round(p.offset_s, 6),
                           "drift_ppm": round(p.ppm, 3), "measured_ppm": round(p.measured_ppm, 3),
                           "ppm_interval": [round(v, 3) for v in p.ppm_interval], "inverted": p.inverted,
                           "probes": p.probes, "probes_clear": p.probes_clear, "probes_agreeing": p.probes_agreeing,
                           "summary": p.describe(first)} for p, channels in zip(result.placements, result.channels)],
            "peak_note": result.peak_note}


def described(result: Combined) -> list[str]:
    """The combined recording in a few lines: its channels, rate, length and start, then each recorder's place."""
    found, first = summary(result), result.placements[0].name
    begins = (f"from {format_duration(result.start_s)} into {first}" if result.start_s >= 0 else
              f"from {format_duration(-result.start_s)} before {first} began")
    lines = [f"{result.path}: {found['channels']} channels at {result.sample_rate} Hz, "
             f"{format_duration(result.frames / result.sample_rate)} {begins}"]
    for recorder in found["recorders"]:
        low, high = recorder["channels"][0], recorder["channels"][-1]
        lines.append(f"  channel{f's {low}–{high}' if high > low else f' {low}'}: {recorder['summary']}")
    return lines + ([f"  {result.peak_note}"] if result.peak_note else [])


def combined(inputs: list[Path], out: Path, settings: CombineSettings, show_bar: bool) -> Combined:
    """`inputs` combined into `out`, with a progress bar on a terminal."""
    with progress_bar(out.name, "step", show_bar) as on_progress:
        return drive(combine_files_job(inputs, out, settings), on_progress)


def run(args: argparse.Namespace) -> int:
    if args.out.exists() and not args.overwrite:
        raise ExportError(f"{args.out.name} already exists in {args.out.parent}; choose another name or pass "
                          "--overwrite.")
    inputs = args.inputs
    if len(inputs) == 1 and len(take := take_files(inputs[0])) > 1:
        inputs = take
        warn(f"note: {inputs[0].name} was recorded in one take with {' and '.join(p.name for p in take[1:])}; "
             "combining them all")
    settings = CombineSettings(args.rate, args.max_offset, Keep(args.keep), not args.no_drift)
    result = combined(inputs, args.out, settings, sys.stderr.isatty() and not args.json)
    emit(summary(result), args.json, described(result))
    return 0
