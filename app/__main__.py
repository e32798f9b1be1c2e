"""Entry point: no arguments opens the GUI, anything else is the command line."""

from __future__ import annotations

import logging
import logging.handlers
import os
import sys
from pathlib import Path


def _log_dir() -> Path:
    base = os.environ.get("XDG_STATE_HOME") or os.path.join(Path.home(), ".local", "state")
    return Path(base) / "meco-studio"


def setup_logging(verbose: bool) -> None:
    """Handlers live only here: stderr for warnings (DEBUG with -v), a rotating file for all."""
    root = logging.getLogger()
    root.setLevel(logging.DEBUG)
    console = logging.StreamHandler(sys.stderr)
    console.setLevel(logging.DEBUG if verbose else logging.WARNING)
    console.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root.addHandler(console)
    try:
        folder = _log_dir()
        folder.mkdir(parents=True, exist_ok=True)
        file_handler = logging.handlers.RotatingFileHandler(folder / "meco-studio.log", maxBytes=2_000_000,
                                                            backupCount=3)
    except OSError:
        return
    file_handler.setLevel(logging.INFO)
    file_handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(file_handler)


def _opens_in_the_app(arg: str) -> bool:
    """A lone existing path opens in the app, unless it is also a command's name: `meco-studio
    models` run from the repository (which has a models/ folder) lists models."""
    from app.commands import COMMAND_MODULES

    return os.path.exists(arg) and arg not in COMMAND_MODULES


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    setup_logging(verbose="-v" in argv or "--verbose" in argv)
    gui_args = [a for a in argv if a not in ("-v", "--verbose")]
    if not gui_args or (len(gui_args) == 1 and _opens_in_the_app(gui_args[0])):
        from app.gui.app import run_gui

        return run_gui(gui_args[0] if gui_args else None)
    from app.cli import main as cli_main

    return cli_main(argv)


if __name__ == "__main__":
    sys.exit(main())
