"""The TAC band-split separator: any mic count, padding-invariant, trainable, saved as data."""

from __future__ import annotations

import json

import pytest
import torch

from models.common import checkpoint
from models.losses.si_sdr import pit_si_sdr, si_sdr
from models.separator.mwf import mask_weighted_mwf
from models.separator.network import (BandLinear, SeparatorConfig, SpatialBlock, TacBandSeparator,
                                      TransformAverageConcatenate)
from tests.conftest import mode_of

TINY = SeparatorConfig(channels=16, blocks=2)


@pytest.fixture
def tiny():
    torch.manual_seed(0)
    return TacBandSeparator(TINY).eval()


def test_band_plan_covers_every_bin_once():
    widths = SeparatorConfig().band_widths()
    assert sum(widths) == SeparatorConfig().stft.bins
    assert min(widths) >= 1 and len(widths) == 28


@pytest.mark.parametrize("transpose", [False, True])
def test_band_linear_is_one_linear_map_per_band_of_its_own_width(transpose):
    torch.manual_seed(0)
    widths, per_bin, features = [2, 2, 3, 1], 3, 4
    layer = BandLinear(widths, per_bin, features, transpose=transpose)
    with torch.no_grad():
        layer.bias.normal_()
    x = torch.randn(5, len(widths), features) if transpose else torch.randn(5, sum(widths), per_bin)
    expected, first = [], 0
    for k, width in enumerate(widths):          # band k alone, with the first width * per_bin weights
        fan = width * per_bin
        if transpose:
            band = x[:, k] @ layer.weight[k, :, :fan] + layer.bias[k, :fan]
            expected.append(band.reshape(5, width, per_bin))
        else:
            band = x[:, first:first + width].reshape(5, fan) @ layer.weight[k, :fan] + layer.bias[k]
            expected.append(band[:, None])
        first += width
    torch.testing.assert_close(layer(x), torch.cat(expected, dim=1))


@pytest.mark.parametrize("mics", [1, 2, 4, 6, 8])
def test_any_mic_count_gives_two_talkers_of_input_length(tiny, mics):
    out = tiny(torch.randn(2, mics, 8000))
    assert out.shape == (2, 2, 8000) and torch.isfinite(out).all()


def test_padded_mics_do_not_change_the_output(tiny):
    x = torch.randn(1, 3, 8000)
    padded = torch.cat([x, torch.randn(1, 2, 8000)], dim=1)
    mask = torch.tensor([[True, True, True, False, False]])
    with torch.no_grad():
        torch.testing.assert_close(tiny(padded, mask), tiny(x), atol=1e-4, rtol=1e-4)


def test_padded_mics_do_not_change_the_output_of_spatial_blocks():
    torch.manual_seed(0)
    model = TacBandSeparator(SeparatorConfig(channels=16, blocks=1, spatial_blocks=2)).eval()
    with torch.no_grad():
        for p in model.spatial.parameters():      # leave the identity init, so the test means something
            p.add_(0.1 * torch.randn_like(p))
        x = torch.randn(1, 3, 8000)
        padded = torch.cat([x, torch.randn(1, 2, 8000)], dim=1)
        mask = torch.tensor([[True, True, True, False, False]])
        torch.testing.assert_close(model(padded, mask), model(x), atol=1e-4, rtol=1e-4)


@pytest.mark.parametrize("mics", [1, 2, 3, 4])
def test_tac_pooled_equals_pooling_its_output_over_every_mic(mics):
    torch.manual_seed(0)
    tac = TransformAverageConcatenate(8)
    with torch.no_grad():
        for p in tac.parameters():
            p.add_(0.1 * torch.randn_like(p))
    h = torch.randn(2, mics, 5, 4, 8)
    mask = torch.ones(2, mics, dtype=torch.bool)
    mask[1, 1:-1] = False
    weight = mask.float() / mask.float().sum(1, keepdim=True)
    full = tac(h, weight)
    pooled, reference = tac.pooled(h, weight, 0)
    torch.testing.assert_close(pooled, torch.einsum("bmxyd,bm->bxyd", full, weight))
    torch.testing.assert_close(reference, full[:, 0])


def test_spatial_block_pooled_equals_pooling_its_output_over_every_mic():
    torch.manual_seed(0)
    block = SpatialBlock(8, kernel=3, dilation=1)
    with torch.no_grad():
        for p in block.parameters():
            p.add_(0.1 * torch.randn_like(p))
    h = torch.randn(2, 4, 5, 3, 8)
    weight = torch.full((2, 4), 0.25)
    full = block(h, weight)
    pooled, reference = block.pooled(h, weight, 0)
    torch.testing.assert_close(pooled, torch.einsum("bmxyd,bm->bxyd", full, weight))
    torch.testing.assert_close(reference, full[:, 0])


def test_spatial_blocks_start_as_the_identity(tiny):
    grown = TacBandSeparator(SeparatorConfig(channels=16, blocks=2, spatial_blocks=2)).eval()
    missing, unexpected = grown.load_state_dict(tiny.state_dict(), strict=False)
    assert not unexpected and missing and all(k.startswith("spatial.") for k in missing)
    x = torch.randn(1, 4, 8000)
    with torch.no_grad():
        torch.testing.assert_close(grown(x), tiny(x))


def test_output_scales_with_the_input(tiny):
    x = torch.randn(1, 2, 8000)
    with torch.no_grad():
        torch.testing.assert_close(tiny(3 * x), 3 * tiny(x), atol=1e-4, rtol=1e-3)


def test_si_sdr_is_scale_invariant_and_pit_finds_the_permutation():
    ref = torch.randn(1, 2, 4000)
    assert si_sdr(0.5 * ref, ref).min() > 60
    score, perm = pit_si_sdr(ref.flip(1), ref)
    assert perm.tolist() == [[1, 0]] and score.item() > 60


def test_a_few_steps_of_training_lower_the_loss():
    torch.manual_seed(0)
    model = TacBandSeparator(TINY)
    opt = torch.optim.Adam(model.parameters(), 3e-3)
    talkers = torch.randn(2, 2, 8000)
    mix = talkers.sum(1, keepdim=True).repeat(1, 2, 1)
    losses = []
    for _ in range(15):
        loss = -pit_si_sdr(model(mix), talkers)[0].mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0] - 1.0


def test_mwf_with_ideal_masks_recovers_a_spatially_distinct_source():
    """Two sparse (log-normal amplitude, speech-like) sources with their own steering vectors."""
    torch.manual_seed(1)
    bins, frames, mics = 33, 400, 4
    steer = torch.randn(2, mics, bins, dtype=torch.cfloat)
    steer = steer / steer[:, :1]                                    # reference mic gain 1
    sources = torch.randn(2, bins, frames, dtype=torch.cfloat) * torch.exp(1.5 * torch.randn(2, bins, frames))
    images = steer[..., None] * sources[:, None]                     # (s, m, f, t)
    mix = images.sum(0)[None]
    ideal = (images[:, 0].abs() / (images[:, 0].abs() + images[[1, 0], 0].abs()))[None].to(torch.cfloat)
    out = mask_weighted_mwf(mix, ideal, torch.ones(1, mics, dtype=torch.bool))
    err = (out[0] - images[:, 0]).abs().pow(2).mean() / images[:, 0].abs().pow(2).mean()
    mask_err = (ideal[0] * mix[0, 0] - images[:, 0]).abs().pow(2).mean() / images[:, 0].abs().pow(2).mean()
    assert err < 0.02 and err < mask_err / 2


def test_checkpoint_round_trip_and_refusals(tmp_path, tiny):
    card = tmp_path / "sep.json"
    checkpoint.save(tiny, card, {"name": "tiny", "architecture": "TacBandSeparator",
                                 "config": TINY.to_dict(), "sample_rate": 16000})
    loaded, info = checkpoint.load(card)
    x = torch.randn(1, 2, 4000)
    with torch.no_grad():
        torch.testing.assert_close(loaded(x), tiny(x))
    assert info["parameters"] == sum(p.numel() for p in tiny.parameters())

    weights = tmp_path / "sep.safetensors"
    weights.write_bytes(weights.read_bytes()[:-8] + b"corrupt!")
    with pytest.raises(checkpoint.CheckpointError, match="sha256"):
        checkpoint.load(card)
    raw = json.loads(card.read_text())
    del raw["config"]
    card.write_text(json.dumps(raw))
    with pytest.raises(checkpoint.CheckpointError, match="'config'"):
        checkpoint.load(card)


def test_a_checkpoint_gets_the_permissions_of_the_umask(tmp_path, tiny, umask):
    card = tmp_path / "tiny.json"
    checkpoint.save(tiny, card, {"name": "tiny", "architecture": "TacBandSeparator",
                                 "config": TINY.to_dict(), "sample_rate": 16000})
    assert {mode_of(card), mode_of(card.with_suffix(".safetensors"))} == {0o666 & ~umask}


def test_half_precision_weights_load_into_a_float32_model(tmp_path, tiny):
    full, half = tmp_path / "full.json", tmp_path / "half.json"
    meta = {"name": "tiny", "architecture": "TacBandSeparator", "config": TINY.to_dict(), "sample_rate": 16000}
    checkpoint.save(tiny, full, meta)
    info = checkpoint.save(tiny, half, meta, torch.float16)
    assert info["weights"]["dtype"] == "float16"
    assert half.with_suffix(".safetensors").stat().st_size < 0.6 * full.with_suffix(".safetensors").stat().st_size
    loaded, _ = checkpoint.load(half)
    assert all(p.dtype == torch.float32 for p in loaded.parameters())
    x = torch.randn(1, 2, 4000)
    with torch.no_grad():
        torch.testing.assert_close(loaded(x), tiny(x), atol=2e-3, rtol=1e-2)

