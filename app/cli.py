"""`meco-studio` command line: argparse sub-commands; never imports Qt.

Exit codes: 0 success, 1 a file failed, 2 usage, 130 interrupted.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

from app import __version__
from app.commands import COMMAND_MODULES, HelpFormatter
from app.engine.errors import AppError

log = logging.getLogger(__name__)

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="meco-studio",
        description="Separate, correct and inspect multi-talker microphone-array recordings. "
        "Without a command, the desktop app opens.",
        formatter_class=HelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages to stderr")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(f"app.commands.{name}").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        return int(args.run(args) or EXIT_OK)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except AppError as err:
        log.debug("command failed", exc_info=True)
        print(f"error: {err}", file=sys.stderr)
        return EXIT_FAILED
