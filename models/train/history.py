"""A run's validation history as a table for the README: the rows of `RUN/log.csv` that carry
validation (every recipe logs them as `valid_*` columns, MeCo's selection score as `score`).

    python -m models.train.history runs/meco-quality --markdown docs/results/meco-quality-run.md

The card keeps only the best step; this shows how a run got there, or why it stopped.
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

from models.common.results import markdown_table, write_result


def validation_rows(log: Path) -> tuple[list[str], list[dict[str, str]]]:
    """(columns, rows): `step`, the validation columns and `score` where the log has one, for
    each row with a validation figure."""
    with log.open(newline="") as f:
        reader = csv.DictReader(f)
        header = reader.fieldnames or []
        columns = ["step"] + [c for c in header if c.startswith("valid_") or c == "score"]
        rows = [{c: r.get(c) or "" for c in columns} for r in reader if any(r.get(c) for c in columns[1:])]
    return columns, rows


def markdown(columns: list[str], rows: list[dict[str, str]]) -> str:
    def cell(value: str) -> str:
        try:
            return f"{float(value):.4g}"
        except ValueError:
            return value or "—"

    return markdown_table(columns, [[cell(row[c]) for c in columns] for row in rows])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run", type=Path, help="run folder holding log.csv")
    parser.add_argument("--markdown", type=Path, help="write the table here (with the command that made it)")
    args = parser.parse_args(argv)
    log = args.run / "log.csv"
    if not log.is_file():
        print(f"{log}: no such log; pass a run folder of a recipe", file=sys.stderr)
        return 2
    columns, rows = validation_rows(log)
    table = markdown(columns, rows)
    if args.markdown:
        command = "python -m models.train.history " + " ".join(argv if argv is not None else sys.argv[1:])
        write_result(args.markdown, command, table, note=f"Validation rows of `{log}`.")
    print(table, end="")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
