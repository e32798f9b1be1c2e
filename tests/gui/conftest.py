"""GUI fixtures: a fresh main window on clean settings, and speech-like recordings in any format."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from PySide6.QtCore import QSettings

from app.engine.demo import DEMO_DIR
from app.gui.app import configure_application
from app.gui.main_window import MainWindow
from app.gui.settings import APPLICATION, ORGANISATION

DEMO_MEETING = DEMO_DIR / "meeting-respeaker4" / "mixture.flac"


def speech_like(seconds: float, channels: int, rate: int) -> np.ndarray:
    """(frames, channels): two harmonic 'voices' with vibrato and syllable gating, plus noise."""
    t = np.arange(int(seconds * rate)) / rate
    voices = []
    for f0, phase in ((120.0, 0.0), (210.0, 1.3)):
        pitch = f0 * (1 + 0.04 * np.sin(2 * np.pi * 5 * t + phase))
        angle = 2 * np.pi * np.cumsum(pitch) / rate
        harmonics = sum(np.sin(k * angle) / k for k in range(1, 12))
        voices.append(harmonics * (np.sin(2 * np.pi * 3 * t + phase) > 0))
    noise = 0.01 * np.random.default_rng(0).standard_normal((t.size, channels))
    mix = np.stack([0.15 * voices[0] + 0.1 * (c + 1) / channels * voices[1] for c in range(channels)], axis=1)
    return (mix + noise).astype(np.float32)


@pytest.fixture
def make_recording(tmp_path: Path):
    def make(name: str = "meeting.wav", seconds: float = 3.0, channels: int = 4, rate: int = 16_000,
             fmt: str | None = None, subtype: str | None = None) -> Path:
        path = tmp_path / name
        sf.write(path, speech_like(seconds, channels, rate), rate, format=fmt, subtype=subtype)
        return path
    return make


@pytest.fixture
def window(qtbot, qapp) -> MainWindow:
    configure_application(qapp)
    QSettings(ORGANISATION, APPLICATION).clear()
    win = MainWindow()
    win.resize(1200, 800)
    qtbot.addWidget(win, before_close_func=close_quietly)
    win.show()
    qtbot.waitExposed(win)
    return win


def close_quietly(window: MainWindow) -> None:
    """What a user answering Discard to every question would do, before pytest-qt closes the window
    (ahead of the fixtures' own teardown): a window that asked instead would stay open, its threads
    and jobs running on after the test, and be deleted under them."""
    window.sessions.discard_changes()
    window.jobs.shutdown()


def open_and_draw(qtbot, window: MainWindow, path: Path) -> None:
    """Open `path` and wait until its spectrogram for the current view is complete on screen."""
    assert window.open_path(path)
    wait_for_image(qtbot, window)


def wait_for_image(qtbot, window: MainWindow) -> None:
    window.view.request_redraw()           # pending layout changes asked for a redraw: take it now
    qtbot.waitUntil(lambda: window.view.up_to_date, timeout=15_000)


@pytest.fixture(scope="session")
def tiny_dispatch_cards() -> list[Path]:
    """A seeded untrained tiny teacher and two tiny students (an L2 and an MSSP selection)."""
    import torch

    from app.engine.pipeline import user_models_dir
    from models.common import checkpoint
    from models.dispatch.losses import StudentVariant, variant_config
    from models.enhancers.student import GtcrnStudent, StudentConfig
    from models.enhancers.teacher import BandAttentionTeacher, TeacherConfig

    folder = user_models_dir()
    folder.mkdir(parents=True, exist_ok=True)
    cards = []
    for seed, (name, build, training) in enumerate([
        ("tiny-teacher",
         lambda: BandAttentionTeacher(TeacherConfig(channels=16, blocks=1, heads=2, head_factor=1)), {}),
        ("tiny-S3", lambda: GtcrnStudent(StudentConfig(channels=8)),
         {"variant": "dispatch-l2", "kd": variant_config(StudentVariant.DISPATCH_L2).to_dict()}),
        ("tiny-S5", lambda: GtcrnStudent(StudentConfig(channels=8)),
         {"variant": "dfkd-dispatch-mssp", "kd": variant_config(StudentVariant.DFKD_DISPATCH_MSSP).to_dict()}),
    ]):
        torch.manual_seed(seed)
        model = build()
        card = folder / f"{name}.json"
        checkpoint.save(model, card, {"name": name, "architecture": type(model).__name__, "task": "enhancement",
                                      "config": model.config.to_dict(), "sample_rate": 16000,
                                      "training": {"device": "cpu", **training}})
        cards.append(card)
    return cards


@pytest.fixture
def demo_window(window, qtbot, tiny_separator_card):
    """The window on the 4-mic demo meeting, with the tiny test models chosen."""
    window.stored.set_chunk_seconds(1.0)            # ten chunks: progress and cancel points to see
    window.stored.set_model("separation", "tiny-separator")
    window.stored.set_model("correction", "tiny-meco")
    open_and_draw(qtbot, window, DEMO_MEETING)
    return window
