"""Copy generated results (docs/results/NAME.md) into README.md between markers.

    <!-- results:NAME -->
    ...replaced...
    <!-- /results:NAME -->

Every figure in the README comes from a committed command that wrote docs/results/NAME.md;
`tests/test_readme.py` fails when the README and the generated files disagree.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BLOCK = re.compile(r"(<!-- results:(?P<name>[\w.-]+) -->\n)(?P<body>.*?)(<!-- /results:(?P=name) -->)", re.S)


def synced(readme: str, results: Path) -> str:
    def fill(match: re.Match) -> str:
        snippet = results / f"{match['name']}.md"
        missing = f"_Not measured yet: `{snippet.relative_to(ROOT)}` is missing._\n"
        body = snippet.read_text() if snippet.exists() else missing
        return f"{match.group(1)}{body}{match.group(4)}"

    return BLOCK.sub(fill, readme)


def main() -> int:
    readme = ROOT / "README.md"
    text = readme.read_text()
    new = synced(text, ROOT / "docs" / "results")
    if new != text:
        readme.write_text(new)
        print("README.md updated", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
