"""`meco-studio stats FILE...`: each channel's peak, RMS, loudness, crest, DC offset and clipping.

The figures of the desktop app's Analyze panel, streamed block by block, so any length of file
is measured in bounded memory; `--range` restricts them to part of each file. `--clipping-labels
DIR` also writes, for each file that clips, where (Process ▸ Label clipping) as an Audacity label
file, `DIR/<stem>.clipping.txt`, over the whole file; `--dropout-labels DIR` where it dropped
samples (Process ▸ Label dropouts), `DIR/<stem>.dropouts.txt`; `--click-labels DIR` where it
clicks (Process ▸ Label clicks), `DIR/<stem>.clicks.txt`.
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
from app.engine.clicks import clicks_job
from app.engine.dropouts import dropouts_job
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
    p.add_argument("--dropout-labels", type=Path, default=None, metavar="DIR",
                   help="also label where each file dropped samples (runs of 8+ exact zeros in sound, over the whole "
                        "file) in DIR/<stem>.dropouts.txt; none for a file that drops none")
    p.add_argument("--click-labels", type=Path, default=None, metavar="DIR",
                   help="also label where each file clicks (bursts of up to 5 ms its sound does not predict, over the "
                        "whole file) in DIR/<stem>.clicks.txt; none for a file without clicks")
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    p.set_defaults(run=run)


# what a label folder is for: the job that finds the stretches, the report's key, what the lines call them
FINDERS = {"clipping": (clipping_job, "clipped_stretches", "clipped stretch(es)"),
           "dropouts": (dropouts_job, "dropout_stretches", "dropout(s)"),
           "clicks": (clicks_job, "click_stretches", "click(s)")}


def measure_file(path: Path, span: tuple[float, float] | None, label_dirs: dict[str, Path] | None = None) -> dict:
    """`path`'s statistics; for each kind of `label_dirs` ("clipping", "dropouts"), its stretches
    labelled in that folder (no file where there are none)."""
    label_dirs = label_dirs or {}
    found = {}
    with open_recording(path) as rec:
        if rec.notice:
            warn(f"warning: {rec.notice}")
        names = [f"ch {k + 1}" for k in range(rec.channels)]
        request = AnalysisRequest(rec, names) if span is None else AnalysisRequest(rec, names, *span)
        start, stop = request.frame_range()
        with progress_bar(path.name, "block", sys.stderr.isatty()) as on_progress:
            lanes = drive(analyse([request]), on_progress)
            for kind in label_dirs:
                found[kind] = drive(FINDERS[kind][0](rec), on_progress)
    for kind, labels in found.items():
        if labels:
            write_text_atomically(label_dirs[kind] / f"{path.stem}.{kind}.txt", labels_text(labels))
    header, *rows = statistics_table(lanes)
    return {"input": str(path), "start_seconds": start / rec.sample_rate, "stop_seconds": stop / rec.sample_rate,
            "channels": [{k: _finite_or_none(v) for k, v in asdict(lane).items()
                          if k not in ("frequencies", "spectrum_db")} | {"crest_db": _finite_or_none(lane.crest_db)}
                         for lane in lanes],
            "table": [header, *rows],
            **{FINDERS[kind][1]: len(labels) for kind, labels in found.items()}}


def _finite_or_none(value: object) -> object:
    """JSON has no NaN or infinity: an undefined figure (silence, under 400 ms for loudness) is null."""
    return None if isinstance(value, float) and not math.isfinite(value) else value


def _lines(result: dict) -> list[str]:
    span = f"{result['start_seconds']:.3f}–{result['stop_seconds']:.3f} s"
    said = [f"  {result[key]} {noun}" + (" labelled" if result[key] else "")
            for _, key, noun in FINDERS.values() if key in result]
    return [f"{result['input']} ({span})"] + ["  " + line for line in aligned(result["table"])] + said


def run(args: argparse.Namespace) -> int:
    span = None if args.range is None else (args.range[0], args.range[1])
    folders = {kind: folder for kind, folder in (("clipping", args.clipping_labels), ("dropouts", args.dropout_labels),
                                                 ("clicks", args.click_labels)) if folder is not None}
    return run_batch(expand_inputs(args.inputs), lambda path: measure_file(Path(path), span, folders),
                     "measured", args.json, _lines, announce=False)
