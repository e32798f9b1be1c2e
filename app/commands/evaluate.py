"""`meco-studio evaluate separation`: the README's separation table, from the fixed test sets.

The sets are written once by `meco-studio make-testsets`; every row is computed here from the
shipped checkpoint, so the table can always be reproduced with this one command.
"""

from __future__ import annotations

import argparse
import itertools
import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING

from app.commands import HelpFormatter
from app.commands.output import emit, warn
from app.engine.errors import AppError
from app.engine.pipeline import Task, find_model, load_model
from models.inference.chunked import ChunkConfig
from models.common.results import produced_by

if TYPE_CHECKING:
    import numpy as np

log = logging.getLogger(__name__)

SET_NOTES = {
    "in_domain": "test voices (never heard in training) in training-like rooms, arrays and noise",
    "out_of_domain": "rooms, arrays, noise kinds and voices never used in training",
    "real_speech": "recorded human prompts in simulated rooms; the asterisk prompts are 8 kHz, "
                   "so this set is band-limited to 4 kHz",
}


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("evaluate", help="score models on the fixed test sets (tables for the README)",
                       formatter_class=HelpFormatter)
    p.add_argument("what", choices=["separation", "demos", "activity", "declip", "repair", "declick", "combine"],
                   help="separation: the fixed test sets; demos: the shipped pipeline on the demo recordings; "
                        "activity: who-speaks-when labels on the demo recordings; declip: the demo recordings "
                        "driven into clipping, then repaired, and separated each way; repair: gaps punched into "
                        "the demo talkers and redrawn by Edit ▸ Repair the selection; declick: clicks added to the "
                        "demo recordings and talkers, found and redrawn by Edit ▸ Remove clicks; combine: the "
                        "separate recorders of simulated meetings put in step (File ▸ Combine recorders into one "
                        "array)")
    p.add_argument("--sets", nargs="+", default=["in_domain", "out_of_domain", "real_speech"],
                   choices=list(SET_NOTES), help="fixed sets to score")
    p.add_argument("--testsets", type=Path, default=None, help="folder of the sets (default: <cache>/testsets)")
    p.add_argument("--model", default=None, help="separator card name (default: the shipped one)")
    p.add_argument("--compare", nargs="+", default=[], metavar="CARD",
                   help="more separators (card names or card files) scored beside it, mask output only, "
                        "each row named after its card")
    p.add_argument("--mics", type=int, nargs="+", default=[1, 2, 4, 6, 8], help="microphone counts to score")
    p.add_argument("--chunk-seconds", type=float, default=ChunkConfig.seconds,
                   help="demos and activity: the chunk length the app separates with")
    p.add_argument("--silence-between-turns", action="store_true",
                   help="demos: also score every version silenced between its talker's turns (who speaks when, "
                        "found from the separated tracks, as separate --silence-between-turns does)")
    p.add_argument("--enhance", nargs="?", const="", default=None, metavar="NAME",
                   help="demos: also score the separated talkers finished by an enhancer (the best installed "
                        "student unless NAME is given), as separate --enhance does")
    p.add_argument("--blend", type=float, nargs="+", default=[], metavar="DB",
                   help="demos: also score every version blended with the mixture at each of these levels "
                        "(Edit ▸ Blend with the mixture: the estimate plus the rest of the mixture at DB)")
    p.add_argument("--reduce-noise", type=float, nargs="+", default=[], metavar="DB",
                   help="demos: also score every version with its steady noise reduced by each of these amounts "
                        "(Edit ▸ Reduce noise…, the profile from each version's quietest frames)")
    p.add_argument("--tracked-noise", action="store_true",
                   help="demos: with --reduce-noise, also score every version with its noise tracked over time "
                        "(Edit ▸ Reduce noise…'s Tracked over time) reduced by each amount")
    p.add_argument("--drive", type=float, nargs="+", default=[6.0, 12.0], metavar="DB",
                   help="declip: how far above full scale each demo's peak is driven before it clips")
    p.add_argument("--sensitivity", type=float, nargs="+", default=[5.0, 6.0, 8.0, 10.0, 12.0],
                   help="declick: the sensitivities to try (Edit ▸ Remove clicks uses 10)")
    p.add_argument("--scenes", type=int, default=12, help="combine: simulated meetings")
    p.add_argument("--seconds", type=float, default=180.0, help="combine: each recorder's length")
    p.add_argument("--seed", type=int, default=1, help="combine: the first meeting's seed")
    p.add_argument("--separate", action="store_true",
                   help="combine: also separate each meeting from the array alone, from all recorders combined as "
                        "placed, and as their true clocks place them (the shipped separator; AuxIVA the first two)")
    p.add_argument("--items", type=int, default=None, help="score only the first N two-talker mixtures per set")
    p.add_argument("--no-dnsmos", action="store_true", help="skip DNSMOS (the slowest metric)")
    p.add_argument("--no-baselines", action="store_true", help="skip AuxIVA and ILRMA")
    p.add_argument("--dereverb", action="store_true",
                   help="separation: also score the separator's mask and AuxIVA and ILRMA on mics dereverberated "
                        "by WPE first (separate --dereverb), with each one's paired difference")
    p.add_argument("--no-cache", action="store_true",
                   help="score every row afresh (by default rows already scored for the same set item, method, "
                        "weights and mic count are reused from <cache>/evaluation)")
    p.add_argument("--markdown", type=Path, default=None, help="write the tables as markdown")
    p.add_argument("--rows", type=Path, default=None, help="write every per-item row as JSON lines")
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    p.set_defaults(run=run)


def _command_line(args: argparse.Namespace) -> str:
    parts = ["meco-studio evaluate separation", "--sets", *args.sets, "--mics", *map(str, args.mics)]
    if args.items:
        parts += ["--items", str(args.items)]
    if args.no_dnsmos:
        parts.append("--no-dnsmos")
    if args.no_baselines:
        parts.append("--no-baselines")
    if args.dereverb:
        parts.append("--dereverb")
    if args.model:
        parts += ["--model", args.model]
    if args.compare:
        parts += ["--compare", *args.compare]
    return " ".join(parts)


DEMO_COLUMNS = {"si_sdr": "SI-SDR", "pesq": "PESQ-WB", "estoi": "ESTOI", "dnsmos_ovrl": "DNSMOS OVRL"}


def run(args: argparse.Namespace) -> int:
    if args.what == "combine":
        from app.commands.evaluate_combine import run_combine

        return run_combine(args, _report)
    return {"demos": run_demos, "activity": run_activity, "declip": run_declip, "repair": run_repair,
            "declick": run_declick}.get(args.what, run_separation)(args)


def _report(args: argparse.Namespace, key: str, results: dict, lines: list[str]) -> int:
    """The markdown table to --markdown (and the terminal), the results as JSON with --json."""
    text = "\n".join(lines) + "\n"
    if args.markdown:
        args.markdown.parent.mkdir(parents=True, exist_ok=True)
        args.markdown.write_text(text)
    emit({key: results}, args.json, [text])
    return 0


def _demo_manifest() -> list[dict]:
    from app.engine.demo import DEMO_DIR

    return [json.loads(line) for line in (DEMO_DIR / "manifest.jsonl").read_text().splitlines() if line.strip()]


def run_activity(args: argparse.Namespace) -> int:
    """Process ▸ Label talker activity on each demo recording, frame by frame against the truth
    from each talker's clean reference alone; with the mixture alone (it cannot tell talkers
    apart) as the floor and the clean references through the same detector as its ceiling."""
    import numpy as np

    from app.engine.activity import ActivitySettings, activity_frames, frame_scores, frames_to_labels, own_frames
    from app.engine.diarization import diarization_score
    from app.engine.correction import CorrectSettings, has_corrector
    from app.engine.demo import DEMO_DIR
    from app.engine.files import open_recording
    from app.engine.jobs import drive
    from app.engine.separation import SeparateSettings
    from app.engine.workflow import correct_versions_job, demo_references, read_reference, separate_versions_job
    from models.evaluation.separation import best_permutation

    settings = ActivitySettings()
    pooled: dict[str, list[tuple[np.ndarray, np.ndarray]]] = {}
    per_demo: dict[str, dict[str, float]] = {}
    errors: dict[str, list[float]] = {}         # per method: seconds of error, then of reference speech
    for item in _demo_manifest():
        path = DEMO_DIR / item["mixture"]
        warn(f"{item['name']}: separating and labelling ...")
        with open_recording(path) as rec:
            rate = rec.sample_rate
            chunk = ChunkConfig(seconds=args.chunk_seconds)
            separated = drive(separate_versions_job(rec, SeparateSettings(model=args.model, chunk=chunk)))
            corrected = (drive(correct_versions_job(separated, rec, CorrectSettings(chunk=chunk)))
                         if has_corrector() else [])
            references = np.stack([read_reference(ref, rate) for _, ref in sorted(demo_references(path).items())])
            mixture = rec.read(0, rec.frames, [0])[0]
        truth = np.stack([own_frames(ref, rate, settings) for ref in references])
        alone = own_frames(mixture, rate, settings)
        detected = {"Mixture alone (both talkers whenever anyone speaks)": np.stack([alone] * len(references)),
                    SOURCES_ROW: _source_frames(path, item["mics_m"], truth, settings.frame_seconds)}
        for title, versions in (("Separated talkers", separated), ("MeCo-corrected talkers", corrected)):
            if versions:
                tracks = best_permutation(np.stack([v.audio for v in versions]), references)
                detected[f"{title} ({versions[0].model})"] = activity_frames(list(tracks), rate, settings)
        detected["Clean references (the detector's ceiling)"] = activity_frames(list(references), rate, settings)
        per_demo[item["name"]] = {}
        step, names = settings.frame_seconds, [f"talker {k + 1}" for k in range(len(references))]
        for method, frames in detected.items():
            n = min(frames.shape[1], truth.shape[1])
            pooled.setdefault(method, []).append((frames[:, :n], truth[:, :n]))
            per_demo[item["name"]][method] = frame_scores(frames[:, :n], truth[:, :n])["f1"]
            score = diarization_score(frames_to_labels(truth[:, :n], step, names),
                                      frames_to_labels(frames[:, :n], step, names), n * step)
            total = errors.setdefault(method, [0.0, 0.0])
            total[0] += score.missed + score.false_alarm + score.confusion
            total[1] += score.reference_seconds
    demos = list(per_demo)
    lines = [produced_by(f"meco-studio evaluate activity --chunk-seconds {args.chunk_seconds:g} "
                         "--markdown docs/results/activity.md",
                         f"Frames of {settings.frame_seconds * 1000:g} ms, pooled over both talkers of the "
                         f"{len(demos)} demo recordings ({sum(p.size for p, _ in pooled[next(iter(pooled))])} talker-"
                         "frames); the truth is each talker's clean reference above its own silence floor. DER: the "
                         "diarization error rate of the labels against the truth's, pooled over the demos "
                         "(pyannote.metrics, no collar, overlap included)."), "",
             "| Labels from | Precision | Recall | F1 | DER | " + " | ".join(f"F1 {d}" for d in demos) + " |",
             "|---|---|---|---|---|" + "---|" * len(demos)]
    results = {}
    for method, pairs in pooled.items():
        scores = frame_scores(np.concatenate([p.ravel() for p, _ in pairs]),
                              np.concatenate([t.ravel() for _, t in pairs]))
        der = errors[method][0] / errors[method][1]
        results[method] = {**scores, "der": der, "per_demo_f1": {d: per_demo[d][method] for d in demos}}
        lines.append(f"| {method} | {scores['precision']:.3f} | {scores['recall']:.3f} | {scores['f1']:.3f} | "
                     f"{100 * der:.1f} % | " + " | ".join(f"{per_demo[d][method]:.3f}" for d in demos) + " |")
    return _report(args, "activity", results, lines)


SOURCES_ROW = "Delays' sources, channel 1 against the one furthest from it (no separation)"


def _source_frames(path: Path, mics_m: list, truth: np.ndarray, frame_seconds: float) -> np.ndarray:
    """The Delays panel's Label sources on the demo, as talker frames: channel 1 against the
    microphone furthest from it (the pair a user of that array would pick), the two most held
    sources matched to the talkers by the assignment that agrees with the truth most (a label
    names a place, not a talker)."""
    import numpy as np

    from app.engine.activity import runs
    from app.engine.delay_track import DEFAULT_REACH_S, delay_track_job, source_columns, strongest_delays
    from app.engine.files import open_recording
    from app.engine.jobs import drive

    mics = np.asarray(mics_m)
    distances = np.linalg.norm(mics - mics[0], axis=1)
    other = int(np.argmax(distances))
    with open_recording(path) as rec:
        track = drive(delay_track_job(rec, (0, other), max(DEFAULT_REACH_S, distances[other] / 343.0 + 0.0002)))
    modes = strongest_delays(track)[:truth.shape[0]]
    frames = np.zeros((len(modes), truth.shape[1]), bool)
    for source, columns in enumerate(source_columns(track, modes)):       # the labels' stretches, as frames
        for a, b in runs(columns, True):
            start, stop = (track.start + c * track.column_seconds for c in (a, b))
            frames[source, round(start / frame_seconds):round(stop / frame_seconds)] = True
    frames = np.concatenate([frames, np.zeros((truth.shape[0] - len(modes), truth.shape[1]), bool)])
    order = max(itertools.permutations(range(truth.shape[0])),
                key=lambda perm: int(np.sum(frames[list(perm)] & truth)))
    return frames[list(order)]


def run_declip(args: argparse.Namespace) -> int:
    """Each demo recording driven `--drive` dB above full scale and clipped there, then repaired
    (`meco-studio declip`): how close the mixture comes back to itself driven without the clipping
    (SNR over every channel), and how well the separator separates it unclipped, clipped and
    repaired (SI-SDR against the clean references, the talkers matched)."""
    import numpy as np

    from app.engine.analysis import FULL_SCALE_16BIT
    from app.engine.declip import declip_job
    from app.engine.demo import DEMO_DIR
    from app.engine.files import ArraySource, open_recording
    from app.engine.jobs import drive
    from app.engine.separation import SeparateSettings, separate_job
    from app.engine.workflow import demo_references, read_reference
    from models.evaluation.separation import best_permutation
    from models.metrics.speech import si_sdr, snr

    chunk = ChunkConfig(seconds=args.chunk_seconds)
    versions = ("unclipped", "clipped", "repaired")
    lines = [produced_by(f"meco-studio evaluate declip --drive {' '.join(f'{db:g}' for db in args.drive)} "
                         f"--chunk-seconds {args.chunk_seconds:g}",
                         "Each demo's mixture scaled until its peak lies DRIVE dB above full scale and clipped "
                         "there; the SNRs are against it scaled alone; SI-SDR is the separator's, mean over the "
                         "demo's talkers."), "",
             "| Demo | Drive | Samples clipped | Runs redrawn | Mixture SNR clipped | Mixture SNR repaired | "
             + " | ".join(f"SI-SDR {v}" for v in versions) + " |", "|---|---|---|---|---|---|---|---|---|"]
    results: dict[str, dict[str, dict[str, float]]] = {}
    for item in _demo_manifest():
        path = DEMO_DIR / item["mixture"]
        warn(f"{item['name']}: clipping, repairing and separating ...")
        with open_recording(path) as rec:
            mixture, rate = rec.read(0, rec.frames), rec.sample_rate
        references: dict[int, np.ndarray] = {}          # at each rate the separator gives, read once
        for drive_db in args.drive:
            driven = (mixture / np.abs(mixture).max() * 10 ** (drive_db / 20)).astype(np.float32)
            clipped = np.clip(driven, -1.0, 1.0)
            blocks: list[np.ndarray] = []
            repair = drive(declip_job(ArraySource(clipped, rate, path.name), blocks.append))
            audio = {"unclipped": driven, "clipped": clipped, "repaired": np.concatenate(blocks, axis=1)}
            scores = {}
            for version in versions:
                separation = drive(separate_job(ArraySource(audio[version], rate, path.name),
                                                SeparateSettings(model=args.model, chunk=chunk)))
                if separation.sample_rate not in references:
                    references[separation.sample_rate] = np.stack([read_reference(ref, separation.sample_rate)
                                                                   for _, ref in sorted(demo_references(path).items())])
                truth = references[separation.sample_rate]
                n = min(separation.estimates.shape[1], truth.shape[1])
                matched = best_permutation(separation.estimates[:, :n], truth[:, :n])
                scores[version] = float(np.mean([si_sdr(e, r) for e, r in zip(matched, truth[:, :n])]))
            row = {"clipped_share": float(np.mean(np.abs(clipped) >= FULL_SCALE_16BIT)), "runs": repair.runs,
                   "snr_clipped": snr(clipped, driven), "snr_repaired": snr(audio["repaired"], driven),
                   **{f"si_sdr_{v}": scores[v] for v in versions}}
            results.setdefault(item["name"], {})[f"{drive_db:g}"] = row
            lines.append(f"| {item['name']} | +{drive_db:g} dB | {100 * row['clipped_share']:.2f} % | {repair.runs} | "
                         f"{row['snr_clipped']:.1f} dB | {row['snr_repaired']:.1f} dB | "
                         + " | ".join(f"{scores[v]:.2f}" for v in versions) + " |")
    return _report(args, "declip", results, lines)


REPAIR_GAPS_MS = (1.0, 2.5, 5.0, 10.0, 20.0)
REPAIR_PLACES = 20              # gaps per talker and length, at its loudest 10 ms frames
REPAIR_SPACING_SECONDS = 0.1    # between two of them at least


def run_repair(args: argparse.Namespace) -> int:
    """Gaps of each length punched into each demo talker's clean reference where it is loudest, and
    redrawn by Edit ▸ Repair the selection: the SNR over the gap against the talker as it was, beside
    the straight line across the gap that a plain interpolation draws (the gap left silent is 0 dB)."""
    import numpy as np

    from app.engine.demo import DEMO_DIR
    from app.engine.documents import Version, VersionKind
    from app.engine.files import read_all
    from app.engine.inpainting import repaired_version
    from app.engine.jobs import drive
    from models.metrics.speech import confidence_interval, snr

    scores: dict[float, dict[str, list[float]]] = {gap: {"repair": [], "line": []} for gap in REPAIR_GAPS_MS}
    talkers = [DEMO_DIR / ref for item in _demo_manifest() for ref in item["references"]]
    clusters: dict[float, list[int]] = {gap: [] for gap in REPAIR_GAPS_MS}      # which talker each gap is in
    for which, path in enumerate(talkers):
        warn(f"{path.parent.name}/{path.name}: punching gaps and repairing ...")
        audio, rate = read_all(path)
        talker = audio[0]
        frame = round(0.01 * rate)
        energy = np.add.reduceat(talker.astype(np.float64) ** 2, np.arange(0, talker.size, frame))
        places: list[int] = []
        for index in np.argsort(energy)[::-1]:
            centre = int(index) * frame + frame // 2
            spacing = REPAIR_SPACING_SECONDS * rate
            if rate < centre < talker.size - rate and all(abs(centre - p) >= spacing for p in places):
                places.append(centre)
            if len(places) == REPAIR_PLACES:
                break
        if len(places) < REPAIR_PLACES:
            raise AppError(f"{path.name} has room for {len(places)} gaps, not {REPAIR_PLACES}.")
        for gap_ms in REPAIR_GAPS_MS:
            n = round(gap_ms / 1000 * rate)
            for centre in places:
                lo, hi = centre - n // 2, centre - n // 2 + n
                broken = talker.copy()
                broken[lo:hi] = 0
                version = Version("talker", 0, VersionKind.SEPARATED, broken, rate, "", {})
                redrawn = drive(repaired_version(version, (lo / rate, hi / rate))).audio[lo:hi]
                line = np.interp(np.arange(lo, hi), [lo - 1, hi], [talker[lo - 1], talker[hi]])
                scores[gap_ms]["repair"].append(snr(redrawn, talker[lo:hi]))
                scores[gap_ms]["line"].append(snr(line, talker[lo:hi]))
                clusters[gap_ms].append(which)
    lines = [produced_by("meco-studio evaluate repair",
                         f"{REPAIR_PLACES} gaps per length in each of the {len(talkers)} demo talkers' clean "
                         f"references, at their loudest 10 ms frames ({REPAIR_SPACING_SECONDS:g} s apart at least); "
                         "SNR over the gap "
                         "against the talker as it was, mean ± 95 % CI clustered by talker (the gap left silent "
                         "scores 0 dB)."), "",
             "| Gap | Repair the selection | Straight line |", "|---|---|---|"]
    results = {}
    for gap_ms, by in scores.items():
        results[f"{gap_ms:g}"] = {name: float(np.mean(values)) for name, values in by.items()}
        repair, line = (confidence_interval(by[name], clusters=clusters[gap_ms]) for name in ("repair", "line"))
        lines.append(f"| {gap_ms:g} ms | {repair} dB | {line} dB |")
    return _report(args, "repair", results, lines)


CLICKS_PER_SIGNAL = 30                  # in each 10 s demo signal: three a second
CLICK_SAMPLES = (1, 40)                 # at 16 kHz: 0.06 to 2.5 ms
CLICK_LEVELS = (0.1, 1.0)               # peak, as a share of the signal's own peak
LOUD_CLICK = 0.3                        # the share from which a click stands out of any speech


def run_declick(args: argparse.Namespace) -> int:
    """Clicks added to the demo recordings' first channels and to the demo talkers' clean references,
    found and redrawn by Edit ▸ Remove clicks at each `--sensitivity`: how many are found, how many
    false clicks the same signals without clicks give, and the SNR against the click-free signal
    before and after (and of the click-free signal after: what false clicks cost); the true spans
    redrawn are the ceiling."""
    import numpy as np

    from app.engine.clicks import ClickSettings, declicked_version, redraw_clicks
    from app.engine.demo import DEMO_DIR
    from app.engine.documents import Version, VersionKind
    from app.engine.files import read_all
    from app.engine.jobs import drive
    from models.metrics.speech import snr

    groups: dict[str, list[tuple[np.ndarray, int]]] = {"demo mixtures, channel 1": [], "demo talkers, clean": []}
    for item in _demo_manifest():
        mixture, rate = read_all(DEMO_DIR / item["mixture"])
        groups["demo mixtures, channel 1"].append((mixture[0].astype(np.float64), rate))
        for reference in item["references"]:
            talker, rate = read_all(DEMO_DIR / reference)
            groups["demo talkers, clean"].append((talker[0].astype(np.float64), rate))

    def with_clicks(audio: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """`audio` with `CLICKS_PER_SIGNAL` clicks (noise bursts under a Hann envelope) at random places,
        their spans and their peak levels (as a share of the signal's peak)."""
        rng = np.random.default_rng(seed)
        out, spans, levels = audio.copy(), [], []
        for _ in range(CLICKS_PER_SIGNAL):
            length = int(rng.integers(CLICK_SAMPLES[0], CLICK_SAMPLES[1] + 1))
            at = int(rng.integers(1000, audio.size - 1000 - length))
            burst = rng.standard_normal(length) * np.hanning(length + 2)[1:-1]
            level = float(rng.uniform(*CLICK_LEVELS))
            out[at:at + length] += level * np.abs(audio).max() * burst / np.abs(burst).max()
            spans.append((at, at + length))
            levels.append(level)
        order = np.argsort([a for a, _ in spans])
        return out, np.array(spans)[order], np.array(levels)[order]

    lines = [produced_by(f"meco-studio evaluate declick --sensitivity {' '.join(f'{k:g}' for k in args.sensitivity)}",
                         f"{CLICKS_PER_SIGNAL} clicks in each 10 s signal (noise bursts of {CLICK_SAMPLES[0]} to "
                         f"{CLICK_SAMPLES[1]} samples at 16 kHz under a Hann envelope, peaking at "
                         f"{CLICK_LEVELS[0]:g} to {CLICK_LEVELS[1]:g} of the signal's peak), found and redrawn as "
                         "Edit ▸ Remove clicks does; a click is found when a redrawn span touches it; loud: peaking "
                         f"at {LOUD_CLICK:g} of the signal's peak or more; false clicks: found in the same signals "
                         "without clicks; SNRs against the click-free signal, mean over the signals."), "",
             "| Signals | Sensitivity | Clicks found | Loud clicks found | False clicks per minute | SNR with clicks | "
             "SNR declicked | SNR of the click-free signal declicked |", "|---|---|---|---|---|---|---|---|"]
    results: dict[str, dict[str, dict[str, float]]] = {}
    for group, signals in groups.items():
        clicked = [(with_clicks(audio, seed), audio, rate) for seed, (audio, rate) in enumerate(signals)]
        minutes = sum(audio.size / rate for audio, rate in signals) / 60
        before = float(np.mean([snr(noisy, audio) for (noisy, _, _), audio, _ in clicked]))
        ceiling = []
        for (noisy, spans, _), audio, rate in clicked:
            redrawn = drive(redraw_clicks(lambda lo, hi, x=noisy: x[max(0, lo):max(0, hi)], spans, rate,
                                          noisy.size, "redraw the true spans"))
            fixed, offsets = noisy.copy(), np.concatenate(([0], np.cumsum(spans[:, 1] - spans[:, 0])))
            for (a, b), at in zip(spans, offsets[:-1]):
                fixed[a:b] = redrawn[at:at + b - a]
            ceiling.append(snr(fixed, audio))
        for sensitivity in args.sensitivity:
            settings = ClickSettings(sensitivity=sensitivity)
            warn(f"{group}: sensitivity {sensitivity:g} ...")
            found = loud = loud_total = total = false = 0
            after, clean_after = [], []
            for (noisy, spans, levels), audio, rate in clicked:
                version = Version("signal", 0, VersionKind.SEPARATED, noisy.astype(np.float32), rate, "", {})
                mended, _ = drive(declicked_version(version, None, settings))
                out = noisy if mended is None else np.asarray(mended.audio, np.float64)
                touched = np.abs(out - noisy.astype(np.float32).astype(np.float64)) > 0
                hits = np.array([touched[a:b].any() for a, b in spans])
                found, total = found + int(hits.sum()), total + hits.size
                strong = levels >= LOUD_CLICK
                loud, loud_total = loud + int(hits[strong].sum()), loud_total + int(strong.sum())
                after.append(snr(out, audio))
                clean_version = Version("signal", 0, VersionKind.SEPARATED, audio.astype(np.float32), rate, "", {})
                clean, count = drive(declicked_version(clean_version, None, settings))
                false += count
                clean_after.append(snr(audio if clean is None else np.asarray(clean.audio, np.float64), audio))
            row = {"found": found / total, "loud_found": loud / loud_total, "false_per_minute": false / minutes,
                   "snr_clicked": before, "snr_declicked": float(np.mean(after)),
                   "snr_clean_declicked": float(np.mean(clean_after))}
            results.setdefault(group, {})[f"{sensitivity:g}"] = row
            lines.append(f"| {group} | {sensitivity:g} | {100 * row['found']:.0f} % | "
                         f"{100 * row['loud_found']:.0f} % | {row['false_per_minute']:.1f} | {before:.1f} dB | "
                         f"{row['snr_declicked']:.1f} dB | "
                         f"{row['snr_clean_declicked']:.1f} dB |")
        results[group]["true spans redrawn"] = {"snr_declicked": float(np.mean(ceiling))}
        lines.append(f"| {group} | the true spans redrawn | 100 % | 100 % | — | {before:.1f} dB | "
                     f"{np.mean(ceiling):.1f} dB | — |")
    return _report(args, "declick", results, lines)


def run_demos(args: argparse.Namespace) -> int:
    """Separate (and correct, when a corrector is installed) each demo recording as the app does,
    and score every version against the demo's clean references (talkers matched by SI-SDR)."""
    import numpy as np

    from app.engine.correction import CorrectSettings, has_corrector
    from app.engine.demo import DEMO_DIR
    from app.engine.files import open_recording
    from app.engine.jobs import drive
    from app.engine.separation import SeparateSettings
    from app.engine.workflow import (correct_versions_job, demo_references, metrics_job, read_reference,
                                     separate_versions_job)
    from models.metrics.speech import RATE as METRICS_RATE

    manifest = _demo_manifest()
    if args.enhance is not None:
        from app.engine.enhancement import find_enhancer

        find_enhancer(args.enhance or None)         # an unknown name fails before any demo is separated
    gated = "" if args.enhance is None else " --enhance" + (f" {args.enhance}" if args.enhance else "")
    gated += " --silence-between-turns" if args.silence_between_turns else ""
    gated += f" --blend {' '.join(f'{db:g}' for db in args.blend)}" if args.blend else ""
    gated += f" --reduce-noise {' '.join(f'{db:g}' for db in args.reduce_noise)}" if args.reduce_noise else ""
    gated += " --tracked-noise" if args.tracked_noise and args.reduce_noise else ""
    lines = [produced_by(f"meco-studio evaluate demos --chunk-seconds {args.chunk_seconds:g}{gated}",
                         "Mean over each demo's talkers; versions are matched to the clean reference they "
                         "resemble most."), "",
             "| Demo | Mics | Version | Model | " + " | ".join(DEMO_COLUMNS.values()) + " |",
             "|---|---|---|---|" + "---|" * len(DEMO_COLUMNS)]
    results = {}
    for item in manifest:
        path = DEMO_DIR / item["mixture"]
        warn(f"{item['name']}: separating and scoring ...")
        with open_recording(path) as rec:
            chunk = ChunkConfig(seconds=args.chunk_seconds)
            versions = drive(separate_versions_job(rec, SeparateSettings(model=args.model, chunk=chunk)))
            if has_corrector():
                versions += drive(correct_versions_job(versions, rec, CorrectSettings(chunk=chunk)))
            if args.enhance is not None:
                versions += enhanced_separations(versions, chunk, args.enhance or None)
            if args.silence_between_turns:
                versions += silenced_between_turns(versions)
            versions += (blended_with_mixture(versions, rec, args.blend) + noise_reduced(versions, args.reduce_noise)
                         + (noise_reduced(versions, args.reduce_noise, tracked=True) if args.tracked_noise else []))
            references = {k: read_reference(ref, METRICS_RATE) for k, ref in demo_references(path).items()}
            rows = drive(metrics_job(versions, references, rec))
        groups: dict[tuple[str, str], list[dict[str, float]]] = {}
        models = {v.id: v.model for v in versions}
        for row in rows:
            kind = row.name.split(" · ")[0]
            groups.setdefault((kind, models.get(row.version_id, "—")), []).append(row.values)
        results[item["name"]] = {}
        for (kind, model), values in groups.items():
            means = {key: float(np.mean([v[key] for v in values])) for key in DEMO_COLUMNS}
            results[item["name"]][kind] = {"model": model, **means}
            lines.append(f"| {item['name']} | {item['channels']} | {kind} | {model} | "
                         + " | ".join(f"{means[k]:.2f}" for k in DEMO_COLUMNS) + " |")
    return _report(args, "demos", results, lines)


def enhanced_separations(versions: list, chunk: ChunkConfig, model: str | None) -> list:
    """The separated versions finished by an enhancer (the best installed student when `model` is
    None), as Process ▸ Enhance with a student and `separate --enhance` do."""
    from app.engine.documents import VersionKind
    from app.engine.enhancement import EnhanceSettings
    from app.engine.jobs import drive
    from app.engine.workflow import enhance_versions_job

    separated = [v for v in versions if v.kind is VersionKind.SEPARATED]
    return drive(enhance_versions_job(separated, EnhanceSettings(model=model, chunk=chunk)))


def silenced_between_turns(versions: list) -> list:
    """Each version silenced outside its talker's turns, as found from the separated versions
    (Label talker activity), named "<kind> silenced between turns · talker k" so the rows stay apart."""
    from dataclasses import replace

    from app.engine.activity import talker_activity
    from app.engine.documents import VersionKind
    from app.engine.jobs import drive
    from app.engine.version_edits import outside, silenced_version

    separated = [v for v in versions if v.kind is VersionKind.SEPARATED]
    labels = drive(talker_activity([v.audio for v in separated], [str(v.talker) for v in separated],
                                   separated[0].sample_rate))
    gated = []
    for version in versions:
        gaps = outside([(label.start, label.stop) for label in labels if label.text == str(version.talker)],
                       version.seconds)
        silenced = silenced_version(version, gaps) if gaps else version
        kind = version.name.split(" · ")[0]
        gated.append(replace(silenced, name=f"{kind} silenced between turns · talker {version.talker + 1}",
                             id=f"{version.id}-gated"))
    return gated


def blended_with_mixture(versions: list, recording, levels: list[float]) -> list:
    """Each version blended with the mixture at each level, named "<kind> blended −20 dB · talker k"."""
    from dataclasses import replace

    from app.engine.blend import blend_job
    from app.engine.jobs import drive

    blended = []
    for gain_db in levels:
        for version, mixed in zip(versions, drive(blend_job(recording, versions, gain_db))):
            kind = version.name.split(" · ")[0]
            blended.append(replace(mixed, name=f"{kind} blended {gain_db:g} dB · talker {version.talker + 1}",
                                   id=f"{version.id}-blend{gain_db:g}"))
    return blended


def noise_reduced(versions: list, amounts: list[float], tracked: bool = False) -> list:
    """Each version with its noise lowered by each amount (dB), the profile from its quietest frames
    or, `tracked`, the noise tracked over time, named "<kind> noise reduced 12 dB · talker k" (or
    "noise tracked, reduced 12 dB")."""
    from dataclasses import replace

    from app.engine.jobs import drive
    from app.engine.noise_reduction import TRACKED, NoiseSettings, reduce_noise_job

    reduced = []
    what, key = ("noise tracked, reduced", "tracked") if tracked else ("noise reduced", "denoise")
    for amount in amounts:
        job = reduce_noise_job(versions, NoiseSettings(reduction_db=amount), TRACKED if tracked else None)
        for version, quieter in zip(versions, drive(job)):
            kind = version.name.split(" · ")[0]
            reduced.append(replace(quieter, name=f"{kind} {what} {amount:g} dB · talker {version.talker + 1}",
                                   id=f"{version.id}-{key}{amount:g}"))
    return reduced


def run_separation(args: argparse.Namespace) -> int:
    from models.data.fixedsets import read_fixed_set
    from models.data.paths import cache_root
    from models.evaluation.row_cache import RowCache, file_digest
    from models.evaluation.separation import (bss_methods, checks, evaluate, model_methods, paired_comparisons,
                                              summarise, talker_correlation, to_markdown, with_wpe, wpe_differences)

    entry = find_model(args.model, Task.SEPARATION)
    model = load_model(entry)
    methods = model_methods(model)
    compared = [model_methods(load_model(other), label=other.name, with_mwf=False)[0]
                for other in (find_model(name, Task.SEPARATION) for name in args.compare)]
    masks = [methods[0].name] + [m.name for m in compared]           # the rows the paired lines compare
    methods += compared
    if len({m.name for m in methods}) < len(methods):
        raise AppError("Compared separators need distinct card names (rows are named after them).")
    classical = [] if args.no_baselines else bss_methods()
    methods += classical + (with_wpe(methods[:1] + classical) if args.dereverb else [])
    root = args.testsets or cache_root() / "testsets"
    tables, results, all_rows = [], {}, []
    for name in args.sets:
        manifest = root / name / "manifest.jsonl"
        if not manifest.exists():
            raise AppError(f"The fixed set {name} is missing ({manifest}); run `meco-studio make-testsets` first.")
        two_talker = (m for m in read_fixed_set(manifest) if m.targets.shape[0] == 2)
        mixtures = list(itertools.islice(two_talker, args.items))
        warn(f"{name}: scoring {len(mixtures)} two-talker mixtures ...")
        cache = None if args.no_cache else RowCache(cache_root() / "evaluation" / "separation" / f"{name}.jsonl")
        rows = evaluate(mixtures, methods, tuple(args.mics), with_dnsmos=not args.no_dnsmos, cache=cache,
                        set_id=file_digest(manifest))
        summary = summarise(rows)
        all_rows += [{**r, "set": name} for r in rows]
        results[name] = [{k: (v.__dict__ if hasattr(v, "half_width") else v) for k, v in s.items()} for s in summary]
        tables.append(to_markdown(summary, f"{name.replace('_', '-')} — {SET_NOTES[name]} "
                                           f"({len(mixtures)} mixtures × 2 talkers)"))
        if lines := checks(rows, name):
            tables.append("\n".join(lines) + "\n")
        if lines := paired_comparisons(rows, masks):
            tables.append("\n".join(lines) + "\n")
        if lines := wpe_differences(rows):
            tables.append("\n".join(lines) + "\n")
        if line := talker_correlation(rows):
            tables.append(line)
    steps = entry.card.get("training", {}).get("steps", "?")
    header = produced_by(_command_line(args), f"Model: `{entry.card_path.name}` (trained {steps} steps). "
                         "Mean ± 95 % CI (t, clustered by mixture: a mixture's two talkers are not independent); "
                         "SI-SDRi against the unprocessed reference mic; Mics — rows are the mixture floor and "
                         "the oracle.") + "\n\n"
    text = header + "\n".join(tables)
    if args.markdown:
        args.markdown.parent.mkdir(parents=True, exist_ok=True)
        args.markdown.write_text(text)
    if args.rows:
        args.rows.write_text("".join(json.dumps(r, default=str) + "\n" for r in all_rows))
    emit({"model": entry.name, "sets": results}, args.json, [text])
    return 0
