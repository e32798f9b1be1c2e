"""Torch's CPU threads for model jobs: a preference that must not load torch when the window
opens (over a second), so it is applied now if torch is loaded, else when a model loads."""

from __future__ import annotations

import sys

_chosen = 0                    # 0: torch's own choice
_torch_default: int | None = None  # torch's count before this module first changed it


def set_model_threads(count: int) -> None:
    global _chosen
    _chosen = count
    if "torch" in sys.modules:
        apply_model_threads()


def apply_model_threads() -> None:
    """Set torch's thread count to the preference (back to torch's own after 0). A process
    that never chose one, such as the command line with its --threads, is left alone."""
    global _torch_default
    import torch

    if _chosen and _torch_default is None:
        _torch_default = torch.get_num_threads()
    if _torch_default is not None:
        torch.set_num_threads(_chosen or _torch_default)
