"""How sub-commands speak: one JSON object on stdout with --json, human lines on stderr."""

from __future__ import annotations

import json
import logging
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    import numpy as np

    from app.engine.export import ExportSettings
    from app.engine.files import Recording
    from app.engine.jobs import Job, Progress
    from app.engine.provenance import Tags

T = TypeVar("T")

log = logging.getLogger(__name__)


def emit(result: dict[str, Any], as_json: bool, human: list[str]) -> None:
    if as_json:
        json.dump(result, sys.stdout, indent=2, default=str)
        sys.stdout.write("\n")
    else:
        for line in human:
            print(line)


def warn(line: str) -> None:
    print(line, file=sys.stderr)


def aligned(table: list[list[str]]) -> list[str]:
    """A table (header first) as text lines: the first column left-aligned, the numbers right."""
    widths = [max(len(row[k]) for row in table) for k in range(len(table[0]))]
    return ["  ".join(cell.rjust(w) if k else cell.ljust(w) for k, (cell, w) in enumerate(zip(row, widths)))
            for row in table]


@contextmanager
def progress_bar(desc: str, unit: str, enabled: bool) -> Iterator[Callable[[Progress], None]]:
    """A job's progress callback: a tqdm bar on stderr when `enabled` (a terminal), else nothing;
    the bar is gone when the block ends, however it ends."""
    if not enabled:
        yield lambda _: None
        return
    from tqdm import tqdm

    bar = tqdm(total=0, desc=desc, unit=unit, file=sys.stderr, leave=False)

    def on_progress(p: Progress) -> None:
        bar.set_description(f"{desc} ({p.stage})", refresh=False)
        bar.total, bar.n = p.total, p.done
        bar.refresh()

    try:
        yield on_progress
    finally:
        bar.close()


def run_on_inputs(args: Any, process: Callable[[Path, bool], dict[str, Any]], verb: str,
                  outputs: Callable[[dict[str, Any]], list[str]]) -> int:
    """`run_batch` over the audio files in `args.inputs` (folders searched), each as `process(path,
    show_bar)`, with a progress bar only on a terminal and without --json; exit 1 when there are none."""
    from app.engine.files import expand_inputs

    files = expand_inputs(args.inputs)
    if not files:
        warn("error: no audio files found in the given inputs")
        return 1
    show_bar = sys.stderr.isatty() and not args.json
    return run_batch(files, lambda path: process(path, show_bar), verb, args.json, outputs)


def run_batch(paths: list, process: Callable[[Any], dict[str, Any]], verb: str, as_json: bool,
              outputs: Callable[[dict[str, Any]], list[str]], key: str = "input", announce: bool = True) -> int:
    """Process every path, keep going past a failure, a bug met on one file included (one stderr
    line each, listed again at the end of a batch), then emit the summary. Exit code 1 when any
    file failed. `announce`: a stderr line per file done, naming its outputs.

    Ctrl-C arrives as KeyboardInterrupt (the CLI maps it to 130); a cancelled job is the same.
    """
    from app.engine.errors import AppError, JobCancelled

    done, failed = [], []
    t0 = time.perf_counter()
    for path in paths:
        try:
            done.append(process(path))
            if announce and not as_json:
                warn(f"{verb} {Path(path).name} -> {', '.join(outputs(done[-1]))}")
        except JobCancelled:
            raise KeyboardInterrupt from None
        except AppError as err:
            log.debug("failed on %s", path, exc_info=True)
            failed.append({key: str(path), "error": str(err)})
            warn(f"error: {err}")
        except Exception as err:          # a bug met on one file: the rest of the batch still runs
            log.debug("failed on %s", path, exc_info=True)
            failed.append({key: str(path), "error": f"{Path(path).name}: unexpected {type(err).__name__}: {err} "
                                                    "(-v shows where; please report it)"})
            warn(f"error: {failed[-1]['error']}")
    if failed and len(paths) > 1:
        warn(f"{len(failed)} of {len(paths)} file(s) failed:")
        for f in failed:
            warn(f"  {f[key]}: {f['error']}")
    emit({"files": done, "failed": failed, "seconds": round(time.perf_counter() - t0, 3)}, as_json,
         [o for d in done for o in outputs(d)])
    return 1 if failed else 0


def process_into_file(path: Path, out_dir: Path, rec: Recording, tags: Tags, overwrite: bool, show_bar: bool,
                      unit: str, make: Callable[[Callable[[np.ndarray], None]], Job[T]],
                      export: ExportSettings | None = None) -> tuple[T, Path, list[str]]:
    """Run the job `make(sink)` over the open recording `rec` of `path`, its (channels, frames)
    blocks streamed into `out_dir/<stem>.wav` at the recording's rate (in `export`'s format; by
    default 16-bit, limited above full scale), renamed into place only when the job ends; nothing
    left behind when it fails. The job's result, the file written and its notes (said on stderr too)."""
    from dataclasses import replace

    from app.engine.export import AtomicAudioWriter, ExportSettings, PeakPolicy
    from app.engine.jobs import drive

    if rec.notice:
        warn(f"warning: {rec.notice}")
    export = replace(export or ExportSettings(peak=PeakPolicy.LIMIT), overwrite=overwrite)
    writer = AtomicAudioWriter(out_dir / f"{path.stem}.wav", rec.sample_rate, rec.channels, export, tags,
                               frames=rec.frames)
    with progress_bar(path.name, unit, show_bar) as on_progress:
        try:
            result = drive(make(writer.write), on_progress)
            output = writer.commit()
        except BaseException:
            writer.abort()
            raise
    notes = [writer.peak_note] if writer.peak_note else []
    for note in notes:
        warn(f"note: {note}")
    return result, output, notes
