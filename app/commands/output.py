"""How sub-commands speak: one JSON object on stdout with --json, human lines on stderr."""

from __future__ import annotations

import json
import sys
from typing import Any


def emit(result: dict[str, Any], as_json: bool, human: list[str]) -> None:
    if as_json:
        json.dump(result, sys.stdout, indent=2, default=str)
        sys.stdout.write("\n")
    else:
        for line in human:
            print(line)


def warn(line: str) -> None:
    print(line, file=sys.stderr)
