"""The desktop workflow's jobs: runs of the engine's public jobs that end in new `Version`s.

Each is a generator like every job (`yield Progress` per chunk, the only cancel point); a
cancelled run returns nothing, so a session never holds a partial version.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

import numpy as np
import soxr

from app.engine.correction import CorrectSettings, correct_job
from app.engine.alignment import describe_shift
from app.engine.documents import Version, VersionKind, default_name
from app.engine.enhancement import EnhanceSettings, enhance_array_job
from app.engine.errors import ChannelLayoutError, ConfigError
from app.engine.files import (
    MIN_PROCESSED_SECONDS,
    ArraySource,
    Recording,
    Span,
    frames_at,
    open_recording,
    read_all,
    span_of,
)
from app.engine.jobs import Job, Progress, Stopwatch
from app.engine.labels import Label, label_talker
from app.engine.provenance import read_tags
from app.engine.score_memo import scored
from app.engine.scratch import scratch_zeros
from app.engine.separation import METHOD_NAMES, ORACLE_RATE, Method, SeparateSettings, separate_job
from app.engine.timecode import format_span

log = logging.getLogger(__name__)


def plain(settings: Any) -> dict[str, Any]:
    """A settings dataclass as JSON-ready values (enums as their values)."""
    def convert(value: Any) -> Any:
        if isinstance(value, Enum):
            return value.value
        if isinstance(value, dict):
            return {k: convert(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [convert(v) for v in value]
        return value
    return convert(dataclasses.asdict(settings))


Seconds = tuple[float, float]


def setting_text(key: str, value: Any) -> str:
    """One of a version's recorded settings as a user reads it: channels counted from 1, spans in
    seconds, no Python literals (the version tooltips and the session report)."""
    if key == "channels":
        return "all" if value is None else ",".join(str(c + 1) for c in value)
    if key == "reference_channel":
        return str(value + 1)
    if key == "span_seconds":
        return format_span(*value)
    if key in ("swapped_seconds", "silenced_seconds", "level_seconds", "faded_in_seconds", "faded_out_seconds"):
        return ", ".join(format_span(start, stop) for start, stop in value)
    if key == "attenuated":
        return "; ".join(f"{a['hz'][0]:g}–{a['hz'][1]:g} Hz "
                         f"{a['db'] if isinstance(a['db'], str) else format(a['db'], 'g') + ' dB'} "
                         f"over {format_span(*a['seconds'])}" for a in value)
    if key == "level_db":
        return f"{value:+g} dB"
    if key == "aligned":
        return describe_shift(value["shift_ms"]) + (", polarity flipped" if value["polarity_flipped"] else "")
    if key == "hum_removed":
        return f"{value['hz']:g} Hz and {value['lines'] - 1} harmonics"
    if key == "blend":
        return f"with the mixture at {value:g} dB"
    if key == "noise_reduced":
        return "; ".join(f"{r['reduction_db']:g} dB down (sensitivity {r['sensitivity_db']:g} dB, noise "
                         + (f"learnt from {format_span(*r['profile'])}" if isinstance(r["profile"], list)
                            else "from the quietest tenth" if r["profile"] == "quietest tenth" else r["profile"])
                         + ")" + (f" over {format_span(*r['seconds'])}" if isinstance(r["seconds"], list) else "")
                         for r in value)
    if isinstance(value, dict):
        return ", ".join(f"{k.replace('_', ' ')} {setting_text(k, v)}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return "default" if value is None else str(value)


def _placed(audio: np.ndarray, rate: int, span: Seconds | None, frames: int) -> np.ndarray:
    """`(rows, n)` processed over `span` as full-length rows of `frames`, silent outside it, so a
    version made from a selection lies on the recording's time axis like any other. Returned
    read-only: the job hands it over, and versions keep read-only rows without copying them (a
    copy would hold the output twice, over a gigabyte for two talkers of an hour at 48 kHz)."""
    out = audio
    if span is not None:
        start = min(round(span[0] * rate), frames)
        out = scratch_zeros((audio.shape[0], frames))
        out[:, start:start + audio.shape[1]] = audio[:, :frames - start]
    out.flags.writeable = False
    return out


def _span_name(name: str, span: Seconds | None) -> str:
    return name if span is None else f"{name} · {format_span(*span)}"


def _span_settings(settings: dict[str, Any], span: Seconds | None) -> dict[str, Any]:
    return settings if span is None else {**settings, "span_seconds": [span[0], span[1]]}


def version_span(versions: list[Version]) -> Seconds | None:
    """The span that every one of `versions` was made over (a selection), or None: a correction
    of them then processes that span alone, not the silence around it."""
    spans = {tuple(v.settings.get("span_seconds") or ()) for v in versions}
    only = spans.pop() if len(spans) == 1 else ()
    return (float(only[0]), float(only[1])) if len(only) == 2 else None


def referenced_talkers(references: dict[int, Path]) -> int:
    """How many talkers, from talker 1 on, have a clean reference: those the oracle mask covers."""
    count = 0
    while count in references:
        count += 1
    return count


def _oracle_references(references: dict[int, Path], frames: int, span: Seconds | None) -> np.ndarray:
    """(talkers, frames at 16 kHz) over `span`: the clean references of talkers 1, 2, ..., cut or
    padded to the recording; ConfigError unless at least two have one."""
    talkers = referenced_talkers(references)
    if talkers < 2:
        raise ConfigError("The oracle ideal ratio mask needs the clean reference of each talker, from talker 1 on "
                          "(File ▸ Load clean reference…).")
    clean = scratch_zeros((talkers, frames))
    for talker in range(talkers):
        audio = read_reference(references[talker], ORACLE_RATE)[:frames]
        clean[talker, :audio.size] = audio
    return clean if span is None else clean[:, round(span[0] * ORACLE_RATE):round(span[1] * ORACLE_RATE)]


def separate_versions_job(rec: Recording, settings: SeparateSettings, span: Seconds | None = None,
                          references: dict[int, Path] | None = None) -> Job[list[Version]]:
    """Separate `rec` (only `span`, in seconds, when given); one "Separated · talker k" version per
    talker ("AuxIVA · talker k" from a classical method), always as long as the recording.
    `references`: the clean talkers' files, which the oracle ideal ratio mask needs (those of
    talkers 1, 2, ...: its versions are those talkers')."""
    source = rec if span is None else span_of(rec, span)
    clean = _oracle_references(references or {}, frames_at(rec, ORACLE_RATE), span) \
        if settings.method is Method.ORACLE else None
    separation = yield from separate_job(source, settings, references=clean)
    rate = separation.sample_rate
    frames = frames_at(rec, rate)
    estimates = _placed(separation.estimates, rate, span, frames)
    method = METHOD_NAMES.get(settings.method)

    def name(talker: int) -> str:
        return f"{method} · talker {talker + 1}" if method else default_name(VersionKind.SEPARATED, talker)

    recorded = _span_settings(plain(settings), span)
    if separation.notices:             # e.g. one channel: spectral cues only
        recorded = {**recorded, "notes": separation.notices}
    return [Version(_span_name(name(k), span), k, VersionKind.SEPARATED, estimate, rate, separation.model_name,
                    recorded, settings.device)
            for k, estimate in enumerate(estimates)]


IMPORT_BLOCK_SECONDS = 30.0


def import_version_job(path: Path, talker: int) -> Job[Version]:
    """A talker estimate made elsewhere (another separator's output) as a version of `talker`,
    read block by block at its own rate, so MeCo, the students, A/B, the metrics and export
    treat it as they treat the separator's; AudioFileError or ChannelLayoutError naming the file.
    The file's comment tag, which says what made a track this app wrote, goes into its settings."""
    clock = Stopwatch()
    with open_recording(path) as rec:
        if rec.channels != 1:
            raise ChannelLayoutError(f"{rec.name} has {rec.channels} channels; import one talker's estimate as a "
                                     "mono file.")
        block = int(IMPORT_BLOCK_SECONDS * rec.sample_rate)
        audio = scratch_zeros((rec.frames,))
        for start in range(0, rec.frames, block):
            audio[start:start + block] = rec.read(start, start + block)[0]
            yield Progress("import", min(rec.frames, start + block), rec.frames, clock())
        rate, name = rec.sample_rate, rec.name
    settings = {"imported_from": str(Path(path).resolve())}
    comment = read_tags(Path(path)).get("comment")
    if comment:                           # what made it, when its tags say (`provenance`): kept for the record
        settings["file_comment"] = comment
    return Version(f"{Path(path).stem} · talker {talker + 1}", talker, VersionKind.IMPORTED, audio, rate, name,
                   settings)


def difference_version(minuend: Version, subtrahend: Version) -> Version:
    """`minuend - subtrahend`, sample by sample (the shorter padded with silence): to hear and see
    what a run changed, e.g. what MeCo added to the separator's estimate."""
    if minuend.sample_rate != subtrahend.sample_rate:
        raise ChannelLayoutError(f"“{minuend.name}” is at {minuend.sample_rate} Hz and “{subtrahend.name}” at "
                                 f"{subtrahend.sample_rate} Hz; a difference needs versions at one rate.")
    audio = np.zeros(max(minuend.audio.shape[0], subtrahend.audio.shape[0]), np.float32)
    audio[:minuend.audio.shape[0]] += minuend.audio
    audio[:subtrahend.audio.shape[0]] -= subtrahend.audio
    return Version(f"{minuend.name} − {subtrahend.name}", minuend.talker, VersionKind.DIFFERENCE, audio,
                   minuend.sample_rate, "difference", {"minuend": minuend.id, "subtrahend": subtrahend.id})


def difference_job(minuend: Version, subtrahend: Version) -> Job[Version]:
    """`difference_version` as a job: an hour at 48 kHz is 170 million samples to subtract."""
    yield Progress("difference", 0, 1)
    return difference_version(minuend, subtrahend)


def _stack(versions: list[Version]) -> tuple[np.ndarray, int]:
    rates = {v.sample_rate for v in versions}
    if len(rates) != 1:
        raise ChannelLayoutError("The chosen versions have different sample rates; pick versions of one run.")
    frames = max(v.audio.shape[0] for v in versions)
    stacked = np.zeros((len(versions), frames), np.float32)
    for row, version in zip(stacked, versions):
        row[:version.audio.shape[0]] = version.audio
    return stacked, rates.pop()


def correct_versions_job(versions: list[Version], mixture: Recording, settings: CorrectSettings,
                         span: Seconds | None = None) -> Job[list[Version]]:
    """Correct talker versions (one per talker, e.g. a separation's) with MeCo, over `span` only
    when given (the versions stay as long as the recording, silent outside it)."""
    audio, rate = _stack(versions)
    estimates: ArraySource | Span = ArraySource(audio, rate, "separated talkers")
    heard: Recording | Span = mixture
    if span is not None:
        estimates, heard = span_of(estimates, span), span_of(mixture, span)
    correction = yield from correct_job(estimates, heard, settings)
    out_rate = correction.sample_rate
    frames = frames_at(mixture, out_rate)
    corrected = _placed(correction.corrected, out_rate, span, frames)
    return [Version(_span_name(default_name(VersionKind.CORRECTED, v.talker), span), v.talker,
                    VersionKind.CORRECTED, row, out_rate, correction.model_name,
                    _span_settings({**plain(settings), "source_version": v.id}, span), settings.device)
            for v, row in zip(versions, corrected)]


def enhance_versions_job(versions: list[Version], settings: EnhanceSettings,
                         span: Seconds | None = None) -> Job[list[Version]]:
    """Enhance talker versions with a student (or the teacher): "Student NAME · talker k", over
    `span` only when given."""
    audio, rate = _stack(versions)
    frames = audio.shape[1]
    if span is not None:
        part = span_of(ArraySource(audio, rate, "the versions"), span)
        audio = audio[:, part.start:part.stop]
    enhancement = yield from enhance_array_job(audio, rate, settings)
    enhanced = _placed(enhancement.audio[:, :audio.shape[1]], enhancement.sample_rate, span, frames)
    return [Version(_span_name(default_name(VersionKind.ENHANCED, v.talker, enhancement.model_name), span), v.talker,
                    VersionKind.ENHANCED, row[:v.audio.shape[0]], enhancement.sample_rate, enhancement.model_name,
                    _span_settings({**plain(settings), "source_version": v.id}, span), settings.device)
            for v, row in zip(versions, enhanced)]


METRIC_LABELS = {"si_sdr": "SI-SDR (dB)", "pesq": "PESQ-WB", "estoi": "ESTOI", "dnsmos_ovrl": "DNSMOS OVRL",
                 "dnsmos_sig": "DNSMOS SIG", "dnsmos_bak": "DNSMOS BAK"}


@dataclass(frozen=True)
class MetricsRow:
    version_id: str
    name: str
    values: dict[str, float]        # keys of METRIC_LABELS: si_sdr, pesq, estoi (with a reference), dnsmos_*
    model: str = ""                 # what made the version (the mixture rows: none)
    span: Seconds | None = None     # the seconds scored; None: the whole recording
    label: str | None = None        # the text of the label whose range was scored; None: no label's
    labels: int = 0                 # a summary row: the mean over this many labels' rows
    half_widths: dict[str, float] = dataclasses.field(default_factory=dict)    # of their 95 % CIs
    baseline: str = ""              # a difference row: the version minus this, paired over the labels
    reference_talker: int | None = None    # whose clean reference it was scored against (0-based)

    @property
    def title(self) -> str:
        """What the panel calls the row: the version, after its label when a label was scored."""
        if self.baseline:
            return f"Δ over {self.labels} labels · {self.name} − {self.baseline}"
        if self.labels:
            return f"Mean of {self.labels} labels · {self.name}"
        return self.name if self.label is None else f"{self.label or 'label'} · {self.name}"


def metrics_table(rows: list[MetricsRow]) -> list[list[str]]:
    """A header and one line per version, 4 decimals (more than the panel shows: numbers to
    reuse), then the model that made it and what was scored (a label's text, the span in
    seconds); a metric not computed (no reference) is an empty cell."""
    def cell(value: float | None) -> str:
        return "" if value is None or math.isnan(value) else f"{value:.4f}"

    def bounds(row: MetricsRow) -> list[str]:
        return ["", ""] if row.span is None else [f"{row.span[0]:.3f}", f"{row.span[1]:.3f}"]

    def label(row: MetricsRow) -> str:
        if row.baseline:
            return f"paired difference from {row.baseline} over {row.labels} labels"
        return f"mean of {row.labels} labels" if row.labels else row.label or ""

    spread = any(row.half_widths for row in rows)        # summary rows: their CIs in columns of their own
    header = ["Version", *METRIC_LABELS.values(), "Model", "Label", "Start (s)", "End (s)"]
    header += [f"{name} ±95 % CI" for name in METRIC_LABELS.values()] if spread else []
    return [header, *[[row.name, *(cell(row.values.get(key)) for key in METRIC_LABELS), row.model, label(row),
                       *bounds(row), *((cell(row.half_widths.get(key)) for key in METRIC_LABELS) if spread else ())]
                      for row in rows]]


REFERENCE_MARGIN_SECONDS = 0.05     # read either side of a span, so the resampler's edges fall outside it


def read_reference(path: Path, sample_rate: int, span: Seconds | None = None) -> np.ndarray:
    """A clean reference `(frames,)`: its first channel at `sample_rate` (resampled when it was
    recorded at another rate); AudioFileError if unusable. With `span` (seconds) only that part is
    read, in place in silence as long as the whole: the metrics of a selection of an hour-long
    reference read seconds of it, and the silence takes no memory until written (calloc's zeros)."""
    if span is None:
        audio, _ = read_all(path, sample_rate)
        return audio[0]
    with open_recording(path) as rec:
        margin = round(REFERENCE_MARGIN_SECONDS * rec.sample_rate)
        lo = min(max(0, round(span[0] * rec.sample_rate) - margin), rec.frames)
        hi = min(rec.frames, round(span[1] * rec.sample_rate) + margin)
        part = rec.read(lo, hi, [0])[0]
        total = frames_at(rec, sample_rate)
        first = lo if rec.sample_rate == sample_rate else lo * sample_rate // rec.sample_rate
        if rec.sample_rate != sample_rate:
            part = soxr.resample(part, rec.sample_rate, sample_rate, quality="HQ").astype(np.float32)
    out = np.zeros(total, np.float32)
    n = max(0, min(part.shape[0], total - first))
    out[first:first + n] = part[:n]
    return out


def metrics_job(versions: list[Version], references: dict[int, np.ndarray],
                mixture: Recording | ArraySource | None = None, span: Seconds | None = None) -> Job[list[MetricsRow]]:
    """SI-SDR, PESQ-WB, ESTOI against a reference `(frames,)` (when there are any) and DNSMOS, per
    version at the metrics' 16 kHz; one row per step. References come at those 16 kHz, versions
    at any rate; `mixture`'s first channel (the reference channel) gives a baseline row "Mixture ·
    talker k" per referenced talker: what the processing starts from. A separator's talker order
    is arbitrary, so a version is scored against the reference it matches best (highest SI-SDR),
    and its name says so when that is not its own talker's. `span` (seconds) scores only that
    range, and only that range of the mixture is read. A clip scored before is looked up
    (`score_memo`)."""
    from models.metrics.speech import RATE, dnsmos, intrusive, si_sdr

    def cut(audio: np.ndarray, audio_rate: int) -> np.ndarray:
        if span is not None:
            audio = audio[round(span[0] * audio_rate):round(span[1] * audio_rate)]
        return audio if audio_rate == RATE else soxr.resample(audio, audio_rate, RATE).astype(np.float32)

    def heard() -> np.ndarray:
        assert mixture is not None
        part = mixture if span is None else span_of(mixture, span)
        audio = part.read(0, part.frames, [0])[0]
        return audio if part.sample_rate == RATE else soxr.resample(audio, part.sample_rate, RATE).astype(np.float32)

    items: list[tuple[str, str, int, Callable[[], np.ndarray], str]] = []
    if mixture is not None and references:
        items += [("", f"Mixture · talker {k + 1}", k, heard, "") for k in sorted(references)]
    items += [(v.id, v.name, v.talker, functools.partial(cut, v.audio, v.sample_rate), v.model) for v in versions]
    candidates = {k: cut(ref, RATE) for k, ref in references.items()}
    clock = Stopwatch()
    rows = []
    for done, (version_id, name, talker, signal, model) in enumerate(items, start=1):
        values: dict[str, float] = {}
        audio = signal()
        if version_id and candidates:         # a version: its best-matching reference
            talker = max(candidates, key=lambda k: si_sdr(*_common(audio, candidates[k])))
            if talker != items[done - 1][2]:
                name = f"{name} (≈ talker {talker + 1})"
        reference = candidates.get(talker)
        if reference is not None:
            values.update(scored(intrusive, *_common(audio, reference)))
        values.update({f"dnsmos_{k}": v for k, v in scored(dnsmos, audio).items()})
        rows.append(MetricsRow(version_id, name, values, model, span,
                               reference_talker=talker if reference is not None else None))
        yield Progress("evaluate", done, len(items), clock())
    return rows


def _label_rows(versions: list[Version], references: dict[int, np.ndarray], mixture: Recording | ArraySource,
                label: Label) -> Job[list[MetricsRow]]:
    """One label's rows: every version over it, or for a label naming a talker that talker's versions
    alone (a track scored where its talker is silent says nothing), with the mixture scored against
    the references they matched."""
    span = (label.start, label.stop)
    talker = label_talker(label.text)
    if talker is None:
        return (yield from metrics_job(versions, references, mixture, span))
    own = [v for v in versions if v.talker == talker]
    if not own:
        return []
    rows = yield from metrics_job(own, references, None, span)
    matched = sorted({row.reference_talker for row in rows if row.reference_talker is not None})
    baseline = (yield from metrics_job([], {k: references[k] for k in matched}, mixture, span)) if matched else []
    return baseline + rows


def label_metrics_job(versions: list[Version], references: dict[int, np.ndarray], mixture: Recording | ArraySource,
                      labels: list[Label]) -> Job[list[MetricsRow]]:
    """`metrics_job` over each label's range in turn (each utterance of a who-speaks-when
    labelling, say), rows carrying the label; a label naming a talker scores that talker's versions
    only (`_label_rows`); labels shorter than the metrics can score (PESQ needs a quarter second, the
    mixture's part half a second) are left out."""
    usable = [label for label in labels if label.stop - label.start >= MIN_PROCESSED_SECONDS]
    clock = Stopwatch()
    rows: list[MetricsRow] = []
    for n, label in enumerate(usable):
        job = _label_rows(versions, references, mixture, label)
        while True:
            try:
                next(job)
            except StopIteration as finished:
                rows += [dataclasses.replace(row, label=label.text) for row in finished.value]
                break
            yield Progress("evaluate labels", n, len(usable), clock())
    if len(usable) < 2:
        return rows
    return rows + label_means(rows, {v.id: v.name for v in versions}) + label_differences(rows, versions)


def label_means(rows: list[MetricsRow], names: dict[str, str]) -> list[MetricsRow]:
    """Per version (and mixture baseline) over the labels' rows: the mean of each metric and the
    half-width of its 95 % CI, as a paper reports a system over utterances. A version keeps its own
    name: its rows may have matched another talker's reference in some labels, as they say."""
    from models.metrics.speech import confidence_interval

    groups: dict[str, list[MetricsRow]] = {}
    for row in rows:
        groups.setdefault(row.version_id or row.name, []).append(row)
    means = []
    for key, members in groups.items():
        metrics = dict.fromkeys(k for row in members for k in row.values)
        intervals = {k: confidence_interval([row.values.get(k, math.nan) for row in members]) for k in metrics}
        means.append(MetricsRow(members[0].version_id, names.get(key, members[0].name),
                                {k: i.mean for k, i in intervals.items()}, members[0].model, labels=len(members),
                                half_widths={k: i.half_width for k, i in intervals.items()}))
    return means


def label_differences(rows: list[MetricsRow], versions: list[Version]) -> list[MetricsRow]:
    """Each version's paired difference over the labels from what it was made from (a mend's from
    the version it mended, MeCo's from the estimate it corrected) when that is scored too, else
    from the mixture scored against the same reference (for SI-SDR, the separation's SI-SDRi), mean
    and 95 % CI: whether a run helped, with the spread between utterances cancelled, as two means'
    overlapping intervals cannot say."""
    from models.metrics.speech import paired_difference

    scored: dict[str, dict[Seconds | None, MetricsRow]] = {}
    mixture: dict[tuple[Seconds | None, int | None], MetricsRow] = {}
    for row in rows:
        if row.version_id:
            scored.setdefault(row.version_id, {})[row.span] = row
        else:
            mixture[row.span, row.reference_talker] = row
    differences = []
    for version in versions:
        own = scored.get(version.id, {})
        source = next((made for made in (version.settings.get("mended_from"), version.settings.get("source_version"))
                       if made in scored), None)
        if version.kind is VersionKind.DIFFERENCE:
            continue
        if source in scored:
            pairs = [(row, scored[source][span]) for span, row in own.items() if span in scored[source]]
            baseline = next(v.name for v in versions if v.id == source)
        else:
            pairs = [(row, mixture[span, row.reference_talker]) for span, row in own.items()
                     if (span, row.reference_talker) in mixture]
            talkers = {row.reference_talker for row, _ in pairs}
            baseline = f"Mixture · talker {talkers.pop() + 1}" if len(talkers) == 1 else "Mixture"
        if len(pairs) < 2:
            continue
        metrics = dict.fromkeys(k for row, base in pairs for k in row.values if k in base.values)
        intervals = {k: paired_difference([row.values.get(k, math.nan) for row, _ in pairs],
                                          [base.values.get(k, math.nan) for _, base in pairs]) for k in metrics}
        differences.append(MetricsRow(version.id, version.name, {k: i.mean for k, i in intervals.items()},
                                      version.model, labels=len(pairs),
                                      half_widths={k: i.half_width for k, i in intervals.items()}, baseline=baseline))
    return differences


def _common(audio: np.ndarray, reference: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    n = min(reference.shape[0], audio.shape[0])
    return audio[:n], reference[:n]


def demo_references(mixture: Path, demo_dir: Path | None = None) -> dict[int, Path]:
    """The clean reference per talker (0-based) shipped with a demo mixture; {} for other files."""
    import json

    from app.engine.demo import DEMO_DIR

    folder = demo_dir or DEMO_DIR
    try:
        lines = (folder / "manifest.jsonl").read_text(encoding="utf-8").splitlines()
        target = Path(mixture).resolve()
    except OSError:
        return {}
    for line in lines:
        try:
            item = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(item, dict) and (folder / str(item.get("mixture", ""))).resolve() == target:
            return {k: folder / ref for k, ref in enumerate(item.get("references", [])) if (folder / ref).is_file()}
    return {}
