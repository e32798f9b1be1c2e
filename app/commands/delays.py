"""`meco-studio delays INPUT...`: the delay between two microphones over time, and the delays it
gathers at (one per talker, or per fixed noise source), for each file (Process ▸ Track the delay
between two channels, as a command).

Each file's two channels (`--pair`, from 1) go through the GCC-PHAT correlogram of
`app.engine.delay_track`; the strongest delays are printed with the share of the clear columns
each holds and how fast the delays drift (two clocks parting); with `--out` each column's peak
is written to `DIR/<stem>.delays.csv`, and with `--source-labels` a label over each stretch heard
from each delay found to `DIR/<stem>.sources.txt`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from app.commands import HelpFormatter
from app.commands.options import add_range_option
from app.commands.output import progress_bar, run_batch, warn
from app.engine.batch import output_folders
from app.engine.delay_track import (DEFAULT_REACH_S, delay_csv, delay_track_job, describe, drift, source_labels,
                                     strongest_delays)
from app.engine.errors import ConfigError, ExportError
from app.engine.export import write_text_atomically
from app.engine.files import Span, expand_inputs, open_recording
from app.engine.jobs import drive
from app.engine.labels import labels_text
from app.engine.timecode import format_duration


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("delays", help="the delay between two microphones over time (GCC-PHAT), and where it gathers",
                       formatter_class=HelpFormatter)
    p.add_argument("inputs", nargs="+", metavar="INPUT", help="audio files or folders (searched recursively)")
    p.add_argument("--pair", nargs=2, type=int, default=[1, 2], metavar=("A", "B"),
                   help="the two channels, from 1: the delay is B's against A's")
    p.add_argument("--reach-ms", type=float, default=DEFAULT_REACH_S * 1000, metavar="MS",
                   help="delays looked for either way: the array's size over the speed of sound (1 ms: 34 cm); "
                        "up to 250 for channels of separate devices")
    add_range_option(p, "track only this range of each file")
    p.add_argument("--out", type=Path, default=None, help="also write each column's delay to DIR/<stem>.delays.csv")
    p.add_argument("--source-labels", type=Path, default=None, metavar="DIR",
                   help="also write a label over each stretch heard from each delay found (Delays ▸ Label sources) "
                        "as an Audacity label file DIR/<stem>.sources.txt")
    p.add_argument("--overwrite", action="store_true", help="replace CSV and label files that exist")
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    p.set_defaults(run=run)


def track_file(path: Path, out: Path | None, pair: tuple[int, int], reach_s: float, span: tuple[float, float] | None,
               overwrite: bool, show_bar: bool, labels_out: Path | None = None) -> dict:
    """The file's correlogram summarised (and written to `out`, its sources' labels to `labels_out`,
    when given, only once it is whole)."""
    for target in (out, labels_out):
        if target is not None and target.exists() and not overwrite:
            raise ExportError(f"{target.name} already exists in {target.parent}; choose another folder or pass "
                              "--overwrite.")
    with open_recording(path) as rec:
        if rec.notice:
            warn(f"warning: {rec.notice}")
        start, stop = (0.0, rec.frames / rec.sample_rate) if span is None else span
        if start >= rec.frames / rec.sample_rate:
            raise ConfigError(f"Nothing to track in {path.name} from {format_duration(start)}: "
                              f"it lasts {format_duration(rec.frames / rec.sample_rate)}.")
        source = Span(rec, round(start * rec.sample_rate), round(stop * rec.sample_rate))
        try:
            with progress_bar(path.name, "block", show_bar) as on_progress:
                track = drive(delay_track_job(source, pair, reach_s, start), on_progress)
        except ConfigError as err:
            raise ConfigError(f"{path.name}: {err}") from err
    if out is not None:
        write_text_atomically(out, delay_csv(track))
    modes, moved = strongest_delays(track), drift(track)
    labels = source_labels(track, modes)
    if labels_out is not None:
        write_text_atomically(labels_out, labels_text(labels))
    return {"input": str(path), "output": None if out is None else str(out), "pair": [c + 1 for c in pair],
            "reach_ms": reach_s * 1000, "columns": int(track.image.shape[0]),
            "column_seconds": round(track.column_seconds, 4), "clear_share": round(float(track.clear.mean()), 4),
            "delays": [{"ms": round(m.seconds * 1000, 4), "share": round(m.share, 4)} for m in modes],
            "drift_ppm": None if moved is None else round(moved.ppm, 3),
            "drift_error_ppm": None if moved is None else round(moved.error_ppm, 3),
            "source_labels": len(labels), "labels_output": None if labels_out is None else str(labels_out),
            "summary": describe(track, modes, moved)}


def _lines(result: dict) -> list[str]:
    where = f" -> {result['output']}" if result["output"] else ""
    return [f"{result['input']}{where}", f"  {result['summary']}",
            f"  {result['columns']} columns of {result['column_seconds']:g} s, "
            f"{100 * result['clear_share']:.0f} % with a clear delay"]


def _targets(files: list, folder: Path | None, suffix: str) -> dict:
    """Each file's `<stem><suffix>` in `folder` (None for each without one)."""
    if folder is None:
        return {path: None for path in files}
    return {path: out.parent / f"{out.name}{suffix}" for path, out in zip(files, output_folders(files, folder))}


def run(args: argparse.Namespace) -> int:
    span = None if args.range is None else (args.range[0], args.range[1])
    pair = (args.pair[0] - 1, args.pair[1] - 1)
    files = expand_inputs(args.inputs)
    if not files:
        warn("error: no audio files found in the given inputs")
        return 1
    csvs, label_files = _targets(files, args.out, ".delays.csv"), _targets(files, args.source_labels, ".sources.txt")
    show_bar = sys.stderr.isatty() and not args.json
    return run_batch(files, lambda path: track_file(Path(path), csvs[path], pair, args.reach_ms / 1000, span,
                                                    args.overwrite, show_bar, label_files[path]),
                     "tracked", args.json, _lines, announce=False)
