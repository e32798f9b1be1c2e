"""Where the app keeps its own files: user models and autosaved sessions, under the XDG data home."""

from __future__ import annotations

import os
from pathlib import Path


def app_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(Path.home(), ".local", "share")
    return Path(base) / "meco-studio"


def app_cache_dir() -> Path:
    """Scratch space that may be lost at any time (the disk behind long versions' audio)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(Path.home(), ".cache")
    return Path(base) / "meco-studio"
