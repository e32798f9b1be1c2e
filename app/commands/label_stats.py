"""`meco-studio label-stats LABELS...`: each speaker's talk time, turns and share, and the overlap;
with `--reference`, each labelling's diarization error rate against a reference (`diarization`).

What Process ▸ Label statistics… shows, for label files: Audacity labels, RTTM (a diarization
system's output), TextGrids or subtitles. Shares are of the recording's length when `--recording`
names it, else of the span up to the last label's end, and the output says which.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

from app.commands import HelpFormatter
from app.commands.output import aligned, run_batch
from app.engine.diarization import describe, diarization_score
from app.engine.errors import ConfigError
from app.engine.files import open_recording
from app.engine.label_stats import label_statistics, statistics_table
from app.engine.labels import read_label_file
from app.engine.timecode import format_duration


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("label-stats", help="talk time, turns and overlap per speaker of label files (RTTM, ...)",
                       formatter_class=HelpFormatter)
    p.add_argument("inputs", nargs="+", metavar="LABELS", help="Audacity label, RTTM, TextGrid, WebVTT or SubRip files")
    p.add_argument("--recording", type=Path, default=None,
                   help="the audio the labels are of: shares of its length, and its stem picks an RTTM file's turns")
    p.add_argument("--file-id", default=None, help="which recording's turns an RTTM file of several holds")
    p.add_argument("--reference", type=Path, default=None, metavar="REF",
                   help="a reference labelling (RTTM, ...): each input's diarization error rate against it")
    p.add_argument("--collar", type=float, default=0.0, metavar="S",
                   help="seconds around each reference turn's edges left out of the error rate (NIST: 0.25)")
    p.add_argument("--skip-overlap", action="store_true",
                   help="leave overlapped reference speech out of the error rate")
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    p.set_defaults(run=run)


def summarise(path: Path, recording: Path | None, file_id: str | None, args: argparse.Namespace) -> dict:
    labels = read_label_file(path, file_id or (recording.stem if recording else None))
    if recording is not None:
        with open_recording(recording) as rec:
            duration, over = rec.frames / rec.sample_rate, f"{recording.name}'s length"
    else:
        duration, over = max((label.stop for label in labels), default=0.0), "the span up to the last label's end"
    rows = label_statistics(labels, duration)
    if not rows:
        raise ConfigError(f"{path.name} holds no labels that span time.")
    result: dict = {}
    if args.reference is not None:
        reference = read_label_file(args.reference, file_id or (recording.stem if recording else None))
        end = max([duration, *(label.stop for label in reference)])
        score = diarization_score(reference, labels, end, args.collar, args.skip_overlap)
        result["diarization"] = {"reference": str(args.reference), "collar_seconds": args.collar,
                                 "skip_overlap": args.skip_overlap, "error_rate": round(score.error_rate, 6),
                                 **{k: round(getattr(score, k), 6) for k in ("reference_seconds", "missed",
                                                                              "false_alarm", "confusion")},
                                 "text": describe(score)}
    return result | {"input": str(path), "labels": len(labels), "duration_seconds": duration, "shares_of": over,
            "rows": [{"name": r.name, "turns": r.turns, "seconds": round(r.seconds, 6),
                      "share": None if math.isnan(r.share) else round(r.share, 6), "mean_turn_seconds":
                      round(r.mean_turn, 6), "longest_turn_seconds": round(r.longest, 6)} for r in rows],
            "table": statistics_table(rows)}


def _lines(result: dict) -> list[str]:
    head = (f"{result['input']}: {result['labels']} label(s); shares of {result['shares_of']} "
            f"({format_duration(result['duration_seconds'])})")
    lines = [head] + ["  " + line for line in aligned(result["table"])]
    if "diarization" in result:
        lines.append(f"  against {Path(result['diarization']['reference']).name}: {result['diarization']['text']}")
    return lines


def run(args: argparse.Namespace) -> int:
    return run_batch([Path(p) for p in args.inputs], lambda path: summarise(path, args.recording, args.file_id, args),
                     "summarised", args.json, _lines, announce=False)
