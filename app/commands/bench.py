"""`meco-studio bench TARGET`: measured speed and memory, printed for the README.

Benchmarks are commands, not timed tests: timings depend on the machine, correctness does not.
"""

from __future__ import annotations

import argparse
import importlib
import json
import math
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf

from app.commands import HelpFormatter
from app.commands.output import emit, warn
from app.engine.delay_track import DEFAULT_REACH_S
from app.engine.files import open_recording
from models.common.results import write_result


WINDOW_STARTS = 5      # bench window's default --runs: starts to take the median of


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


CLIPPING_BURST_SECONDS = 0.1    # of every second driven into clipping, in a file for `bench declip`


RECORDER_LEAD_S = 3             # bench combine: the second recorder starts this much earlier,
RECORDER_PPM = 50.0             # on a clock this fast,
SECOND_RECORDER_RATE = 44_100   # at this rate


def write_long_recording(path: Path, minutes: float, channels: int, sample_rate: int, clipping: bool = False,
                         subtype: str = "PCM_16") -> Path:
    """A long multi-channel file written block by block: a sweep plus noise, different per channel;
    `clipping`: the first `CLIPPING_BURST_SECONDS` of every second driven four times louder, into
    full scale on most channels (a loud syllable a second)."""
    rng = np.random.default_rng(0)
    block_frames = sample_rate
    t = np.arange(block_frames) / sample_rate
    noise = (0.02 * rng.standard_normal((block_frames, channels))).astype(np.float32)
    drive = np.where(t < CLIPPING_BURST_SECONDS, 4.0, 1.0).astype(np.float32)[:, None] if clipping else 1.0
    with sf.SoundFile(path, "w", sample_rate, channels, subtype=subtype) as f:
        for second in range(int(minutes * 60)):
            freq = 200 + (second % 60) * 60
            sweep = 0.3 * np.sin(2 * np.pi * freq * t).astype(np.float32)
            f.write(np.clip((noise + sweep[:, None] * (1 + np.arange(channels)) / channels) * drive, -1, 1))
    return path


def write_aac(source: Path, target: Path) -> Path:
    """`source` (a WAV) encoded as AAC in an .m4a, a block at a time, as a phone's voice memo is."""
    import av

    with sf.SoundFile(source) as wav, av.open(str(target), "w") as out:
        layout = {1: "mono", 2: "stereo"}.get(wav.channels, f"{wav.channels}c")
        stream = out.add_stream("aac", rate=wav.samplerate, layout=layout)
        for block in wav.blocks(1024 * 64, dtype="float32", always_2d=True):
            frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(block.T), format="fltp", layout=layout)
            frame.sample_rate = wav.samplerate
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return target


def write_recorders(folder: Path, minutes: float, channels: int, sample_rate: int) -> tuple[Path, Path]:
    """Two recorders of one room's sound, written block by block: `first.wav` (`channels` at
    `sample_rate`, `minutes` long) and `second.wav`, a stereo recorder at 44.1 kHz started
    `RECORDER_LEAD_S` earlier on a clock `RECORDER_PPM` fast; the sound is bursts of coloured noise,
    a new stretch every second (a repeating one would match itself a second off)."""
    import soxr
    from scipy.signal import lfilter

    rng = np.random.default_rng(0)
    first, second = folder / "first.wav", folder / "second.wav"
    stream = soxr.ResampleStream(sample_rate, SECOND_RECORDER_RATE * (1 + RECORDER_PPM * 1e-6), 1, dtype="float32")
    seconds = int(RECORDER_LEAD_S + minutes * 60)
    with sf.SoundFile(first, "w", sample_rate, channels, subtype="PCM_16") as a, \
            sf.SoundFile(second, "w", SECOND_RECORDER_RATE, 2, subtype="PCM_16") as b:
        for second_at in range(seconds + 1):
            bursts = np.repeat(rng.random(4) > 0.4, sample_rate // 4 + 1)[:sample_rate]
            sound = (0.1 * lfilter([1.0], [1.0, -0.9], rng.standard_normal(sample_rate)) * bursts).astype(np.float32)
            if RECORDER_LEAD_S <= second_at < seconds:
                a.write(sound[:, None] + 0.002 * rng.standard_normal((sample_rate, channels)).astype(np.float32))
            heard = stream.resample_chunk(sound, last=second_at == seconds)
            b.write(heard[:, None] + 0.002 * rng.standard_normal((heard.size, 2)).astype(np.float32))
    return first, second


def _evict_from_page_cache(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)


def bench_files(args: argparse.Namespace) -> tuple[dict[str, Any], list[str]]:
    """Issue #3 targets: open <= 2 s, peak RSS <= 600 MB, redraw <= 50 ms for 60 min x 8 ch x 48 kHz.

    Redraw is the median of three runs with an empty tile cache after the file's pages have been
    read once; the very first draw, with the file evicted from the OS cache, is reported beside it
    (disk-bound). Then the whole file's levels, loudness, spectra, channel delays and drifts (the analysis
    panel's job), whose memory the peak RSS includes.
    """
    from app.engine.analysis import AnalysisRequest, analyse
    from app.engine.jobs import drive
    from app.engine.spectrogram import bench_redraw

    folder = Path(tempfile.mkdtemp(prefix="meco-bench-"))
    path = folder / "long.wav"
    try:
        warn(f"writing a {args.minutes:g}-min {args.channels}-channel {args.sample_rate} Hz {args.subtype} file ...")
        write_long_recording(path, args.minutes, args.channels, args.sample_rate, subtype=args.subtype)
        _evict_from_page_cache(path)
        t0 = time.perf_counter()
        rec = open_recording(path)
        open_seconds = time.perf_counter() - t0
        with rec:
            first_draw = bench_redraw(rec)      # pages come from disk: the first look at a file
            # Zooming around: OS cache warm, our tile cache empty; the median of three runs.
            runs = [bench_redraw(rec) for _ in range(3)]
            redraw = {view: statistics.median(run[view] for run in runs) for view in runs[0]}
            t0 = time.perf_counter()
            drive(analyse([AnalysisRequest(rec, [f"ch {k + 1}" for k in range(rec.channels)])]))
            analysis_seconds = time.perf_counter() - t0
        result = {"file": {"minutes": args.minutes, "channels": args.channels, "sample_rate": args.sample_rate,
                           "subtype": args.subtype, "bytes": path.stat().st_size},
                  "open_seconds": open_seconds, "redraw_ms": redraw, "first_draw_from_disk_ms": first_draw,
                  "analysis_seconds": analysis_seconds, "peak_rss_mb": peak_rss_mb()}
    finally:
        path.unlink(missing_ok=True)
        folder.rmdir()
    lines = [f"file: {args.minutes:g} min, {args.channels} ch, {args.sample_rate} Hz, WAV {args.subtype}, "
             f"{result['file']['bytes'] / 2**30:.2f} GiB",
             f"open (cold cache): {open_seconds * 1000:.1f} ms   (target <= 2000 ms)"]
    lines += [f"spectrogram redraw, {view}: {ms:.1f} ms   (target <= 50 ms)" for view, ms in redraw.items()]
    lines += [f"first draw with the file still on disk, {view}: {ms:.1f} ms" for view, ms in first_draw.items()]
    lines.append(f"levels, loudness, spectra, delays and drifts of every channel, whole file: {analysis_seconds:.1f} s "
                 f"({args.minutes * 60 / analysis_seconds:.0f}x real time)")
    lines.append(f"peak RSS: {result['peak_rss_mb']:.0f} MB   (target <= 600 MB)")
    return result, lines


def bench_window(args: argparse.Namespace) -> tuple[dict[str, Any], list[str]]:
    """Starts of the window in a fresh interpreter each, as `meco-studio` launches it, with a first
    start's settings: the seconds until the window shows and until the demo recording's spectrograms
    are drawn. The median of `--runs` starts after one more (which warms the OS file cache and is
    reported beside them)."""
    runs = []
    with tempfile.TemporaryDirectory(prefix="meco-bench-") as home:
        # A first start's settings: no stored layout, no autosave to offer back.
        env = {**os.environ, "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen"),
               "XDG_CONFIG_HOME": f"{home}/config", "XDG_DATA_HOME": f"{home}/data"}
        for _ in range((args.runs or WINDOW_STARTS) + 1):
            start = time.monotonic()
            out = subprocess.run([sys.executable, "-m", "app.gui.launch_timing", repr(start)], capture_output=True,
                                 text=True, timeout=300, env=env)
            if out.returncode != 0:
                raise SystemExit(f"the window did not start: {out.stderr.strip()[-2000:]}")
            runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    first, warm = runs[0], runs[1:]
    stages = ("imports_s", "window_shown_s", "demo_drawn_s", "torch_ready_s", "longest_stall_ms", "peak_rss_mb")
    result = {"first_start": first, **{k: statistics.median(r[k] for r in warm) for k in stages},
              "torch_loaded_before_shown": any(r["torch_loaded_before_shown"] for r in runs), "runs": len(warm)}
    lines = [f"window shown: {result['window_shown_s']:.2f} s (Python, Qt and the app's modules imported: "
             f"{result['imports_s']:.2f} s)",
             f"demo recording's spectrograms drawn: {result['demo_drawn_s']:.2f} s",
             f"the first of the starts (files as the OS cache held them): {first['demo_drawn_s']:.2f} s "
             "to the drawn demo",
             f"torch loaded before the window showed: {'yes' if result['torch_loaded_before_shown'] else 'no'}; "
             f"ready for a model run (imported in the background): {result['torch_ready_s']:.2f} s",
             f"longest event-loop stall from the window's showing until then: {result['longest_stall_ms']:.0f} ms",
             f"peak RSS, torch loaded: {result['peak_rss_mb']:.0f} MB",
             f"(median of {len(warm)} starts, each in a fresh interpreter, display {env['QT_QPA_PLATFORM']})"]
    return result, lines


def _separate_once(minutes: float, threads: int) -> dict[str, Any]:
    """Separate a generated 4-channel 16 kHz file of `minutes` in this process, streaming to disk."""
    import torch

    from app.engine.batch import BatchSettings, separate_file_job
    from app.engine.jobs import drive

    torch.set_num_threads(threads)
    folder = Path(tempfile.mkdtemp(prefix="meco-bench-sep-"))
    path = write_long_recording(folder / "long.wav", minutes, 4, 16_000)
    try:
        t0 = time.perf_counter()
        info = drive(separate_file_job(path, folder / "out" / path.stem, BatchSettings()))
        seconds = time.perf_counter() - t0
    finally:
        for f in sorted(folder.rglob("*"), reverse=True):
            f.rmdir() if f.is_dir() else f.unlink()
        folder.rmdir()
    return {"minutes": minutes, "seconds": seconds, "rtf": seconds / (minutes * 60), "model": info["model"],
            "peak_rss_mb": peak_rss_mb(), "threads": threads}


def bench_separator(args: argparse.Namespace) -> tuple[dict[str, Any], list[str]]:
    """Issue #5 targets: RTF <= 0.05 and peak RSS <= 1.5 GB, independent of length.

    Each run of each length is its own process, because peak RSS is a per-process high-water mark
    and a fresh process pays the first chunk's set-up as a user's first file does. With `--runs N`
    a length's seconds are the median of N runs (this host's timings vary by tens of per cent),
    its range shown beside it, and its peak RSS the highest of them.
    """
    if args.single:
        return _separate_once(args.lengths[0], args.threads), []
    runs = args.runs or 1
    results = []
    for minutes in args.lengths:
        measured = []
        for i in range(runs):
            warn(f"separating a {minutes:g}-min 4-channel 16 kHz recording ({i + 1} of {runs}) ...")
            out = subprocess.run([sys.executable, "-m", "app", "bench", "separator", "--single", "--json",
                                  "--lengths", str(minutes), "--threads", str(args.threads)],
                                 capture_output=True, text=True, check=True)
            measured.append(json.loads(out.stdout))
        seconds = [m["seconds"] for m in measured]
        middle = statistics.median(seconds)
        results.append({"minutes": minutes, "seconds": middle, "rtf": middle / (minutes * 60),
                        "rtf_range": [min(seconds) / (minutes * 60), max(seconds) / (minutes * 60)],
                        "peak_rss_mb": max(m["peak_rss_mb"] for m in measured), "runs": measured,
                        "model": measured[0]["model"]})
    lines = [f"{r['minutes']:g} min: {r['seconds']:.1f} s, RTF {r['rtf']:.4f}"
             + (f" (median of {runs}: {r['rtf_range'][0]:.4f}-{r['rtf_range'][1]:.4f})" if runs > 1 else "")
             + f" (target <= 0.05), peak RSS {r['peak_rss_mb']:.0f} MB (target <= 1500 MB)" for r in results]
    return {"lengths": results, "model": results[0]["model"] if results else None, "threads": args.threads,
            "runs_per_length": runs}, lines


def _correct_once(seconds: float, threads: int) -> dict[str, Any]:
    """Separator alone, then MeCo on its output, on one generated 4-channel 16 kHz recording.

    MeCo runs with untrained weights of its default configuration when no corrector is shipped:
    the cost of one network evaluation does not depend on the weights.
    """
    import torch

    from app.engine.correction import CorrectSettings, correct_job, has_corrector
    from app.engine.files import ArraySource
    from app.engine.jobs import drive
    from app.engine.pipeline import user_models_dir
    from app.engine.separation import SeparateSettings, separate_job
    from models.common import checkpoint
    from models.meco.corrector import MeanFlowCorrector, MecoConfig

    torch.set_num_threads(threads)
    name = None
    if not has_corrector():
        name = "bench-meco-untrained"
        card = user_models_dir() / f"{name}.json"
        card.parent.mkdir(parents=True, exist_ok=True)
        config = MecoConfig()
        checkpoint.save(MeanFlowCorrector(config), card, {"name": name, "architecture": "MeanFlowCorrector",
                                                          "task": "correction", "config": config.to_dict(),
                                                          "sample_rate": config.sample_rate})
    folder = Path(tempfile.mkdtemp(prefix="meco-bench-cor-"))
    path = write_long_recording(folder / "clip.wav", seconds / 60, 4, 16_000)
    try:
        with open_recording(path) as rec:
            separation = drive(separate_job(rec, SeparateSettings(spatial_filter=False)))
            correction = drive(correct_job(ArraySource(separation.estimates, separation.sample_rate), rec,
                                           CorrectSettings(model=name)))
    finally:
        path.unlink()
        folder.rmdir()
    return {"seconds_of_audio": seconds, "separator_rtf": separation.seconds / seconds,
            "corrector_rtf": correction.seconds / seconds,
            "share_of_separator": correction.seconds / separation.seconds,
            "nfe_per_chunk": correction.nfe, "corrector": correction.model_name, "separator": separation.model_name,
            "threads": threads}


def bench_corrector(args: argparse.Namespace) -> tuple[dict[str, Any], list[str]]:
    """Issue #6 item 4: MeCo's RTF alone and as a share of the separator's time (target <= 50 %).

    Runs in a child process with its own model folder, so a temporary card never reaches yours.
    """
    if args.single:
        return _correct_once(args.lengths[0] * 60, args.threads), []
    with tempfile.TemporaryDirectory(prefix="meco-bench-models-") as data_home:
        out = subprocess.run([sys.executable, "-m", "app", "bench", "corrector", "--single", "--json",
                              "--lengths", str(args.lengths[0]), "--threads", str(args.threads)],
                             capture_output=True, text=True, check=True, env={**os.environ, "XDG_DATA_HOME": data_home})
    r = json.loads(out.stdout)
    lines = [f"{r['seconds_of_audio']:.0f} s of 4-channel audio, 2 talkers, {r['threads']} threads",
             f"separator ({r['separator']}): RTF {r['separator_rtf']:.4f}",
             f"MeCo ({r['corrector']}, {r['nfe_per_chunk']} NFE per chunk): RTF {r['corrector_rtf']:.4f}, "
             f"{100 * r['share_of_separator']:.0f} % of the separator's time (target <= 50 %)"]
    return r, lines


def bench_data(args: argparse.Namespace) -> tuple[dict[str, Any], list[str]]:
    """Issue #4 item 6: mixtures/s of the on-the-fly pipeline vs the rate at which the separator's
    recipe consumes them (its training step timed here, in audio seconds)."""
    import torch

    from models.data.bench import run_data_bench
    from models.train.separator import SeparatorTrainConfig, step_rate

    result = run_data_bench(seconds=args.seconds, workers=args.workers)
    train = SeparatorTrainConfig()
    torch.set_num_threads(train.threads)
    steps = step_rate(train)
    result["separator_steps_per_s"] = round(steps, 3)
    consumed = steps * train.batch_size * train.segment_seconds / result["mixture_seconds"]
    lines = [f"{result['mixtures_per_s']:.1f} mixtures/s ({result['mixture_seconds']:g} s each), "
             f"{result['audio_seconds_per_s']:.0f} s of audio per second, {result['workers']} worker(s)",
             f"training speech: {result['train_speech_hours']} h, {result['train_voices']} voices; "
             f"RIR bank: {result['rir_scenes']} scenes",
             f"separator training: {steps:.2f} steps/s of {train.batch_size} x {train.segment_seconds:g} s with "
             f"{train.threads} threads (4 mics) = {consumed:.1f} mixtures/s of {result['mixture_seconds']:g} s; "
             f"the pipeline supplies {result['mixtures_per_s'] / consumed:.0f}x that"]
    return result, lines


def bench_corpus(args: argparse.Namespace) -> tuple[dict[str, Any], list[str]]:
    """`data-prep`'s voices step: seconds of speech spoken per second on one process and on
    `--workers`, over the same first `--items` of the corpus plan (timed from the first, so the
    processes' start is left out), and what a default corpus costs at that pace."""
    from contextlib import closing

    from app.engine.errors import ConfigError
    from models.data.corpus import CorpusConfig, TtsSpeaker, build_corpus
    from models.data.paths import cache_root

    if args.items < 2:
        raise ConfigError(f"--items {args.items}: the pace is timed from the first item to the last, so it needs two.")
    speaker = TtsSpeaker(cache_root())
    if not speaker.engines:
        raise ConfigError(f"no speech engine is installed in {cache_root()}: run `meco-studio data-prep --steps "
                          "install` first.")
    rates = {}
    for workers in sorted({1, args.workers}):
        with tempfile.TemporaryDirectory(prefix="meco-bench-corpus-") as folder, \
                closing(build_corpus(Path(folder), speaker, CorpusConfig(hours=1000.0), workers)) as built:
            first = next(built)
            started = time.perf_counter()
            for _, progress in zip(range(args.items - 1), built):
                pass
            rates[workers] = (progress.hours - first.hours) * 3600 / (time.perf_counter() - started)
    hours = CorpusConfig.hours
    result = {"items": args.items, "speech_seconds_per_s": {str(k): round(v, 2) for k, v in rates.items()},
              "engines": sorted(str(e) for e in speaker.engines),
              "default_corpus_minutes": {str(k): round(hours * 60 / v, 1) for k, v in rates.items()}}
    lines = [f"{k} process{'es' if k > 1 else ''}: {v:.2f} s of speech per second; a {hours:g} h corpus in about "
             f"{hours * 60 / v:.0f} min" for k, v in rates.items()]
    return result, [f"the first {args.items} items of the corpus plan ({', '.join(result['engines'])})", *lines]


def bench_playback(args: argparse.Namespace) -> tuple[dict[str, Any], list[str]]:
    """The playback feeder's CPU per second of sound: the channels of a recording as they are,
    and A/B over `--channels` lanes at 16 kHz played on a 48 kHz device (resampled as they play)
    at each speed (time-stretched too), and with a selected area's band alone. It runs beside the
    jobs, so it must stay far below real time."""
    from app.engine.playback import SPEEDS, ABPlayer, Player, RecordingSource, feeder_seconds

    seconds = args.seconds
    rng = np.random.default_rng(0)
    result: dict[str, Any] = {"seconds": seconds, "lanes": args.channels}
    lines = [f"CPU per second of sound, over {seconds:g} s played (lower is better; 1000 ms would be real time):"]
    with tempfile.TemporaryDirectory(prefix="meco-bench-") as folder:
        path = write_long_recording(Path(folder) / "stereo.wav", seconds / 60, 2, 48_000)
        with open_recording(path) as rec:
            player = Player()
            player.load(RecordingSource(rec, [0, 1]))
            cost = feeder_seconds(player, 48_000, seconds) / seconds
        result["recording_48k_stereo_ms"] = cost * 1000
        lines.append(f"  a 48 kHz recording's two channels, as they are: {cost * 1000:.1f} ms")
    lanes = [rng.standard_normal(16_000 * 20).astype(np.float32) * 0.1 for _ in range(args.channels)]
    for speed in SPEEDS:
        ab = ABPlayer()
        ab.load([f"lane {k}" for k in range(len(lanes))], lanes, 16_000)
        ab.set_speed(speed)
        cost = feeder_seconds(ab, 48_000, seconds) / seconds
        result[f"ab_{speed:g}x_ms"] = cost * 1000
        lines.append(f"  A/B, {len(lanes)} lanes at 16 kHz to a 48 kHz device, {speed:g}x: {cost * 1000:.1f} ms")
    ab = ABPlayer()
    ab.load([f"lane {k}" for k in range(len(lanes))], lanes, 16_000)
    ab.set_band((1000.0, 3000.0))
    cost = feeder_seconds(ab, 48_000, seconds) / seconds
    result["ab_band_ms"] = cost * 1000
    lines.append(f"  A/B, {len(lanes)} lanes, a selected area's band (1-3 kHz) alone, 1x: {cost * 1000:.1f} ms")
    return result, lines


def bench_edits(args: argparse.Namespace) -> tuple[dict[str, Any], list[str]]:
    """The mends of versions on a long recording, as the window runs them in its jobs: two talkers'
    versions of `--minutes` at `--sample-rate` (the rate a separation keeps by default), each mend
    timed on its own; peak RSS at the end (long versions live in scratch files, see `scratch`)."""
    from app.engine.blend import blend_job
    from app.engine.documents import Version, VersionKind
    from app.engine.inpainting import repair_job
    from app.engine.jobs import drive
    from app.engine.scratch import scratch_zeros
    from app.engine.noise_reduction import TRACKED, NoiseSettings, reduce_noise_job
    from app.engine.spectral_edits import AROUND, attenuate_job
    from app.engine.version_edits import silence_job, swap_job

    importlib.import_module("scipy.signal")     # as the window has it once an area is selected
    rate, minutes = args.sample_rate, args.minutes
    result: dict[str, Any] = {"minutes": minutes, "sample_rate": rate}
    lines = [f"two talkers' versions of {minutes:g} min at {rate / 1000:g} kHz (each mend timed on its own):"]
    with tempfile.TemporaryDirectory(prefix="meco-bench-") as folder:
        path = write_long_recording(Path(folder) / "meeting.wav", minutes, 2, rate)
        with open_recording(path) as rec:
            versions = []
            for talker in range(2):
                audio = scratch_zeros((rec.frames,))
                for start in range(0, rec.frames, 60 * rate):
                    audio[start:start + 60 * rate] = rec.read(start, start + 60 * rate, [talker])[0]
                audio.flags.writeable = False
                versions.append(Version(f"Separated · talker {talker + 1}", talker, VersionKind.SEPARATED, audio,
                                        rate, "bench", {"reference_channel": talker}))
            middle = minutes * 30
            steps = [("swap two talkers over 1 min", lambda: swap_job(*versions, (middle, middle + 60))),
                     ("silence 1 min of one talker", lambda: silence_job(versions[:1], [[(middle, middle + 60)]])),
                     ("repair 20 ms of one talker (a click)",
                      lambda: repair_job(versions[:1], (middle, middle + 0.02))),
                     ("attenuate 1-3 kHz over 1 min by 30 dB", lambda: attenuate_job(
                         versions[:1], (middle, middle + 60), (1000.0, 3000.0), -30.0)),
                     ("attenuate 1-3 kHz over 1 min to the level around it", lambda: attenuate_job(
                         versions[:1], (middle, middle + 60), (1000.0, 3000.0), AROUND)),
                     ("attenuate 45-55 Hz over the whole version (a hum)", lambda: attenuate_job(
                         versions[:1], (0.0, minutes * 60), (45.0, 55.0), -math.inf)),
                     ("reduce the noise of the whole version (its quietest frames' profile)",
                      lambda: reduce_noise_job(versions[:1], NoiseSettings())),
                     ("reduce the noise of the whole version (tracked over time)",
                      lambda: reduce_noise_job(versions[:1], NoiseSettings(), TRACKED)),
                     ("blend one talker with the mixture", lambda: blend_job(rec, versions[:1], -20.0))]
            with AnonymousPeak() as anonymous:
                for name, make in steps:
                    start = time.perf_counter()
                    drive(make())
                    seconds = time.perf_counter() - start
                    result[name] = seconds
                    lines.append(f"  {name}: {seconds:.2f} s")
    result["peak_rss_mb"], result["peak_anonymous_mb"] = peak_rss_mb(), anonymous.peak_mb
    lines.append(f"peak RSS: {result['peak_rss_mb']:.0f} MB, of which the process's own (anonymous) memory at most "
                 f"{result['peak_anonymous_mb']:.0f} MB; the rest are the scratch files' pages, which the kernel "
                 "keeps in memory while there is room and writes out when it runs short")
    return result, lines


def _file_command_once(target: str, minutes: float, channels: int, rate: int) -> dict[str, Any]:
    """`meco-studio denoise`, `declip`, `declick`, `dereverb`, `delays` or `combine` (`target`) on a
    generated file of `minutes` (two for `combine`), or the decoding of its AAC encoding (`decode`), in
    this process."""
    from app.commands.combine import summary
    from app.commands.declick import declick_file
    from app.commands.delays import DelayOptions, track_file
    from app.commands.declip import declip_file
    from app.commands.denoise import denoise_file
    from app.commands.dereverb import dereverb_file
    from app.engine.clicks import ClickSettings
    from app.engine.combine import combine_files_job
    from app.engine.decoding import decode_job
    from app.engine.jobs import drive
    from app.engine.noise_reduction import NoiseSettings
    from models.baselines.wpe import WpeSettings

    with tempfile.TemporaryDirectory(prefix=f"meco-bench-{target}-") as folder:
        if target == "combine":
            recorders = write_recorders(Path(folder), minutes, channels, rate)
        else:
            path = write_long_recording(Path(folder) / "long.wav", minutes, channels, rate, clipping=target == "declip")
        if target == "decode":
            path = write_aac(path, Path(folder) / "memo.m4a")
            os.environ["XDG_CACHE_HOME"] = folder            # the decoded copy goes with the folder
        start = time.perf_counter()
        with AnonymousPeak() as anonymous:
            if target == "decode":
                decoded = drive(decode_job(path))
                report = {"decoded_mb": decoded.stat().st_size / 1e6, "encoded_mb": path.stat().st_size / 1e6}
            elif target == "combine":
                report = summary(drive(combine_files_job(recorders, Path(folder) / "array.wav")))
            elif target == "declip":
                report = declip_file(path, Path(folder) / "out", fit=False, overwrite=False, show_bar=False)
            elif target == "declick":
                report = declick_file(path, Path(folder) / "out", ClickSettings(), overwrite=False, show_bar=False)
            elif target == "dereverb":
                report = dereverb_file(path, Path(folder) / "out", WpeSettings(), overwrite=False, show_bar=False)
            elif target == "delays":
                report = track_file(path, DelayOptions())
            else:
                report = denoise_file(path, Path(folder) / "out", NoiseSettings(), None, overwrite=False,
                                      show_bar=False)
        seconds = time.perf_counter() - start
    return {"minutes": minutes, "seconds": seconds, "rtf": seconds / (minutes * 60), "peak_rss_mb": peak_rss_mb(),
            "peak_anonymous_mb": anonymous.peak_mb,
            **{key: report[key] for key in ("runs", "samples", "blocks", "clicks", "columns", "decoded_mb",
                                            "encoded_mb") if key in report},
            **({"recorder": report["recorders"][1]} if target == "combine" else {})}


def _file_command(args: argparse.Namespace, doing: str) -> list[dict[str, Any]]:
    """`_file_command_once` for each of `--lengths`, each in its own process (peak RSS is a
    per-process high-water mark)."""
    results = []
    for minutes in args.lengths:
        warn(f"{doing} a {minutes:g}-min {args.channels}-channel recording ...")
        out = subprocess.run([sys.executable, "-m", "app", "bench", args.target, "--single", "--json", "--lengths",
                              str(minutes), "--channels", str(args.channels), "--sample-rate", str(args.sample_rate)],
                             capture_output=True, text=True, check=True)
        results.append(json.loads(out.stdout))
    return results


def _length_lines(results: list[dict[str, Any]]) -> list[str]:
    return [f"  {r['minutes']:g} min: {r['seconds']:.1f} s, RTF {r['rtf']:.4f}, peak RSS {r['peak_rss_mb']:.0f} MB, "
            f"of which the process's own (anonymous) memory at most {r['peak_anonymous_mb']:.0f} MB"
            for r in results] + ["  (the rest of the RSS are the input file's mapped pages, which the kernel keeps "
                                 "while there is room and drops when it runs short)"]


def _file_bench(args: argparse.Namespace, doing: str,
                heading: Callable[[list[dict[str, Any]]], str]) -> tuple[dict[str, Any], list[str]]:
    """A file command's bench (`args.target`): with `--single` one length in this process (what
    each length's own process runs), else each of `--lengths` in its own process (peak RSS is a
    per-process high-water mark), the lines under `heading(results)`."""
    if args.single:
        return _file_command_once(args.target, args.lengths[0], args.channels, args.sample_rate), []
    results = _file_command(args, doing)
    return ({"channels": args.channels, "sample_rate": args.sample_rate, "lengths": results},
            [heading(results)] + _length_lines(results))


def _recording_of(args: argparse.Namespace) -> str:
    return f"a recording of {args.channels} channels at {args.sample_rate / 1000:g} kHz"


def bench_denoise(args: argparse.Namespace) -> tuple[dict[str, Any], list[str]]:
    """`meco-studio denoise` on every channel of generated files of each `--lengths`: read and
    written a block at a time, its memory should not grow with the length."""
    return _file_bench(args, "reducing the noise of", lambda results: (
        f"every channel of {_recording_of(args)}, the profile from each channel's quietest frames:"))


def bench_declip(args: argparse.Namespace) -> tuple[dict[str, Any], list[str]]:
    """`meco-studio declip` on generated files of each `--lengths` that clip for a burst every second:
    the runs are found and redrawn a window at a time and the copy written a block at a time, while
    the redrawn samples are held (4 bytes each) until it is."""
    def heading(results: list[dict[str, Any]]) -> str:
        samples = results[-1]["minutes"] * 60 * args.sample_rate * args.channels
        return (f"every channel of {_recording_of(args)} driven into clipping for "
                f"{1000 * CLIPPING_BURST_SECONDS:g} ms every second "
                f"({100 * results[-1]['samples'] / samples:.1f} % of its samples redrawn):")

    return _file_bench(args, "repairing the clipping of", heading)


def bench_declick(args: argparse.Namespace) -> tuple[dict[str, Any], list[str]]:
    """`meco-studio declick` on every channel of generated files of each `--lengths`: every frame's
    predictor is fitted (twice where something stands out), so its time grows with the length and
    its memory should not."""
    return _file_bench(args, "removing the clicks of", lambda results: (
        f"every channel of {_recording_of(args)} "
        f"(clicks found: {', '.join(str(r.get('clicks', 0)) for r in results)}):"))


def bench_dereverb(args: argparse.Namespace) -> tuple[dict[str, Any], list[str]]:
    """`meco-studio dereverb` (WPE, every channel from all of them) on generated files of each
    `--lengths`: solved a block at a time, its memory should not grow with the length."""
    from app.engine.dereverb import BLOCK_SECONDS
    from models.baselines.wpe import WpeSettings

    wpe = WpeSettings()
    return _file_bench(args, "dereverberating", lambda results: (
        f"{_recording_of(args)}, every channel from all of them (WPE: {wpe.taps_ms:g} ms filter after "
        f"{wpe.delay_ms:g} ms, {wpe.iterations} iterations; blocks of about {BLOCK_SECONDS:g} s):"))


def bench_delays(args: argparse.Namespace) -> tuple[dict[str, Any], list[str]]:
    """`meco-studio delays` (channel 2 against 1) on generated files of each `--lengths`: read a
    block of columns at a time, its memory should not grow with the length."""
    return _file_bench(args, "tracking the delay of", lambda results: (
        f"channel 2 against channel 1 of {_recording_of(args)}, lags within ±{DEFAULT_REACH_S * 1000:g} ms "
        f"(columns: {', '.join(str(r['columns']) for r in results)}):"))


def bench_combine(args: argparse.Namespace) -> tuple[dict[str, Any], list[str]]:
    """`meco-studio combine` of two generated recorders of each `--lengths` (`write_recorders`): the
    placement reads its probes, the writing streams a block at a time, so its memory should not
    grow with the length."""
    def heading(results: list[dict[str, Any]]) -> str:
        found = "; ".join(f"{r['recorder']['offset_s']:.4f} s, {r['recorder']['drift_ppm']:+.2f} ppm" for r in results)
        return (f"{_recording_of(args)} and a stereo recorder at {SECOND_RECORDER_RATE / 1000:g} kHz started "
                f"{RECORDER_LEAD_S} s earlier on a clock {RECORDER_PPM:g} ppm fast, combined at the higher rate "
                f"(placed at {found}):")

    return _file_bench(args, "combining", heading)


def bench_decode(args: argparse.Namespace) -> tuple[dict[str, Any], list[str]]:
    """Opening a phone's AAC voice memo the first time: FFmpeg decodes it into a float WAV in the
    cache (`decoding`), a frame at a time, so its memory should not grow with the length."""
    def heading(results: list[dict[str, Any]]) -> str:
        sizes = ", ".join(f"{r['encoded_mb']:.1f} MB into {r['decoded_mb']:.0f} MB" for r in results)
        return (f"{_recording_of(args)} encoded as AAC (.m4a, FFmpeg's encoder at its default bit rate), decoded "
                f"into a 32-bit float WAV ({sizes}):")

    result, lines = _file_bench(args, "decoding the AAC of", heading)
    return result, lines[:-1] + (["  (the rest of the RSS are the program's libraries, FFmpeg's among them)"] if lines
                                 else [])


def bench_pitch(args: argparse.Namespace) -> tuple[dict[str, Any], list[str]]:
    """pYIN F0 tracking as `pitch` and View ▸ Pitch track run it: one channel of `--minutes` at
    `--sample-rate`, piece by piece; the real-time factor on one core (the window's worker and
    the command use one), the time one 10 s piece of one lane takes (what the window waits per
    lane before a piece is drawn), and the peak RSS, which must not grow with the length."""
    from app.engine.jobs import drive
    from app.engine.pitch import PIECE_SECONDS, PitchSettings, track_job, track_piece

    rate, minutes = args.sample_rate, args.minutes
    with tempfile.TemporaryDirectory(prefix="meco-bench-") as folder:
        path = write_long_recording(Path(folder) / "lane.wav", minutes, 1, rate)
        with open_recording(path) as rec:
            track_piece(rec, 0, 0, PitchSettings())            # librosa's import and compiled code, once
            start = time.perf_counter()
            track = drive(track_job(rec, 0, PitchSettings()))
            seconds = time.perf_counter() - start
    rtf = seconds / (minutes * 60)
    result = {"minutes": minutes, "sample_rate": rate, "frames": int(track.times.size), "rtf": rtf,
              "piece_seconds": rtf * PIECE_SECONDS, "peak_rss_mb": peak_rss_mb()}
    lines = [f"one channel of {minutes:g} min at {rate / 1000:g} kHz, F0 every 10 ms (pYIN, 65-600 Hz):",
             f"  real-time factor: {rtf:.3f} ({seconds:.1f} s)",
             f"  one {PIECE_SECONDS:g} s piece of one lane: {result['piece_seconds']:.2f} s",
             f"  peak RSS: {result['peak_rss_mb']:.0f} MB"]
    return result, lines


class AnonymousPeak:
    """The largest anonymous resident memory (RssAnon: not backed by a file) seen while the block
    runs, read from /proc every 20 ms: what the process holds itself, beside mapped files' pages."""

    def __init__(self) -> None:
        self.peak_mb = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def _watch(self) -> None:
        while not self._stop.wait(0.02):
            for line in Path("/proc/self/status").read_text().splitlines():
                if line.startswith("RssAnon:"):
                    self.peak_mb = max(self.peak_mb, int(line.split()[1]) / 1024)

    def __enter__(self) -> AnonymousPeak:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


TARGETS: dict[str, Callable[[argparse.Namespace], tuple[dict[str, Any], list[str]]]] = {
    "files": bench_files,
    "separator": bench_separator,
    "data": bench_data,
    "corpus": bench_corpus,
    "corrector": bench_corrector,
    "window": bench_window,
    "playback": bench_playback,
    "edits": bench_edits,
    "denoise": bench_denoise,
    "declip": bench_declip,
    "declick": bench_declick,
    "dereverb": bench_dereverb,
    "delays": bench_delays,
    "combine": bench_combine,
    "decode": bench_decode,
    "pitch": bench_pitch,
}


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("bench", help="measure speed and memory (results for the README)",
                       formatter_class=HelpFormatter)
    p.add_argument("target", choices=sorted(TARGETS), help="what to measure")
    p.add_argument("--minutes", type=float, default=60.0, help="length of the generated file (files, edits, pitch)")
    p.add_argument("--channels", type=int, default=8, help="channels of the generated file (files, denoise, declip, "
                   "declick, dereverb, delays, combine), A/B lanes (playback)")
    p.add_argument("--sample-rate", type=int, default=48_000, help="rate of the generated file (files, edits, denoise, "
                   "declip, declick, dereverb, delays, combine, pitch)")
    p.add_argument("--subtype", choices=["PCM_16", "PCM_24", "FLOAT"], default="PCM_16",
                   help="sample format of the generated WAV (files)")
    p.add_argument("--lengths", type=float, nargs="+", default=[1.0, 10.0, 60.0],
                   help="input lengths in minutes (separator, denoise, declip, declick, dereverb, "
                   "delays, combine)")
    p.add_argument("--threads", type=int, default=2, help="torch CPU threads (separator)")
    p.add_argument("--seconds", type=float, default=20.0, help="how long to draw mixtures (data), to play (playback)")
    p.add_argument("--workers", type=int, default=2, help="DataLoader worker processes (data), speaking processes "
                   "(corpus)")
    p.add_argument("--items", type=int, default=40, help="utterances to speak (corpus)")
    p.add_argument("--runs", type=int, default=None, help="runs to take the median of (window: starts, "
                   "default 5; separator: per length, default 1)")
    p.add_argument("--single", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    p.add_argument("--markdown", type=Path, default=None,
                   help="also write the results as a markdown snippet (docs/results/bench-TARGET.md)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    result, lines = TARGETS[args.target](args)
    if getattr(args, "single", False):
        emit(result, True, [])
        return 0
    machine = {"cpu": platform.processor() or platform.machine(), "cores": os.cpu_count()}
    head = f"bench {args.target} on {machine['cores']} cores ({machine['cpu']})"
    emit({"target": args.target, "machine": machine, **result}, args.json, [head] + lines)
    if args.markdown:
        options = {"files": f"--minutes {args.minutes:g} --channels {args.channels} --sample-rate {args.sample_rate}"
                            + (f" --subtype {args.subtype}" if args.subtype != "PCM_16" else ""),
                   "separator": f"--lengths {' '.join(f'{m:g}' for m in args.lengths)} --threads {args.threads}"
                                + (f" --runs {args.runs}" if args.runs else ""),
                   "corrector": f"--lengths {args.lengths[0]:g} --threads {args.threads}",
                   "data": f"--seconds {args.seconds:g} --workers {args.workers}",
                   "corpus": f"--items {args.items} --workers {args.workers}",
                   "window": f"--runs {args.runs or WINDOW_STARTS}",
                   "playback": f"--seconds {args.seconds:g} --channels {args.channels}",
                   "edits": f"--minutes {args.minutes:g} --sample-rate {args.sample_rate}",
                   "denoise": f"--lengths {' '.join(f'{m:g}' for m in args.lengths)} --channels {args.channels} "
                              f"--sample-rate {args.sample_rate}",
                   "declick": f"--lengths {' '.join(f'{m:g}' for m in args.lengths)} --channels {args.channels} "
                              f"--sample-rate {args.sample_rate}",
                   "dereverb": f"--lengths {' '.join(f'{m:g}' for m in args.lengths)} --channels {args.channels} "
                               f"--sample-rate {args.sample_rate}",
                   "declip": f"--lengths {' '.join(f'{m:g}' for m in args.lengths)} --channels {args.channels} "
                             f"--sample-rate {args.sample_rate}",
                   "delays": f"--lengths {' '.join(f'{m:g}' for m in args.lengths)} --channels {args.channels} "
                             f"--sample-rate {args.sample_rate}",
                   "combine": f"--lengths {' '.join(f'{m:g}' for m in args.lengths)} --channels {args.channels} "
                              f"--sample-rate {args.sample_rate}",
                   "decode": f"--lengths {' '.join(f'{m:g}' for m in args.lengths)} --channels {args.channels} "
                             f"--sample-rate {args.sample_rate}",
                   "pitch": f"--minutes {args.minutes:g} --sample-rate {args.sample_rate}"}
        command = f"meco-studio bench {args.target} {options[args.target]}"
        write_snippet(args.markdown, command, [head] + lines)
    return 0


def write_snippet(path: Path, command: str, lines: list[str]) -> None:
    """A markdown block naming the command that produced it, for `packaging/sync_readme.py`."""
    body = "\n".join(lines)
    write_result(path, command, f"```\n{body}\n```")
