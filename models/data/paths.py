"""Where generated data lives: one cache root, git-ignored, reused across runs."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


def cache_root() -> Path:
    """`$MECO_CACHE` when set, else `<repo>/cache` (ignored by git, see .gitignore)."""
    return Path(os.environ.get("MECO_CACHE") or REPO_ROOT / "cache")
