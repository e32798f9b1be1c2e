"""Sessions: a recording, the versions made from it, labels, clean references and settings.

Versions are non-destructive: each run adds new ones (the source file is never written), and
renaming, hiding or removing one changes only the session. Every such edit, and every edit of the
labels, can be undone and redone: a step remembers the lists of versions and labels before it, and
versions are immutable and share their audio, so a step costs a list of references, not a copy of
any audio. A saved session is a folder `name.mecosession/` holding `session.json` (labels
included) and one float32 WAV per version, written into a temporary folder beside it and renamed
into place, so a failed save leaves the old one intact.

Saving is a job (`save_steps`) over a `SessionSnapshot`, so the window writes in a worker while
the user goes on editing; a version that an earlier save of the same folder (or the previous
autosave, for the recovery folder) already wrote is hard-linked, not written again: versions never
change, and their ids are unique. Every edit advances `Session.revision`; a session is `modified` until the revision
it was last saved at catches up.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
import uuid
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf

from app.engine.errors import AudioFileError, ExportError
from app.engine.jobs import Job, Progress, Stopwatch, drive
from app.engine.scratch import scratch_zeros
from app.engine.labels import Label
from models.common.permissions import as_created

log = logging.getLogger(__name__)

SESSION_SUFFIX = ".mecosession"
SESSION_FORMAT = 1
UNDO_STEPS = 100
WRITE_BLOCK_FRAMES = 1 << 20       # one cancel point per 4 MiB of float32 audio


class VersionKind(StrEnum):
    SEPARATED = "separated"
    CORRECTED = "corrected"
    ENHANCED = "enhanced"
    IMPORTED = "imported"        # a talker estimate made elsewhere (another separator), read from a file
    DIFFERENCE = "difference"    # one version minus another: what a run added or took away


KIND_LABELS = {VersionKind.SEPARATED: "Separated", VersionKind.CORRECTED: "MeCo", VersionKind.ENHANCED: "Enhanced",
               VersionKind.IMPORTED: "Imported", VersionKind.DIFFERENCE: "Difference"}
ESTIMATE_KINDS = (VersionKind.SEPARATED, VersionKind.IMPORTED)     # what MeCo and the students start from


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class Version:
    """One talker's signal made by one run; `audio` float32 `(frames,)`, read-only."""

    name: str
    talker: int                       # 0-based
    kind: VersionKind
    audio: np.ndarray = field(repr=False, compare=False)
    sample_rate: int
    model: str
    settings: dict[str, Any]          # the run's settings (dataclasses.asdict), for the record
    device: str = "cpu"
    created: str = field(default_factory=now_iso)
    hidden: bool = False
    id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])

    def __post_init__(self) -> None:
        audio = np.asarray(self.audio, dtype=np.float32)
        if audio.ndim != 1:
            raise ValueError(f"a version's audio is (frames,), got shape {audio.shape}")
        if audio.flags.writeable:
            audio = audio.copy()
            audio.flags.writeable = False
        object.__setattr__(self, "audio", audio)

    @property
    def seconds(self) -> float:
        return self.audio.shape[0] / self.sample_rate

    def metadata(self) -> dict[str, Any]:
        values = asdict(replace(self, audio=np.zeros(0, np.float32)))
        values.pop("audio")
        return values


def default_name(kind: VersionKind, talker: int, model: str = "") -> str:
    label = f"Student {model}" if kind is VersionKind.ENHANCED and model else KIND_LABELS[kind]
    return f"{label} · talker {talker + 1}"


def contents_text(versions: int, labels: int) -> str:
    """"2 versions and 1 label": what a session holds, in a sentence."""
    return f"{versions} version{'s' if versions != 1 else ''} and {labels} label{'s' if labels != 1 else ''}"


Snapshot = tuple[str, list[Version], list[Label]]     # what an edit did, and the versions and labels before it


@dataclass(frozen=True)
class SessionSnapshot:
    """What a save writes, taken on the GUI thread; versions share their audio, so it copies none."""

    recording_path: Path | None
    references: dict[int, Path]
    settings: dict[str, Any]
    versions: tuple[Version, ...]
    labels: tuple[Label, ...]
    revision: int
    notes: str = ""


class Session:
    """What the main window edits: the recording, its versions (in order), labels and references."""

    def __init__(self, recording_path: Path | None = None) -> None:
        self.recording_path = Path(recording_path) if recording_path else None
        self.versions: list[Version] = []
        self.labels: list[Label] = []                # in time order
        self.references: dict[int, Path] = {}        # talker -> clean reference file
        self.settings: dict[str, Any] = {}
        self.notes = ""                              # the user's own words about the session (markdown)
        self.path: Path | None = None                # where it was last saved
        self.revision = 0                            # advances with every edit, undo and redo
        self.saved_revision = 0                      # the revision `path` holds
        self._undo: list[Snapshot] = []
        self._redo: list[Snapshot] = []

    @property
    def modified(self) -> bool:
        """True when the session holds edits that no save has written yet."""
        return self.revision != self.saved_revision

    def mark_saved(self, revision: int, path: Path) -> None:
        """A save of `revision` reached `path` (edits made while it was writing stay unsaved)."""
        self.path = path
        self.saved_revision = revision

    def discard_changes(self) -> None:
        """The user dropped the unsaved edits (closing, or opening another file): nothing is left to save."""
        self.saved_revision = self.revision

    def snapshot(self) -> SessionSnapshot:
        return SessionSnapshot(self.recording_path, dict(self.references), dict(self.settings),
                               tuple(self.versions), tuple(self.labels), self.revision, self.notes)

    def set_notes(self, text: str) -> None:
        """The session's notes (not an undo step, but an edit to save); the same text changes nothing."""
        if text != self.notes:
            self.notes = text
            self.revision += 1

    def set_reference(self, talker: int, path: Path) -> None:
        """Score `talker` against the clean reference `path` (not an undo step, but an edit to save)."""
        self.references[talker] = Path(path)
        self.revision += 1

    def add(self, versions: list[Version]) -> None:
        if versions:
            self._remember(f"add {len(versions)} version{'s' if len(versions) > 1 else ''}")
            self.versions.extend(versions)

    def mend(self, originals: list[str], versions: list[Version], what: str) -> None:
        """Put each of `versions` right after the original it mends (the id at its place in
        `originals`) and hide the originals, as one undo step that `what` describes ("swap …")."""
        self._remember(what)
        for original_id, version in zip(originals, versions):
            index = self.versions.index(self.find(original_id))
            self.versions[index] = replace(self.versions[index], hidden=True)
            self.versions.insert(index + 1, version)

    def find(self, version_id: str) -> Version:
        for version in self.versions:
            if version.id == version_id:
                return version
        raise KeyError(version_id)

    def _update(self, what: str, version_id: str, **changes: Any) -> Version:
        index = self.versions.index(self.find(version_id))
        self._remember(what)
        self.versions[index] = replace(self.versions[index], **changes)
        return self.versions[index]

    def rename(self, version_id: str, name: str) -> Version:
        old = self.find(version_id).name
        return self._update(f"rename “{old}”", version_id, name=name.strip() or old)

    def set_hidden(self, version_id: str, hidden: bool) -> Version:
        name = self.find(version_id).name
        return self._update(f"{'hide' if hidden else 'show'} “{name}”", version_id, hidden=hidden)

    def remove(self, version_id: str) -> None:
        version = self.find(version_id)
        self._remember(f"remove “{version.name}”")
        self.versions.remove(version)

    # --- labels ----------------------------------------------------------------------------------
    def add_label(self, label: Label) -> int:
        """Add `label` in time order; returns its index."""
        self._remember(f"add label “{label.text}”" if label.text else "add label")
        self.labels = sorted([*self.labels, label])
        return self.labels.index(label)

    def set_label_text(self, index: int, text: str) -> Label:
        old = self.labels[index]
        self._remember(f"rename label “{old.text}”" if old.text else "name label")
        self.labels = [*self.labels]
        self.labels[index] = replace(old, text=text)
        return self.labels[index]

    def set_label_range(self, index: int, start: float, stop: float) -> int:
        """Move label `index` to [start, stop) (one undo step); returns its index in time order."""
        old = self.labels[index]
        self._remember(f"move label “{old.text}”" if old.text else "move label")
        moved = replace(old, start=float(start), stop=float(stop))
        self.labels = sorted([*self.labels[:index], moved, *self.labels[index + 1:]])
        return self.labels.index(moved)

    def remove_labels(self, indices: list[int]) -> None:
        """Remove the labels at `indices` (one undo step)."""
        text = self.labels[indices[0]].text if len(indices) == 1 else ""
        self._remember(f"remove label “{text}”" if text else
                       f"remove {len(indices)} label{'s' if len(indices) != 1 else ''}")
        self.labels = [label for k, label in enumerate(self.labels) if k not in set(indices)]

    def add_labels(self, labels: list[Label], what: str) -> None:
        """Add several labels as one undo step, which `what` describes ("import 3 labels from a.txt")."""
        self._remember(what)
        self.labels = sorted([*self.labels, *labels])

    # --- undo and redo ---------------------------------------------------------------------------
    def _remember(self, what: str) -> None:
        self._undo.append((what, list(self.versions), list(self.labels)))
        del self._undo[:-UNDO_STEPS]
        self._redo.clear()
        self.revision += 1

    @property
    def undo_text(self) -> str | None:
        """What `undo` would undo ("remove “MeCo · talker 1”"), None when nothing."""
        return self._undo[-1][0] if self._undo else None

    @property
    def redo_text(self) -> str | None:
        return self._redo[-1][0] if self._redo else None

    @property
    def history(self) -> tuple[list[str], list[str]]:
        """The edits that can be undone, oldest first, and those that can be redone, next first:
        Audacity's History window."""
        return [what for what, _, _ in self._undo], [what for what, _, _ in reversed(self._redo)]

    def undo(self) -> str | None:
        """Restore the versions and labels as they were before the last edit; returns what was undone."""
        return self._step(self._undo, self._redo)

    def redo(self) -> str | None:
        return self._step(self._redo, self._undo)

    def _step(self, back: list[Snapshot], forth: list[Snapshot]) -> str | None:
        """Go to the versions and labels on top of `back`, keeping the current ones on `forth`."""
        if not back:
            return None
        what, versions, labels = back.pop()
        forth.append((what, self.versions, self.labels))
        self.versions, self.labels = versions, labels
        self.revision += 1
        return what

    def talkers(self) -> list[int]:
        return sorted({v.talker for v in self.versions})

    def versions_of(self, talker: int, include_hidden: bool = False) -> list[Version]:
        return [v for v in self.versions if v.talker == talker and (include_hidden or not v.hidden)]


def _relative(file: Path | None, session: Path) -> str | None:
    """`file` seen from the session folder's parent, so a session moved with its recording (to
    another disk, or a colleague's machine) still finds it; None across drives."""
    if file is None:
        return None
    try:
        return os.path.relpath(Path(file).resolve(), Path(session).resolve().parent)
    except ValueError:           # Windows: another drive
        return None


def _locate(absolute: str | None, relative: str | None, session: Path) -> Path | None:
    """Where a file the session names is now: where it was, else where it lies relative to the session."""
    if absolute is None:
        return None
    if not Path(absolute).exists() and relative is not None:
        moved = Path(session).resolve().parent / relative
        if moved.exists():
            return moved.resolve()
    return Path(absolute)


def session_folder(path: Path) -> Path:
    """`path` with the `.mecosession` suffix a session folder carries."""
    path = Path(path)
    return path if path.suffix == SESSION_SUFFIX else path.with_name(path.name + SESSION_SUFFIX)


def _link_written(folder: Path | None, version: Version, target: Path) -> bool:
    """Hard-link (else copy) `version`'s WAV from an earlier save in `folder`; False if there is none."""
    if folder is None:
        return False
    source = folder / f"{version.id}.wav"
    try:
        info = sf.info(source)
    except (OSError, sf.LibsndfileError):
        return False
    if (info.frames, info.samplerate, info.channels, info.subtype) != (version.audio.shape[0], version.sample_rate,
                                                                       1, "FLOAT"):
        return False
    try:
        os.link(source, target)
    except OSError:
        try:
            shutil.copyfile(source, target)
        except OSError:              # gone meanwhile (an autosave replaced its folder): write it afresh
            return False
    return True


def save_steps(snapshot: SessionSnapshot, path: Path, overwrite: bool = False,
               reuse: Path | None = None) -> Job[Path]:
    """Write `snapshot` to the folder `path` (suffix added), block by block; ExportError on failure.

    `reuse`: a session folder whose WAVs of the same versions can be linked instead of written.
    Cancelled or failed, it leaves no partial folder and the old session untouched.
    """
    path = session_folder(path)
    if path.exists() and not overwrite:
        raise ExportError(f"{path.name} already exists in {path.parent}; choose another name or allow overwriting.")
    if path.exists() and not (path / "session.json").is_file():
        raise ExportError(f"{path.name} in {path.parent} is not a MeCo Studio session, so it is not replaced; "
                          "choose another name.")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{path.stem}.", suffix=".part", dir=path.parent))
        as_created(tmp)
    except OSError as err:
        raise ExportError(f"{path.name} could not be saved: {err.strerror or err}. Choose another folder.") from err
    clock = Stopwatch()
    total = sum(v.audio.shape[0] for v in snapshot.versions)
    done = 0
    finished = False
    try:
        entries = []
        for version in snapshot.versions:
            target = tmp / f"{version.id}.wav"
            if not _link_written(reuse, version, target):
                with sf.SoundFile(target, "w", version.sample_rate, 1, subtype="FLOAT") as out:
                    for start in range(0, version.audio.shape[0], WRITE_BLOCK_FRAMES):
                        block = version.audio[start:start + WRITE_BLOCK_FRAMES]
                        out.write(block)
                        done += block.shape[0]
                        yield Progress("save", done, total, clock())
            else:
                done += version.audio.shape[0]
            entries.append(version.metadata())
        document = {"format": SESSION_FORMAT,
                    "recording": str(snapshot.recording_path.resolve()) if snapshot.recording_path else None,
                    "recording_relative": _relative(snapshot.recording_path, path),
                    "references": {str(k): str(Path(v).resolve()) for k, v in snapshot.references.items()},
                    "references_relative": {str(k): _relative(v, path) for k, v in snapshot.references.items()},
                    "settings": snapshot.settings, "versions": entries,
                    "labels": [asdict(label) for label in snapshot.labels], "notes": snapshot.notes}
        (tmp / "session.json").write_text(json.dumps(document, indent=2))
        if path.exists():
            old = path.with_name(f".{path.name}.old")
            shutil.rmtree(old, ignore_errors=True)
            os.replace(path, old)
            os.replace(tmp, path)
            shutil.rmtree(old)
        else:
            os.replace(tmp, path)
        finished = True
    except (OSError, sf.LibsndfileError) as err:
        reason = getattr(err, "strerror", None) or err
        raise ExportError(f"{path.name} could not be saved: {reason}. "
                          "Is the disk full or the folder read-only?") from err
    finally:
        if not finished:
            shutil.rmtree(tmp, ignore_errors=True)
    log.info("saved session %s (%d versions)", path, len(snapshot.versions))
    return path


def save_session(session: Session, path: Path, overwrite: bool = False) -> Path:
    """Write `session` to the folder `path` in one go (the command line and tests); ExportError on failure."""
    snapshot = session.snapshot()
    saved = drive(save_steps(snapshot, path, overwrite, reuse=session.path))
    session.mark_saved(snapshot.revision, saved)
    return saved


def load_session(path: Path) -> Session:
    """Read a session folder; AudioFileError naming what is wrong."""
    return drive(load_session_job(path))


def load_session_job(path: Path) -> Job[Session]:
    """Read a session folder a version at a time (its audio can be gigabytes: the window reads it
    in a job); AudioFileError naming what is wrong."""
    path = Path(path)
    clock = Stopwatch()
    try:
        document = json.loads((path / "session.json").read_text())
    except (OSError, json.JSONDecodeError) as err:
        raise AudioFileError(f"{path.name} is not a MeCo Studio session (session.json unreadable: {err}).") from err
    if document.get("format") != SESSION_FORMAT:
        raise AudioFileError(f"{path.name} was saved by another version of MeCo Studio (format "
                             f"{document.get('format')!r}); it cannot be opened here.")
    relative = document.get("references_relative", {})
    session = Session(_locate(document.get("recording"), document.get("recording_relative"), path))
    session.references = {int(k): _locate(v, relative.get(k), path) for k, v in document.get("references", {}).items()}
    session.settings = dict(document.get("settings", {}))
    session.notes = str(document.get("notes", ""))
    try:
        session.labels = sorted(Label(**entry) for entry in document.get("labels", []))
    except (TypeError, ValueError) as err:
        raise AudioFileError(f"{path.name} is damaged: a label cannot be read ({err}).") from err
    entries = document.get("versions", [])
    for done, entry in enumerate(entries, start=1):
        audio_path = path / f"{entry['id']}.wav"
        try:
            with sf.SoundFile(audio_path) as file:
                if file.channels != 1:
                    raise AudioFileError(f"{path.name} is damaged: the audio of '{entry['name']}' has "
                                         f"{file.channels} channels, not one.")
                audio, rate = file.read(out=scratch_zeros((file.frames,)), dtype="float32"), file.samplerate
        except (OSError, sf.LibsndfileError) as err:
            raise AudioFileError(f"{path.name} is damaged: the audio of '{entry['name']}' cannot be read "
                                 f"({err}).") from err
        audio.flags.writeable = False             # the version keeps it as it is: no second copy
        session.versions.append(Version(**{**entry, "kind": VersionKind(entry["kind"]), "audio": audio,
                                           "sample_rate": rate}))
        yield Progress("open", done, len(entries), clock())
    session.path = path
    return session
