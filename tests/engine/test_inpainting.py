"""A short stretch redrawn from the sound either side: a click or a dropout gone, the waveform close
to what was there, everything else untouched; stretches too long for it refused by name."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from app.engine.demo import DEMO_DIR
from app.engine.documents import Version, VersionKind
from app.engine.errors import ConfigError
from app.engine.inpainting import MAX_REPAIR_SECONDS, REPAIRED_SUFFIX, repair_job, repaired_version
from app.engine.jobs import drive
from models.metrics.speech import snr

RATE = 16_000


def version(audio: np.ndarray) -> Version:
    return Version("Separated · talker 1", 0, VersionKind.SEPARATED, audio.astype(np.float32), RATE, "sep", {})



@pytest.fixture(scope="module")
def talker() -> np.ndarray:
    return sf.read(DEMO_DIR / "meeting-respeaker4" / "talker1.flac", dtype="float32")[0][:6 * RATE]


def test_a_dropout_in_speech_is_redrawn_close_to_what_was_there(talker):
    voiced = int(np.argmax(np.abs(talker)))                      # in the middle of a loud vowel
    lo, hi = voiced - 40, voiced + 40                            # 5 ms
    broken = talker.copy()
    broken[lo:hi] = 0
    repaired = drive(repaired_version(version(broken), (lo / RATE, hi / RATE)))
    assert snr(repaired.audio[lo:hi], talker[lo:hi]) > 3      # the zeros are at 0 dB
    np.testing.assert_array_equal(repaired.audio[:lo], broken[:lo])
    np.testing.assert_array_equal(repaired.audio[hi:], broken[hi:])


def test_a_click_on_a_tone_is_taken_away():
    t = np.arange(RATE) / RATE
    tone = (0.3 * np.sin(2 * np.pi * 330 * t)).astype(np.float32)
    clicked = tone.copy()
    clicked[8000:8016] += 0.8
    repaired = drive(repaired_version(version(clicked), (8000 / RATE, 8016 / RATE)))
    assert np.abs(repaired.audio - tone).max() < 0.05


def test_the_repair_is_named_and_recorded():
    noisy = version(0.01 * np.random.default_rng(0).standard_normal(RATE))
    (repaired,) = drive(repair_job([noisy], (0.5, 0.51)))
    assert repaired.name == noisy.name + REPAIRED_SUFFIX and repaired.settings["mended_from"] == noisy.id
    assert repaired.settings["repaired_seconds"] == [[0.5, 0.51]]
    (again,) = drive(repair_job([repaired], (0.2, 0.21)))
    assert again.name == repaired.name and len(again.settings["repaired_seconds"]) == 2


def test_a_stretch_too_long_to_redraw_is_refused():
    with pytest.raises(ConfigError, match=f"select at most {1000 * MAX_REPAIR_SECONDS:g} ms"):
        drive(repaired_version(version(np.zeros(RATE)), (0.1, 0.2)))


def test_a_stretch_past_the_end_holds_nothing_to_repair():
    with pytest.raises(ConfigError, match="holds no audio"):
        drive(repaired_version(version(np.zeros(RATE)), (1.5, 1.51)))
