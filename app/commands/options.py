"""Options and input handling shared by the commands (separate, correct, enhance; --range also stats
and export)."""

from __future__ import annotations

import argparse

from app.engine.errors import ConfigError
from app.engine.channel_lists import parse_channel_list
from app.engine.export import AudioFormat, SampleFormat
from app.engine.separation import OutputRate
from app.engine.timecode import parse_clock
from models.inference.chunked import ChunkConfig


def parse_channels(text: str) -> tuple[int, ...]:
    """'1-4,6' -> (0, 1, 2, 3, 5), as argparse wants its errors."""
    try:
        return parse_channel_list(text)
    except ConfigError as err:
        raise argparse.ArgumentTypeError(str(err)) from err


def parse_time(text: str) -> float:
    """'90.5', '1:30.5' or '0:01:30.5' -> seconds, as argparse wants its errors."""
    try:
        return parse_clock(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from err


def add_range_option(p: argparse.ArgumentParser | argparse._MutuallyExclusiveGroup, what: str) -> None:
    """--range START STOP, each in seconds or as m:ss / h:mm:ss, as the window shows times."""
    p.add_argument("--range", nargs=2, type=parse_time, default=None, metavar=("START", "STOP"),
                   help=f"{what}; times in seconds (90.5) or as m:ss.sss / h:mm:ss.sss (1:30.5)")


def add_channel_options(p: argparse.ArgumentParser, reference_help: str) -> None:
    p.add_argument("--channels", type=parse_channels, default=None,
                   help="mixture channels to use, from 1, e.g. 1-4 (default: all, at most 8)")
    p.add_argument("--reference", type=int, default=1, help=reference_help)


def add_run_options(p: argparse.ArgumentParser, *, output_rate_of: str | None, threads: bool) -> None:
    """Chunk length, output rate (when the command resamples; `output_rate_of` names whose rate
    "input" means), overwrite, threads and --json."""
    p.add_argument("--chunk-seconds", type=float, default=ChunkConfig.seconds,
                   help="chunk length; memory grows with it, not with the file")
    if output_rate_of is not None:
        p.add_argument("--output-rate", choices=[r.value for r in OutputRate], default=OutputRate.INPUT.value,
                       help=f"write at the {output_rate_of}'s rate or the model's (16 kHz)")
    p.add_argument("--overwrite", action="store_true", help="replace existing outputs")
    if threads:
        p.add_argument("--threads", type=int, default=None, help="CPU threads for the model (default: torch's choice)")
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")



def add_format_options(p: argparse.ArgumentParser, sample_default: str) -> None:
    """--format and --sample-format, both None unless given (`sample_default` says, in the help,
    what the command then writes)."""
    p.add_argument("--format", type=AudioFormat, choices=list(AudioFormat), default=None,
                   help="file format (OGG is Vorbis and MP3 is MPEG Layer III: both lossy; default: wav)")
    p.add_argument("--sample-format", type=SampleFormat, choices=list(SampleFormat), default=None,
                   help=f"sample format (FLOAT: WAV only; ignored for OGG and MP3; default: {sample_default})")
