"""`meco-studio label-sounds INPUT... --out DIR`: Process ▸ Label sounds… for files, an Audacity
label file `DIR/<stem>.txt` per recording with a numbered label over each stretch above the
threshold: each utterance of a talker, to import beside the recording and export or score one by
one (Export's Each label, `score --labels`). The recording is read a block at a time.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from app.commands import HelpFormatter
from app.commands.output import progress_bar, run_batch
from app.engine.errors import ConfigError
from app.engine.export import write_text_atomically
from app.engine.files import expand_inputs, open_recording
from app.engine.jobs import drive
from app.engine.labels import labels_text
from app.engine.sound_labels import ANY_CHANNEL, SoundSettings, recording_sounds_job


def register(sub: argparse._SubParsersAction) -> None:
    defaults = SoundSettings()
    p = sub.add_parser("label-sounds", help="label each stretch of recordings above a level (Audacity's Label "
                                            "Sounds) as Audacity label files", formatter_class=HelpFormatter)
    p.add_argument("inputs", nargs="+", metavar="INPUT", help="audio files or folders")
    p.add_argument("--out", required=True, type=Path, help="output folder; DIR/<stem>.txt")
    p.add_argument("--channel", type=int, default=None,
                   help="read this channel (from 1) only (default: the loudest channel at each moment)")
    p.add_argument("--threshold", type=float, default=defaults.threshold_dbfs, metavar="DBFS",
                   help="a 10 ms frame above this RMS level is sound")
    p.add_argument("--min-silence", type=float, default=defaults.min_silence_seconds, metavar="S",
                   help="shorter pauses do not split a sound")
    p.add_argument("--min-sound", type=float, default=defaults.min_sound_seconds, metavar="S",
                   help="shorter sounds get no label")
    p.add_argument("--text", default=defaults.text, help="the labels' text, numbered from 1")
    p.add_argument("--overwrite", action="store_true", help="replace existing label files")
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    p.set_defaults(run=run)


def label_file(path: Path, out_dir: Path, channel: int, settings: SoundSettings, overwrite: bool,
               show_bar: bool) -> dict:
    target = out_dir / f"{path.stem}.txt"
    if target.exists() and not overwrite:
        raise ConfigError(f"{target.name} already exists in {out_dir}; pass --overwrite to replace it.")
    with open_recording(path) as rec:
        if channel != ANY_CHANNEL and channel >= rec.channels:
            raise ConfigError(f"{path.name} has {rec.channels} channel(s): there is no channel {channel + 1}.")
        with progress_bar(path.name, "block", show_bar) as on_progress:
            labels = drive(recording_sounds_job(rec, channel, settings), on_progress)
    write_text_atomically(target, labels_text(labels))
    return {"input": str(path), "output": str(target), "labels": len(labels),
            "sound_seconds": round(sum(label.stop - label.start for label in labels), 3)}


def run(args: argparse.Namespace) -> int:
    settings = SoundSettings(args.threshold, args.min_silence, args.min_sound, args.text.strip() or "sound")
    settings.check()
    if args.channel is not None and args.channel < 1:
        raise ConfigError(f"--channel {args.channel}: channels are counted from 1.")
    channel = ANY_CHANNEL if args.channel is None else args.channel - 1
    show_bar = sys.stderr.isatty() and not args.json
    return run_batch(expand_inputs(args.inputs),
                     lambda path: label_file(path, args.out, channel, settings, args.overwrite, show_bar),
                     "labelled", args.json, lambda d: [f"{d['output']} ({d['labels']} labels)"])
