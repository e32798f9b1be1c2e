"""`meco-studio separate INPUT... --out DIR`: one track per talker, `DIR/<stem>/spk{k}.wav`.

Works on files and folders, keeps going past a bad file and lists failures at the end; output
streams into temporary files that are renamed only when a recording is complete.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np

from app.commands import HelpFormatter
from app.commands.options import add_channel_options, add_run_options, expand_inputs
from app.commands.output import progress_bar, run_batch, warn
from app.engine.correction import DEFAULT_SEED, CorrectSettings, corrected_separation_job, has_corrector
from app.engine.enhancement import EnhanceSettings, enhance_job
from app.engine.errors import ConfigError
from app.engine.export import (
    AtomicAudioWriter,
    ExportSettings,
    PeakPolicy,
    SampleFormat,
    apply_peak_policy,
    normalise_file_loudness,
)
from app.engine.files import open_recording
from app.engine.jobs import drive
from app.engine.separation import Method, OutputRate, SeparateSettings, separate_job
from models.inference.chunked import ChunkConfig

log = logging.getLogger(__name__)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("separate", help="separate talkers in recordings (files or folders)",
                       formatter_class=HelpFormatter)
    p.add_argument("inputs", nargs="+", metavar="INPUT", help="audio files or folders")
    p.add_argument("--out", required=True, type=Path, help="output folder; DIR/<stem>/spk1.wav ...")
    p.add_argument("--method", choices=[m.value for m in Method], default=Method.MODEL.value,
                   help="trained model, or classical blind separation (needs >= 2 channels)")
    p.add_argument("--model", default=None, help="separator card name (default: the shipped one)")
    add_channel_options(p, "reference channel (from 1) where talkers are estimated")
    spatial = p.add_mutually_exclusive_group()
    spatial.add_argument("--spatial-filter", dest="spatial_filter", action="store_true", default=None,
                         help="refine with the mask-driven multichannel Wiener filter")
    spatial.add_argument("--no-spatial-filter", dest="spatial_filter", action="store_false",
                         help="use the network's masks only")
    correction = p.add_mutually_exclusive_group()
    correction.add_argument("--no-correct", action="store_true",
                            help="skip the MeCo corrector (applied by default when one is installed)")
    correction.add_argument("--also-uncorrected", action="store_true",
                            help="also write the separator's raw output as spk{k}_separated.wav")
    p.add_argument("--corrector", default=None, help="MeCo card name (default: the shipped one)")
    p.add_argument("--seed", type=int, default=DEFAULT_SEED, help="MeCo noise seed, for reproducible output")
    p.add_argument("--enhance", nargs="?", const="", default=None, metavar="NAME",
                   help="finish each talker with a speech enhancer (default NAME: the best shipped student)")
    p.add_argument("--loudness", type=float, default=None, metavar="LUFS",
                   help="bring each track to this integrated loudness (BS.1770), e.g. -16 (podcasts) or -23 "
                        "(EBU R128); default: the level the models give (that of the talker in the mixture)")
    add_run_options(p, output_rate_of="input", threads=True)
    p.set_defaults(run=run)


def enhance_in_place(paths: list[Path], settings: EnhanceSettings, export: ExportSettings,
                     on_progress: Callable) -> list[dict]:
    """Stream each finished talker file through the enhancer into a temporary file that replaces it."""
    infos = []
    for path in paths:
        with open_recording(path) as rec:
            writer = AtomicAudioWriter(path, rec.sample_rate, rec.channels, replace(export, overwrite=True))
            try:
                job = enhance_job(rec, settings, sink=lambda b: writer.write(apply_peak_policy(b, export.peak)))
                result = drive(job, on_progress)
            except BaseException:
                writer.abort()
                raise
        writer.commit()
        infos.append(result.info)
    return infos


def separate_file(path: Path, out_dir: Path, settings: SeparateSettings, overwrite: bool, show_bar: bool,
                  correct: CorrectSettings | None = None, also_uncorrected: bool = False,
                  enhance: EnhanceSettings | None = None, loudness_lufs: float | None = None) -> dict:
    """Separate (and correct) one file into `out_dir/<stem>/spk{k}.wav`; nothing is left on failure.

    With `loudness_lufs` the tracks are written as float first (no limiting at the models' level)
    and brought to the target at the end, where the peak policy then acts."""
    target = out_dir / path.stem
    final = ExportSettings(peak=PeakPolicy.LIMIT, overwrite=overwrite, loudness_lufs=loudness_lufs)
    export = final if loudness_lufs is None else \
        ExportSettings(sample_format=SampleFormat.FLOAT, peak=PeakPolicy.NONE, overwrite=overwrite)
    with open_recording(path) as rec:
        for notice in ([rec.notice] if rec.notice else []):
            warn(f"warning: {notice}")
        rate = rec.sample_rate if settings.output_rate is OutputRate.INPUT else 16_000
        writers: list[AtomicAudioWriter] = []
        raw_writers: list[AtomicAudioWriter] = []

        def to_writers(targets: list[AtomicAudioWriter]) -> Callable[[np.ndarray], None]:
            def sink(block: np.ndarray) -> None:
                block = apply_peak_policy(block, export.peak)
                for k, w in enumerate(targets):
                    w.write(block[k:k + 1])
            return sink

        with progress_bar(path.name, "chunk", show_bar) as on_progress:
            try:
                for k in range(2):
                    writers.append(AtomicAudioWriter(target / f"spk{k + 1}.wav", rate, 1, export))
                    if correct is not None and also_uncorrected:
                        raw_writers.append(
                            AtomicAudioWriter(target / f"spk{k + 1}_separated.wav", rate, 1, export))
                correction = None
                if correct is None:
                    result = drive(separate_job(rec, settings, sink=to_writers(writers)), on_progress)
                else:
                    job = corrected_separation_job(rec, settings, correct, sink=to_writers(writers),
                                                   uncorrected_sink=to_writers(raw_writers) if raw_writers else None)
                    result, correction = drive(job, on_progress)
                outputs = [str(w.commit()) for w in writers + raw_writers]
            except BaseException:
                for w in writers + raw_writers:
                    w.abort()
                raise
            try:
                enhanced = (enhance_in_place([w.path for w in writers], enhance, export, on_progress)
                            if enhance else None)
                loudness = None if loudness_lufs is None else \
                    [normalise_file_loudness(w.path, final) for w in writers + raw_writers]
            except BaseException:
                for w in writers + raw_writers:      # a half-finished run leaves nothing behind
                    w.path.unlink(missing_ok=True)
                raise
        for notice in result.notices:
            warn(f"note: {notice}")
        for w, measured in zip(writers + raw_writers, loudness or []):
            if measured is None:
                warn(f"note: {w.path.name} is silent, so it keeps its level rather than {loudness_lufs:g} LUFS")
        seconds = result.seconds + (correction.seconds if correction is not None else 0.0)
        return {"input": str(path), "outputs": outputs, **result.info,
                "correction": correction.info if correction is not None else None, "enhancement": enhanced,
                "loudness": None if loudness is None else {"target_lufs": loudness_lufs, "measured_lufs": [
                    None if m is None else round(m, 2) for m in loudness]},
                "rtf": round(seconds / rec.info.duration_seconds, 4)}


def run(args: argparse.Namespace) -> int:
    if args.chunk_seconds < 0.5:
        raise ConfigError(f"--chunk-seconds {args.chunk_seconds} is too short; use at least 0.5.")
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    settings = SeparateSettings(method=Method(args.method), model=args.model, reference_channel=args.reference - 1,
                                channels=args.channels, chunk=ChunkConfig(seconds=args.chunk_seconds),
                                spatial_filter=args.spatial_filter, output_rate=OutputRate(args.output_rate))
    correct = None if args.no_correct else CorrectSettings(model=args.corrector, seed=args.seed, chunk=settings.chunk)
    if correct is not None and not has_corrector(args.corrector):
        if args.corrector is not None or args.also_uncorrected:
            raise ConfigError(f"No MeCo corrector{' named ' + args.corrector if args.corrector else ''} is installed; "
                              "drop --corrector/--also-uncorrected or install a correction card.")
        warn("note: no MeCo corrector is installed yet; writing the separator's output uncorrected.")
        correct = None
    enhance = None if args.enhance is None else EnhanceSettings(model=args.enhance or None, chunk=settings.chunk)
    ExportSettings(loudness_lufs=args.loudness)         # refuses a target out of range before any work
    files = expand_inputs(args.inputs)
    if not files:
        warn("error: no audio files found in the given inputs")
        return 1
    show_bar = sys.stderr.isatty() and not args.json
    return run_batch(files, lambda path: separate_file(path, args.out, settings, args.overwrite, show_bar, correct,
                                                       args.also_uncorrected, enhance, args.loudness),
                     "separated", args.json, lambda d: d["outputs"])
