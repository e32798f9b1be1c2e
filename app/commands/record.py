"""`meco-studio record OUT`: record a take from an input device (a microphone array) to a file.

The take goes to a hidden file beside OUT and is renamed into place when it ends (its length,
Ctrl-C or a full disk), so OUT only ever names a complete file; an existing OUT is never replaced.
Exit code 1 when the take ended early (a disk error): OUT then holds what was recorded before.
"""

from __future__ import annotations

import argparse
import sys
import threading
from pathlib import Path

from app.commands import HelpFormatter
from app.commands.output import emit, warn
from app.engine.capture import CaptureError, CaptureSettings, Recorder, SUBTYPE_BYTES, input_devices

POLL_SECONDS = 0.1


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("record", help="record from an input device (a microphone array) to a FLAC or WAV file",
                       formatter_class=HelpFormatter)
    p.add_argument("out", type=Path, help="the file to write (.flac or .wav); it must not exist")
    p.add_argument("--device", default=None,
                   help="input device index or name (`meco-studio devices` lists them; default: the system's)")
    p.add_argument("--channels", type=int, default=None,
                   help="channels to record (default: all that --device has; 2 from the system's default input)")
    p.add_argument("--rate", type=int, default=None, help="sample rate in Hz (default: the device's)")
    p.add_argument("--seconds", type=float, default=None, help="stop after this long (default: at Ctrl-C)")
    p.add_argument("--sample-format", choices=list(SUBTYPE_BYTES), default="PCM_24",
                   help="sample format (FLOAT: WAV only)")
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    p.set_defaults(run=run)


def _device(value: str | None) -> int | str | None:
    return int(value) if value is not None and value.isdigit() else value


def run(args: argparse.Namespace) -> int:
    device = _device(args.device)
    found = [d for d in input_devices() if device is None or device in (d.index, d.name)]
    if device is not None and not found:
        raise CaptureError(f"No input device {device!r}; `meco-studio devices` lists them.")
    info = found[0] if found else None
    channels = args.channels or (info.max_inputs if info and device is not None else 2)
    rate = args.rate or (info.default_sample_rate if info else 48_000)
    recorder = Recorder(CaptureSettings(args.out, channels, rate, device, args.sample_format, args.seconds))
    recorder.start()
    warn(f"recording {channels} ch at {rate} Hz to {args.out}"
         + (f" for {args.seconds:g} s" if args.seconds else "; Ctrl-C stops"))
    pause = threading.Event()
    try:
        while not recorder.ended:
            pause.wait(POLL_SECONDS)
            if sys.stderr.isatty():
                peak = float(recorder.peaks().max(initial=0.0))
                print(f"\r{recorder.frames / rate:8.1f} s   peak {peak:5.3f}", end="", file=sys.stderr)
    except KeyboardInterrupt:
        pass
    result = recorder.stop()
    if sys.stderr.isatty():
        print(file=sys.stderr)
    if result.dropped_frames:
        warn(f"warning: {result.dropped_frames} frames were lost (the disk or CPU fell behind the device)")
    if result.path is None:
        raise CaptureError(f"Nothing was saved to {args.out}: {result.problem}.")
    if result.problem:
        warn(f"error: {result.problem}; what was recorded before is kept")
    emit({"output": str(result.path), "seconds": round(result.seconds, 3), "channels": channels,
          "sample_rate": rate, "dropped_frames": result.dropped_frames, "problem": result.problem}, args.json,
         [f"wrote {result.path} ({result.seconds:.1f} s, {channels} ch, {rate} Hz)"])
    return 1 if result.problem else 0
