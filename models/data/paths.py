"""Where generated data lives: one cache root, git-ignored, reused across runs."""

from __future__ import annotations

import json
import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


def cache_root() -> Path:
    """`$MECO_CACHE` when set, else `<repo>/cache` (ignored by git, see .gitignore)."""
    return Path(os.environ.get("MECO_CACHE") or REPO_ROOT / "cache")


def read_jsonl(path: Path) -> list[dict]:
    """The records of a JSON-lines manifest; an absent file has none."""
    if not path.exists():
        return []
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]
