"""`meco-studio score EST --references REFS`: any system's output scored as the README's tables are.

The same SI-SDR, SI-SDRi, PESQ-WB, ESTOI and DNSMOS code as `evaluate`, on the user's own
files: a folder of estimates (and, with `--compare`, more systems' folders) against a folder of
clean references, with 95 % confidence intervals and paired differences from the first system;
with `--labels`, over each labelled segment of each item rather than the whole file.
"""

from __future__ import annotations

import argparse
import math
import shlex
import sys
from pathlib import Path

from app.commands import HelpFormatter
from app.commands.output import aligned, emit, progress_bar, warn
from app.engine.export import write_csv, write_text_atomically
from app.engine.jobs import drive
from app.engine.provenance import read_tags
from app.engine.scoring import METRICS, Row, Summary, pair_items, score_job, summarise
from models.common.results import markdown_table, produced_by
from models.metrics.speech import Interval


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "score", formatter_class=HelpFormatter,
        help="score estimates from any system against clean references (SI-SDR(i), PESQ-WB, ESTOI, DNSMOS)",
        description="Items pair up by relative path: REFS/<item>/ holds one clean mono file per talker and "
                    "ESTIMATES/<item>/ that item's estimates (matched by the best total SI-SDR); a file directly "
                    "in REFS is a single-talker item whose estimate is ESTIMATES/<stem>.*. `meco-studio separate "
                    "--out ESTIMATES` writes this layout when REFS/<recording stem>/ holds the references.")
    p.add_argument("estimates", type=Path, metavar="ESTIMATES", help="folder of the system to score")
    p.add_argument("--references", type=Path, required=True, metavar="REFS", help="folder of clean references")
    p.add_argument("--compare", type=Path, nargs="+", default=[], metavar="DIR",
                   help="more systems' folders, scored on the same items, each with its paired difference "
                        "from ESTIMATES")
    p.add_argument("--mixtures", type=Path, default=None, metavar="MIX",
                   help="folder of the mixtures, MIX/<item>.*, for SI-SDRi")
    p.add_argument("--mixture-name", default=None, metavar="NAME",
                   help="each item's mixture is this file in its reference folder (e.g. mixture.flac), for SI-SDRi")
    p.add_argument("--talker-folders", nargs="+", default=[], metavar="NAME",
                   help="LibriMix/WHAM! layout: REFS/<NAME>/<item>.* and ESTIMATES/<NAME>/<item>.* per talker "
                        "(e.g. s1 s2); --mixtures then names the mixtures' folder (e.g. mix_both)")
    p.add_argument("--reference-channel", type=int, default=1, metavar="N",
                   help="the mixture channel the estimates are meant for (SI-SDRi)")
    p.add_argument("--pattern", default="*", metavar="GLOB",
                   help="which files of an item's folder are estimates, e.g. 'spk?.wav' beside spk1_separated.wav")
    p.add_argument("--labels", default=None, metavar="NAME",
                   help="score each talker over each label of REFS/<item>/NAME (Audacity labels, RTTM, a "
                        "TextGrid or subtitles) instead of the whole file; a label naming a talker ('talker 2': the "
                        "second reference in name order) scores that talker alone; labels under 0.5 s are left out")
    p.add_argument("--align", action="store_true",
                   help="move each estimate to meet its reference first (GCC-PHAT, to the sample, up to half a "
                        "second): a system's latency then does not count against it; each row's note says how far")
    p.add_argument("--no-dnsmos", action="store_true", help="skip DNSMOS (the slowest metric)")
    p.add_argument("--csv", type=Path, default=None, help="write every scored talker as a CSV row")
    p.add_argument("--markdown", type=Path, default=None, help="write the summary tables as markdown")
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    p.set_defaults(run=run)


def _system_names(folders: list[Path]) -> list[str]:
    """Each system by its folder's name, or its whole path where two share a name."""
    names = [f.name or str(f) for f in folders]
    return [str(f) if names.count(n) > 1 else n for f, n in zip(folders, names, strict=True)]


def _cell(interval: Interval | None, signed: bool = False) -> str:
    return "" if interval is None or math.isnan(interval.mean) else interval.format(signed)


def summary_tables(summaries: list[Summary]) -> tuple[list[list[str]], list[list[str]]]:
    """The means table and the paired-differences table (empty without `--compare`), header first."""
    metrics = [m for m in METRICS if any(m in s.intervals for s in summaries)]
    header = ["System", "n", *(METRICS[m] for m in metrics)]
    means = [header, *[[s.system, str(max((i.n for i in s.intervals.values()), default=0)),
                        *(_cell(s.intervals.get(m)) for m in metrics)] for s in summaries]]
    later = [s for s in summaries[1:] if s.differences]
    differences = [header, *[[f"{s.system} − {summaries[0].system}",
                              str(max((i.n for i in s.differences.values()), default=0)),
                              *(_cell(s.differences.get(m), signed=True) for m in metrics)] for s in later]]
    return means, differences if later else []


def _finite(value: float) -> float | None:
    """JSON has no NaN: an undefined figure (PESQ finding no speech, a CI of one item) is null."""
    return value if math.isfinite(value) else None


def _row_values(row: Row) -> dict[str, float | None]:
    return {m: _finite(row.values.get(m, math.nan)) for m in METRICS}


def _rows_table(rows: list[Row], made_by: dict[Path, str]) -> list[list[str]]:
    def cell(value: float | None) -> str:
        return "" if value is None else f"{value:.4f}"
    def seconds(value: float | None) -> str:
        return "" if value is None else f"{value:.3f}"
    return [["system", "item", "reference", "estimate", "label", "start_s", "stop_s", *METRICS, "note", "made_by"],
            *[[r.system, r.item, str(r.reference), str(r.estimate), r.label,
               *(seconds(t) for t in (r.span or (None, None))), *map(cell, _row_values(r).values()), r.note,
               made_by[r.estimate]] for r in rows]]


def _made_by(rows: list[Row]) -> dict[Path, str]:
    """Each estimate's comment tag: what made it, for a file this app wrote (`provenance`), so a
    row of numbers names the model and weights behind it."""
    return {estimate: read_tags(estimate).get("comment", "") for estimate in dict.fromkeys(r.estimate for r in rows)}


def _command_line(args: argparse.Namespace) -> str:
    parts = ["meco-studio", "score", str(args.estimates), "--references", str(args.references)]
    if args.compare:
        parts += ["--compare", *map(str, args.compare)]
    if args.talker_folders:
        parts += ["--talker-folders", *args.talker_folders]
    if args.mixtures or args.mixture_name:
        parts += ["--mixtures", str(args.mixtures)] if args.mixtures else ["--mixture-name", args.mixture_name]
        parts += ["--reference-channel", str(args.reference_channel)]
    if args.pattern != "*":
        parts += ["--pattern", args.pattern]
    if args.labels:
        parts += ["--labels", args.labels]
    if args.align:
        parts.append("--align")
    if args.no_dnsmos:
        parts.append("--no-dnsmos")
    return shlex.join(parts)


def _intervals(intervals: dict) -> dict[str, dict[str, float | None]]:
    return {m: {"mean": _finite(i.mean), "half_width": _finite(i.half_width), "n": i.n} for m, i in intervals.items()}


def run(args: argparse.Namespace) -> int:
    folders = [args.estimates, *args.compare]
    systems = _system_names(folders)
    rows: list[Row] = []
    problems: list[dict[str, str]] = []
    channel = args.reference_channel - 1
    for system, folder in zip(systems, folders, strict=True):
        pairing = pair_items(args.references, folder, mixtures=args.mixtures, mixture_name=args.mixture_name,
                             pattern=args.pattern, talker_folders=tuple(args.talker_folders), labels=args.labels)
        problems += [{"system": system, "item": item, "error": why} for item, why in pairing.problems]
        if not pairing.items:
            continue

        def note(item: str, why: str, system: str = system) -> None:
            problems.append({"system": system, "item": item, "error": why})

        with progress_bar(system, "item", sys.stderr.isatty()) as on_progress:
            rows += drive(score_job(pairing.items, system, channel, not args.no_dnsmos, note, args.align), on_progress)
    for note in dict.fromkeys((r.system, r.item, r.note) for r in rows if r.note):
        warn("note: " + ": ".join(note))
    for p in problems:
        warn(f"error: {p['system']}: {p['item']}: {p['error']}")
    if not rows:
        warn("error: nothing could be scored")
        emit({"systems": systems, "rows": [], "problems": problems}, args.json, [])
        return 1
    present = [s for s in systems if any(r.system == s for r in rows)]
    summaries = summarise(rows, present)
    means, differences = summary_tables(summaries)
    human = aligned(means)
    if args.labels:
        human = [f"Over the labels of {args.labels}: n counts one talker over one label.", *human]
    if differences:
        human += ["", f"Paired differences from {present[0]} (95 % CI over the talkers both scored, "
                  "clustered by item for whole files):",
                  *aligned(differences)]
    made_by = _made_by(rows)
    if args.csv:
        write_csv(args.csv, _rows_table(rows, made_by))
    if args.markdown:
        body = markdown_table(means[0], means[1:])
        if differences:
            body += f"\nPaired differences from {present[0]}:\n\n" + markdown_table(differences[0], differences[1:])
        write_text_atomically(args.markdown, produced_by(_command_line(args)) + "\n\n" + body)
    result = {"systems": present,
              "summary": {s.system: _intervals(s.intervals) for s in summaries},
              "differences": {s.system: _intervals(s.differences) for s in summaries[1:]},
              "rows": [{"system": r.system, "item": r.item, "reference": str(r.reference),
                        "estimate": str(r.estimate), "label": r.label, "span": r.span, **_row_values(r),
                        "note": r.note, "made_by": made_by[r.estimate]} for r in rows],
              "problems": problems}
    emit(result, args.json, human)
    return 1 if problems else 0
