"""`meco-studio stats FILE...`: each channel's peak, RMS, loudness, crest, DC offset and clipping.

The figures of the desktop app's Analyze panel, streamed block by block, so any length of file
is measured in bounded memory; `--range` restricts them to part of each file. `--clipping-labels
DIR` also writes, for each file that clips, where (Process ▸ Label clipping) as an Audacity label
file, `DIR/<stem>.clipping.txt`, over the whole file.
"""

from __future__ import annotations

import argparse
import math
import sys
from dataclasses import asdict
from pathlib import Path

from app.commands import HelpFormatter
from app.commands.options import add_range_option
from app.commands.output import aligned, progress_bar, run_batch, warn
from app.engine.analysis import AnalysisRequest, analyse, statistics_table
from app.engine.clipping import clipping_job
from app.engine.export import write_text_atomically
from app.engine.files import expand_inputs, open_recording
from app.engine.jobs import drive
from app.engine.labels import labels_text


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("stats", help="level statistics and BS.1770 loudness of every channel of audio files",
                       formatter_class=HelpFormatter)
    p.add_argument("inputs", nargs="+", metavar="INPUT", help="audio files or folders (searched recursively)")
    add_range_option(p, "measure only this range of each file")
    p.add_argument("--clipping-labels", type=Path, default=None, metavar="DIR",
                   help="also label where each file clips (runs of 3+ samples at full scale, over the whole file) in "
                        "DIR/<stem>.clipping.txt, an Audacity label file; none for a file that does not clip")
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    p.set_defaults(run=run)


def measure_file(path: Path, span: tuple[float, float] | None, labels_dir: Path | None = None) -> dict:
    clipping = None
    with open_recording(path) as rec:
        if rec.notice:
            warn(f"warning: {rec.notice}")
        names = [f"ch {k + 1}" for k in range(rec.channels)]
        request = AnalysisRequest(rec, names) if span is None else AnalysisRequest(rec, names, *span)
        start, stop = request.frame_range()
        with progress_bar(path.name, "block", sys.stderr.isatty()) as on_progress:
            lanes = drive(analyse([request]), on_progress)
            if labels_dir is not None:
                clipping = drive(clipping_job(rec), on_progress)
    if clipping:
        write_text_atomically(labels_dir / f"{path.stem}.clipping.txt", labels_text(clipping))
    header, *rows = statistics_table(lanes)
    return {"input": str(path), "start_seconds": start / rec.sample_rate, "stop_seconds": stop / rec.sample_rate,
            "channels": [{k: _finite_or_none(v) for k, v in asdict(lane).items()
                          if k not in ("frequencies", "spectrum_db")} | {"crest_db": _finite_or_none(lane.crest_db)}
                         for lane in lanes],
            "table": [header, *rows],
            **({} if clipping is None else {"clipped_stretches": len(clipping)})}


def _finite_or_none(value: object) -> object:
    """JSON has no NaN or infinity: an undefined figure (silence, under 400 ms for loudness) is null."""
    return None if isinstance(value, float) and not math.isfinite(value) else value


def _lines(result: dict) -> list[str]:
    span = f"{result['start_seconds']:.3f}–{result['stop_seconds']:.3f} s"
    clipped = result.get("clipped_stretches")
    said = [] if clipped is None else [f"  {clipped} clipped stretch(es)" + (" labelled" if clipped else "")]
    return [f"{result['input']} ({span})"] + ["  " + line for line in aligned(result["table"])] + said


def run(args: argparse.Namespace) -> int:
    span = None if args.range is None else (args.range[0], args.range[1])
    return run_batch(expand_inputs(args.inputs), lambda path: measure_file(Path(path), span, args.clipping_labels),
                     "measured", args.json, _lines, announce=False)
