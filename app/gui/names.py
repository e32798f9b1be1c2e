"""How the window names a recording in titles, menus and job names."""

from __future__ import annotations

from pathlib import Path


def display_name(path: Path) -> str:
    """File name with its folder: takes are often all called mixture.flac or take1.wav."""
    return f"{path.parent.name}/{path.name}" if path.parent.name else path.name
