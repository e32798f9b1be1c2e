"""Model registry: lists, validates and loads the model cards shipped in `resources/models/`
and any the user keeps in their data folder, and says in which order stages run.

The engine only sees cards and loaded networks; which architecture a card builds is the
`models` package's business (its checkpoint module refuses anything it cannot verify).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from torch import nn

from app.engine.errors import CheckpointError, ModelLoadError
from app.engine.paths import app_data_dir
from app.engine.torch_runtime import apply_model_threads
from models.common.cards import CheckpointError as ModelsCheckpointError
from models.common.cards import read_card

log = logging.getLogger(__name__)

RESOURCES = Path(__file__).resolve().parents[2] / "resources"
SHIPPED_MODELS = RESOURCES / "models"


class Task(StrEnum):
    SEPARATION = "separation"
    CORRECTION = "correction"
    ENHANCEMENT = "enhancement"


STAGE_ORDER = (Task.SEPARATION, Task.CORRECTION, Task.ENHANCEMENT)


def user_models_dir() -> Path:
    return app_data_dir() / "models"


@dataclass(frozen=True)
class ModelEntry:
    name: str
    task: Task
    card_path: Path
    card: dict[str, Any]

    @property
    def sample_rate(self) -> int:
        return int(self.card["sample_rate"])

    @property
    def summary(self) -> str:
        params = self.card.get("parameters")
        size = f", {params / 1e6:.2f} M parameters" if params else ""
        return f"{self.name} ({self.card['architecture']}{size})"


def read_entry(card_path: Path) -> ModelEntry:
    """The card at `card_path` as an entry; ModelLoadError naming the file when it is not valid."""
    try:
        card = read_card(card_path)
        return ModelEntry(card["name"], Task(card.get("task", "separation")), card_path, card)
    except (ModelsCheckpointError, ValueError) as err:
        raise ModelLoadError(f"The model card {card_path} cannot be read: {err}.") from err


def list_models(task: Task | None = None, folders: list[Path] | None = None) -> list[ModelEntry]:
    """Valid cards in the shipped and user folders; invalid ones are logged and skipped."""
    entries: list[ModelEntry] = []
    for folder in folders or [SHIPPED_MODELS, user_models_dir()]:
        for card_path in sorted(folder.glob("**/*.json")) if folder.is_dir() else []:
            if any(part.startswith(".") for part in card_path.relative_to(folder).parts):
                continue           # an install in progress (or one a crash cut short) is not a model
            try:
                entry = read_entry(card_path)
            except ModelLoadError as err:
                log.warning("skipping model card %s: %s", card_path, err)
                continue
            if task is None or entry.task == task:
                entries.append(entry)
    return entries


def find_model(name: str | None, task: Task, folders: list[Path] | None = None) -> ModelEntry:
    """The named model (a card's name, or the path of a card file), or the first shipped one for the
    task; ModelLoadError lists the choices."""
    if name is not None and name.endswith(".json") and Path(name).is_file():
        return _entry_from_file(Path(name), task)
    entries = list_models(task, folders)
    if not entries:
        raise ModelLoadError(f"No {task} model is installed; expected a card in {SHIPPED_MODELS}.")
    if name is None:
        return entries[0]
    for entry in entries:
        if name in (entry.name, entry.card_path.stem, str(entry.card_path)):
            return entry
    raise ModelLoadError(f"No {task} model named '{name}'; installed: {', '.join(e.name for e in entries)}.")


def _entry_from_file(card_path: Path, task: Task) -> ModelEntry:
    entry = read_entry(card_path.resolve())
    if entry.task != task:
        raise ModelLoadError(f"The model card {card_path} is for {entry.task}, not {task}.")
    return entry


@lru_cache(maxsize=8)
def _load_cached(card_path: Path, mtime: float) -> tuple[nn.Module, dict[str, Any]]:
    from models.common.checkpoint import load

    try:
        return load(card_path)
    except ModelsCheckpointError as err:
        raise CheckpointError(f"The model {card_path.name} cannot be loaded: {err}.") from err


def load_model(entry: ModelEntry) -> nn.Module:
    """The network in eval mode; loaded once per card version and shared (inference only)."""
    model, _ = _load_cached(entry.card_path, entry.card_path.stat().st_mtime)
    apply_model_threads()
    return model
