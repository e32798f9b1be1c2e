"""`meco-studio evaluate combine`: how well File ▸ Combine recorders into one array places separate
recorders, on simulated meetings whose truth is known (`models.data.recorders`).

Each meeting has a table-top array (whose clock is kept), a phone and a stereo recorder, started up
to 20 s apart at 16, 44.1 or 48 kHz, on clocks up to 100 ppm off (a quarter of them on the array's
own clock), a tenth wired inverted. A recorder's start is right when it lines the recorder up with
one of the talkers: the measured start minus the clock's true start should be that talker's extra
path to the recorder (a few milliseconds in a room), so the table gives both errors.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from app.commands.output import warn
from models.common.results import produced_by

PLACED_TO_TALKER_S = 0.0005     # within this of a talker's extra path: lined up on that talker


ALONE, PLACED, TRUE = "the array alone (4 mics)", "combined as placed (7 mics)", "combined on the true clocks (7 mics)"
SEPARATED_ROWS = (("The shipped separator", ALONE), ("The shipped separator", PLACED), ("The shipped separator", TRUE),
                  ("AuxIVA", ALONE), ("AuxIVA", PLACED))


def run_combine(args: argparse.Namespace, report) -> int:
    from app.engine.combine import CombineSettings, placement_job
    from app.engine.errors import ConfigError
    from app.engine.files import ArraySource
    from app.engine.jobs import drive
    from models.data.recorders import meeting
    from models.data.speech import SpeechPool

    pool = SpeechPool.default(16_000)
    rows, separated = [], []
    for scene in range(args.scenes):
        seed = args.seed + scene
        found = meeting(pool, args.seconds, np.random.default_rng(seed), seed)
        recorded = found.recorders
        sources = [ArraySource(r.audio, r.truth.sample_rate, f"{r.truth.name}-{seed}") for r in recorded]
        clock = time.perf_counter()
        try:
            placements = drive(placement_job(sources, CombineSettings()))
        except ConfigError as err:
            warn(f"meeting {seed}: {err}")
            placements = None
        seconds = time.perf_counter() - clock
        for k, r in enumerate(recorded[1:], 1):
            rows.append({"truth": r.truth, "placed": None if placements is None else placements[k],
                         "seconds": seconds / (len(recorded) - 1)})
        warn(f"meeting {seed}: placed in {seconds:.1f} s")
        if args.separate and placements is not None:
            separated.append(_separated(found, placements))
            warn(f"meeting {seed}: separated, SI-SDR improvement " +
                 ", ".join(f"{v:.2f} dB" for v in separated[-1].values()))
    lines = _table(args, rows) + (_separated_table(separated) if args.separate else [])
    return report(args, "combine", {**_summary(rows), "separated": separated}, lines)


def _separated(found, placements) -> dict[str, float]:
    """The shipped separator's SI-SDR improvement (dB, both talkers' mean, at the array's first
    microphone) on the array alone, on all recorders combined as placed, and as the true clocks
    place them; each over the stretch where every recorder ran."""
    import tempfile
    from pathlib import Path

    import soundfile as sf

    from app.engine.combine import CombineSettings, Keep, Placement, combine_job, timeline
    from app.engine.files import open_recording
    from app.engine.jobs import drive
    from app.engine.separation import Method, SeparateSettings, separate_job
    from models.evaluation.separation import best_permutation
    from models.metrics.speech import si_sdr

    rate = found.recorders[0].truth.sample_rate
    truths = [r.truth for r in found.recorders]
    true = [Placement(t.name, r.audio.shape[0], t.sample_rate, t.offset_s, t.ppm, t.ppm, (t.ppm, t.ppm), t.inverted,
                      0, 0, 0) for t, r in zip(truths, found.recorders)]
    with tempfile.TemporaryDirectory(prefix="meco-combine-") as folder:
        paths = []
        for r in found.recorders:
            paths.append(Path(folder) / f"{r.truth.name}.wav")
            sf.write(paths[-1], r.audio.T, r.truth.sample_rate, subtype="FLOAT")
        recordings = [open_recording(p) for p in paths]
        start, stop = timeline(recordings, true, Keep.OVERLAP)
        start, stop = max(0.0, start), min(stop, recordings[0].frames / rate)
        span = slice(round(start * rate), round(stop * rate))
        tracks = {ALONE: (recordings[0], 0.0)}
        for name, given in ((PLACED, placements), (TRUE, true)):
            made = drive(combine_job(recordings, Path(folder) / f"{len(tracks)}.wav",
                                     CombineSettings(sample_rate=rate, keep=Keep.ALL), given))
            tracks[name] = (open_recording(made.path), made.start_s)
        references = found.references[:, span]
        mixture = found.recorders[0].audio[0, span]
        before = np.mean([si_sdr(mixture, ref) for ref in references])
        gains = {}
        for method, source in SEPARATED_ROWS:
            recording, begins = tracks[source]
            settings = SeparateSettings(method=Method.AUXIVA if method == "AuxIVA" else Method.MODEL)
            estimates = drive(separate_job(recording, settings)).estimates
            first = round(-begins * rate) + span.start
            estimates = best_permutation(estimates[:, first:first + references.shape[1]], references)
            gains[f"{method}, {source}"] = float(np.mean([si_sdr(e, ref) for e, ref in zip(estimates, references)])
                                                 - before)
        for recording, _ in tracks.values():
            recording.close()
        for recording in recordings[1:]:
            recording.close()
    return gains


def _separated_table(separated: list[dict[str, float]]) -> list[str]:
    from models.metrics.speech import confidence_interval, paired_difference

    lines = ["", f"Separated on the same meetings ({len(separated)}): SI-SDR improvement at the array's first "
             "microphone (dB, both talkers' mean; mean ± 95 % CI over the meetings), over the stretch where every "
             "recorder ran:", "", "| Separated by, from | SI-SDRi | Against the same method on the array alone |",
             "|---|---|---|"]
    for method, source in SEPARATED_ROWS:
        values = [s[f"{method}, {source}"] for s in separated]
        alone = [s[f"{method}, {ALONE}"] for s in separated]
        versus = "" if source == ALONE else paired_difference(values, alone).format(signed=True)
        lines.append(f"| {method}, {source} | {confidence_interval(values).format()} | {versus} |")
    return lines


def _summary(rows: list[dict]) -> dict:
    return {"placements": [{"recorder": r["truth"].name, "true_offset_s": r["truth"].offset_s,
                            "true_ppm": r["truth"].ppm, "true_inverted": r["truth"].inverted,
                            "talker_lags_s": list(r["truth"].talker_lags_s),
                            "offset_s": None if r["placed"] is None else r["placed"].offset_s,
                            "ppm": None if r["placed"] is None else r["placed"].ppm,
                            "measured_ppm": None if r["placed"] is None else r["placed"].measured_ppm,
                            "ppm_interval": None if r["placed"] is None else list(r["placed"].ppm_interval),
                            "inverted": None if r["placed"] is None else r["placed"].inverted} for r in rows]}


def _spread(values: list[float], unit: str, digits: int) -> str:
    if not values:
        return "–"
    v = np.abs(values)
    return (f"median {np.median(v):.{digits}f} {unit}, 95th percentile {np.percentile(v, 95):.{digits}f} {unit}, "
            f"largest {v.max():.{digits}f} {unit}")


def _table(args: argparse.Namespace, rows: list[dict]) -> list[str]:
    placed = [r for r in rows if r["placed"] is not None]
    clock_error = [r["placed"].offset_s - r["truth"].offset_s for r in placed]
    talker_error = [min(abs(e - lag) for lag in r["truth"].talker_lags_s) for e, r in zip(clock_error, placed)]
    path_span = [max(abs(lag) for lag in r["truth"].talker_lags_s) for r in placed]
    drifting = [r for r in placed if r["truth"].ppm != 0.0]
    shared = [r for r in placed if r["truth"].ppm == 0.0]
    named = [r for r in drifting if r["placed"].ppm != 0.0]
    covered = [r for r in placed if r["placed"].probes_agreeing >= 3
               and r["placed"].ppm_interval[0] <= r["truth"].ppm <= r["placed"].ppm_interval[1]]
    with_interval = [r for r in placed if r["placed"].probes_agreeing >= 3]
    inverted = [r for r in placed if r["truth"].inverted]
    lines = [produced_by(f"meco-studio evaluate combine --scenes {args.scenes} --seconds {args.seconds:g} "
                         f"--seed {args.seed}{' --separate' if args.separate else ''} "
                         "--markdown docs/results/combine.md",
                         f"{args.scenes} simulated meetings of {args.seconds:g} s (two test voices taking turns in "
                         "rooms of 5–10 m with RT60 0.2–0.7 s), each recorded by a 4-mic array, a phone and a "
                         "stereo recorder placed at least 1 m apart; the phone and the stereo recorder placed on "
                         "the array's clock by `combine`'s defaults."), "",
             "| | |", "|---|---|",
             f"| Recorders placed | {len(placed)} of {len(rows)} |",
             f"| Start lined up on a talker (within {PLACED_TO_TALKER_S * 1000:g} ms of its extra path) | "
             f"{sum(e <= PLACED_TO_TALKER_S for e in talker_error)} of {len(placed)} |",
             f"| Start error against the nearest talker's extra path | "
             f"{_spread([1000 * e for e in talker_error], 'ms', 3)} |",
             f"| Start error against the clock alone | {_spread([1000 * e for e in clock_error], 'ms', 2)} |",
             f"| The talkers' extra paths to the recorders (the room's part of a lag) | "
             f"{_spread([1000 * s for s in path_span], 'ms', 2)} |",
             f"| Drifting clocks (up to ±100 ppm) with their drift taken out | {len(named)} of {len(drifting)} |",
             f"| Drift error where taken out | "
             f"{_spread([r['placed'].ppm - r['truth'].ppm for r in named], 'ppm', 2)} |",
             f"| Clocks shared with the array given a drift | "
             f"{sum(r['placed'].ppm != 0.0 for r in shared)} of {len(shared)} |",
             f"| True drift within the 99.73 % interval | {len(covered)} of {len(with_interval)} |",
             f"| Inverted recorders flipped; others flipped | {sum(r['placed'].inverted for r in inverted)} of "
             f"{len(inverted)}; {sum(r['placed'].inverted for r in placed if not r['truth'].inverted)} of "
             f"{len(placed) - len(inverted)} |",
             f"| Time to place a recorder of {args.seconds:g} s (this machine) | "
             f"{_spread([r['seconds'] for r in rows], 's', 1)} |"]
    return lines
