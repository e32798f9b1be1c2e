"""One style everywhere: ruff's pyflakes and pycodestyle rules at 120 columns (`[tool.ruff]` in
pyproject.toml) over the code and its tests."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO_ROOT


def test_ruff_finds_no_unused_names_or_overlong_lines():
    ruff = Path(sys.executable).with_name("ruff")
    assert ruff.exists() or shutil.which("ruff"), "ruff is a test dependency"
    out = subprocess.run([str(ruff) if ruff.exists() else "ruff", "check", "--no-cache", "app", "models", "tests",
                          "packaging"], cwd=REPO_ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
