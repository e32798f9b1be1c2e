"""`meco-studio models`: the installed model cards, validated, with what each is for; `--install`
adds a card and its weights (checked against the card's sha256) to the user model folder,
`--remove` takes a user model away."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from app.commands import HelpFormatter
from app.commands.output import emit, progress_bar, warn
from app.engine.about import model_rows
from app.engine.jobs import drive
from app.engine.model_store import install_model_job, remove_model


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("models", help="list installed models (shipped and user cards); install or remove one",
                       formatter_class=HelpFormatter)
    action = p.add_mutually_exclusive_group()
    action.add_argument("--install", type=Path, metavar="CARD.json",
                        help="copy this card and the weights beside it into the user model folder")
    action.add_argument("--remove", metavar="NAME", help="delete this user model (shipped ones stay)")
    p.add_argument("--overwrite", action="store_true", help="with --install: replace a user model of that name")
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if args.install is not None:
        with progress_bar("install", "B", sys.stderr.isatty()) as on_progress:
            entry = drive(install_model_job(args.install, args.overwrite), on_progress)
        warn(f"installed {entry.name} ({entry.task}) as {entry.card_path}")
    elif args.remove is not None:
        entry = remove_model(args.remove)
        warn(f"removed {entry.name} ({entry.card_path})")
    rows = model_rows()
    lines = [f"{r['task']:<12} {r['name']:<28} {r['architecture']:<20} "
             f"{(r['parameters'] or 0) / 1e6:5.2f} M params  {r['card']}" for r in rows] or ["no models installed"]
    emit({"models": rows}, args.json, lines)
    return 0
