"""`meco-studio separate INPUT... --out DIR`: one track per talker, `DIR/<stem>/spk{k}.wav` (or
`.flac`, `.ogg`, `.mp3` with `--format`).

Works on files and folders, keeps going past a bad file and lists failures at the end; the work
of one file is `app.engine.batch.separate_file_job`, which the window's batch dialog runs too.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from app.commands import HelpFormatter
from app.commands.options import add_channel_options, add_format_options, add_range_option, add_run_options
from app.commands.output import progress_bar, run_batch, warn
from app.engine.batch import BatchSettings, check_file, output_folders, separate_file_job
from app.engine.correction import DEFAULT_SEED, CorrectSettings, has_corrector
from app.engine.enhancement import EnhanceSettings
from app.engine.export import AudioFormat, SampleFormat
from app.engine.errors import AppError, ConfigError
from app.engine.files import expand_inputs
from app.engine.jobs import drive
from app.engine.separation import BLIND_METHODS, Method, OutputRate, SeparateSettings
from models.inference.chunked import ChunkConfig

log = logging.getLogger(__name__)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("separate", help="separate talkers in recordings (files or folders)",
                       formatter_class=HelpFormatter)
    p.add_argument("inputs", nargs="+", metavar="INPUT", help="audio files or folders")
    p.add_argument("--out", required=True, type=Path,
                   help="output folder; DIR/<stem>/spk1.wav ... (DIR/<parent>_<stem>/ for inputs sharing a name)")
    p.add_argument("--method", choices=[m.value for m in BLIND_METHODS], default=Method.MODEL.value,
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
    p.add_argument("--silence-between-turns", action="store_true",
                   help="silence each talker's track outside its turns (who speaks when, found from the tracks): "
                        "the crosstalk a separator leaves between turns, gone before transcription")
    p.add_argument("--blend", type=float, default=None, metavar="DB",
                   help="bring back the rest of the mixture (the other talkers, the noise, the room) into each "
                        "track at this level, e.g. -20, to mask a hard separation's artefacts; 0 gives the mixture")
    p.add_argument("--reduce-noise", type=float, default=None, metavar="DB",
                   help="lower each track's steady noise (hiss, fan, room tone) by this much, e.g. 12, learnt from "
                        "its quietest frames, as Edit ▸ Reduce noise… does; before --blend")
    p.add_argument("--declip", action="store_true",
                   help="redraw each recording's clipped runs before separating it (as meco-studio declip does, "
                        "with no copy written)")
    p.add_argument("--fill-dropouts", action="store_true",
                   help="redraw each recording's dropouts of up to 20 ms, every channel, before separating it (as "
                        "Process ▸ Repair the recording… does, with no copy written)")
    p.add_argument("--declick", action="store_true",
                   help="redraw each recording's clicks, every channel, before separating it (as meco-studio declick "
                        "does, with no copy written)")
    p.add_argument("--dereverb", action="store_true",
                   help="take each recording's late reverberation out before separating it, every channel from all "
                        "of them (as meco-studio dereverb does, with no copy written); lifts AuxIVA and ILRMA most, "
                        "the shipped separator less, and costs more than the separator itself (evaluate separation "
                        "--dereverb)")
    add_range_option(p, "separate only this part of each recording (a trial on a long file); the tracks "
                        "then hold that part alone")
    add_format_options(p, "PCM_16")
    add_run_options(p, output_rate_of="input", threads=True)
    p.set_defaults(run=run)


def separate_file(path: Path, target: Path, settings: BatchSettings, show_bar: bool) -> dict:
    """One file of the batch into the folder `target`, with a progress bar on a terminal; its notes
    go to stderr."""
    with progress_bar(path.name, "chunk", show_bar) as on_progress:
        report = drive(separate_file_job(path, target, settings), on_progress)
    for note in report["notes"]:
        warn(f"note: {note}")
    return report


def _warn_of_refusals(files: list[Path], settings: BatchSettings) -> None:
    """Before a long batch, the recordings it will not separate as asked (read from their headers),
    so a script's user learns of them at the start rather than hours later; each is listed again
    at the end."""
    refused = []
    for path in files:
        try:
            problem = check_file(path, settings).problem
        except AppError as err:
            problem = str(err)
        if problem:
            refused.append(problem)
    if refused:
        warn(f"note: {len(refused)} of {len(files)} recordings cannot be separated as asked; the batch goes on past "
             "them and lists them at the end:")
        for problem in refused:
            warn(f"  {problem}")


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
    span = None if args.range is None else (args.range[0], args.range[1])
    batch = BatchSettings(settings, correct, args.also_uncorrected, enhance, args.loudness, args.overwrite, span,
                          args.silence_between_turns, args.blend, args.reduce_noise, declip=args.declip,
                          declick=args.declick, dropouts=args.fill_dropouts, dereverb=args.dereverb,
                          format=args.format or AudioFormat.WAV,
                          sample_format=args.sample_format or SampleFormat.PCM_16)
    files = expand_inputs(args.inputs)
    if not files:
        warn("error: no audio files found in the given inputs")
        return 1
    if len(files) > 1:
        _warn_of_refusals(files, batch)
    show_bar = sys.stderr.isatty() and not args.json
    targets = dict(zip(files, output_folders(files, args.out)))
    return run_batch(files, lambda path: separate_file(path, targets[path], batch, show_bar),
                     "separated", args.json, lambda d: d["outputs"])
