"""The folder tree is the architecture: import-linter keeps models and the engine Qt-free."""

from __future__ import annotations

import configparser
import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO_ROOT


def test_layer_contracts_hold():
    lint = Path(sys.executable).with_name("lint-imports")
    assert lint.exists() or shutil.which("lint-imports"), "import-linter is a test dependency"
    out = subprocess.run([str(lint) if lint.exists() else "lint-imports", "--no-cache"], cwd=REPO_ROOT,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "0 broken" in out.stdout


def test_desktop_entry_names_an_existing_icon_and_the_console_script():
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str
    entry.read(REPO_ROOT / "packaging" / "meco-studio.desktop")
    desktop = entry["Desktop Entry"]
    assert desktop["Type"] == "Application"
    assert desktop["Exec"].split()[0] == "meco-studio"
    assert (REPO_ROOT / "resources" / "icons" / f"{desktop['Icon']}.svg").is_file()
