"""How a corrector is sampled and what each way costs, known without loading torch: the app's
settings and command line name the modes before any model runs."""

from __future__ import annotations

from enum import StrEnum


class InferenceMode(StrEnum):
    ONE_STEP = "one-step"
    EULER = "euler"
    FROM_HALF = "from-half"


def evaluations(mode: InferenceMode, steps: int) -> int:
    """Network evaluations (NFE) a mode costs."""
    return steps if mode is InferenceMode.EULER else 1
