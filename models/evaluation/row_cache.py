"""Scored rows kept on disk, so re-scoring a retrained separator redoes only its own rows.

The floor, the oracle and the classical baselines depend only on the mixture, and a model's
rows only on its weights: keyed by (fixed set, item, method, mics, DNSMOS or not), with a
model's key carrying a hash of its weights, an interrupted evaluation resumes where it stopped
and a new checkpoint re-scores only what changed. The RTF kept is the one measured when the
row was computed; the cache lives in the git-ignored cache folder of the machine that made it.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path


def file_digest(path: Path) -> str:
    """Short content hash: a rebuilt fixed set gets new keys, so stale rows are never reused."""
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


class RowCache:
    """Append-only JSON lines, one per (key, rows); the last line for a key wins."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._rows: dict[str, list[dict]] = {}
        self._torn = False               # the last line was cut short: start the next on a new line
        if path.exists():
            text = path.read_text()
            self._torn = bool(text) and not text.endswith("\n")
            for line in text.splitlines():
                try:
                    entry = json.loads(line)
                    self._rows[entry["key"]] = entry["rows"]
                except (json.JSONDecodeError, KeyError, TypeError):
                    continue                 # a line cut short by an interrupted run

    @staticmethod
    def key(*parts: object) -> str:
        return json.dumps(parts)

    def get(self, key: str) -> list[dict] | None:
        rows = self._rows.get(key)
        return None if rows is None else [dict(r) for r in rows]

    def put(self, key: str, rows: list[dict]) -> None:
        self._rows[key] = [dict(r) for r in rows]
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a") as f:
            f.write(("\n" if self._torn else "") + json.dumps({"key": key, "rows": rows}) + "\n")
        self._torn = False
