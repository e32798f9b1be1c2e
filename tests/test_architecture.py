"""The folder tree is the architecture: import-linter keeps models and the engine Qt-free."""

from __future__ import annotations

import configparser
import os
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


def test_the_command_line_and_the_window_module_start_without_loading_torch():
    """torch takes over a second to import: `meco-studio info` should not pay it, only a model run."""
    script = ("import sys, app.cli, app.gui.app; app.cli.build_parser(); "
              "print(sorted(m for m in sys.modules if m == 'torch' or m.startswith('torch.')))")
    out = subprocess.run([sys.executable, "-c", script], cwd=REPO_ROOT, capture_output=True, text=True, timeout=120,
                         env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_the_window_opens_the_demo_and_lists_the_models_before_loading_torch(tmp_path):
    """torch loads in the background once the window shows (then a model run needs it), not before."""
    script = ("import sys; from PySide6.QtWidgets import QApplication; "
              "from app.gui.app import start_main_window; app = QApplication([]); "
              "window = start_main_window(app, None); "
              "print(window.separate_action.isEnabled(), 'torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", script], cwd=REPO_ROOT, capture_output=True, text=True, timeout=120,
                         env={**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_CONFIG_HOME": str(tmp_path / "config"),
                              "XDG_DATA_HOME": str(tmp_path / "data")})
    assert out.returncode == 0, out.stderr
    assert out.stdout.split()[-2:] == ["True", "False"]
