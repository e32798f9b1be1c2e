"""Recording from several input devices at once: an ad hoc array from one computer (two USB
microphones, an interface and a laptop's microphones), one file per device.

Each device runs its own `Recorder` (its own PortAudio stream, ring and writer), started one after
another and stopped together. The devices' clocks are not locked to one another: they start a few
milliseconds apart and part by tens of parts per million, so their takes are not yet one array
recording; Combine (`app.engine.combine`) then finds each one's start and drift from the sound and
writes them side by side, as for any separate recorders. Each file's comment names its device and
the others of its take, which is how `take_files` finds a take's files again from any one of them.
"""

from __future__ import annotations

import glob
import re
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from app.engine.capture import CaptureError, CaptureResult, CaptureSettings, Recorder, device_name
from app.engine.provenance import read_tags

MAX_DEVICE_SLUG = 40
# What `Recorder` writes in a take's comment: its device, and with `together_with` the take's others.
_TAKE_COMMENT = re.compile(r"recorded from (?P<own>.+?), \d+ channel\(s\) at \d+ Hz, "
                           r"together with (?P<others>.+) \(a file each\)")


def device_slug(device: int | str | None) -> str:
    """A device's name as a file name's part: lower case, runs of anything but letters and digits
    made one dash ("USB Audio: - (hw:1,0)" → "usb-audio-hw-1-0")."""
    text = "default" if device is None else str(device)
    return re.sub(r"[^0-9a-z]+", "-", text.lower()).strip("-")[:MAX_DEVICE_SLUG].strip("-") or "device"


def device_take_paths(path: Path, devices: Sequence[int | str | None]) -> list[Path]:
    """One file per device beside `path`: its stem, then the device's name (a number after a name
    two devices share)."""
    paths: list[Path] = []
    for device in devices:
        stem, n = f"{path.stem}-{device_slug(device)}", 2
        candidate = path.with_name(f"{stem}{path.suffix}")
        while candidate in paths:
            candidate, n = path.with_name(f"{stem}-{n}{path.suffix}"), n + 1
        paths.append(candidate)
    return paths


def _take_of(path: Path) -> tuple[str, list[str]] | None:
    """The device that recorded `path` and the take's other devices (`device_name`s), from its comment."""
    found = _TAKE_COMMENT.search(read_tags(path).get("comment", ""))
    if found is None:
        return None
    return found["own"], re.split(rf" and (?=input device |{re.escape(device_name(None))})", found["others"])


def _device_named(name: str) -> str | None:
    """The device setting that `device_name` named `name`."""
    return None if name == device_name(None) else name.removeprefix("input device ")


def take_files(path: Path) -> list[Path]:
    """`path` and the files beside it recorded in the same take on the take's other devices (named
    as `device_take_paths` names them, each naming the other in its comment), in the order its
    comment names them; `[path]` alone for a file of no such take, or one renamed since."""
    take = _take_of(path)
    if take is None:
        return [path]
    own, others = take
    prefix = re.sub(rf"-{re.escape(device_slug(_device_named(own)))}(-\d+)?$", "", path.stem)
    if prefix == path.stem:
        return [path]
    found: list[tuple[int, Path]] = []
    for candidate in sorted(path.parent.glob(f"{glob.escape(prefix)}-*{path.suffix}")):
        theirs = _take_of(candidate) if candidate != path else None
        if theirs is not None and theirs[0] in others and own in theirs[1]:
            found.append((others.index(theirs[0]), candidate))
    return [path] + [candidate for _, candidate in sorted(found)]


class TakeGroup:
    """One take from several devices: `start()`, then `stop()` (keeps every device's file) or
    `cancel()` (deletes them all). A device that stops delivering mid-take (unplugged) ends its own
    file there, which `stop()` reports, while the others go on; the group has `ended` once all have."""

    def __init__(self, settings: Sequence[CaptureSettings]) -> None:
        if not settings:
            raise CaptureError("Choose at least one input device to record from.")
        devices = [s.device for s in settings]
        twice = next((d for i, d in enumerate(devices) if d in devices[:i]), -1)
        if twice != -1:
            raise CaptureError(f"Cannot record {device_name(twice)} twice in one take: choose each device once.")
        names = [device_name(d) for d in devices]
        self.recorders = tuple(Recorder(replace(s, together_with=tuple(n for n in names if n != own)))
                               for s, own in zip(settings, names))

    @property
    def settings(self) -> tuple[CaptureSettings, ...]:
        return tuple(r.settings for r in self.recorders)

    @property
    def seconds(self) -> float:
        """How long the longest-running device's file is so far."""
        return max(r.frames / r.settings.sample_rate for r in self.recorders)

    @property
    def dropped_frames(self) -> int:
        return sum(r.dropped_frames for r in self.recorders)

    @property
    def ended(self) -> bool:
        return all(r.ended for r in self.recorders)

    def start(self) -> None:
        """Start every device; when one refuses, those already started are cancelled (their files
        deleted) and its error names it."""
        started: list[Recorder] = []
        try:
            for recorder in self.recorders:
                recorder.start()
                started.append(recorder)
        except CaptureError:
            for recorder in started:
                recorder.cancel()
            raise

    def stop(self) -> tuple[CaptureResult, ...]:
        """End the take on every device and keep each file."""
        return tuple(r.stop() for r in self.recorders)

    def cancel(self) -> None:
        for recorder in self.recorders:
            recorder.cancel()

