"""Installing and removing the user's own models: a card and its weights, copied into the user
model folder so the app and the command line list them beside the shipped ones.

A researcher trains with the recipes (or on a GPU machine) and gets `name.json` + weights in a run
folder; installing checks the card as the registry reads it and the weights against the card's
sha256 while copying them, into a hidden folder renamed into place, so a corrupt or partial copy
is never listed. Shipped models are never replaced or removed.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import tempfile
from pathlib import Path

from app.engine.errors import ModelLoadError
from app.engine.jobs import Job, Progress, Stopwatch
from app.engine.pipeline import SHIPPED_MODELS, ModelEntry, list_models, read_entry, user_models_dir

COPY_BLOCK = 4 << 20        # one cancel point per 4 MiB of weights


def is_shipped(entry: ModelEntry) -> bool:
    return SHIPPED_MODELS.resolve() in entry.card_path.resolve().parents


def folder_name(name: str) -> str:
    """A model's folder under the user model folder: its name, with anything but letters, digits,
    dots, dashes and underscores replaced."""
    return re.sub(r"[^\w.-]", "_", name).strip(".") or "model"


def _weights_of(entry: ModelEntry) -> tuple[Path, str]:
    """The weights file beside the card, and the sha256 the card gives for it."""
    weights = entry.card["weights"]
    file, digest = (weights.get("file"), weights.get("sha256")) if isinstance(weights, dict) else (None, None)
    if not isinstance(file, str) or Path(file).name != file or not isinstance(digest, str):
        raise ModelLoadError(f"The model card {entry.card_path} must name its weights file (beside it) and their "
                             "sha256.")
    path = entry.card_path.parent / file
    if not path.is_file():
        raise ModelLoadError(f"The weights {path} that {entry.card_path.name} names are missing.")
    return path, digest


def install_model_job(card_path: Path, overwrite: bool = False) -> Job[ModelEntry]:
    """Copy the card at `card_path` and its weights into the user model folder and return the
    installed entry; ModelLoadError naming the file and the reason (an invalid card, weights that
    do not match it, a shipped model's name, one already installed without `overwrite`, a full disk)."""
    entry = read_entry(Path(card_path).resolve())
    weights, digest = _weights_of(entry)
    existing = next((e for e in list_models() if e.name == entry.name), None)
    if existing is not None and existing.card_path.resolve() == entry.card_path:
        raise ModelLoadError(f"{entry.name} is that very card; it is installed already.")
    if existing is not None and is_shipped(existing):
        raise ModelLoadError(f"A shipped model is called {entry.name}; give the card another name to install it.")
    if existing is not None and not overwrite:
        raise ModelLoadError(f"A model called {entry.name} is installed already ({existing.card_path}); replace it "
                             "to install this one.")
    root = user_models_dir()
    destination = root / folder_name(entry.name)
    if destination.exists() and (existing is None or existing.card_path.parent != destination):
        raise ModelLoadError(f"Cannot install {entry.name}: {destination} is in the way; move it elsewhere.")
    clock = Stopwatch()
    total = weights.stat().st_size
    try:
        root.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".install-", dir=root))
    except OSError as err:
        raise ModelLoadError(f"Cannot install {entry.name} into {root}: {err.strerror or err}.") from err
    try:
        check = hashlib.sha256()
        with weights.open("rb") as source, (staging / weights.name).open("wb") as target:
            for done in range(0, total + 1, COPY_BLOCK):
                block = source.read(COPY_BLOCK)
                check.update(block)
                target.write(block)
                yield Progress("install", min(total, done + len(block)), total, clock())
        if check.hexdigest() != digest:
            raise ModelLoadError(f"The weights {weights} do not match the sha256 in {entry.card_path.name}; the "
                                 "file is damaged or belongs to another card.")
        card_name = f"{folder_name(entry.name)}.json"
        shutil.copyfile(entry.card_path, staging / card_name)
        if existing is not None:
            _delete(existing)
        staging.rename(destination)
    except OSError as err:
        raise ModelLoadError(f"Cannot install {entry.name} into {root}: {err.strerror or err}.") from err
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return read_entry(destination / card_name)


def remove_model(name: str) -> ModelEntry:
    """Delete the user model called `name` (its card and weights; its folder when that is left
    empty); ModelLoadError for a shipped model or an unknown name."""
    entry = next((e for e in list_models() if e.name == name), None)
    if entry is None:
        raise ModelLoadError(f"No model called {name} is installed.")
    if is_shipped(entry):
        raise ModelLoadError(f"{name} ships with MeCo Studio and cannot be removed.")
    _delete(entry)
    return entry


def _delete(entry: ModelEntry) -> None:
    """The card, the weights beside it, and their folder once empty (never the user folder itself)."""
    name = entry.name
    weights = entry.card_path.parent / str(entry.card.get("weights", {}).get("file", ""))
    try:
        entry.card_path.unlink()
        if weights.is_file() and weights.parent == entry.card_path.parent:
            weights.unlink()
        folder = entry.card_path.parent
        if folder != user_models_dir() and not any(folder.iterdir()):
            folder.rmdir()
    except OSError as err:
        raise ModelLoadError(f"Cannot remove {name} from {entry.card_path.parent}: {err.strerror or err}.") from err
