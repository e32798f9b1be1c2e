"""`meco-studio record OUT`: record a take from an input device (a microphone array) to a file, or
from several devices at once (`--device` again), a file each beside OUT named after its device.

The take goes to a hidden file beside OUT and is renamed into place when it ends (its length,
Ctrl-C or a full disk), so OUT only ever names a complete file; an existing OUT is never replaced.
Exit code 1 when the take ended early (a disk error): OUT then holds what was recorded before. With
several devices, `--combine` then makes their files one array recording, OUT with `.wav` (as
`meco-studio combine` does; the devices' own files are kept).
"""

from __future__ import annotations

import argparse
import shlex
import sys
import threading
from pathlib import Path

from app.commands import HelpFormatter
from app.commands.combine import combined, described, summary
from app.commands.output import emit, warn
from app.engine.capture import CaptureError, CaptureResult, CaptureSettings, SUBTYPE_BYTES, input_devices
from app.engine.combine import CombineSettings
from app.engine.errors import AppError
from app.engine.take_group import TakeGroup, device_take_paths

POLL_SECONDS = 0.1


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("record", help="record from an input device (a microphone array), or several at once, to "
                                      "FLAC or WAV", formatter_class=HelpFormatter)
    p.add_argument("out", type=Path, help="the file to write (.flac or .wav); it must not exist. With several "
                                          "--device, each device's file is named after it: OUT-<device>.flac")
    p.add_argument("--device", action="append", default=None,
                   help="input device index or name (`meco-studio devices` lists them; default: the system's); "
                        "again for each further device recording at the same time (an ad hoc array: "
                        "`meco-studio combine` then makes their files one recording)")
    p.add_argument("--channels", type=int, action="append", default=None,
                   help="channels to record (default: all that --device has; 2 from the system's default input); "
                        "once for every device, or once per --device in their order")
    p.add_argument("--rate", type=int, default=None,
                   help="sample rate in Hz, for every device (default: each device's own; combine brings them to one)")
    p.add_argument("--seconds", type=float, default=None, help="stop after this long (default: at Ctrl-C)")
    p.add_argument("--sample-format", choices=list(SUBTYPE_BYTES), default="PCM_24",
                   help="sample format (FLOAT: WAV only)")
    p.add_argument("--combine", action="store_true",
                   help="with several --device: when the take ends, combine their files into OUT with .wav (their "
                        "starts, clock drift and rates found from the sound, as meco-studio combine does)")
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    p.set_defaults(run=run)


def _device(value: str | None) -> int | str | None:
    return int(value) if value is not None and value.isdigit() else value


def _settings(args: argparse.Namespace) -> list[CaptureSettings]:
    """One CaptureSettings per device asked for (the system's default input when none is)."""
    devices = [_device(d) for d in args.device] if args.device else [None]
    counts = args.channels or []
    if len(counts) not in (0, 1, len(devices)):
        raise CaptureError(f"Give --channels once, or once for each of the {len(devices)} devices, not "
                           f"{len(counts)} times.")
    listed = input_devices()
    infos = []
    for device in devices:
        found = [d for d in listed if device is None or device in (d.index, d.name)]
        if device is not None and not found:
            raise CaptureError(f"No input device {device!r}; `meco-studio devices` lists them.")
        infos.append(found[0] if found else None)
    paths = [args.out] if len(devices) == 1 else device_take_paths(args.out, devices)
    settings = []
    for k, (device, info, path) in enumerate(zip(devices, infos, paths)):
        channels = counts[k if len(counts) > 1 else 0] if counts else (
            info.max_inputs if info and device is not None else 2)
        rate = args.rate or (info.default_sample_rate if info else 48_000)
        settings.append(CaptureSettings(path, channels, rate, device, args.sample_format, args.seconds))
    return settings


def _report(result: CaptureResult, settings: CaptureSettings) -> dict:
    return {"output": str(result.path) if result.path else None, "device": settings.device,
            "seconds": round(result.seconds, 3), "channels": settings.channels, "sample_rate": settings.sample_rate,
            "dropped_frames": result.dropped_frames, "problem": result.problem}


def run(args: argparse.Namespace) -> int:
    settings = _settings(args)
    if args.combine and len(settings) < 2:
        raise CaptureError("--combine makes the files of several devices one recording: give --device once for each.")
    target = args.out.with_suffix(".wav")
    if args.combine and target.exists():
        raise CaptureError(f"{target} already exists; the combined recording would not replace it. Choose another "
                           "OUT.")
    group = TakeGroup(settings)
    group.start()
    what = " and ".join(f"{s.channels} ch at {s.sample_rate} Hz"
                        + (f" from {s.device if s.device is not None else 'the default input'}" if len(settings) > 1
                           else "") for s in settings)
    warn(f"recording {what} to {', '.join(str(s.path) for s in settings)}"
         + (f" for {args.seconds:g} s" if args.seconds else "; Ctrl-C stops"))
    pause = threading.Event()
    try:
        while not group.ended:
            pause.wait(POLL_SECONDS)
            if sys.stderr.isatty():
                peak = max(float(r.peaks().max(initial=0.0)) for r in group.recorders)
                print(f"\r{group.seconds:8.1f} s   peak {peak:5.3f}", end="", file=sys.stderr)
    except KeyboardInterrupt:
        pass
    results = group.stop()
    if sys.stderr.isatty():
        print(file=sys.stderr)
    for result, s in zip(results, settings):
        if result.dropped_frames:
            warn(f"warning: {s.path.name}: {result.dropped_frames} frames were lost (the disk or CPU fell behind "
                 "the device)")
    kept = [r for r in results if r.path is not None]
    if not kept:
        raise CaptureError("; ".join(f"Nothing was saved to {s.path}: {r.problem}." for r, s in zip(results, settings)))
    for result, s in zip(results, settings):
        if result.path is None:
            warn(f"error: nothing was saved to {s.path}: {result.problem}")
        elif result.problem:
            warn(f"error: {result.problem}; what was recorded before is kept")
    lines = [f"wrote {r.path} ({r.seconds:.1f} s, {s.channels} ch, {s.sample_rate} Hz)"
             for r, s in zip(results, settings) if r.path is not None]
    reports = [_report(r, s) for r, s in zip(results, settings)]
    found: dict = reports[0] if len(settings) == 1 else {"takes": reports}
    command = shlex.join(["meco-studio", "combine", *(str(r.path) for r in kept), "--out", str(target)])
    failed = False
    if len(kept) > 1 and args.combine:
        try:
            result = combined([r.path for r in kept], target, CombineSettings(), sys.stderr.isatty() and not args.json)
        except AppError as err:
            warn(f"error: the take's files are kept, but they could not be combined: {err}")
            lines.append(f"`{command}` tries again (its --max-offset searches further)")
            found["combine_error"], failed = str(err), True
        else:
            lines += described(result)
            found["combined"] = summary(result)
    elif len(kept) > 1:
        lines.append(f"their clocks are not locked together: `{command}` makes them one array recording")
    emit(found, args.json, lines)
    return 1 if failed or any(r.problem for r in results) else 0
