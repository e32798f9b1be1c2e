"""What a bug report or a paper's methods section needs: versions, folders and the installed models.

The Help menu's About box and `meco-studio about` print the same report, so a user can paste
exactly which card (steps, device, weights hash) produced the numbers they quote.
"""

from __future__ import annotations

import platform
import sys

from app import __version__
from app.engine.paths import app_data_dir
from app.engine.pipeline import list_models, user_models_dir
from app.engine.recovery import recovery_dir


def _portaudio() -> str:
    try:
        import sounddevice as sd
    except OSError as err:
        return f"not available ({err})"
    return sd.get_portaudio_version()[1]


def environment(extra: list[tuple[str, str]] | None = None) -> list[tuple[str, str]]:
    """(what, version or place) pairs; `extra` adds what only the caller knows (the GUI's Qt)."""
    import numpy as np
    import soundfile as sf
    import torch

    cuda = f"CUDA {torch.version.cuda}, {torch.cuda.device_count()} device(s)" if torch.cuda.is_available() \
        else "CPU only"
    return [("MeCo Studio", __version__),
            ("Python", sys.version.split()[0]),
            ("Platform", platform.platform()),
            ("torch", f"{torch.__version__} ({cuda}, {torch.get_num_threads()} threads)"),
            ("numpy", np.__version__),
            ("libsndfile", sf.__libsndfile_version__),
            ("PortAudio", _portaudio()),
            *(extra or []),
            ("Data folder", str(app_data_dir())),
            ("User models", str(user_models_dir())),
            ("Autosaves", str(recovery_dir()))]


def model_rows() -> list[dict]:
    """Every installed card, as `meco-studio models` lists it, with where and how long it trained."""
    rows = []
    for entry in list_models():
        training = entry.card.get("training", {})
        rows.append({"name": entry.name, "task": str(entry.task), "architecture": entry.card["architecture"],
                     "parameters": entry.card.get("parameters"), "sample_rate": entry.sample_rate,
                     "steps": training.get("steps"), "device": training.get("device"),
                     "sha256": entry.card.get("weights", {}).get("sha256"), "card": str(entry.card_path)})
    return rows


def model_line(row: dict) -> str:
    trained = f", {row['steps']} steps" if row["steps"] else ""
    trained += f" on {row['device']}" if row["device"] else ""
    sha = f", sha256 {row['sha256'][:12]}…" if row["sha256"] else ""
    return f"{row['task']}: {row['name']} ({row['architecture']}, {(row['parameters'] or 0) / 1e6:.2f} M parameters" \
           f"{trained}{sha})"


def about_text(extra: list[tuple[str, str]] | None = None) -> str:
    pairs = environment(extra)
    width = max(len(what) for what, _ in pairs)
    lines = [f"{what:<{width}}  {value}" for what, value in pairs]
    rows = model_rows()
    lines += ["", "Installed models:"] + ([f"  {model_line(row)}" for row in rows] or ["  none"])
    return "\n".join(lines)
