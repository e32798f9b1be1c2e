"""`meco-studio info FILE...`: what a recording holds, without reading it whole, and its tags
(what made a file this app wrote: `provenance`); for a combined recording, the recorders its
channels came from, to pass one's to `separate --channels`; for one file of a take from several
devices, the take's other files. With `--damage`, each recording is also
read through to count its clipped runs, dropouts, clicks and mains hum (what Process ▸ Repair the
recording… finds, and `repair --as-needed` acts on)."""

from __future__ import annotations

import argparse
import sys

from app.commands import HelpFormatter
from app.commands.output import emit, progress_bar, warn
from app.engine.combine import recorders_of
from app.engine.errors import AppError
from app.engine.files import open_recording
from app.engine.jobs import drive
from app.engine.provenance import read_tags
from app.engine.restoration import damage_job
from app.engine.take_group import take_files
from app.engine.timecode import format_duration


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("info", help="show channels, rate, length, format and tags of audio files",
                       formatter_class=HelpFormatter)
    p.add_argument("inputs", nargs="+", metavar="FILE")
    p.add_argument("--damage", action="store_true",
                   help="also read each recording through and count its clipped runs, dropouts, clicks and mains hum "
                        "(as Process > Repair the recording... does)")
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    files, failed, lines = [], [], []
    for path in args.inputs:
        try:
            with open_recording(path) as rec:
                i = rec.info
                tags = read_tags(rec.path, carried_only=False)
                recorders = recorders_of(tags.get("comment", ""), rec.channels)
                files.append({"path": str(path), "channels": i.channels, "sample_rate": i.sample_rate,
                              "frames": i.frames, "seconds": i.duration_seconds, "format": i.format,
                              "subtype": i.subtype, "tags": tags, "notice": rec.notice,
                              "recorders": [{"name": r.name, "channels": [c + 1 for c in r.channels]}
                                            for r in recorders]})
                lines.append(f"{rec.name}: {i.channels} ch, {i.sample_rate} Hz, {format_duration(i.duration_seconds)}, "
                             + (f"decoded by FFmpeg into {rec.decoded}" if rec.decoded else f"{i.format}/{i.subtype}"))
                files[-1]["decoded_copy"] = str(rec.decoded) if rec.decoded else None
                if recorders:
                    lines.append(f"  recorders: {'; '.join(r.describe() for r in recorders)}")
                take = take_files(rec.path)[1:]
                files[-1]["take"] = [str(other) for other in take]
                if take:
                    lines.append(f"  recorded in one take with {' and '.join(o.name for o in take)} "
                                 f"(`meco-studio combine {rec.path.name} --out ….wav` makes them one recording)")
                lines += [f"  {name}: {text}" for name, text in tags.items()]
                if args.damage:
                    with progress_bar(rec.name, "block", sys.stderr.isatty() and not args.json) as on_progress:
                        damage = drive(damage_job(rec), on_progress)
                    files[-1]["damage"] = {**damage.as_json(), "said": damage.said}
                    lines.append(f"  damage: {damage.said}")
                if rec.notice:
                    warn(f"warning: {rec.notice}")
        except AppError as err:
            failed.append({"path": str(path), "error": str(err)})
            warn(f"error: {err}")
    emit({"files": files, "failed": failed}, args.json, lines)
    return 1 if failed else 0
