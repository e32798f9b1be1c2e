"""`meco-studio report SESSION`: a saved session's record in markdown (recording, versions and
the cards that made them, references, labels, software), for a lab notebook or a methods section."""

from __future__ import annotations

import argparse
from pathlib import Path

from app.commands import HelpFormatter
from app.commands.output import emit, warn
from app.engine.documents import load_session
from app.engine.errors import ConfigError
from app.engine.export import write_text_atomically
from app.engine.files import open_recording
from app.engine.report import session_report


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("report", help="a saved session's record in markdown: versions, models, software",
                       formatter_class=HelpFormatter)
    p.add_argument("session", type=Path, help="a .mecosession folder")
    p.add_argument("--out", type=Path, default=None, help="write it to this file (default: print it)")
    p.add_argument("--overwrite", action="store_true", help="replace --out if it exists")
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    session = load_session(args.session)
    if session.recording_path is None:
        raise ConfigError(f"{args.session.name} names no recording.")
    with open_recording(session.recording_path) as rec:
        text = session_report(session.snapshot(), rec.info, args.session.resolve())
    if args.out is None:
        emit({"report": text}, args.json, text.splitlines())
        return 0
    if args.out.exists() and not args.overwrite:
        raise ConfigError(f"{args.out} exists; add --overwrite to replace it.")
    write_text_atomically(args.out, text)
    warn(f"wrote {args.out}")
    emit({"report": str(args.out)}, args.json, [])
    return 0
