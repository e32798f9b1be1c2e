"""The README opens with the two commands, and its figures are exactly what the commands wrote."""

from __future__ import annotations

import re

from tests.conftest import REPO_ROOT


def _load_sync():
    import importlib.util

    spec = importlib.util.spec_from_file_location("sync_readme", REPO_ROOT / "packaging" / "sync_readme.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_readme_opens_with_launch_and_test_commands():
    text = (REPO_ROOT / "README.md").read_text()
    first_block = re.search(r"```bash\n(.*?)```", text, re.S).group(1)
    assert "packaging/dev.sh launch" in first_block and "packaging/dev.sh test" in first_block
    assert "packaging/dev.sh test" in (REPO_ROOT / ".ci" / "run").read_text()


def test_readme_results_match_the_generated_files():
    sync = _load_sync()
    text = (REPO_ROOT / "README.md").read_text()
    assert sync.synced(text, REPO_ROOT / "docs" / "results") == text, "run python packaging/sync_readme.py"
