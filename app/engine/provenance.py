"""What made an audio file, written into the file: its title, comment, date and software tags.

A folder of `spk1.wav` files outlives the session that made them; a researcher who finds one a
month later, or a colleague who receives it, reads in any player's or `soxi`'s tag list which
recording it came from and which model (by its weights' sha256) made it. libsndfile writes them
as RIFF INFO in WAV, Vorbis comments in FLAC and OGG and ID3 in MP3, and only before the first
sample, so a writer takes its tags when it opens; a stage that rewrites a finished track (a
student's enhancement, a blend, a loudness target) carries the tags over and adds its step.
"""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Iterable
from pathlib import Path

import soundfile as sf

from app import __version__
from app.engine.documents import Version
from app.engine.pipeline import ModelEntry, list_models

log = logging.getLogger(__name__)

Tags = dict[str, str]
SOFTWARE = f"MeCo Studio {__version__}"
CARRIED = ("title", "comment", "date", "artist", "album", "copyright", "license", "genre", "tracknumber")
_ID3_PLAIN = str.maketrans({"·": "-", "–": "-", "—": "-", "…": "...", "×": "x", "−": "-"})


def model_note(entry: ModelEntry) -> str:
    """`tacband-separator (21663 steps on cuda:0, weights sha256 5f0c…)`: enough to find the card."""
    training = entry.card.get("training", {})
    sha = entry.card.get("weights", {}).get("sha256", "")
    steps = f"{training['steps']} steps" if training.get("steps") else ""
    device = f" on {training['device']}" if training.get("device") else ""
    details = ", ".join(part for part in (steps + device, f"weights sha256 {sha[:16]}" if sha else "") if part)
    return f"{entry.name} ({details})" if details else entry.name


def model_notes(names: Iterable[str]) -> dict[str, str]:
    """`model_note` of each installed model named, from one reading of the cards (an export of
    every label asks for the same few models hundreds of times); a name no card has stays as it
    is (an imported estimate, a classical method, a model since removed)."""
    entries = {entry.name: entry for entry in list_models()}
    return {name: model_note(entries[name]) if name in entries else name for name in names}


def version_tags(version: Version, recording: str, notes: dict[str, str]) -> Tags:
    """A version's file: its name, the recording and the model that made it (its `model_notes`
    line), when it was made."""
    made_by = f", made by {notes.get(version.model, version.model)}" if version.model else ""
    return {"title": version.name, "comment": f"{version.name} of {recording}{made_by}", "date": version.created}


def channels_tags(versions: tuple[Version, ...], recording: str, notes: dict[str, str]) -> Tags:
    """One file with a channel per version: each channel's line in the comment."""
    if len(versions) == 1:
        return version_tags(versions[0], recording, notes)
    lines = [f"ch {k}: {version_tags(v, recording, notes)['comment']}" for k, v in enumerate(versions, start=1)]
    return {"title": " + ".join(v.name for v in versions), "comment": "; ".join(lines),
            "date": max(v.created for v in versions)}


def read_tags(source: sf.SoundFile | Path, carried_only: bool = True) -> Tags:
    """The tags of an open file or a path that a rewrite carries over (all of them, the software's
    too, with `carried_only` False); none when it cannot be read."""
    try:
        if isinstance(source, sf.SoundFile):
            found = source.copy_metadata()
        else:
            with sf.SoundFile(str(source)) as opened:
                found = opened.copy_metadata()
    except (sf.LibsndfileError, RuntimeError, OSError):
        return {}
    return {name: text for name, text in found.items() if text and (name in CARRIED or not carried_only)}


def with_step(tags: Tags, step: str) -> Tags:
    """`tags` with what a rewriting stage did added to the comment."""
    comment = tags.get("comment", "")
    return {**tags, "comment": f"{comment}; {step}" if comment else step}


def write_tags(file: sf.SoundFile, tags: Tags | None) -> None:
    """Set `tags` and the software tag on a file opened for writing, before its first sample. A
    tag the format refuses is logged and skipped: a file without tags beats no file."""
    plain = file.format == "MP3"        # LAME's ID3 writer takes Latin-1 bytes: keep to ASCII there
    for name, text in {**(tags or {}), "software": SOFTWARE}.items():
        if plain:
            text = unicodedata.normalize("NFKD", text.translate(_ID3_PLAIN)).encode("ascii", "ignore").decode()
        try:
            setattr(file, name, text)
        except (sf.LibsndfileError, RuntimeError) as err:
            log.info("%s: tag %s not written (%s)", file.name, name, err)
