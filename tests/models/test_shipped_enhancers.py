"""The shipped DISPatch teacher and students (issue #7): what ships, and the inspector's maps on
the demo recording checked against an independent numpy computation."""

from __future__ import annotations

import json

import numpy as np
import pytest
import soundfile as sf

from app.engine.demo import DEMO_DIR
from app.engine.pipeline import SHIPPED_MODELS
from models.common import checkpoint
from models.dispatch.inspect import enhance, inspect_models, inspection_config
from models.dispatch.losses import StudentVariant
from models.enhancers.bench import macs_per_second, parameters
from models.enhancers.student import GtcrnStudent  # noqa: F401  (registers the architectures)
from models.enhancers.teacher import BandAttentionTeacher  # noqa: F401

ENHANCERS = SHIPPED_MODELS / "enhancer"
SECONDS = 4


def cards() -> dict[str, dict]:
    return {p.stem: json.loads(p.read_text()) for p in sorted(ENHANCERS.glob("*.json"))}


def students() -> dict[StudentVariant, str]:
    return {StudentVariant(c["training"]["variant"]): name for name, c in cards().items() if "variant" in c["training"]}


def teacher_name() -> str:
    return next(name for name, c in cards().items() if "variant" not in c["training"])


def numpy_magnitude(wave: np.ndarray) -> np.ndarray:
    """|STFT| (257, frames): 512-point periodic Hann, hop 128, centred with reflection, as torch.stft."""
    padded = np.pad(wave.astype(np.float64), 256, mode="reflect")
    frames = wave.size // 128 + 1
    index = np.arange(512)[None] + 128 * np.arange(frames)[:, None]
    window = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(512) / 512)
    return np.abs(np.fft.rfft(padded[index] * window, axis=1)).T


@pytest.fixture(scope="module")
def demo_clip() -> tuple[np.ndarray, np.ndarray]:
    """Channel 1 of the 4-mic demo as the noisy input, talker 1's clean reference as the target."""
    mixture, rate = sf.read(DEMO_DIR / "meeting-respeaker4" / "mixture.flac", dtype="float32", frames=SECONDS * 16_000)
    clean, _ = sf.read(DEMO_DIR / "meeting-respeaker4" / "talker1.flac", dtype="float32", frames=SECONDS * 16_000)
    assert rate == 16_000
    return mixture[:, 0], clean if clean.ndim == 1 else clean[:, 0]


def test_a_teacher_and_the_five_students_ship():
    assert set(students()) == set(StudentVariant)
    teacher, _ = checkpoint.load(ENHANCERS / f"{teacher_name()}.json")
    assert 1e6 <= parameters(teacher) <= 3e6
    for name in students().values():
        student, card = checkpoint.load(ENHANCERS / f"{name}.json")
        assert parameters(student) <= 100_000
        assert macs_per_second(teacher) >= 10 * macs_per_second(student)
        assert card["training"]["reproduce"].startswith("python -m models.train.distill train")


def test_the_l2_students_map_on_the_demo_matches_an_independent_computation(demo_clip):
    noisy, clean = demo_clip
    teacher, _ = checkpoint.load(ENHANCERS / f"{teacher_name()}.json")
    student, card = checkpoint.load(ENHANCERS / f"{students()[StudentVariant.DISPATCH_L2]}.json")
    config = inspection_config(card)
    maps = inspect_models(teacher, student, noisy, clean, config)

    t_mag, s_mag, y_mag = (numpy_magnitude(x) for x in (enhance(teacher, noisy), enhance(student, noisy), clean))
    frames = SECONDS * 16_000 // 128 + 1
    assert maps.score_bins.shape == (257, frames)
    np.testing.assert_allclose(maps.spectrograms_db["student"][10:200], 20 * np.log10(s_mag[10:200] + 1e-8),
                               atol=0.05)
    sb = config.patch_bins
    for patch in (1, 4, 9):
        rows = slice(patch * sb, (patch + 1) * sb)
        expected = ((s_mag[rows] - y_mag[rows]) ** 2).mean(0) - ((t_mag[rows] - y_mag[rows]) ** 2).mean(0)
        np.testing.assert_allclose(maps.grids[0].knowledge_gap_score[patch], expected,
                                   rtol=1e-3, atol=1e-3 * np.abs(expected).max())
    grid = maps.grids[0]
    kept, dropped = grid.knowledge_gap_score[grid.keep_mask], grid.knowledge_gap_score[~grid.keep_mask]
    assert abs(grid.keep_mask.mean() - config.keep_ratio) < 0.01
    assert kept.min() >= dropped.max()                     # top-k: every kept patch gaps at least as much


def test_the_mssp_students_map_on_the_demo_has_two_bands_split_per_frame(demo_clip):
    noisy, clean = demo_clip
    teacher, _ = checkpoint.load(ENHANCERS / f"{teacher_name()}.json")
    student, card = checkpoint.load(ENHANCERS / f"{students()[StudentVariant.DFKD_DISPATCH_MSSP]}.json")
    maps = inspect_models(teacher, student, noisy, clean, inspection_config(card))
    assert [(g.band, g.patch_bins) for g in maps.grids] == [("low", 10), ("high", 40)]
    assert ((maps.split_bin >= 0) & (maps.split_bin < 257)).all() and len(np.unique(maps.split_bin)) > 1
    for grid in maps.grids:
        assert not (grid.keep_mask & ~grid.eligible).any()        # only patches in the band are distilled
    assert 0.75 <= maps.kept_share <= 0.9
