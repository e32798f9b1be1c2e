"""The teacher and the GTCRN-class student: budgets, band plans, level and channel behaviour, cards."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.nn import functional as F

from models.common import checkpoint
from models.enhancers.base import MaskingEnhancer, torch_threads
from models.enhancers.bench import macs_per_second, parameters, real_time_factors
from models.enhancers.student import (ErbBands, GroupedTemporalConv, GtcrnStudent, StudentConfig, UpsampleConv,
                                       erb_filters, subband_features)
from models.enhancers.teacher import BandAttentionTeacher, TeacherConfig

TINY_STUDENT = StudentConfig(channels=8)
TINY_TEACHER = TeacherConfig(channels=16, blocks=1, heads=2, head_factor=1)


@pytest.fixture(autouse=True)
def one_thread():
    """As the engine and recipes run them (`MaskingEnhancer.inference_threads`)."""
    with torch_threads(MaskingEnhancer.inference_threads):
        yield


@pytest.fixture(params=["student", "teacher"])
def tiny(request):
    torch.manual_seed(0)
    return (GtcrnStudent(TINY_STUDENT) if request.param == "student" else BandAttentionTeacher(TINY_TEACHER)).eval()


def test_default_sizes_meet_the_issue_budgets():
    student, teacher = GtcrnStudent(), BandAttentionTeacher()
    assert parameters(student) <= 100_000
    assert 1_000_000 <= parameters(teacher) <= 3_000_000
    assert macs_per_second(teacher) >= 10 * macs_per_second(student)


def test_erb_bands_cover_the_upper_bins_and_invert_a_flat_spectrum():
    filters = erb_filters(65, 64, 257, 16_000)
    assert filters.shape == (64, 192)
    np.testing.assert_allclose(filters.sum(axis=0), 1.0, atol=1e-9)      # every merged bin is fully used
    assert (filters.sum(axis=1) > 0).all()                               # every band sees some bin
    bands = ErbBands(StudentConfig())
    flat = torch.full((2, 257), 3.0)
    np.testing.assert_allclose(bands.split(bands.merge(flat)).numpy(), 3.0, rtol=1e-5)


def test_the_polyphase_upsampling_equals_a_convolution_over_zero_stuffed_bands():
    torch.manual_seed(0)
    conv = UpsampleConv(4, 6, (1, 5), padding=(0, 2), groups=2)
    x = torch.randn(2, 4, 7, 9)
    stuffed = torch.zeros(2, 4, 7, 17)
    stuffed[..., ::2] = x
    expected = F.conv2d(stuffed, conv.weight, conv.bias, padding=(0, 2), groups=2)
    torch.testing.assert_close(conv(x), expected)


def test_the_neighbour_convolution_equals_the_pointwise_one_on_stacked_neighbours():
    torch.manual_seed(0)
    block = GroupedTemporalConv(8, dilation=2).eval()
    a, b = torch.randn(1, 8, 11, 9).chunk(2, dim=1)
    stacked = block.net(subband_features(a))
    expected = torch.cat([stacked, b], dim=1).reshape(1, 2, 4, 11, 9).transpose(1, 2).reshape(1, 8, 11, 9)
    torch.testing.assert_close(block(torch.cat([a, b], dim=1)), expected)


def test_teacher_bands_cover_every_bin_once():
    widths = TeacherConfig().band_widths()
    assert sum(widths) == 257 and len(widths) == 32 and widths[-1] == 17


@pytest.mark.parametrize("samples", [16_000, 12_345])
def test_output_has_the_input_shape(tiny, samples):
    with torch.no_grad():
        out = tiny(torch.randn(2, 3, samples))
    assert out.shape == (2, 3, samples) and torch.isfinite(out).all()


def test_output_follows_the_input_level(tiny):
    x = torch.randn(1, 1, 16_000) * 0.1
    with torch.no_grad():
        torch.testing.assert_close(tiny(0.01 * x), 0.01 * tiny(x), atol=1e-6, rtol=1e-3)


def test_channels_are_enhanced_independently(tiny):
    x = torch.randn(1, 2, 16_000)
    with torch.no_grad():
        torch.testing.assert_close(tiny(x)[:, 1:], tiny(x[:, 1:]), atol=1e-5, rtol=1e-4)


def test_a_saved_card_rebuilds_the_same_network(tmp_path, tiny):
    card = checkpoint.save(tiny, tmp_path / "enh.json", {"name": "enh", "architecture": type(tiny).__name__,
                                                          "task": "enhancement", "config": tiny.config.to_dict(),
                                                          "sample_rate": 16_000, "training": {"device": "cpu"}})
    loaded, read = checkpoint.load(tmp_path / "enh.json")
    x = torch.randn(1, 1, 8_000)
    with torch.no_grad():
        torch.testing.assert_close(loaded(x), tiny(x))
    assert read["training"]["device"] == "cpu" and read["parameters"] == card["parameters"]


def test_every_model_gets_a_real_time_factor_from_the_same_interleaved_rounds():
    torch.manual_seed(0)
    models = {"student": GtcrnStudent(TINY_STUDENT), "teacher": BandAttentionTeacher(TINY_TEACHER)}
    rtf = real_time_factors(models, seconds=1.0, repeats=2)
    assert set(rtf) == {"student", "teacher"} and all(0 < v < 10 for v in rtf.values())
