"""Writing audio safely: a temporary file in the target folder, renamed only on success.

Nothing is overwritten without `overwrite=True`; a cancelled or failed write leaves nothing;
a full disk or a read-only folder becomes one ExportError naming the file. A loudness target
(BS.1770 integrated loudness, e.g. EBU R128's -23 LUFS) scales each file before the peak policy,
which is explicit (demucs' `prevent_clip`): clip, normalise, limit, or keep floats as they are.
"""

from __future__ import annotations

import csv
import errno
import io
import logging
import math
import os
import shutil
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

from app.engine.documents import Version
from app.engine.errors import ConfigError, ExportError
from app.engine.files import SAMPLE_BYTES, WAV_MAX_DATA_BYTES, Recording
from app.engine.jobs import Job, Progress, Stopwatch, T
from app.engine.labels import Label
from app.engine.loudness import (
    GATE_SECONDS,
    TARGET_RANGE_LUFS,
    LoudnessMeter,
    gain_to_target,
    integrated_loudness,
)
from app.engine.provenance import Tags, channels_tags, model_notes, read_tags, with_step, write_tags
from app.engine.timecode import format_span
from models.common.permissions import as_created

log = logging.getLogger(__name__)


class AudioFormat(StrEnum):
    WAV = "wav"
    FLAC = "flac"
    OGG = "ogg"          # Vorbis
    MP3 = "mp3"          # MPEG Layer III (libsndfile >= 1.1 with LAME)

    @property
    def lossy(self) -> bool:
        """Lossy codecs have no sample format to choose."""
        return self in LOSSY_SUBTYPES


LOSSY_SUBTYPES = {AudioFormat.OGG: "VORBIS", AudioFormat.MP3: "MPEG_LAYER_III"}
# The file name endings that say which format a file holds.
SUFFIX_FORMATS = {".wav": AudioFormat.WAV, ".wave": AudioFormat.WAV, ".flac": AudioFormat.FLAC,
                  ".ogg": AudioFormat.OGG, ".oga": AudioFormat.OGG, ".mp3": AudioFormat.MP3}
FORMAT_MAX_CHANNELS = {AudioFormat.FLAC: 8, AudioFormat.MP3: 2}      # what each format holds; others: any
MP3_RATES = (8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000)     # what MPEG audio can store


class SampleFormat(StrEnum):
    PCM_16 = "PCM_16"
    PCM_24 = "PCM_24"
    FLOAT = "FLOAT"


class PeakPolicy(StrEnum):
    CLIP = "clip"              # hard-clip samples beyond full scale
    NORMALIZE = "normalize"    # scale the whole file so its peak sits at -1 dBFS, only if it would clip
    LIMIT = "limit"            # soft-knee limiter (tanh above -1 dBFS); keeps level, rounds peaks
    NONE = "none"              # float files only: keep values beyond full scale


HEADROOM = 10 ** (-1 / 20)     # -1 dBFS


@dataclass(frozen=True)
class ExportSettings:
    format: AudioFormat = AudioFormat.WAV
    sample_format: SampleFormat = SampleFormat.PCM_16
    peak: PeakPolicy = PeakPolicy.LIMIT
    overwrite: bool = False
    loudness_lufs: float | None = None    # bring each file to this integrated loudness; None keeps the level

    def __post_init__(self) -> None:
        for name, kind in (("format", AudioFormat), ("sample_format", SampleFormat), ("peak", PeakPolicy)):
            try:
                object.__setattr__(self, name, kind(getattr(self, name)))
            except ValueError as err:
                raise ConfigError(f"Export {name} {getattr(self, name)!r} is unknown; choose one of "
                                  f"{', '.join(k.value for k in kind)}.") from err
        if self.format is AudioFormat.FLAC and self.sample_format is SampleFormat.FLOAT:
            raise ConfigError("FLAC cannot store float samples; choose PCM 16 or PCM 24, or WAV for float.")
        if self.peak is PeakPolicy.NONE and self.sample_format is not SampleFormat.FLOAT:
            raise ConfigError("Integer PCM cannot hold samples beyond full scale; choose clip, normalize or limit.")
        low, high = TARGET_RANGE_LUFS
        if self.loudness_lufs is not None and not low <= self.loudness_lufs <= high:
            raise ConfigError(f"A loudness target of {self.loudness_lufs:g} LUFS is outside {low:g} to {high:g} LUFS.")

    @property
    def subtype(self) -> str:
        return LOSSY_SUBTYPES.get(self.format, str(self.sample_format))


# A recording rewritten by a classical process (`dereverb`, `declick`): 24-bit, finer than any recorder's
# noise; the rare sample beyond full scale goes through the limiter, with a note.
REWRITTEN = ExportSettings(sample_format=SampleFormat.PCM_24, peak=PeakPolicy.LIMIT)
# A recording whose clipped runs were redrawn: their peaks rise above full scale, and float keeps them.
REDRAWN_PEAKS = ExportSettings(sample_format=SampleFormat.FLOAT, peak=PeakPolicy.NONE)


@dataclass(frozen=True)
class ExportPreset:
    """A purpose's usual export (the export dialog's Preset, `export --preset`)."""

    key: str                          # what `--preset` takes
    name: str
    format: AudioFormat
    sample_format: SampleFormat       # ignored by the lossy formats
    model_rate: bool                  # the models' 16 kHz, rather than the source's rate
    loudness_lufs: float | None
    peak: PeakPolicy


PRESETS = (
    ExportPreset("asr", "Transcription or ASR: WAV 16-bit at 16 kHz", AudioFormat.WAV, SampleFormat.PCM_16, True, None,
                 PeakPolicy.LIMIT),
    ExportPreset("podcast", "Podcast: MP3 at −16 LUFS", AudioFormat.MP3, SampleFormat.PCM_16, False, -16.0,
                 PeakPolicy.LIMIT),
    ExportPreset("broadcast", "Broadcast (EBU R128): WAV 24-bit at −23 LUFS", AudioFormat.WAV, SampleFormat.PCM_24,
                 False, -23.0, PeakPolicy.LIMIT),
    ExportPreset("archive", "Archive: FLAC 24-bit, level kept", AudioFormat.FLAC, SampleFormat.PCM_24, False, None,
                 PeakPolicy.LIMIT),
    ExportPreset("analysis", "Analysis: WAV 32-bit float, level and peaks kept", AudioFormat.WAV, SampleFormat.FLOAT,
                 False, None, PeakPolicy.NONE),
)


def check_rate(settings: ExportSettings, sample_rate: int, name: str) -> None:
    """ExportError naming `name` when the format cannot store `sample_rate` (MP3 stops at 48 kHz)."""
    if settings.format is AudioFormat.MP3 and sample_rate not in MP3_RATES:
        raise ExportError(f"{name}: MP3 cannot store {sample_rate / 1000:g} kHz audio (it stores "
                          f"{', '.join(f'{r / 1000:g}' for r in MP3_RATES)} kHz); export at the model rate, "
                          "or choose WAV or FLAC.")


def peak_dbfs(audio: np.ndarray) -> float:
    peak = float(np.max(np.abs(audio))) if audio.size else 0.0
    return 20 * np.log10(peak) if peak > 0 else -np.inf


def apply_peak_policy(audio: np.ndarray, policy: PeakPolicy) -> np.ndarray:
    """float32 audio that the chosen format can store without wrapping around."""
    audio = np.asarray(audio, dtype=np.float32)
    peak = float(np.max(np.abs(audio))) if audio.size else 0.0
    if policy is PeakPolicy.NONE or peak <= 1.0:
        return audio
    if policy is PeakPolicy.CLIP:
        return np.clip(audio, -1.0, 1.0)
    if policy is PeakPolicy.NORMALIZE:
        return audio * (HEADROOM / peak)
    over = np.abs(audio) > HEADROOM
    out = audio.copy()
    excess = (np.abs(audio[over]) - HEADROOM) / (1 - HEADROOM)
    out[over] = np.sign(audio[over]) * (HEADROOM + (1 - HEADROOM) * np.tanh(excess))
    return out


def normalise_loudness(audio: np.ndarray, sample_rate: int, target_lufs: float, name: str) -> np.ndarray:
    """`(frames,)` scaled to `target_lufs`; ExportError naming `name` when it has no loudness to scale."""
    loudness = integrated_loudness(audio, sample_rate)
    if not math.isfinite(loudness):
        raise ExportError(f"{name} is silent or shorter than {GATE_SECONDS:g} s, so it has no loudness to "
                          f"bring to {target_lufs:g} LUFS; export it at its own level instead.")
    return (audio * gain_to_target(loudness, target_lufs)).astype(np.float32)


FILE_BLOCK_SECONDS = 10.0       # block size of the passes over a finished file


def normalise_file_loudness(path: Path, settings: ExportSettings) -> tuple[float | None, str | None]:
    """Replace the finished mono file `path` by a copy at `settings.loudness_lufs` in `settings`'
    format (then the peak policy), in two streamed passes, measure then write, so memory does not
    grow with the file. Returns the loudness it had, None when it is silent (no loudness to scale:
    its level is kept), and the writer's `peak_note`."""
    if settings.loudness_lufs is None:
        raise ConfigError("normalise_file_loudness needs settings with a loudness target.")
    path = Path(path)
    with sf.SoundFile(path) as source:
        if source.channels != 1:
            raise ConfigError(f"{path.name} has {source.channels} channels; loudness is set per mono track.")
        rate, block = source.samplerate, int(FILE_BLOCK_SECONDS * source.samplerate)
        meter = LoudnessMeter(rate)
        for chunk in source.blocks(block, dtype="float32"):
            meter.update(chunk)
        loudness = meter.lufs()
        gain = gain_to_target(loudness, settings.loudness_lufs) if math.isfinite(loudness) else 1.0
        source.seek(0)
        tags = read_tags(source)
        if math.isfinite(loudness):
            tags = with_step(tags, f"brought to {settings.loudness_lufs:g} LUFS")
        writer = AtomicAudioWriter(path, rate, 1, replace(settings, overwrite=True), tags)
        with writer:
            for chunk in source.blocks(block, dtype="float32"):
                writer.write(gain * chunk[None])
    writer.commit()                      # once the source is closed
    return (loudness if math.isfinite(loudness) else None), writer.peak_note


def file_in_format(path: Path, settings: ExportSettings) -> tuple[Path, str | None]:
    """The finished file `path` rewritten in `settings`' format and sample format, named as that
    format is (`spk1.wav` → `spk1.flac`), streamed a block at a time with the peak policy acting as it
    goes, its tags carried; `path` is removed once the copy is in place. The new path and the
    writer's `peak_note`. An existing file of the new name is replaced only with `settings.overwrite`."""
    path = Path(path)
    target = path.with_suffix(f".{settings.format.value}")
    with sf.SoundFile(path) as source:
        rate, block = source.samplerate, int(FILE_BLOCK_SECONDS * source.samplerate)
        writer = AtomicAudioWriter(target, rate, source.channels,
                                   replace(settings, overwrite=settings.overwrite or target == path),
                                   read_tags(source), frames=source.frames)
        with writer:
            for chunk in source.blocks(block, dtype="float32", always_2d=True):
                writer.write(chunk.T)
    written = writer.commit()                # once the source is closed
    if written != path:
        path.unlink()
    return written, writer.peak_note


def _explain(err: OSError, path: Path) -> str:
    if err.errno == errno.ENOSPC:
        return f"{path.name} could not be written: the disk is full. Free some space or choose another folder."
    if err.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"{path.name} could not be written: the folder {path.parent} is read-only. Choose another folder."
    return f"{path.name} could not be written: {err.strerror or err}."


DISK_SLACK_BYTES = 1 << 20      # below this much free space after a failed write, the disk counts as full


class AtomicAudioWriter:
    """Streams blocks into a hidden temporary file beside `path`; `commit` renames it into place.

    `abort` (also on an exception inside `with`) deletes the temporary file, so a cancelled or
    failed export leaves nothing behind. A WAV file holds at most 4 GiB: one told it will be longer
    (`frames`) is written as RF64 (EBU Tech 3306, the WAV that Audacity, RX, ffmpeg and sox read past
    4 GiB); one not told that grows past it stops with an ExportError rather than a broken header.
    """

    def __init__(self, path: Path, sample_rate: int, channels: int, settings: ExportSettings,
                 tags: Tags | None = None, frames: int | None = None) -> None:
        """`tags`: title, comment, date... written into the file (`provenance`), with the software's;
        `frames`: how long the file will be, where the caller knows."""
        self.path, self.settings = Path(path), settings
        container = str(settings.format).upper()
        self._wav_bytes_left: float = math.inf
        if settings.format is AudioFormat.WAV:
            frame_bytes = SAMPLE_BYTES[settings.sample_format] * channels
            if frames is not None and frames * frame_bytes > WAV_MAX_DATA_BYTES:
                container = "RF64"
            else:
                self._wav_bytes_left = WAV_MAX_DATA_BYTES
        self.container = container
        named = SUFFIX_FORMATS.get(self.path.suffix.lower())
        if named is not None and named is not settings.format:
            raise ExportError(f"{self.path.name} would hold {container} audio under a {named.name} file's name; "
                              f"name it {self.path.with_suffix('.' + settings.format.value).name} instead.")
        check_rate(settings, sample_rate, self.path.name)
        if self.path.exists() and not settings.overwrite:
            raise ExportError(f"{self.path.name} already exists in {self.path.parent}; "
                              "choose another name or allow overwriting.")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{self.path.stem}.", suffix=f".part.{settings.format}",
                                       dir=self.path.parent)
            os.close(fd)
        except OSError as err:
            raise ExportError(_explain(err, self.path)) from err
        self._tmp = Path(tmp)
        self.committed = False
        self.replaced_existing = False
        self.peak = 0.0              # the largest |sample| handed to `write`, before the peak policy
        self.beyond_full_scale = 0   # samples the peak policy had to act on
        try:
            self._file = sf.SoundFile(self._tmp, "w", sample_rate, channels, subtype=settings.subtype,
                                      format=container)
        except (sf.LibsndfileError, OSError, RuntimeError) as err:
            self._tmp.unlink(missing_ok=True)
            raise ExportError(f"{self.path.name} could not be created: {err}.") from err
        write_tags(self._file, tags)

    def write(self, block: np.ndarray) -> None:
        """block float32 `(channels, frames)`; samples beyond full scale meet the peak policy here,
        block by block, and are counted for `peak_note` (normalising needs the whole file, so its
        caller applies `apply_peak_policy` first)."""
        block = np.asarray(block, dtype=np.float32)
        peak = float(np.max(np.abs(block))) if block.size else 0.0
        if peak > 1.0 and self.settings.peak is not PeakPolicy.NONE:
            if self.settings.peak is PeakPolicy.NORMALIZE:
                raise ConfigError(f"{self.path.name}: normalising needs the whole file; apply the peak policy "
                                  "before streaming it.")
            self.beyond_full_scale += int(np.count_nonzero(np.abs(block) > 1.0))
            block = apply_peak_policy(block, self.settings.peak)
        self.peak = max(self.peak, peak)
        self._wav_bytes_left -= block.size * SAMPLE_BYTES.get(self.settings.sample_format, 0)
        if self._wav_bytes_left < 0:
            self.abort()
            raise ExportError(f"{self.path.name} would grow past the 4 GiB a WAV file can hold; nothing was "
                              "written. Export it as FLAC, or a shorter range.")
        try:
            self._file.write(np.ascontiguousarray(block.T))
        except (sf.LibsndfileError, RuntimeError) as err:
            raise self._failed(err, block.nbytes) from err
        except OSError as err:
            self.abort()
            raise ExportError(_explain(err, self.path)) from err

    def _failed(self, err: Exception, wanted_bytes: int) -> ExportError:
        """libsndfile reports a full disk as a bare "System error": the free space, looked at
        before the partial file is removed, tells which it was."""
        full = shutil.disk_usage(self._tmp.parent).free < wanted_bytes + DISK_SLACK_BYTES
        self.abort()
        if full:
            return ExportError(_explain(OSError(errno.ENOSPC, "No space left on device"), self.path))
        return ExportError(f"{self.path.name} could not be written: {err}.")

    def commit(self) -> Path:
        try:
            self._file.close()
        except (sf.LibsndfileError, RuntimeError) as err:        # the last buffered block
            raise self._failed(err, 0) from err
        try:
            if self.path.exists() and not self.settings.overwrite:
                raise ExportError(f"{self.path.name} appeared while exporting; it was left untouched.")
            self.replaced_existing = self.path.exists()
            as_created(self._tmp)
            os.replace(self._tmp, self.path)
            self.committed = True
        except OSError as err:
            self.abort()
            raise ExportError(_explain(err, self.path)) from err
        except ExportError:
            self.abort()
            raise
        log.info("wrote %s", self.path)
        return self.path

    @property
    def peak_note(self) -> str | None:
        """What the peak policy did to this file, in a sentence for the user; None if nothing."""
        if not self.beyond_full_scale:
            return None
        action = {PeakPolicy.LIMIT: "went through the soft limiter (above -1 dBFS)",
                  PeakPolicy.CLIP: "were clipped at full scale"}[self.settings.peak]
        return (f"{self.path.name} peaked at {20 * math.log10(self.peak):+.1f} dBFS: {self.beyond_full_scale} "
                f"samples beyond full scale {action}")

    def abort(self) -> None:
        if not self._file.closed:
            self._file.close()
        self._tmp.unlink(missing_ok=True)

    def __enter__(self) -> AtomicAudioWriter:
        return self

    def __exit__(self, exc_type: object, *rest: object) -> None:
        if exc_type is not None:
            self.abort()


def copy_job(recording: Recording, target: Path, what: str, settings: ExportSettings, step: str,
             fill: Callable[[Callable[[np.ndarray], None]], Job[T]]) -> Job[T | None]:
    """A rewritten copy of `recording` (`what`: "the repaired copy") written to `target` at its rate
    and channel count, replacing a file there (the save dialog asked), tagged with the recording's
    tags and `step`. `fill` hands the copy's blocks in order to the write it is given and returns
    what to report; a None from it writes nothing. The recording's own file is never the target,
    checked before any work."""
    if Path(target).resolve() == Path(recording.path).resolve():
        raise ConfigError(f"{what[0].upper()}{what[1:]} cannot replace {recording.path.name}, which it is made "
                          "from; choose another name.")
    writer = AtomicAudioWriter(target, recording.sample_rate, recording.channels, replace(settings, overwrite=True),
                               with_step(read_tags(recording.path), step), frames=recording.frames)
    with writer:
        result = yield from fill(writer.write)
        if result is None:
            writer.abort()
            return None
    writer.commit()
    return result


def write_text_atomically(path: Path, text: str) -> Path:
    """`text` as UTF-8, as `write_bytes_atomically` writes."""
    return write_bytes_atomically(path, text.encode("utf-8"))


def write_bytes_atomically(path: Path, data: bytes) -> Path:
    """`data` to `path` through a temporary file renamed into place (replacing a file there: the
    caller's save dialog asked); ExportError naming the file (full disk, read-only folder) leaves
    nothing behind."""
    path = Path(path)
    tmp: Path | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".part", dir=path.parent)
        tmp = Path(name)
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        as_created(tmp)
        os.replace(tmp, path)
    except OSError as err:
        if tmp is not None:
            tmp.unlink(missing_ok=True)
        raise ExportError(_explain(err, path)) from err
    return path


def write_csv(path: Path, table: list[list[str]]) -> Path:
    """A table (header first) as CSV, atomically."""
    text = io.StringIO()
    csv.writer(text, lineterminator="\n").writerows(table)
    return write_text_atomically(path, text.getvalue())


def write_audio(path: Path, audio: np.ndarray, sample_rate: int, settings: ExportSettings = ExportSettings(),
                tags: Tags | None = None) -> Path:
    """Write float32 `(channels, frames)` atomically with the peak policy applied."""
    audio = apply_peak_policy(audio, settings.peak)
    with AtomicAudioWriter(path, sample_rate, audio.shape[0], settings, tags) as writer:
        writer.write(audio)
        return writer.commit()


DEFAULT_TEMPLATE = "{recording}_talker{talker}_{kind}"
EXPORT_BLOCK_SECONDS = 2.0       # one block per yield: cancel within a fraction of a second
PROGRESS_STEPS = 1000            # per file: files of any length count alike
_TEMPLATE_FIELDS = ("recording", "talker", "kind", "name", "model")
_LABEL_FIELDS = ("label", "n")              # exporting each label: its text and number (1, 2, ...)
LABEL_SUFFIX = "_{n:02d}_{label}"          # added to a template that names neither


def render_name(template: str, versions: Version | tuple[Version, ...], recording: str, **label_fields: object) -> str:
    """A file stem from `template` with {recording} {talker} {kind} {name} {model} (and, per
    label, {label} {n}); several versions in one file join their distinct values with '+'; path
    separators and control characters become '_'."""
    group = versions if isinstance(versions, tuple) else (versions,)

    def joined(values: list[object]) -> str:
        return "+".join(str(v) for v in dict.fromkeys(values))

    values = {"recording": recording, "talker": joined([v.talker + 1 for v in group]),
              "kind": joined([str(v.kind) for v in group]), "name": joined([v.name for v in group]),
              "model": joined([v.model for v in group]), **label_fields}
    try:
        stem = template.format(**values)
    except (KeyError, IndexError, ValueError) as err:
        fields = _TEMPLATE_FIELDS + (_LABEL_FIELDS if label_fields else ())
        raise ConfigError(f"The name template {template!r} is not usable ({err}); use the fields "
                          f"{', '.join('{' + f + '}' for f in fields)}.") from err
    stem = "".join("_" if c in '/\\:*?"<>|' or ord(c) < 32 else c for c in stem).strip(" .")
    if not stem:
        raise ConfigError(f"The name template {template!r} gives an empty file name.")
    return stem


@dataclass(frozen=True)
class ExportPiece:
    """One file to write: a version (or several, a channel each), whole (span None) or a time
    range in seconds."""

    versions: tuple[Version, ...]
    path: Path
    span: tuple[float, float] | None = None


def plan_export(versions: list[Version], folder: Path, template: str, recording: str, settings: ExportSettings,
                span: tuple[float, float] | None = None, labels: list[Label] | None = None,
                multichannel: bool = False) -> list[ExportPiece]:
    """The files an export writes: one per version, or with `labels` one per version and label
    (those with a length; the template gains LABEL_SUFFIX unless it names {label} or {n});
    `multichannel` puts the versions in one file, a channel each in their order (a file per label
    with `labels`), as ELAN and Praat show a conversation's talkers. ConfigError when a range is
    empty, two files would get the same name, or the format cannot hold that many channels."""
    groups = [tuple(versions)] if multichannel else [(v,) for v in versions]
    limit = FORMAT_MAX_CHANNELS.get(settings.format)
    if multichannel and limit is not None and len(versions) > limit:
        raise ConfigError(f"{settings.format.value.upper()} holds at most {limit} channels, not {len(versions)}; "
                          "choose WAV or OGG, or fewer versions.")
    if labels is not None:
        ranged = [label for label in labels if label.stop > label.start]
        if not ranged:
            raise ConfigError("No label has a length to export; label a selection first (Ctrl+B).")
        if "{label" not in template and "{n" not in template:
            template += LABEL_SUFFIX
        pieces = [ExportPiece(g, Path(folder) / f"{stem}.{settings.format}",
                              time_span(list(g), label.start, label.stop))
                  for g in groups for n, label in enumerate(ranged, start=1)
                  for stem in [render_name(template, g, recording, n=n, label=label.text or "unnamed")]]
    else:
        span = None if span is None else time_span(versions, *span)
        pieces = [ExportPiece(g, Path(folder) / f"{render_name(template, g, recording)}.{settings.format}", span)
                  for g in groups]
    paths = [piece.path for piece in pieces]
    twins = sorted({p.name for p in paths if paths.count(p) > 1})
    if twins:
        raise ConfigError(f"The name template gives several files the name {', '.join(twins)}; "
                          "add {name} or {kind} to it" + (" (and {n} or {label})." if labels is not None else "."))
    return pieces


def export_paths(versions: list[Version], folder: Path, template: str, recording: str,
                 settings: ExportSettings, labels: list[Label] | None = None, multichannel: bool = False) -> list[Path]:
    """The target files (see `plan_export`), for a dialog's preview and the replace question."""
    return [piece.path for piece in plan_export(versions, folder, template, recording, settings, labels=labels,
                                                multichannel=multichannel)]


def existing_files(paths: list[Path]) -> list[Path]:
    return [p for p in paths if p.exists()]


def peak_warnings(versions: list[Version]) -> list[str]:
    """One sentence per version that peaks above 0 dBFS (the peak policy will act on it)."""
    return [f"{v.name} peaks at {peak_dbfs(v.audio):+.1f} dBFS." for v in versions if peak_dbfs(v.audio) > 0.0]


def time_span(versions: list[Version], start: float, stop: float) -> tuple[float, float]:
    """[start, stop) seconds checked against the versions' length; ConfigError when empty or outside."""
    length = max((v.seconds for v in versions), default=0.0)
    start, stop = max(0.0, start), min(stop, length)
    if not stop > start:
        raise ConfigError(f"The range to export ({start:.3f}–{stop:.3f} s) is empty or past the versions' end "
                          f"({length:.3f} s).")
    return start, stop


def export_versions_job(versions: list[Version], folder: Path, template: str, recording: str,
                        settings: ExportSettings, sample_rate: int | None = None,
                        span: tuple[float, float] | None = None, labels: list[Label] | None = None,
                        multichannel: bool = False) -> Job[list[Path]]:
    """Write one file per version (or per version and label; with `multichannel`, one file of
    every version, a channel each), block by block; all files appear together at the end.

    `sample_rate` None keeps each version's rate; `span` (seconds) exports only that range of
    each version, `labels` each label's range (the loudness target and the peak policy then see only
    that range). Every file is
    written to a temporary file beside its target; a cancel (the generator closed) or an error deletes
    them all, so nothing partial is left, and no existing file is touched unless `settings.overwrite`.
    """
    pieces = plan_export(versions, folder, template, recording, settings, span, labels, multichannel)
    paths = [piece.path for piece in pieces]
    taken = existing_files(paths)
    if taken and not settings.overwrite:
        raise ExportError(f"{', '.join(p.name for p in taken)} already exist(s) in {Path(folder)}; "
                          "choose another name or allow overwriting.")
    for piece in pieces:                       # before any work: one file the format cannot hold stops them all
        rates = {sample_rate or v.sample_rate for v in piece.versions}
        if len(rates) > 1:
            raise ConfigError(f"{piece.path.name}: its versions are at {', '.join(f'{r} Hz' for r in sorted(rates))}; "
                              "one file needs one rate: export at the source or the model rate.")
        check_rate(settings, rates.pop(), piece.path.name)
    notes = model_notes({v.model for v in versions if v.model})
    clock = Stopwatch()
    writers: list[AtomicAudioWriter] = []
    committed = False
    try:
        total = PROGRESS_STEPS * len(pieces)
        for n, piece in enumerate(pieces):
            yield Progress("prepare", n * PROGRESS_STEPS, total, clock())
            audio, rate = _prepared(piece, settings, sample_rate)
            step = int(EXPORT_BLOCK_SECONDS * rate)
            tags = _piece_tags(piece, recording, settings, notes)
            writer = AtomicAudioWriter(piece.path, rate, audio.shape[0], settings, tags, frames=audio.shape[1])
            writers.append(writer)
            frames = max(audio.shape[1], 1)
            for start in range(0, frames, step):
                writer.write(audio[:, start:start + step])
                yield Progress("export", n * PROGRESS_STEPS + PROGRESS_STEPS * min(frames, start + step) // frames,
                               total, clock())
            del audio                       # one piece's prepared audio at a time: an hour at 48 kHz is 0.7 GB
        written = [writer.commit() for writer in writers]
        committed = True
    finally:
        if not committed:
            for writer in writers:
                writer.abort()
            for writer in writers:          # committed before a later one failed: take them back
                if writer.committed and not writer.replaced_existing:
                    writer.path.unlink(missing_ok=True)
    log.info("exported %d file(s) to %s in %.1f s", len(written), folder, clock())
    return written



def _piece_tags(piece: ExportPiece, recording: str, settings: ExportSettings, notes: dict[str, str]) -> Tags:
    tags = channels_tags(piece.versions, recording, notes)
    if piece.span is not None:
        tags = with_step(tags, f"the range {format_span(*piece.span, decimals=3)}")
    if settings.loudness_lufs is not None:
        tags = with_step(tags, f"brought to {settings.loudness_lufs:g} LUFS")
    return tags


def _prepared(piece: ExportPiece, settings: ExportSettings, sample_rate: int | None) -> tuple[np.ndarray, int]:
    """`(channels, frames)` float32 ready to write, and its rate: the piece's range of each of its
    versions (the shorter padded with silence), at `sample_rate` (None: theirs), each at the
    loudness target, within the peak policy."""
    rate = sample_rate or piece.versions[0].sample_rate
    channels = []
    for version in piece.versions:
        audio, span = version.audio, piece.span
        if span is not None:
            audio = audio[round(span[0] * version.sample_rate):round(span[1] * version.sample_rate)]
        if rate != version.sample_rate:
            audio = soxr.resample(audio, version.sample_rate, rate, quality="HQ").astype(np.float32)
        if settings.loudness_lufs is not None:
            audio = normalise_loudness(audio, rate, settings.loudness_lufs, f"{version.name} (for {piece.path.name})")
        channels.append(audio)
    if len(channels) == 1:
        return apply_peak_policy(channels[0][None], settings.peak), rate
    stacked = np.zeros((len(channels), max(c.shape[0] for c in channels)), np.float32)
    for row, audio in zip(stacked, channels):
        row[:audio.shape[0]] = audio
    return apply_peak_policy(stacked, settings.peak), rate


def recording_export_settings(path: Path, source_subtype: str, overwrite: bool = False) -> ExportSettings:
    """Settings for a copy of (part of) a recording, its format from `path`'s suffix and a sample
    format that loses nothing the source holds; ConfigError for a suffix that is not a format."""
    try:
        fmt = AudioFormat(Path(path).suffix.lower().lstrip("."))
    except ValueError as err:
        raise ConfigError(f"{Path(path).name}: name the file .wav, .flac, .ogg or .mp3.") from err
    source = {"PCM_16": SampleFormat.PCM_16, "PCM_S8": SampleFormat.PCM_16, "PCM_U8": SampleFormat.PCM_16,
              "FLOAT": SampleFormat.FLOAT, "DOUBLE": SampleFormat.FLOAT}.get(source_subtype, SampleFormat.PCM_24)
    if source is SampleFormat.FLOAT and fmt is not AudioFormat.WAV:
        source = SampleFormat.PCM_24
    peak = PeakPolicy.NONE if source is SampleFormat.FLOAT else PeakPolicy.CLIP
    return ExportSettings(fmt, source, peak, overwrite)


def channels_to_copy(recording: Recording, channels: Sequence[int] | None) -> list[int]:
    """The channels `export_recording_job` copies (every one for None); ConfigError naming one the
    recording lacks."""
    chosen = list(range(recording.channels)) if channels is None else list(channels)
    missing = [c + 1 for c in chosen if not 0 <= c < recording.channels]
    if not chosen or missing:
        raise ConfigError(f"{recording.name} has {recording.channels} channels; choose among them to export"
                          + (f" (there is no channel {', '.join(map(str, missing))})." if missing else "."))
    return chosen


def export_recording_job(recording: Recording, path: Path, settings: ExportSettings,
                         span: tuple[float, float] | None = None,
                         channels: Sequence[int] | None = None) -> Job[tuple[Path, str | None]]:
    """Copy the recording's channels (every one, or those listed, 0-based, in that order), whole or
    the span `[start, stop)` seconds, into one file at its own rate, block by block: Audacity's
    "Export selected audio". The source is only read. Returns the file and its writer's
    `peak_note` (a float recording beyond full scale copied into an integer format is clipped)."""
    chosen = channels_to_copy(recording, channels)
    if settings.loudness_lufs is not None:
        raise ConfigError("A recording's channels are copied at their own level; leave the loudness target unset.")
    if Path(path).resolve() == recording.path.resolve():
        raise ExportError(f"{Path(path).name} is the recording itself; the source is never written. "
                          "Choose another name.")
    limit = FORMAT_MAX_CHANNELS.get(settings.format)
    if limit is not None and len(chosen) > limit:
        raise ExportError(f"{Path(path).name}: {settings.format.value.upper()} holds at most {limit} channels and "
                          f"{len(chosen)} are to be copied from {recording.name}; choose WAV or OGG, or fewer "
                          "channels.")
    start, stop = (0, recording.frames) if span is None else (
        round(max(0.0, span[0]) * recording.sample_rate), min(recording.frames, round(span[1] * recording.sample_rate)))
    if stop <= start:
        raise ConfigError(f"The range to export is empty or past the end of {recording.name}.")
    rate = recording.sample_rate
    part = "" if span is None else f", {format_span(start / rate, stop / rate, 3)}"
    which = "" if channels is None else f" {', '.join(str(c + 1) for c in chosen)}"
    copied = f"channels{which} of {recording.name}{part}"
    tags = with_step(read_tags(recording.path), copied)
    writer = AtomicAudioWriter(path, recording.sample_rate, len(chosen), settings, tags, frames=stop - start)
    block = int(EXPORT_BLOCK_SECONDS * recording.sample_rate)
    clock = Stopwatch()
    try:
        for at in range(start, stop, block):
            writer.write(recording.read(at, min(stop, at + block), chosen))
            yield Progress("export", min(stop, at + block) - start, stop - start, clock())
    except BaseException:
        writer.abort()
        raise
    return writer.commit(), writer.peak_note
