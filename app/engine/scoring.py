"""Scoring any system's output against clean references, the way the README's tables are scored.

A researcher comparing our separator, MeCo or a student with their own system needs both scored
by the same metric code on the same items, with confidence intervals and paired differences.
Items pair up by relative path: a reference folder `REFS/<item>/` holds one clean file per talker
and the estimates of `<item>` lie in `EST/<item>/` (matched to the references by the permutation
with the highest total SI-SDR, since a separator's talker order is arbitrary); a file directly
in REFS is one single-talker item, `EST/<stem>.*` its estimate. LibriMix and WHAM! keep one
folder per talker instead (`REFS/s1/<item>.wav`), which `talker_folders` reads. A mixture (its
reference channel) gives each row SI-SDRi too. Everything is scored at the metrics' 16 kHz.

With a label file in each item's folder (`labels`), each talker is scored over each label's range
instead of the whole file, as the app's metrics panel scores over each label: per utterance, or
only the overlapped parts, as a paper's table of segments would.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from app.engine.alignment import CLEAR_PEAK, delay_between, describe_shift, shifted
from app.engine.errors import AppError, AudioFileError
from app.engine.files import AUDIO_SUFFIXES, MIN_PROCESSED_SECONDS, open_recording, read_all
from app.engine.jobs import Job, Progress, Stopwatch
from app.engine.labels import Label, label_talker, read_label_file
from models.metrics import speech
from models.metrics.speech import RATE, Interval

METRICS = {"si_sdr": "SI-SDR", "si_sdri": "SI-SDRi", "pesq": "PESQ-WB", "estoi": "ESTOI",
           "dnsmos_sig": "DNSMOS SIG", "dnsmos_bak": "DNSMOS BAK", "dnsmos_ovrl": "DNSMOS OVRL"}
LENGTH_TOLERANCE_S = 0.05     # estimate and reference lengths further apart than this are named in the row


class ScoringError(AppError):
    """An item that cannot be scored: a missing or extra estimate, a file that is not mono."""


@dataclass(frozen=True)
class Item:
    """One mixture's (or one single-talker file's) references, estimates and optional mixture."""

    name: str
    references: tuple[Path, ...]
    estimates: tuple[Path, ...]
    mixture: Path | None = None
    note: str = ""             # e.g. the mixture asked for is missing, so no SI-SDRi
    labels: Path | None = None  # a label file: each talker scored over each label's range


@dataclass(frozen=True)
class Row:
    """One reference talker of one item, scored against the estimate matched to it."""

    system: str
    item: str
    reference: Path
    estimate: Path
    values: dict[str, float]
    note: str = ""
    label: str = ""                              # the text of the label scored over
    span: tuple[float, float] | None = None      # seconds: that label's range; None: the whole file


@dataclass
class Pairing:
    items: list[Item] = field(default_factory=list)
    problems: list[tuple[str, str]] = field(default_factory=list)    # (item, reason)


def _audio_files(folder: Path, pattern: str = "*") -> list[Path]:
    return sorted(p for p in folder.iterdir()
                  if p.is_file() and p.suffix.lower() in AUDIO_SUFFIXES and fnmatch.fnmatch(p.name, pattern))


def _file_with_stem(folder: Path, stem: str) -> Path | None:
    matches = [p for p in _audio_files(folder) if p.stem == stem] if folder.is_dir() else []
    return matches[0] if len(matches) == 1 else None


def _item(name: str, refs: list[Path] | tuple[Path, ...], ests: list[Path] | tuple[Path, ...],
          mixtures: Path | None, mixture: Path | None) -> Item:
    """An item; a mixture asked for (`mixtures` given) but not found is said in its note."""
    note = f"no mixture for it in {mixtures}, so no SI-SDRi" if mixtures is not None and mixture is None else ""
    return Item(name, tuple(refs), tuple(ests), mixture, note)


def pair_items(references: Path, estimates: Path, *, mixtures: Path | None = None, mixture_name: str | None = None,
               pattern: str = "*", talker_folders: tuple[str, ...] = (), labels: str | None = None) -> Pairing:
    """Every item of `references` with its estimates (the files of `estimates` matching `pattern`);
    an item whose estimates are missing, or whose count differs from its references', is a
    problem named with its reason, and the others are scored all the same.

    `mixture_name`: each item folder's mixture is this file in it (not a reference); the estimates
    may then also lie in `EST/<item>_<mixture stem>/`, where `meco-studio separate` puts them.
    `talker_folders` (LibriMix and WHAM! layout): REFS/<talker>/<item>.* and EST/<talker>/<item>.*.
    `labels`: each item's label file is REFS/<item>/<labels>; an item without one is a problem.
    """
    for folder, what in ((references, "reference"), (estimates, "estimate"), (mixtures, "mixture")):
        if folder is not None and not folder.is_dir():
            raise ScoringError(f"The {what} folder {folder} does not exist or is not a folder.")
    if talker_folders and labels:
        raise ScoringError("Labels are read from each item's folder of references, which the talker-folder "
                           "layout does not have.")
    if talker_folders:
        return _pair_by_talker_folders(references, estimates, mixtures, talker_folders)
    pairing = Pairing()
    groups: dict[Path, list[Path]] = {}
    for path in sorted(references.rglob("*")):
        if path.is_file() and path.suffix.lower() in AUDIO_SUFFIXES and path.name != mixture_name:
            groups.setdefault(path.parent.relative_to(references), []).append(path)
    for relative, refs in sorted(groups.items()):
        if relative == Path("."):             # single-talker files: one item each
            for ref in refs:
                if labels:
                    pairing.problems.append((ref.stem, f"labels are read from item folders, and {ref.name} lies "
                                                       f"directly in {references}"))
                    continue
                estimate = _file_with_stem(estimates, ref.stem)
                if estimate is None:
                    pairing.problems.append((ref.stem, f"no single estimate named {ref.stem}.* in {estimates}"))
                    continue
                mixture = _file_with_stem(mixtures, ref.stem) if mixtures else None
                pairing.items.append(_item(ref.stem, (ref,), (estimate,), mixtures, mixture))
            continue
        name = relative.as_posix()
        label_file = references / relative / labels if labels else None
        if label_file is not None and not label_file.is_file():
            pairing.problems.append((name, f"no label file {labels} in {references / relative}"))
            continue
        folder = estimates / relative
        if mixture_name and not folder.is_dir():    # how `separate` names the outputs of same-named mixtures
            folder = estimates / relative.parent / f"{relative.name}_{Path(mixture_name).stem}"
        found = _audio_files(folder, pattern) if folder.is_dir() else []
        if len(found) != len(refs):
            pairing.problems.append((name, f"{len(refs)} reference(s) but {len(found)} estimate(s) matching "
                                           f"{pattern!r} in {folder}" + (" (--pattern chooses which files are "
                                                                         "estimates)" if found else "")))
            continue
        if mixture_name:
            mixture = references / relative / mixture_name
            item = _item(name, refs, found, references / relative, mixture if mixture.is_file() else None)
        else:
            mixture = _file_with_stem(mixtures / relative.parent, relative.name) if mixtures else None
            item = _item(name, refs, found, mixtures, mixture)
        pairing.items.append(dataclasses.replace(item, labels=label_file))
    return pairing


def _pair_by_talker_folders(references: Path, estimates: Path, mixtures: Path | None,
                            talkers: tuple[str, ...]) -> Pairing:
    for talker in talkers:
        if not (references / talker).is_dir():
            raise ScoringError(f"The reference folder {references} has no talker folder {talker!r}.")
    pairing = Pairing()
    for ref in _audio_files(references / talkers[0]):
        refs = [_file_with_stem(references / t, ref.stem) for t in talkers]
        ests = [_file_with_stem(estimates / t, ref.stem) for t in talkers]
        if None in refs or None in ests:
            missing = [str(folder / t) for folder, found in ((references, refs), (estimates, ests))
                       for t, f in zip(talkers, found, strict=True) if f is None]
            pairing.problems.append((ref.stem, f"no single file named {ref.stem}.* in {', '.join(missing)}"))
            continue
        mixture = _file_with_stem(mixtures, ref.stem) if mixtures else None
        pairing.items.append(_item(ref.stem, refs, ests, mixtures, mixture))
    return pairing


def _mono(path: Path) -> np.ndarray:
    audio, _ = read_all(path, RATE)
    if audio.shape[0] != 1:
        raise ScoringError(f"{path.name} has {audio.shape[0]} channels; scoring compares one talker per mono file.")
    return audio[0]


def _reference_channel(path: Path, channel: int) -> np.ndarray:
    with open_recording(path) as rec:
        if channel >= rec.channels:
            raise ScoringError(f"{rec.name} has {rec.channels} channel(s); there is no reference channel "
                               f"{channel + 1}.")
    audio, _ = read_all(path, RATE)
    return audio[channel]


def _trim(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray, str]:
    n = min(a.size, b.size)
    gap = abs(a.size - b.size) / RATE
    return a[:n], b[:n], (f"lengths differ by {gap:.2f} s; scored over the shorter" if gap > LENGTH_TOLERANCE_S
                          else "")


def _values(estimate: np.ndarray, reference: np.ndarray, baseline: tuple[np.ndarray, np.ndarray] | None,
            dnsmos_of: np.ndarray | None) -> dict[str, float]:
    """The metrics of one estimate; `baseline`, the mixture and the reference it is scored
    against for SI-SDRi."""
    values = speech.intrusive(estimate, reference)
    if baseline is not None:
        mix, ref = _trim(*baseline)[:2]
        values["si_sdri"] = values["si_sdr"] - speech.si_sdr(mix, ref)
    if dnsmos_of is not None:
        values |= {f"dnsmos_{key}": v for key, v in speech.dnsmos(dnsmos_of).items()}
    return values


def _labels(path: Path) -> list[Label]:
    try:
        return read_label_file(path)
    except AppError as err:
        raise ScoringError(str(err)) from err


def _aligned(estimate: np.ndarray, reference: np.ndarray) -> tuple[np.ndarray, np.ndarray, str]:
    """`estimate` moved to meet `reference` by GCC-PHAT, the reference with the stretch the moved
    estimate has no audio for silenced (what a late system had not yet put out is not held against
    it), and what was done, for the row's note."""
    delay = delay_between(reference, estimate, RATE)
    if delay is None:
        return estimate, reference, "too short to align (under a second); scored as it is"
    if delay.peak < CLEAR_PEAK:
        return estimate, reference, (f"no clear delay against its reference (GCC-PHAT peak {delay.peak:.3f}); "
                                     "scored as it is")
    frames = round(delay.seconds * RATE)
    if frames == 0:
        return estimate, reference, ""
    covered = reference.copy()
    if frames > 0:
        covered[max(0, estimate.size - frames):] = 0.0
    else:
        covered[:-frames] = 0.0
    return shifted(estimate, frames), covered, f"{describe_shift(-1000.0 * frames / RATE)} to meet its reference"


def score_item(item: Item, system: str, reference_channel: int = 0, dnsmos: bool = True,
               align: bool = False) -> list[Row]:
    """Rows for each reference of `item`, its estimate chosen by the best total SI-SDR (over the
    whole files); with `align`, each estimate is first moved to meet each reference (GCC-PHAT, to
    the sample), so a system's latency does not count against it. With `item.labels`, a row per
    talker and label instead: every talker over every label, except that a label naming a talker
    ("talker 2": the second reference in name order) scores that talker alone; a label under half
    a second, or where the talker is silent, is left out (what it would score is noise or
    undefined)."""
    from scipy.optimize import linear_sum_assignment

    refs = [_mono(p) for p in item.references]
    ests = [_mono(p) for p in item.estimates]
    moved = {(k, j): _aligned(e, r) if align else (e, r, "") for k, r in enumerate(refs) for j, e in enumerate(ests)}
    sdr = np.array([[speech.si_sdr(*_trim(*moved[k, j][:2])[:2]) for j in range(len(ests))] for k in range(len(refs))])
    ref_index, est_index = linear_sum_assignment(sdr, maximize=True)
    mixture = _reference_channel(item.mixture, reference_channel) if item.mixture else None
    labels = _labels(item.labels) if item.labels else None
    shortest = round(MIN_PROCESSED_SECONDS * RATE)
    rows = []
    for k, j in zip(ref_index, est_index, strict=True):
        own, covered, shift = moved[k, j]
        estimate, reference, note = _trim(own, covered)
        if not np.any(reference):
            raise ScoringError(f"{item.references[k].name} is silent: there is nothing to score against.")
        row = Row(system, item.name, item.references[k], item.estimates[j], {},
                  "; ".join(n for n in (item.note, shift, note) if n))
        if labels is None:
            baseline = None if mixture is None else (mixture, covered)
            rows.append(dataclasses.replace(row, values=_values(estimate, reference, baseline,
                                                                ests[j] if dnsmos else None)))
            continue
        for label in labels:
            if label_talker(label.text) not in (None, k):
                continue
            start, stop = round(label.start * RATE), min(round(label.stop * RATE), reference.size)
            if stop - start < shortest or not np.any(reference[start:stop]):
                continue
            part = estimate[start:stop]
            baseline = None if mixture is None or mixture.size < stop else (mixture[start:stop], reference[start:stop])
            values = _values(part, reference[start:stop], baseline, part if dnsmos else None)
            rows.append(dataclasses.replace(row, values=values, label=label.text, span=(label.start, label.stop)))
    if labels is not None and not rows:
        raise ScoringError(f"none of the {len(labels)} label(s) in {item.labels.name} spans "
                           f"{MIN_PROCESSED_SECONDS:g} s or more of a talker's speech.")
    return rows


def score_job(items: list[Item], system: str, reference_channel: int = 0, dnsmos: bool = True,
              on_problem: Callable[[str, str], None] | None = None, align: bool = False) -> Job[list[Row]]:
    """Score every item, one progress step each; an item that fails goes to `on_problem` (item,
    reason) and the rest are scored all the same."""
    clock = Stopwatch()
    rows: list[Row] = []
    for done, item in enumerate(items, start=1):
        try:
            rows += score_item(item, system, reference_channel, dnsmos, align)
        except (AudioFileError, ScoringError) as err:
            if on_problem is None:
                raise
            on_problem(item.name, str(err))
        yield Progress(f"scoring {system}", done, len(items), clock())
    return rows


@dataclass(frozen=True)
class Summary:
    system: str
    intervals: dict[str, Interval]       # metric -> mean and 95 % CI
    differences: dict[str, Interval]     # metric -> (this system - the first), paired by row


def summarise(rows: list[Row], systems: list[str]) -> list[Summary]:
    """Mean and 95 % CI of every metric per system, and each later system's paired difference
    from the first over the rows both scored (same item, reference and label range).

    Whole files are clustered by item: the talkers of one recording are not independent (one hard
    room lowers them all), so their CIs are cluster-robust, as the README's tables are. Labelled
    segments are taken as independent samples of their recordings, the usual utterance-level
    reading, so that one long recording scored over its labels still gets an interval."""
    by_system = {s: {(r.item, r.reference.name, r.span): r.values for r in rows if r.system == s} for s in systems}
    first = by_system[systems[0]]

    def clusters(keys: list[tuple]) -> list[tuple]:
        return [(item,) if span is None else (item, reference, span) for item, reference, span in keys]

    summaries = []
    for system in systems:
        table = by_system[system]
        metrics = [m for m in METRICS if any(m in v for v in table.values())]
        intervals = {m: speech.confidence_interval([v.get(m, math.nan) for v in table.values()],
                                                   clusters=clusters(list(table))) for m in metrics}
        shared = sorted(set(table) & set(first))
        differences = {} if system == systems[0] else {
            m: speech.paired_difference([table[k].get(m, math.nan) for k in shared],
                                        [first[k].get(m, math.nan) for k in shared],
                                        clusters=clusters(shared)) for m in metrics}
        summaries.append(Summary(system, intervals, differences))
    return summaries
