"""`meco-studio delays INPUT...`: the delay between two microphones over time, and the delays it
gathers at (one per talker, or per fixed noise source), for each file (Process ▸ Track the delay
between two channels, as a command).

Each file's two channels (`--pair`, from 1) go through the GCC-PHAT correlogram of
`app.engine.delay_track`; the strongest delays are printed with the share of the clear columns
each holds and how fast the delays drift (two clocks parting); with `--out` each column's peak
is written to `DIR/<stem>.delays.csv`, with `--source-labels` a label over each stretch heard
from each delay found to `DIR/<stem>.sources.txt`, and with `--in-step`, when the delays drift, a
copy with the drifting recorder's channels put back on the first channel's clock.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

from app.commands import HelpFormatter
from app.commands.options import add_range_option, parse_channels
from app.commands.output import progress_bar, run_batch, warn
from app.engine.batch import output_folders
from app.engine.clock_drift import corrected_copy_job
from app.engine.delay_track import (DEFAULT_REACH_S, delay_csv, delay_track_job, describe, drift, drifts, source_labels,
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
    p.add_argument("--in-step", type=Path, default=None, metavar="DIR",
                   help="when the delays drift, also write DIR/<stem>-in-step.wav with the channels of the drifting "
                        "recorder resampled onto the first channel's clock (Delays ▸ Take out the drift…)")
    p.add_argument("--clock-channels", type=parse_channels, default=None, metavar="LIST",
                   help="the channels recorded on the drifting clock, from 1, e.g. 3-4 (default: the pair's second)")
    p.add_argument("--overwrite", action="store_true", help="replace CSV, label and audio files that exist")
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    p.set_defaults(run=run)


@dataclass(frozen=True)
class DelayOptions:
    pair: tuple[int, int] = (0, 1)              # 0-based: the second's delay against the first's
    reach_s: float = DEFAULT_REACH_S
    span: tuple[float, float] | None = None     # seconds; the whole file without one
    overwrite: bool = False
    clock_channels: tuple[int, ...] | None = None   # on the drifting clock (default: the pair's second)


@dataclass(frozen=True)
class DelayOutputs:
    """Where a file's results go, each None when not asked for."""
    csv: Path | None = None
    labels: Path | None = None
    in_step: Path | None = None


def track_file(path: Path, options: DelayOptions, outputs: DelayOutputs = DelayOutputs(),
               show_bar: bool = False) -> dict:
    """The file's correlogram summarised; the CSV, the sources' labels and (when its delays drift)
    the copy in step written where `outputs` says, only once the track is whole."""
    for target in (outputs.csv, outputs.labels, outputs.in_step):
        if target is not None and target.exists() and not options.overwrite:
            raise ExportError(f"{target.name} already exists in {target.parent}; choose another folder or pass "
                              "--overwrite.")
    with open_recording(path) as rec:
        if rec.notice:
            warn(f"warning: {rec.notice}")
        start, stop = (0.0, rec.frames / rec.sample_rate) if options.span is None else options.span
        if start >= rec.frames / rec.sample_rate:
            raise ConfigError(f"Nothing to track in {path.name} from {format_duration(start)}: "
                              f"it lasts {format_duration(rec.frames / rec.sample_rate)}.")
        source = Span(rec, round(start * rec.sample_rate), round(stop * rec.sample_rate))
        try:
            with progress_bar(path.name, "block", show_bar) as on_progress:
                track = drive(delay_track_job(source, options.pair, options.reach_s), on_progress)
        except ConfigError as err:
            raise ConfigError(f"{path.name}: {err}") from err
        modes, moved = strongest_delays(track), drift(track)
        corrected = None
        if outputs.in_step is not None and drifts(track, moved):
            chosen = options.clock_channels or (options.pair[1],)
            try:
                with progress_bar(path.name, "block", show_bar) as on_progress:
                    corrected = drive(corrected_copy_job(rec, outputs.in_step, chosen, moved.ppm), on_progress)
            except ConfigError as err:
                raise ConfigError(f"{path.name}: {err}") from err
    if outputs.csv is not None:
        write_text_atomically(outputs.csv, delay_csv(track))
    labels = source_labels(track, modes)
    if outputs.labels is not None:
        write_text_atomically(outputs.labels, labels_text(labels))
    return {"input": str(path), "output": None if outputs.csv is None else str(outputs.csv),
            "pair": [c + 1 for c in options.pair], "reach_ms": options.reach_s * 1000,
            "columns": int(track.image.shape[0]), "column_seconds": round(track.column_seconds, 4),
            "clear_share": round(float(track.clear.mean()), 4),
            "delays": [{"ms": round(m.seconds * 1000, 4), "share": round(m.share, 4)} for m in modes],
            "drift_ppm": None if moved is None else round(moved.ppm, 3),
            "drift_error_ppm": None if moved is None else round(moved.error_ppm, 3),
            "source_labels": len(labels), "labels_output": None if outputs.labels is None else str(outputs.labels),
            "in_step_output": None if corrected is None else str(outputs.in_step),
            "in_step_channels": None if corrected is None else [c + 1 for c in corrected.channels],
            "summary": describe(track, modes, moved)}


def _lines(result: dict) -> list[str]:
    where = f" -> {result['output']}" if result["output"] else ""
    lines = [f"{result['input']}{where}", f"  {result['summary']}",
             f"  {result['columns']} columns of {result['column_seconds']:g} s, "
             f"{100 * result['clear_share']:.0f} % with a clear delay"]
    if result["in_step_output"]:
        channels = ", ".join(str(c) for c in result["in_step_channels"])
        lines.append(f"  channel(s) {channels} put back on channel {result['pair'][0]}'s clock -> "
                     f"{result['in_step_output']}")
    return lines


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
    copies = _targets(files, args.in_step, "-in-step.wav")
    options = DelayOptions(pair, args.reach_ms / 1000, span, args.overwrite, args.clock_channels)
    show_bar = sys.stderr.isatty() and not args.json
    outputs = {path: DelayOutputs(csvs[path], label_files[path], copies[path]) for path in files}
    return run_batch(files, lambda path: track_file(Path(path), options, outputs[path], show_bar),
                     "tracked", args.json, _lines, announce=False)
