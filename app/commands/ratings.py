"""`meco-studio ratings RESULTS.csv...`: the blind A/B trials of one or more listeners (Playback ▸
Blind A/B… → Save results…) pooled: each version's mean rating with its 95 % CI, best first."""

from __future__ import annotations

import argparse
import math
from pathlib import Path

from app.commands import HelpFormatter
from app.commands.output import aligned, emit
from app.engine.listening import rating_summary, read_results


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("ratings", help="blind A/B ratings pooled over listeners: mean and 95 %% CI per version",
                       formatter_class=HelpFormatter)
    p.add_argument("results", type=Path, nargs="+", help="results CSV files that Blind A/B saved")
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    rows = [row for path in args.results for row in read_results(path)]
    summary = rating_summary(rows)
    table = [["Version", "Mean", "±95 % CI", "Ratings"]] + [
        [name, f"{mean:.1f}", "" if math.isnan(half) else f"{half:.1f}", str(n)] for name, mean, half, n in summary]
    emit({"files": [str(p) for p in args.results], "trials": len({(row[0], row[1]) for row in rows}),
          "versions": [{"name": name, "mean": mean, "half_width": None if math.isnan(half) else half, "ratings": n}
                       for name, mean, half, n in summary]},
         args.json, aligned(table))
    return 0
