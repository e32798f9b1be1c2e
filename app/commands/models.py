"""`meco-studio models`: the installed model cards, validated, with what each is for."""

from __future__ import annotations

import argparse

from app.commands import HelpFormatter
from app.commands.output import emit
from app.engine.about import model_rows


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("models", help="list installed models (shipped and user cards)",
                       formatter_class=HelpFormatter)
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    rows = model_rows()
    lines = [f"{r['task']:<12} {r['name']:<28} {r['architecture']:<20} "
             f"{(r['parameters'] or 0) / 1e6:5.2f} M params  {r['card']}" for r in rows] or ["no models installed"]
    emit({"models": rows}, args.json, lines)
    return 0
