"""`meco-studio export SESSION --out DIR`: write a saved session's versions as audio files.

One file per version, named by `--template`, optionally brought to a loudness target
(`--loudness -23` for EBU R128); every file goes to a temporary file in DIR and
all are renamed together at the end, so an interrupted or failed export leaves nothing, and
nothing is overwritten without `--overwrite`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from app.commands import HelpFormatter
from app.commands.options import add_format_options, add_range_option
from app.commands.output import emit, progress_bar, warn
from app.engine.documents import load_session
from app.engine.errors import ConfigError, JobCancelled
from app.engine.export import (
    DEFAULT_TEMPLATE,
    PRESETS,
    AudioFormat,
    ExportSettings,
    PeakPolicy,
    SampleFormat,
    export_versions_job,
    peak_warnings,
)
from app.engine.jobs import drive
from app.engine.labels import read_label_file

MODEL_RATE = 16_000
SESSION_LABELS = "session"      # --each-label without a file: the labels saved in the session


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("export", help="export the versions of a saved session (.mecosession) as audio files",
                       formatter_class=HelpFormatter)
    p.add_argument("session", type=Path, help="a session folder saved by the desktop app")
    p.add_argument("--out", required=True, type=Path, help="output folder")
    p.add_argument("--preset", choices=[preset.key for preset in PRESETS], default=None,
                   help="a purpose's usual format, samples, rate, loudness and peaks (the export dialog's Preset: "
                        + "; ".join(f"{preset.key}: {preset.name.split(': ')[1]}" for preset in PRESETS)
                        + "); the options below, when given, override it")
    add_format_options(p, "PCM_24")
    p.add_argument("--rate", default=None,
                   help="'source' (each version's rate), 'model' (16000) or a rate in Hz (default: source)")
    p.add_argument("--peak", type=PeakPolicy, choices=list(PeakPolicy), default=None,
                   help="what to do with peaks above 0 dBFS (none: float only; default: limit)")
    p.add_argument("--loudness", type=float, default=None, metavar="LUFS",
                   help="bring each file to this integrated loudness (BS.1770), e.g. -23 (EBU R128) or -16 "
                        "(podcasts), before the peak policy; default: keep the level")
    p.add_argument("--template", default=DEFAULT_TEMPLATE,
                   help="file name: {recording} {talker} {kind} {name} {model}")
    p.add_argument("--only", dest="versions", action="append", default=None, metavar="NAME",
                   help="export only this version (name or id; repeat for more); default: all visible")
    p.add_argument("--include-hidden", action="store_true", help="also export versions hidden in the app")
    scope = p.add_mutually_exclusive_group()
    add_range_option(scope, "export only this range of each version")
    scope.add_argument("--each-label", nargs="?", const=SESSION_LABELS, default=None,
                       metavar="LABELS.txt|.rttm|.TextGrid|.vtt|.srt",
                       help="one file per version and label: the session's labels, or those of an Audacity label "
                            "file, an RTTM file, a Praat TextGrid or subtitles (WebVTT, SubRip); the template gains "
                            "_{n}_{label} unless it names {n} or {label}")
    p.add_argument("--multichannel", action="store_true",
                   help="one file with a channel per version, in session order (per label with --each-label); "
                        "the template's {talker} {name} ... join the versions' values with '+'")
    p.add_argument("--overwrite", action="store_true", help="replace existing files")
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    p.set_defaults(run=run)


def _rate(value: str) -> int | None:
    if value == "source":
        return None
    if value == "model":
        return MODEL_RATE
    try:
        rate = int(value)
    except ValueError:
        rate = 0
    if not 8_000 <= rate <= 192_000:
        raise ConfigError(f"--rate {value!r} is not usable; give 'source', 'model' or a rate from 8000 to 192000 Hz.")
    return rate


def chosen_settings(args: argparse.Namespace) -> tuple[ExportSettings, int | None]:
    """The export settings and rate: the preset's where one is named, each option given overriding it."""
    preset = next((p for p in PRESETS if p.key == args.preset), None)
    fmt = args.format or (preset.format if preset else AudioFormat.WAV)
    sample_format = args.sample_format or (preset.sample_format if preset else SampleFormat.PCM_24)
    peak = args.peak or (preset.peak if preset else PeakPolicy.LIMIT)
    loudness = args.loudness if args.loudness is not None else preset.loudness_lufs if preset else None
    rate = args.rate or ("model" if preset and preset.model_rate else "source")
    return (ExportSettings(fmt, SampleFormat.PCM_16 if fmt.lossy else sample_format, peak, args.overwrite, loudness),
            _rate(rate))


def run(args: argparse.Namespace) -> int:
    settings, rate = chosen_settings(args)
    session = load_session(args.session)
    versions = [v for v in session.versions if args.include_hidden or not v.hidden]
    if args.versions:
        wanted = set(args.versions)
        versions = [v for v in session.versions if v.name in wanted or v.id in wanted]
        found = {v.name for v in versions} | {v.id for v in versions}
        missing = sorted(wanted - found)
        if missing:
            raise ConfigError(f"{args.session.name} has no version {', '.join(missing)}; it has "
                              f"{', '.join(v.name for v in session.versions)}.")
    if not versions:
        raise ConfigError(f"{args.session.name} has no versions to export.")
    for line in peak_warnings(versions):
        warn(f"warning: {line} {settings.peak} applied.")
    recording = session.recording_path.stem if session.recording_path else args.session.stem
    labels = None
    if args.each_label == SESSION_LABELS:
        labels = session.labels
    elif args.each_label is not None:
        labels = read_label_file(Path(args.each_label), recording)
    with progress_bar("export", "block", sys.stderr.isatty()) as on_progress:
        try:
            paths = drive(export_versions_job(versions, args.out, args.template, recording, settings, rate,
                                              None if args.range is None else tuple(args.range), labels,
                                              args.multichannel),
                          on_progress)
        except (KeyboardInterrupt, JobCancelled):
            warn("interrupted; nothing was written")
            raise KeyboardInterrupt from None
    emit({"outputs": [str(p) for p in paths], "format": str(settings.format), "subtype": settings.subtype,
          "loudness_lufs": settings.loudness_lufs, "versions": [v.name for v in versions]},
         args.json, [f"wrote {p}" for p in paths])
    return 0
