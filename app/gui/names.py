"""How the window names a recording in titles, menus and job names."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from app.engine.combine import RecorderChannels


def display_name(path: Path) -> str:
    """File name with its folder: takes are often all called mixture.flac or take1.wav."""
    return f"{path.parent.name}/{path.name}" if path.parent.name else path.name


def distinct_names(paths: list[Path]) -> list[str]:
    """Each path's `display_name`, with a folder more at a time where two would read the same
    (two copies of a project hold the same demo/mixture.flac; a menu of identical lines helps no one)."""
    depth = [2] * len(paths)

    def tail(path: Path, parts: int) -> str:
        return display_name(path) if parts == 2 else str(Path(*path.parts[-parts:]))

    while True:
        names = [tail(path, d) for path, d in zip(paths, depth)]
        grow = [i for i, name in enumerate(names) if names.count(name) > 1 and depth[i] < len(paths[i].parts)]
        if not grow:
            return names
        for i in grow:
            depth[i] += 1


def for_recorder(text: str, channel: int, recorders: Sequence[RecorderChannels]) -> str:
    """`text` about `channel` ("Ch 5"), with the name of the recorder it came from when the
    recording was combined from several ("Ch 5 · phone.wav")."""
    owner = next((recorder.name for recorder in recorders if channel in recorder.channels), None)
    return f"{text} · {owner}" if owner else text


def channel_names(channels: int, recorders: Sequence[RecorderChannels] = ()) -> list[str]:
    return [for_recorder(f"Ch {c + 1}", c, recorders) for c in range(channels)]
