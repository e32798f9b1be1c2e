"""Separate many recordings into talker tracks on disk: what `meco-studio separate` and the
window's batch dialog both run.

One recording becomes `OUT/<stem>/spk{k}.wav` (`OUT/<parent>_<stem>/` where two recordings share a
name), and `spk{k}_separated.wav` with the uncorrected output kept, streamed chunk by chunk into
temporary files renamed only when complete: a failure or a cancel leaves none of that recording's
tracks. A batch keeps going past a file that fails and lists it with its reason.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Generator
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from app.engine.correction import CorrectSettings, corrected_separation_job
from app.engine.documents import now_iso
from app.engine.enhancement import EnhanceSettings, enhance_job, find_enhancer
from app.engine.errors import AppError, ConfigError, ExportError, JobCancelled
from app.engine.export import (
    AtomicAudioWriter,
    AudioFormat,
    ExportSettings,
    PeakPolicy,
    SampleFormat,
    file_in_format,
    normalise_file_loudness,
)
from app.engine.files import Recording, open_recording, span_of
from app.engine.jobs import Job, Progress, Stopwatch
from app.engine.pipeline import Task, find_model
from app.engine.provenance import Tags, model_note, read_tags, with_step
from app.engine.blend import blend_files
from app.engine.noise_reduction import NoiseSettings, reduce_noise_files
from app.engine.turn_gate import silence_between_turns
from app.engine.restoration import Damage, Restoration, damage_job, restored_view_job
from app.engine.separation import METHOD_NAMES, Method, OutputRate, SeparateSettings, check_separable, separate_job
from app.engine.timecode import format_span

T = TypeVar("T")
TALKERS = 2
FILE_STEPS = 1000        # a file's share of a batch's progress, in steps
COUNTING_SAID_SECONDS = 0.5


@dataclass(frozen=True)
class BatchSettings:
    separate: SeparateSettings = SeparateSettings()
    correct: CorrectSettings | None = None       # None: the separator's output as it is
    also_uncorrected: bool = False               # with `correct`: keep spk{k}_separated.wav too
    enhance: EnhanceSettings | None = None       # a student finishing each track
    loudness_lufs: float | None = None           # bring each track to this integrated loudness
    overwrite: bool = False
    span: tuple[float, float] | None = None      # seconds: only this part of each recording (a trial run)
    silence_between_turns: bool = False          # each talker's track silent outside its turns (`turn_gate`)
    blend_db: float | None = None                # the rest of the mixture brought back at this level (`blend`)
    reduce_noise_db: float | None = None         # each track's steady noise lowered by this much (`noise_reduction`)
    declip: bool = False                         # the recording's clipped runs redrawn before separating (`declip`)
    declick: bool = False                        # the recording's clicks redrawn before separating (`clicks`)
    dropouts: bool = False                       # the recording's dropouts redrawn before separating (`restoration`)
    dereverb: bool = False                       # the recording dereverberated (WPE) before separating (`dereverb`)
    format: AudioFormat = AudioFormat.WAV        # the tracks' file format (another than WAV: written last)
    sample_format: SampleFormat = SampleFormat.PCM_16      # ignored for OGG and MP3

    @property
    def export(self) -> ExportSettings:
        """The tracks' format, as finished (limited rather than clipped)."""
        return ExportSettings(self.format, self.sample_format, PeakPolicy.LIMIT, self.overwrite)

    @property
    def restoration(self) -> Restoration:
        """The repairs the recording is read through before it is separated."""
        return Restoration(declip=self.declip, dropouts=self.dropouts, declick=self.declick, dereverb=self.dereverb)

    def __post_init__(self) -> None:
        replace(self.export, loudness_lufs=self.loudness_lufs)      # refused before any work: FLAC float, a target
        if self.reduce_noise_db is not None:
            NoiseSettings(reduction_db=self.reduce_noise_db).check()
        if self.blend_db is not None and self.blend_db > 0:
            raise ConfigError(f"A blend at {self.blend_db:g} dB would bring the rest of the mixture back louder than "
                              "it was; use 0 dB or less.")


@dataclass
class BatchResult:
    done: list[dict[str, Any]] = field(default_factory=list)       # one `separate_file_job` report per file
    failed: list[tuple[Path, str]] = field(default_factory=list)   # (file, the reason, one sentence)


@dataclass(frozen=True)
class FileFacts:
    """What a batch's list shows of a recording before the run."""

    channels: int
    sample_rate: int
    seconds: float
    problem: str = ""         # why the batch would not separate it as chosen ("" when it would)
    found: str = ""           # what a longer look found (its damage), or how far that look has got
    damage: Damage | None = None


def file_facts(path: Path, check: Callable[[Recording], None] | None = None) -> FileFacts:
    """A recording's channels, rate and length, from its header alone, and what `check` refuses
    about it (its AppError's message); AppError when it cannot be opened."""
    with open_recording(path) as rec:
        try:
            if check is not None:
                check(rec)
            problem = ""
        except AppError as err:
            problem = str(err)
        return FileFacts(rec.channels, rec.sample_rate, rec.frames / rec.sample_rate, problem)


def damage_facts(path: Path) -> Generator[FileFacts, None, FileFacts]:
    """`file_facts` at once, then the recording's damage counted (`damage_job`), saying how far the
    count has got every `COUNTING_SAID_SECONDS`: Batch repair's list when each recording is to get
    only the repairs it needs. Closing it stops the count."""
    with open_recording(path) as rec:
        facts = FileFacts(rec.channels, rec.sample_rate, rec.frames / rec.sample_rate, found="damage to count")
        yield facts
        job, said = damage_job(rec), time.monotonic()
        try:
            while True:
                progress = next(job)
                if time.monotonic() - said >= COUNTING_SAID_SECONDS:
                    said = time.monotonic()
                    yield replace(facts, found=f"counting damage ({progress.stage}, {progress.fraction:.0%})")
        except StopIteration as stop:
            damage: Damage = stop.value
        finally:
            job.close()
    return replace(facts, found=f"found {damage.said}", damage=damage)


def check_file(path: Path, settings: BatchSettings) -> FileFacts:
    """`file_facts`, and what `separate_file_job` would refuse about the recording with `settings`."""
    return file_facts(path, lambda rec: check_separable(rec if settings.span is None else span_of(rec, settings.span),
                                                        settings.separate))


def _check_free(target: Path, chosen: ExportSettings, raw: bool) -> None:
    """ExportError, before any work, naming a track of `chosen`'s format already in `target` (unless
    it may be replaced): the tracks are written in another format first and converted last."""
    if chosen.overwrite:
        return
    names = [f"spk{k + 1}" for k in range(TALKERS)] + ([f"spk{k + 1}_separated" for k in range(TALKERS)] if raw else [])
    for name in names:
        existing = target / f"{name}.{chosen.format.value}"
        if existing.exists():
            raise ExportError(f"{existing.name} already exists in {target}; choose another folder or allow "
                              "overwriting.")


def _remove_if_empty(folder: Path) -> None:
    try:
        folder.rmdir()
    except OSError:          # absent, or it holds files of an earlier run
        pass


def _enhance_in_place(paths: list[Path], settings: EnhanceSettings,
                      export: ExportSettings) -> Job[tuple[list[dict], list[str | None]]]:
    """Stream each finished talker file through the enhancer into a temporary file that replaces it;
    each file's enhancement info and its writer's `peak_note`."""
    infos, peak_notes = [], []
    step = f"enhanced by {model_note(find_enhancer(settings.model))}"
    for path in paths:
        tags = with_step(read_tags(path), step)
        with open_recording(path) as rec:
            writer = AtomicAudioWriter(path, rec.sample_rate, rec.channels, replace(export, overwrite=True), tags,
                                       frames=rec.frames)
            try:
                result = yield from enhance_job(rec, settings, sink=writer.write)
            except BaseException:
                writer.abort()
                raise
        writer.commit()
        infos.append(result.info)
        peak_notes.append(writer.peak_note)
    return infos, peak_notes


def output_folders(paths: list[Path], out_dir: Path) -> list[Path]:
    """`out_dir/<stem>` for each recording; recordings that share a name go to
    `out_dir/<parent>_<stem>` instead (numbered if that clashes too), so no batch writes one
    recording's tracks over another's."""
    stems = Counter(Path(p).stem for p in paths)
    folders = [out_dir / (Path(p).stem if stems[Path(p).stem] == 1 else f"{Path(p).parent.name}_{Path(p).stem}")
               for p in paths]
    clashes, seen = Counter(folders), Counter()
    numbered = []
    for folder in folders:
        if clashes[folder] > 1:
            seen[folder] += 1
            folder = folder.with_name(f"{folder.name}_{seen[folder]}")
        numbered.append(folder)
    return numbered


def _made_by(path: Path, settings: BatchSettings) -> Callable[[int, bool], Tags]:
    """The tags of talker k's track (corrected or not): the recording, the part of it, the channels,
    and the separator and corrector by their cards."""
    separate = settings.separate
    method = model_note(find_model(separate.model, Task.SEPARATION)) if separate.method is Method.MODEL \
        else METHOD_NAMES[separate.method]
    channels = "all channels" if separate.channels is None else \
        "channels " + ",".join(str(c + 1) for c in separate.channels)
    part = "" if settings.span is None else f" over {format_span(*settings.span, decimals=3)}"
    restoration = settings.restoration
    repaired = f" ({restoration.described()})" if restoration.chosen else ""
    corrector = None if settings.correct is None else model_note(find_model(settings.correct.model, Task.CORRECTION))
    date = now_iso()

    def tags(k: int, corrected: bool) -> Tags:
        comment = (f"talker {k + 1} of {path.name}{part}{repaired}, separated by {method} from {channels} "
                   f"at reference ch {separate.reference_channel + 1}")
        if corrected and corrector is not None:
            comment += f"; corrected by {corrector}"
        return {"title": f"talker {k + 1}", "comment": comment, "date": date}
    return tags


def separate_file_job(path: Path, target: Path, settings: BatchSettings) -> Job[dict[str, Any]]:
    """Separate (and correct, enhance, level) one file, or its `span`, into the folder `target`;
    its report as a dict, with `notes` for the user (an incomplete file, a silent track that kept
    its level).

    With a loudness target the tracks are written as float first (no limiting at the models'
    level) and brought to the target at the end, where the peak policy then acts."""
    lufs = settings.loudness_lufs
    chosen = settings.export
    in_place = chosen.format is AudioFormat.WAV        # the stages rewrite WAV files; another format comes last
    unlimited = ExportSettings(sample_format=SampleFormat.FLOAT, peak=PeakPolicy.NONE, overwrite=settings.overwrite)
    final = replace(chosen if in_place else unlimited, loudness_lufs=lufs)
    export = final if lufs is None else replace(unlimited, loudness_lufs=None)
    correct = settings.correct
    if not in_place:
        _check_free(target, chosen, settings.also_uncorrected and correct is not None)
    with open_recording(path) as opened:
        notes = [opened.notice] if opened.notice else []
        rec = opened if settings.span is None else span_of(opened, settings.span)
        restoration = settings.restoration
        if restoration.chosen:
            rec, counts = yield from restored_view_job(rec, restoration, None if settings.separate.channels is None
                                                       else list(settings.separate.channels))
            notes += [f"{count} {kind.removesuffix('s')}(s) of {path.name} redrawn before separating"
                      for kind, count in counts.items() if count]
        rate = rec.sample_rate if settings.separate.output_rate is OutputRate.INPUT else 16_000
        writers: list[AtomicAudioWriter] = []
        raw_writers: list[AtomicAudioWriter] = []

        def to_writers(targets: list[AtomicAudioWriter]) -> Callable[[np.ndarray], None]:
            def sink(block: np.ndarray) -> None:
                for k, w in enumerate(targets):
                    w.write(block[k:k + 1])
            return sink

        made = _made_by(path, settings)
        try:
            for k in range(TALKERS):
                writers.append(AtomicAudioWriter(target / f"spk{k + 1}.wav", rate, 1, export, made(k, True)))
                if correct is not None and settings.also_uncorrected:
                    raw_writers.append(AtomicAudioWriter(target / f"spk{k + 1}_separated.wav", rate, 1, export,
                                                         made(k, False)))
            correction = None
            if correct is None:
                result = yield from separate_job(rec, settings.separate, sink=to_writers(writers))
            else:
                result, correction = yield from corrected_separation_job(
                    rec, settings.separate, correct, sink=to_writers(writers),
                    uncorrected_sink=to_writers(raw_writers) if raw_writers else None)
            outputs = [str(w.commit()) for w in writers + raw_writers]
        except BaseException:
            for w in writers + raw_writers:
                w.abort()
            _remove_if_empty(target)
            raise
        tracks, every_track = [w.path for w in writers], [w.path for w in writers + raw_writers]
        peak_notes: dict[Path, str] = {}             # each track's latest, as the stages rewrite it

        def heard(paths: list[Path], said: list[str | None]) -> None:
            peak_notes.update((path, note) for path, note in zip(paths, said) if note)

        heard(every_track, [w.peak_note for w in writers + raw_writers])
        converted: list[Path] = []                  # the tracks in their chosen format, where not WAV
        try:
            enhanced = None
            if settings.enhance:
                enhanced, said = yield from _enhance_in_place(tracks, settings.enhance, export)
                heard(tracks, said)
            if settings.reduce_noise_db is not None:
                heard(tracks, (yield from reduce_noise_files(tracks, NoiseSettings(settings.reduce_noise_db), export)))
            if settings.blend_db is not None:
                heard(tracks, (yield from blend_files(tracks, rec, settings.separate.reference_channel,
                                                      settings.blend_db, export)))
            turns = silence_between_turns(tracks, export) if settings.silence_between_turns else None
            loudness = None
            if lufs is not None:
                loudness, said = zip(*(normalise_file_loudness(path, final) for path in every_track))
                heard(every_track, list(said))
            for path in every_track if not in_place else ():
                written, said = file_in_format(path, chosen)
                converted.append(written)
                peak_notes.pop(path, None)
                heard([written], [said])
        except BaseException:
            for made in [w.path for w in writers + raw_writers] + converted:
                made.unlink(missing_ok=True)      # a half-finished run leaves nothing behind
            _remove_if_empty(target)
            raise
        if not in_place:
            outputs = [str(path) for path in converted]
        notes += result.notices + list(peak_notes.values())
        notes += [f"{Path(output).name} is silent, so it keeps its level rather than {lufs:g} LUFS"
                  for output, measured in zip(outputs, loudness or []) if measured is None]
        seconds = result.seconds + (correction.seconds if correction is not None else 0.0)
        return {"input": str(path), "outputs": outputs, **result.info,
                "correction": correction.info if correction is not None else None, "enhancement": enhanced,
                "turns": turns,
                "loudness": None if loudness is None else {"target_lufs": lufs, "measured_lufs": [
                    None if m is None else round(m, 2) for m in loudness]},
                "rtf": round(seconds * rec.sample_rate / rec.frames, 4), "notes": notes}


def _as_share(job: Job[T], index: int, count: int, name: str, clock: Stopwatch) -> Job[T]:
    """`job`'s progress as file `index`'s share of a batch of `count`; closing this closes `job`."""
    try:
        while True:
            try:
                progress = next(job)
            except StopIteration as stop:
                return stop.value
            yield Progress(f"{name} ({index + 1} of {count}) · {progress.stage}",
                           index * FILE_STEPS + round(progress.fraction * FILE_STEPS), count * FILE_STEPS, clock())
    finally:
        job.close()


def each_file_job(paths: list[Path], targets: list[Path],
                  make: Callable[[Path, Path], Job[dict[str, Any]]]) -> Job[BatchResult]:
    """`make(path, target)`'s job for every file in turn, each a share of the progress; a file that
    fails is listed with its reason and the batch goes on; a cancel stops it there."""
    clock = Stopwatch()
    result = BatchResult()
    for index, (path, target) in enumerate(zip(paths, targets)):
        try:
            report = yield from _as_share(make(path, target), index, len(paths), Path(path).name, clock)
        except JobCancelled:
            raise
        except AppError as err:
            result.failed.append((Path(path), str(err)))
        else:
            result.done.append(report)
        yield Progress("batch", (index + 1) * FILE_STEPS, len(paths) * FILE_STEPS, clock())
    return result


def batch_job(paths: list[Path], out_dir: Path, settings: BatchSettings) -> Job[BatchResult]:
    """Separate every file in turn into its folder (`output_folders`)."""
    return (yield from each_file_job(paths, output_folders(paths, out_dir),
                                     lambda path, target: separate_file_job(path, target, settings)))


def output_files(paths: list[Path], out_dir: Path, suffix: str = ".wav") -> list[Path]:
    """`out_dir/<stem>.wav` for each recording, named as `output_folders` names folders."""
    return [folder.with_name(folder.name + suffix) for folder in output_folders(paths, out_dir)]
