"""The bundled demo recordings, listed in `resources/demo/manifest.jsonl`.

The manifest is JSON lines; each line describes one demo item and its `mixture` field is a
path relative to `resources/demo`. The GUI opens the first mixture when started without a file,
so a new user sees a real multi-talker recording instead of an empty window.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

log = logging.getLogger(__name__)

DEMO_DIR = Path(__file__).resolve().parents[2] / "resources" / "demo"


def first_demo_path(demo_dir: Path = DEMO_DIR) -> Path | None:
    """The first demo mixture that exists, or None when the demo is not installed or unreadable."""
    manifest = demo_dir / "manifest.jsonl"
    try:
        lines = manifest.read_text(encoding="utf-8").splitlines()
    except OSError:
        return None
    for line in lines:
        if not line.strip():
            continue
        try:
            mixture = json.loads(line).get("mixture")
        except (json.JSONDecodeError, AttributeError):
            log.warning("skipping a malformed line in %s", manifest)
            continue
        if isinstance(mixture, str) and (demo_dir / mixture).is_file():
            return demo_dir / mixture
        return None
    return None
