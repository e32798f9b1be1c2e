"""Sub-commands of `meco-studio`. Each module exposes `register(subparsers)`; never imports Qt."""

from __future__ import annotations

import argparse

# Each module registers its sub-commands; order is the order shown in --help.
COMMAND_MODULES = ("info", "stats", "pitch", "delays", "combine", "label_stats", "label_sounds", "record", "separate",
                   "correct", "enhance", "denoise", "declip", "declick", "dereverb", "repair", "export", "evaluate",
                   "score", "ratings", "report", "models", "bench", "devices", "about", "data")


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Shows defaults, except where there is none to show (None, False, an empty list) or the help says it."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        if action.default in (None, False, []) or "default" in (action.help or ""):
            return action.help
        return super()._get_help_string(action)
