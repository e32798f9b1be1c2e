"""Small pools shared by the data-engine tests: synthetic voices, no corpus or packages needed."""

from __future__ import annotations

import pytest

from models.data.noise import NoisePool
from models.data.speech import SpeechPool, Split


@pytest.fixture(scope="session")
def speech_pool() -> SpeechPool:
    return SpeechPool.synthetic({Split.TRAIN: 6, Split.VALID: 2, Split.TEST: 3}, utterances_per_voice=2)


@pytest.fixture(scope="session")
def noise_pool(speech_pool: SpeechPool) -> NoisePool:
    return NoisePool(speech_pool)
