"""Result snippets for the README: each opens by naming the command that produced it.

`packaging/sync_readme.py` pastes them into the README, so every figure there can be traced
back to a command in the repository.
"""

from __future__ import annotations

from pathlib import Path


def produced_by(command: str, note: str = "") -> str:
    """The opening line: "Produced by `command`." and, optionally, how to read what follows."""
    return f"Produced by `{command}`." + (f" {note}" if note else "")


def write_result(path: Path, command: str, body: str, note: str = "") -> None:
    """Write `body` under its opening line, creating the folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(produced_by(command, note) + "\n\n" + body.rstrip("\n") + "\n")


def markdown_table(header: list[str], rows: list[list[str]]) -> str:
    """A markdown table of cells already formatted, header first."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in rows]) + "\n"
