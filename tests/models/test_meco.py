"""MeCo's model pieces as specifications: features, path schedules, JVP target, losses, sampler, network."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest
import torch

from models.common import checkpoint
from models.enhancers.base import torch_threads
from models.meco.corrector import MeanFlowCorrector, MecoConfig, chunk_function
from models.meco.features import SpectralConfig, SpectralFeatures
from models.meco.flow import MeanFlowConfig, conditional_velocity, gamma_at, interpolate, sample_times
from models.meco.network import AverageVelocityUNet, UNetConfig
from models.meco.objective import DsoConfig, JvpMethod, dso_loss, loss_weights, meanflow_target, time_derivative
from models.meco.modes import InferenceMode, evaluations
from models.train.meco import Variant

TINY = MecoConfig(spectral=SpectralConfig(n_fft=126, hop=64),
                  unet=UNetConfig(channels=(8, 16), mic_features=4, fourier_features=8))
SAMPLES = 15 * 64           # 16 STFT frames of 64 bins

# torch.func.jvp scripts its decompositions with torch.jit.script on first use; torch's own warning.
pytestmark = pytest.mark.filterwarnings("ignore:`torch.jit.script` is deprecated:DeprecationWarning")


@pytest.fixture(autouse=True)
def one_thread():
    """Tiny networks run fastest on one thread on the shared 2-core CPU (as the enhancer tests do)."""
    with torch_threads(1):
        yield


def _speechlike(batch: int, samples: int = SAMPLES, seed: int = 0) -> torch.Tensor:
    """Harmonic tones with a syllable-rate envelope: structure a corrector can learn quickly."""
    g = torch.Generator().manual_seed(seed)
    t = torch.arange(samples) / 16_000
    f0 = 100 + 100 * torch.rand(batch, 1, generator=g)
    wave = sum(torch.sin(2 * math.pi * k * f0 * t) / k for k in range(1, 6))
    return 0.1 * wave * torch.sin(2 * math.pi * 3 * t).abs()


def _model(seed: int = 0) -> MeanFlowCorrector:
    torch.manual_seed(seed)
    model = MeanFlowCorrector(TINY)
    for p in model.parameters():          # leave the zero-initialised convs' identity start
        torch.nn.init.normal_(p, std=0.05) if p.dim() > 1 else None
    return model


def test_features_decode_what_they_encode():
    features = SpectralFeatures(SpectralConfig())
    wave = _speechlike(2, samples=15 * 256)
    np.testing.assert_allclose(features.decode(features.encode(wave), 15 * 256).numpy(), wave.numpy(), atol=1e-5)
    assert features.encode(wave).shape == (2, 2, 256, 16)


def test_path_runs_from_clean_at_0_to_estimate_plus_noise_at_1_with_constant_velocity():
    x, y, z = torch.randn(3, 4, 2, 8, 8).unbind(0)
    sigma = 0.487
    np.testing.assert_allclose(interpolate(x, y, z, torch.zeros(4), sigma), x)
    np.testing.assert_allclose(interpolate(x, y, z, torch.ones(4), sigma), y + sigma * z, rtol=1e-6)
    t0, t1 = torch.full((4,), 0.3), torch.full((4,), 0.7)
    slope = (interpolate(x, y, z, t1, sigma) - interpolate(x, y, z, t0, sigma)) / 0.4
    np.testing.assert_allclose(slope, conditional_velocity(x, y, z, sigma), atol=1e-5)


def test_gamma_anneals_from_8_to_1_over_the_first_70_percent():
    config = MeanFlowConfig()
    assert [gamma_at(p, config) for p in (0.0, 0.35, 0.7, 1.0)] == pytest.approx([8.0, 4.5, 1.0, 1.0])


def test_sampled_times_keep_order_and_a_tenth_have_r_equal_t():
    config = MeanFlowConfig()
    r, t = sample_times(40_000, 1.0, config, torch.Generator().manual_seed(0))
    assert t.min() > config.t_min and t.max() <= 1.0
    assert (r >= config.t_min - 1e-7).all() and (r <= t).all()
    assert (r == t).float().mean().item() == pytest.approx(0.1, abs=0.01)
    # The jump covers U^gamma of [t_min, t] in 90 % of draws: gamma = 1 late, E[U^8] = 1/9 early.
    assert ((t - r) / (t - config.t_min)).mean().item() == pytest.approx(0.9 * 0.5, abs=0.01)
    r0, t0 = sample_times(40_000, 0.0, config, torch.Generator().manual_seed(1))
    assert ((t0 - r0) / (t0 - config.t_min)).mean().item() == pytest.approx(0.9 / 9, abs=0.01)


@pytest.mark.parametrize("progress, expected", [(0.0, (1.0, 0.0, 1.0)), (0.05, (1.0, 0.0, 1.0)),
                                                (0.1, (0.95, 0.05, 1.0)), (0.25, (0.875, 0.125, 1.0)),
                                                (0.5, (0.75, 0.25, 1.0)), (1.0, (0.75, 0.25, 1.0))])
def test_loss_weights_ramp_the_xr_loss_to_a_quarter_over_the_first_half(progress, expected):
    w = loss_weights(progress, DsoConfig())
    flow_only = expected[1] == 0.0
    assert (w.flow, w.xr, w.endpoint) == pytest.approx((1.0, 0.0, 0.0) if flow_only else expected)


def test_variants_switch_the_objective_as_named():
    assert loss_weights(0.8, Variant.NO_ENDPOINT.objective()).endpoint == 0.0
    assert loss_weights(0.8, Variant.FLOW_MATCHING.objective()) == loss_weights(0.0, DsoConfig())
    assert Variant.EXACT_C.objective().coefficient == 1.0 and DsoConfig().coefficient == 0.5
    assert not Variant.NO_XR_SCALING.objective().xr_scaling
    assert Variant.FLOW_MATCHING.inference() == (InferenceMode.EULER, 5)
    assert evaluations(*Variant.FULL_DSO.inference()) == 1 and evaluations(*Variant.FLOW_MATCHING.inference()) == 5


def test_jvp_target_agrees_with_a_finite_difference_on_a_tiny_network():
    model = _model().double()
    est, mix = _speechlike(2, seed=1).double(), torch.stack([_speechlike(2, seed=2), _speechlike(2, seed=3)], 1)
    cond = model.condition(est, mix.double())
    cond.estimate, cond.mixture = cond.estimate.double(), cond.mixture.double()
    g = torch.Generator().manual_seed(0)
    state = torch.randn(cond.estimate.shape, generator=g, dtype=torch.float64)
    tangent = torch.randn(cond.estimate.shape, generator=g, dtype=torch.float64)
    r, t = torch.tensor([0.2, 0.5], dtype=torch.float64), torch.tensor([0.6, 0.9], dtype=torch.float64)
    config = DsoConfig(jvp_clip=1e9)
    exact = time_derivative(model.velocity(cond), state, r, t, tangent, config)
    difference = time_derivative(model.velocity(cond), state, r, t, tangent,
                                 DsoConfig(jvp=JvpMethod.CENTRAL_DIFFERENCE, jvp_clip=1e9, jvp_step=1e-7))
    assert exact.abs().max() > 1e-3
    np.testing.assert_allclose(exact.numpy(), difference.numpy(), rtol=1e-4, atol=1e-6 * float(exact.abs().max()))
    # u_tgt = v - c (t - r) du/dt, and the JVP is clipped per sample to L2 <= jvp_clip.
    target = meanflow_target(model.velocity(cond), state, r, t, tangent, DsoConfig(coefficient=1.0, jvp_clip=1e9))
    np.testing.assert_allclose(target.numpy(), (tangent - (t - r)[:, None, None, None] * exact).numpy(), rtol=1e-5)
    clipped = time_derivative(model.velocity(cond), state, r, t, tangent, DsoConfig(jvp_clip=1e-3))
    np.testing.assert_allclose(clipped.flatten(1).norm(dim=1).numpy(), [1e-3, 1e-3], rtol=1e-4)


def test_one_step_output_has_the_input_shape_and_repeats_under_a_seed():
    model = _model().eval()
    est, mix = torch.stack([_speechlike(1, seed=1)[0], _speechlike(1, seed=2)[0]])[None], _speechlike(3)[None]
    with torch.inference_mode():
        a = model(est, mix, generator=torch.Generator().manual_seed(7))
        b = model(est, mix, generator=torch.Generator().manual_seed(7))
        c = model(est, mix, generator=torch.Generator().manual_seed(8))
    assert a.shape == (1, 2, SAMPLES) and torch.isfinite(a).all()
    assert torch.equal(a, b) and not torch.equal(a, c)


def test_without_prior_noise_the_output_no_longer_depends_on_the_seed():
    model = _model().eval()
    est, mix = _speechlike(1, seed=1)[None], _speechlike(3)[None]
    with torch.inference_mode():
        a = model(est, mix, generator=torch.Generator().manual_seed(7), noise_scale=0.0)
        b = model(est, mix, generator=torch.Generator().manual_seed(8), noise_scale=0.0)
    assert torch.equal(a, b)


@pytest.mark.parametrize("mode", list(InferenceMode))
def test_every_inference_mode_keeps_the_estimate_level(mode):
    model = _model().eval()
    est, mix = _speechlike(1)[None], _speechlike(2)[None]
    with torch.inference_mode():
        out = model(est, mix, mode, steps=3, generator=torch.Generator().manual_seed(0))
    assert out.shape == est.shape
    # Peak normalisation in and out: the output scales with the input.
    with torch.inference_mode():
        loud = model(10 * est, 10 * mix, mode, steps=3, generator=torch.Generator().manual_seed(0))
    np.testing.assert_allclose(loud.numpy(), 10 * out.numpy(), atol=1e-4 * float(loud.abs().max()))


def test_padded_microphones_are_ignored_through_the_mask():
    model = _model().eval()
    est, mix = _speechlike(1)[None], _speechlike(3)[None]
    padded = torch.cat([mix, torch.randn(1, 2, SAMPLES)], 1)
    mask = torch.tensor([[True, True, True, False, False]])
    with torch.inference_mode():
        plain = model(est, mix, generator=torch.Generator().manual_seed(0))
        masked = model(est, padded, generator=torch.Generator().manual_seed(0), mic_mask=mask)
        one_mic = model(est, mix[:, :1], generator=torch.Generator().manual_seed(0))
    np.testing.assert_allclose(masked.numpy(), plain.numpy(), atol=1e-6)
    assert one_mic.shape == plain.shape


def test_chunk_function_reads_stacked_estimates_and_mixture_and_applies_the_output_gain():
    model = _model().eval()
    est, mix = _speechlike(2)[None], _speechlike(4)[None]
    with torch.inference_mode():
        stacked = chunk_function(model, 2, generator=torch.Generator().manual_seed(3), gain=2.0)(
            torch.cat([est, mix], 1))
        direct = model(est, mix, generator=torch.Generator().manual_seed(3))
    torch.testing.assert_close(stacked, 2.0 * direct)


def test_dso_loss_uses_the_terms_its_weights_name():
    model = _model()
    clean = _speechlike(2)
    est = clean + 0.02 * torch.randn(2, SAMPLES)
    cond = model.condition(est, torch.stack([est, clean], 1))
    clean_features = model.features.encode(clean / cond.scale[:, None])
    early = dso_loss(model, clean_features, cond, clean, 0.0, DsoConfig())
    late = dso_loss(model, clean_features, cond, clean, 1.0, DsoConfig())
    assert early.xr == 0.0 and math.isnan(early.endpoint_si_sdr)
    assert late.xr > 0.0 and math.isfinite(late.endpoint_si_sdr)
    expected = 0.75 * late.flow + 0.25 * late.xr - late.endpoint_si_sdr
    assert float(late.total.detach()) == pytest.approx(expected, rel=1e-4)


def test_a_toy_training_run_lowers_the_loss():
    torch.manual_seed(0)
    model = MeanFlowCorrector(TINY)
    opt = torch.optim.Adam(model.parameters(), 3e-3)
    clean = _speechlike(4)
    est = clean + 0.03 * torch.randn(4, SAMPLES)
    cond = model.condition(est, torch.stack([clean + est, est], 1))
    clean_features = model.features.encode(clean / cond.scale[:, None])

    def loss_on_fixed_draws() -> float:
        """The full DSO loss at 90 % of training on three fixed (r, t, z) draws."""
        return float(np.mean([float(dso_loss(model, clean_features, cond, clean, 0.9, DsoConfig(),
                                             torch.Generator().manual_seed(seed)).total.detach())
                              for seed in range(3)]))

    before = loss_on_fixed_draws()
    for _ in range(12):
        out = dso_loss(model, clean_features, cond, clean, 0.9, DsoConfig())
        opt.zero_grad()
        out.total.backward()
        opt.step()
    assert loss_on_fixed_draws() < 0.85 * before


def test_checkpoint_round_trip_gives_the_same_corrections(tmp_path):
    model = _model().eval()
    path = tmp_path / "meco.json"
    checkpoint.save(model, path, {"name": "meco-test", "architecture": "MeanFlowCorrector", "task": "correction",
                                  "config": TINY.to_dict(), "sample_rate": 16_000})
    loaded, card = checkpoint.load(path)
    est, mix = _speechlike(1)[None], _speechlike(2)[None]
    with torch.inference_mode():
        a = model(est, mix, generator=torch.Generator().manual_seed(0))
        b = loaded(est, mix, generator=torch.Generator().manual_seed(0))
    torch.testing.assert_close(a, b)
    assert MecoConfig.from_dict(card["config"]) == TINY


def test_the_full_resolution_path_carries_every_cell_of_the_state_to_the_output():
    """At t = 1 the ideal velocity is x_t - y plus a smooth correction: white noise in x_t must
    reach the output cell by cell, which the patch stem alone cannot do."""
    unet = AverageVelocityUNet(TINY.unet).eval()
    torch.nn.init.zeros_(unet.head.weight)
    torch.nn.init.zeros_(unet.head.bias)
    with torch.no_grad():
        unet.direct.bias.copy_(torch.tensor([1.0, -1.0]))
        state, estimate = torch.randn(2, 2, 64, 16), torch.randn(2, 2, 64, 16)
        mixture, mask = torch.randn(2, 3, 2, 64, 16), torch.ones(2, 3, dtype=torch.bool)
        for r in (torch.ones(2), torch.full((2,), 0.03)):
            out = unet(state, estimate, mixture, mask, r, torch.ones(2))
            torch.testing.assert_close(out, state - estimate)


GAINS = replace(TINY, unet=replace(TINY.unet, gains=True))


def test_the_gain_path_starts_at_zero_so_a_corrector_without_it_warm_starts_unchanged():
    plain = _model().eval()
    grown = MeanFlowCorrector(GAINS).eval()
    missing, unexpected = grown.load_state_dict(plain.state_dict(), strict=False)
    assert not unexpected and missing and all(k.startswith(MeanFlowCorrector.GROWABLE) for k in missing)
    est, mix = _speechlike(1)[None], _speechlike(2, seed=1)[None]
    with torch.inference_mode():
        a = plain(est, mix, generator=torch.Generator().manual_seed(0))
        b = grown(est, mix, generator=torch.Generator().manual_seed(0))
    torch.testing.assert_close(a, b)


def test_the_gain_path_multiplies_the_estimate_and_the_reference_mic_cell_by_cell():
    """Gains g_y = 1 and g_m = i give u = y + i m_ref in every cell, harmonics and all."""
    unet = AverageVelocityUNet(GAINS.unet).eval()
    for layer in (unet.head, unet.gains):
        torch.nn.init.zeros_(layer.weight)
        torch.nn.init.zeros_(layer.bias)
    with torch.no_grad():
        unet.gains.bias.copy_(torch.tensor([1.0, 0.0, 0.0, 1.0]))
        state, estimate = torch.randn(2, 2, 64, 16), torch.randn(2, 2, 64, 16)
        mixture, mask = torch.randn(2, 3, 2, 64, 16), torch.ones(2, 3, dtype=torch.bool)
        out = unet(state, estimate, mixture, mask, torch.full((2,), 0.03), torch.ones(2))
    ref = mixture[:, 0]
    torch.testing.assert_close(out, torch.stack([estimate[:, 0] - ref[:, 1], estimate[:, 1] + ref[:, 0]], 1))
