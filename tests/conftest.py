"""Test-wide setup: Qt offscreen, ALSA's null device as the default sound card, isolated settings.

These environment variables must be set before Qt or PortAudio initialise, hence module level.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np

_TEST_HOME = Path(tempfile.mkdtemp(prefix="meco-test-home-"))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["XDG_CONFIG_HOME"] = str(_TEST_HOME / "config")
os.environ["XDG_STATE_HOME"] = str(_TEST_HOME / "state")
os.environ["XDG_CACHE_HOME"] = str(_TEST_HOME / "cache")
os.environ["XDG_DATA_HOME"] = str(_TEST_HOME / "data")
os.environ["MECO_CACHE"] = str(_TEST_HOME / "meco-cache")   # tests never see a developer's corpus

# A real PortAudio device without sound hardware: ALSA reads its usual config, then ours,
# which makes the default PCM the null device: PortAudio opens and runs a real stream whose
# frames are discarded (the null PCM is not paced by a clock, so callbacks run back to back).
# A second PCM, TEST_ARRAY_DEVICE, records a 4-mic array whose channel k is a sine at
# TEST_ARRAY_TONES_HZ[k]: ALSA's file plugin reads it from 1 s of raw samples (takes in tests are shorter).
# A third, TEST_PAIR_DEVICE, is a second recorder (a stereo USB microphone) for takes from two devices.
TEST_ARRAY_DEVICE = "meco_test_array"
TEST_ARRAY_RATE = 16_000
TEST_ARRAY_TONES_HZ = (250.0, 500.0, 1000.0, 2000.0)
TEST_PAIR_DEVICE = "meco_test_pair"
TEST_PAIR_TONES_HZ = (3000.0, 4000.0)


def _tone_device(name: str, tones_hz: tuple[float, ...], description: str) -> str:
    """An ALSA PCM recording one sine per channel, read from a raw file written here."""
    raw = _TEST_HOME / f"{name}.raw"
    t = np.arange(TEST_ARRAY_RATE) / TEST_ARRAY_RATE
    (0.5 * 32767 * np.stack([np.sin(2 * np.pi * f * t) for f in tones_hz], axis=1)).astype("<i2").tofile(raw)
    return f"""pcm.{name} {{
  type plug
  slave {{
    pcm {{ type file; slave.pcm null; file "/dev/null"; infile "{raw}"; format raw }}
    format S16_LE
    channels {len(tones_hz)}
    rate {TEST_ARRAY_RATE}
  }}
  hint {{ show on; description "{description}" }}
}}
"""


_ASOUND = _TEST_HOME / "asound-null.conf"
_ASOUND.write_text("pcm.!default { type null }\nctl.!default { type hw card 0 }\n"
                   + _tone_device(TEST_ARRAY_DEVICE, TEST_ARRAY_TONES_HZ, "MeCo Studio test array")
                   + _tone_device(TEST_PAIR_DEVICE, TEST_PAIR_TONES_HZ, "MeCo Studio test pair"))
_SYSTEM_ALSA = "/usr/share/alsa/alsa.conf"
if os.path.exists(_SYSTEM_ALSA):
    os.environ["ALSA_CONFIG_PATH"] = f"{_SYSTEM_ALSA}:{_ASOUND}"

# DNSMOS repeats a clip shorter than its 9.01 s window end to end (doubling it) and scores a
# window a second: a 2 s clip becomes 16 s, seven windows, while 2.3 s becomes 9.2 s, one window.
# Tests whose subject is not DNSMOS score clips of this length.
DNSMOS_ONE_WINDOW_S = 2.3
REPO_ROOT = Path(__file__).resolve().parents[1]

import pytest  # noqa: E402


GLOO_TEARDOWN_ABORT = "terminate called without an active exception"


def run_two_gloo_processes(args: list[str], timeout_seconds: float = 300):
    """`torchrun --nproc_per_node 2 ARGS...` from the repository root on one thread each, as users
    start a recipe; `subprocess.CompletedProcess` with the output captured.

    A gloo process rarely aborts on its way out before saying anything (about 1 run in 30 under
    the full suite, none in isolation); that exact abort is run once more rather than failing CI.
    """
    import subprocess
    import sys

    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "OMP_NUM_THREADS": "1"}
    command = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", *args]
    run = subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=timeout_seconds)
    if run.returncode != 0 and run.stderr.startswith(GLOO_TEARDOWN_ABORT):
        run = subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, text=True,
                             timeout=timeout_seconds)
    return run


def write_tiny_fixed_set(folder: Path, items: int = 2) -> Path:
    """A fixed in-domain set of `items` 1.5 s two-talker mixtures (2-4 mics) from synthetic speech."""
    from dataclasses import replace

    from models.data.fixedsets import FixedSet, fixed_set_config, write_fixed_set
    from models.data.mixtures import MixtureSimulator
    from models.data.noise import NoisePool
    from models.data.speech import SpeechPool

    speech = SpeechPool.synthetic()
    config = replace(fixed_set_config(FixedSet.IN_DOMAIN, seconds=1.5), talkers=(2, 2), mics=(2, 4))
    for _ in write_fixed_set(MixtureSimulator(config, speech, NoisePool(speech)), folder, items, 7):
        pass
    return folder


@pytest.fixture(autouse=True)
def scores_start_afresh():
    """Each test scores its own clips: the app's memo of metrics (`app.engine.score_memo`) holds
    nothing from an earlier test, so a job a test times really scores."""
    from app.engine.score_memo import scored

    scored.clear()


@pytest.fixture(params=[0o022, 0o027])
def umask(request) -> int:
    """The process's umask set to a common value for one test, and restored after it."""
    old = os.umask(request.param)
    yield request.param
    os.umask(old)


def mode_of(path: Path) -> int:
    import stat

    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(scope="session")
def tiny_separator_card() -> Path:
    """A seeded, untrained tiny separator installed in the (test) user model folder."""
    import torch

    from app.engine.pipeline import user_models_dir
    from models.common import checkpoint
    from models.separator.network import SeparatorConfig, TacBandSeparator

    torch.manual_seed(0)
    config = SeparatorConfig(channels=16, blocks=1)
    card = user_models_dir() / "tiny-separator.json"
    card.parent.mkdir(parents=True, exist_ok=True)
    checkpoint.save(TacBandSeparator(config), card, {"name": "tiny-separator", "architecture": "TacBandSeparator",
                                                     "task": "separation", "config": config.to_dict(),
                                                     "sample_rate": 16000})
    return card


@pytest.fixture(scope="session")
def tiny_meco_card() -> Path:
    """A seeded, untrained tiny MeCo corrector installed in the (test) user model folder."""
    import torch

    from app.engine.pipeline import user_models_dir
    from models.common import checkpoint
    from models.meco.corrector import MeanFlowCorrector, MecoConfig
    from models.meco.network import UNetConfig

    torch.manual_seed(0)
    config = MecoConfig(unet=UNetConfig(channels=(8, 16), mic_features=4, fourier_features=8))
    card = user_models_dir() / "tiny-meco.json"
    card.parent.mkdir(parents=True, exist_ok=True)
    checkpoint.save(MeanFlowCorrector(config), card, {
        "name": "tiny-meco", "architecture": "MeanFlowCorrector", "task": "correction", "config": config.to_dict(),
        "sample_rate": 16_000, "inference": {"mode": "one-step", "steps": 1, "seed": 1234, "nfe": 1}})
    return card


@pytest.fixture(scope="session")
def tiny_student_card() -> Path:
    """A seeded, untrained tiny GTCRN-class student installed in the (test) user model folder."""
    import torch

    from app.engine.pipeline import user_models_dir
    from models.common import checkpoint
    from models.enhancers.student import GtcrnStudent, StudentConfig

    torch.manual_seed(0)
    model = GtcrnStudent(StudentConfig(channels=8))
    card = user_models_dir() / "tiny-student.json"
    card.parent.mkdir(parents=True, exist_ok=True)
    checkpoint.save(model, card, {"name": "tiny-student", "architecture": "GtcrnStudent", "task": "enhancement",
                                  "config": model.config.to_dict(), "sample_rate": 16000,
                                  "training": {"device": "cpu", "variant": "no-kd"}, "metrics": {"valid_pesq_wb": 1.0}})
    return card
