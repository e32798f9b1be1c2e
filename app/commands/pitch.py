"""`meco-studio pitch INPUT... --out DIR`: each channel's F0 track as CSV, `DIR/<stem>.f0.csv`.

The pitch the window draws (View ▸ Pitch track), for a whole file: pYIN every 10 ms, tracked
piece by piece, so any length streams in bounded memory. One row per frame (`time_s`, then a
column per channel, blank where the frame is unvoiced), as Praat's and Sonic Visualiser's pitch
exports read; a summary per channel (voiced share, median and 5th–95th percentile F0) is printed.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

from app.commands import HelpFormatter
from app.commands.options import add_range_option
from app.commands.output import aligned, progress_bar, run_batch, warn
from app.engine.batch import output_folders
from app.engine.errors import ConfigError, ExportError
from app.engine.export import write_text_atomically
from app.engine.files import expand_inputs, open_recording
from app.engine.jobs import drive
from app.engine.pitch import PitchSettings, PitchTrack, pitch_csv, tracks_job
from app.engine.timecode import format_duration


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("pitch", help="F0 (pitch) track of every channel of audio files, as CSV",
                       formatter_class=HelpFormatter)
    p.add_argument("inputs", nargs="+", metavar="INPUT", help="audio files or folders (searched recursively)")
    p.add_argument("--out", required=True, type=Path, help="output folder; DIR/<stem>.f0.csv")
    add_range_option(p, "track only this range of each file")
    p.add_argument("--floor", type=float, default=PitchSettings.floor_hz, metavar="HZ", help="lowest F0 searched")
    p.add_argument("--ceiling", type=float, default=PitchSettings.ceiling_hz, metavar="HZ", help="highest F0 searched")
    p.add_argument("--overwrite", action="store_true", help="replace CSV files that exist")
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    p.set_defaults(run=run)


def summary(track: PitchTrack) -> dict:
    def hz(q: float) -> float | None:
        value = track.percentile_hz(q)
        return round(value, 1) if math.isfinite(value) else None

    share = track.voiced_share
    return {"frames": int(track.times.size), "voiced_share": round(share, 4) if math.isfinite(share) else None,
            "median_hz": hz(50), "p5_hz": hz(5), "p95_hz": hz(95)}


def track_file(path: Path, out: Path, span: tuple[float, float] | None, settings: PitchSettings,
               overwrite: bool, show_bar: bool) -> dict:
    """Every channel's track into `out`; nothing is written unless every channel was tracked."""
    if out.exists() and not overwrite:
        raise ExportError(f"{out.name} already exists in {out.parent}; choose another folder or pass --overwrite.")
    with open_recording(path) as rec:
        if rec.notice:
            warn(f"warning: {rec.notice}")
        start, stop = (0.0, None) if span is None else span
        duration = rec.frames / rec.sample_rate
        if start >= duration:
            raise ConfigError(f"Nothing to track in {path.name} from {format_duration(start)}: "
                              f"it lasts {format_duration(duration)}.")
        with progress_bar(path.name, "piece", show_bar) as on_progress:
            tracks = drive(tracks_job([(rec, c) for c in range(rec.channels)], settings, start, stop), on_progress)
    write_text_atomically(out, pitch_csv([f"ch{k + 1}_f0_hz" for k in range(len(tracks))], tracks))
    return {"input": str(path), "output": str(out), "floor_hz": settings.floor_hz, "ceiling_hz": settings.ceiling_hz,
            "channels": [summary(track) for track in tracks]}


def _lines(result: dict) -> list[str]:
    table = [["channel", "voiced", "median F0", "5th–95th pct"]]
    for k, ch in enumerate(result["channels"], start=1):
        voiced = "–" if ch["voiced_share"] is None else f"{100 * ch['voiced_share']:.1f} %"
        median = "–" if ch["median_hz"] is None else f"{ch['median_hz']:.1f} Hz"
        spread = "–" if ch["p5_hz"] is None else f"{ch['p5_hz']:.0f}–{ch['p95_hz']:.0f} Hz"
        table.append([f"ch {k}", voiced, median, spread])
    return [f"{result['input']} -> {result['output']}"] + ["  " + line for line in aligned(table)]


def run(args: argparse.Namespace) -> int:
    settings = PitchSettings(args.floor, args.ceiling)
    span = None if args.range is None else (args.range[0], args.range[1])
    files = expand_inputs(args.inputs)
    if not files:
        warn("error: no audio files found in the given inputs")
        return 1
    folders = output_folders(files, args.out)
    csvs = {path: folder.parent / f"{folder.name}.f0.csv" for path, folder in zip(files, folders)}
    show_bar = sys.stderr.isatty() and not args.json
    return run_batch(files, lambda path: track_file(Path(path), csvs[path], span, settings, args.overwrite, show_bar),
                     "tracked", args.json, _lines, announce=False)
