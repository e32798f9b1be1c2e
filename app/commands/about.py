"""`meco-studio about`: versions, folders and installed models, for a bug report or a methods section."""

from __future__ import annotations

import argparse

from app.commands import HelpFormatter
from app.commands.output import emit
from app.engine.about import about_text, environment, model_rows


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("about", help="versions, folders and installed models (what Help > About shows)",
                       formatter_class=HelpFormatter)
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    emit({"environment": dict(environment()), "models": model_rows()}, args.json, about_text().splitlines())
    return 0
