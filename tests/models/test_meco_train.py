"""MeCo's recipe at toy size: the separator-output cache, training with resume, and two gloo processes."""

from __future__ import annotations

import json
import socket
from dataclasses import replace

import numpy as np
import pytest
import torch
from safetensors.torch import load_file

from models.common import checkpoint
from models.enhancers.base import torch_threads
from models.data.noise import NoisePool
from models.data.speech import SpeechPool, Split
from models.meco.corrector import MecoConfig
from models.meco.features import SpectralConfig
from models.meco.network import UNetConfig
from models.separator.network import SeparatorConfig, TacBandSeparator
from models.train.meco import SISDR_FLOOR_DB, MecoTrainConfig, Variant, selection_score, train
from models.losses.si_sdr import projection_scale
from models.train.meco_cache import (CacheConfig, CachedPairs, CacheSplit, aligned, build_cache, collate,
                                     separator_function)
from tests.conftest import DNSMOS_ONE_WINDOW_S, REPO_ROOT, run_two_gloo_processes

FRAMES = round(DNSMOS_ONE_WINDOW_S * 16_000)      # a cached item's samples
TINY = MecoConfig(spectral=SpectralConfig(n_fft=126, hop=64),
                  unet=UNetConfig(channels=(8, 16), mic_features=4, fourier_features=8))

# torch.func.jvp scripts its decompositions with torch.jit.script on first use; torch's own warning.
pytestmark = pytest.mark.filterwarnings("ignore:`torch.jit.script` is deprecated:DeprecationWarning")


@pytest.fixture(autouse=True)
def one_thread():
    """Tiny networks run fastest on one thread on the shared 2-core CPU (as the enhancer tests do)."""
    with torch_threads(1):
        yield


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    """Three training and two validation mixtures of 2.3 s (one DNSMOS window for the quality checks),
    separated by a seeded untrained separator."""
    torch.manual_seed(0)
    separator = TacBandSeparator(SeparatorConfig(channels=16, blocks=1)).eval()

    def separate(mixture: np.ndarray) -> np.ndarray:
        with torch.inference_mode():
            return separator(torch.from_numpy(mixture)[None])[0].numpy()

    speech = SpeechPool.synthetic({Split.TRAIN: 4, Split.VALID: 2, Split.TEST: 2}, utterances_per_voice=1)
    config = CacheConfig(name="toy", seconds=DNSMOS_ONE_WINDOW_S, train_items=3, eval_items=2, shard_items=2)
    return build_cache(config, separate, {"name": "tiny-separator"}, speech, NoisePool(speech),
                       (CacheSplit.TRAIN, CacheSplit.VALID), tmp_path_factory.mktemp("cache") / "toy")


def _config(**overrides) -> MecoTrainConfig:
    base = dict(model=TINY, steps=2, batch_size=2, crop_frames=16, workers=0, threads=1, valid_every=2,
                valid_pairs=2, log_every=1, save_every_seconds=0.0)
    return MecoTrainConfig.for_variant(Variant.FULL_DSO, **{**base, **overrides})


def test_aligned_puts_estimates_in_the_targets_order():
    rng = np.random.default_rng(0)
    targets = rng.standard_normal((2, 4000)).astype(np.float32)
    swapped = targets[::-1] + 0.1 * rng.standard_normal((2, 4000)).astype(np.float32)
    np.testing.assert_array_equal(aligned(swapped, targets), swapped[::-1])


def test_the_cache_separates_with_the_card_s_output_gain_as_the_app_does(tmp_path):
    torch.manual_seed(0)
    config = SeparatorConfig(channels=16, blocks=1)
    model = TacBandSeparator(config).eval()
    card = {"name": "sep", "architecture": "TacBandSeparator", "task": "separation", "config": config.to_dict(),
            "sample_rate": 16_000, "inference": {"output_gain": [2.0, -0.5]}}
    checkpoint.save(model, tmp_path / "sep.json", card)
    mixture = np.random.default_rng(0).standard_normal((3, 8000)).astype(np.float32)
    separate, _ = separator_function(tmp_path / "sep.json")
    with torch.inference_mode():
        raw = model(torch.from_numpy(mixture)[None])[0].numpy()
    np.testing.assert_allclose(separate(mixture), raw * np.array([[2.0], [-0.5]], np.float32), rtol=1e-5, atol=1e-7)


def test_cache_shards_hold_aligned_pairs_with_their_mic_counts(cache):
    shards = sorted((cache / "train").glob("shard-*.safetensors"))
    assert [len(load_file(str(s))["seeds"]) for s in shards] == [2, 1]
    first = load_file(str(shards[0]))
    assert first["estimates"].shape == first["targets"].shape == (2, 2, FRAMES)
    assert first["mixture"].shape == (2, 8, FRAMES) and first["mixture"].dtype == torch.float16
    for i, mics in enumerate(first["mics"].tolist()):
        assert 1 <= mics <= 8 and first["mixture"][i, mics:].abs().max() == 0
    manifest = json.loads((cache / "manifest.json").read_text())
    assert manifest["separator"]["name"] == "tiny-separator" and manifest["config"]["train_items"] == 3


def test_cached_pairs_give_one_pair_per_talker_and_seeded_crops(cache):
    whole = CachedPairs(cache / "train")
    assert len(whole) == 6 and whole[5]["clean"].shape == (FRAMES,)
    crops = CachedPairs(cache / "train", crop_samples=960, length=100, seed=3)
    a, b = crops[7], crops[7]
    assert a["estimate"].shape == (960,) and torch.equal(a["mixture"], b["mixture"])
    batch = collate([crops[i] for i in range(4)])
    assert batch["mixture"].shape[0] == 4 and batch["mic_mask"].sum(1).tolist() == \
        [crops[i]["mixture"].shape[0] for i in range(4)]


def test_the_projection_scale_finds_the_level_and_sign_of_clean_speech_in_an_estimate():
    rng = np.random.default_rng(1)
    clean = torch.from_numpy(rng.standard_normal((2, 8000)).astype(np.float32))
    other = torch.from_numpy(rng.standard_normal(8000).astype(np.float32))
    other = other - (other @ clean[1]) / (clean[1] @ clean[1]) * clean[1]       # orthogonal to talker 2
    estimate = torch.stack([4.0 * clean[0], -4.0 * clean[1] + other])
    torch.testing.assert_close(projection_scale(estimate, clean), torch.tensor([[4.0], [-4.0]]))
    assert projection_scale(estimate[:1], torch.zeros(1, 8000)).item() == 0.0


def test_pairs_can_put_clean_speech_at_its_level_and_sign_in_the_estimate(cache):
    plain = CachedPairs(cache / "train")
    scaled = CachedPairs(cache / "train", clean_at_estimate=True)
    for i in range(len(plain)):
        a, b = plain[i], scaled[i]
        assert torch.equal(a["estimate"], b["estimate"]) and torch.equal(a["mixture"], b["mixture"])
        torch.testing.assert_close(b["clean"], a["clean"] * projection_scale(a["estimate"], a["clean"]))
        residual = a["estimate"] - b["clean"]            # what is left is orthogonal to the talker
        assert abs(float(residual @ a["clean"])) <= 1e-3 * float(a["clean"].norm() * a["estimate"].norm())
    # a crop keeps the whole pair's scale, not one of its own
    scales = [float(projection_scale(plain[i]["estimate"], plain[i]["clean"])) for i in range(len(plain))]
    crop = CachedPairs(cache / "train", crop_samples=960, length=4, seed=3)[2]
    scaled_crop = CachedPairs(cache / "train", crop_samples=960, length=4, seed=3, clean_at_estimate=True)[2]
    assert any(torch.allclose(scaled_crop["clean"], crop["clean"] * a) for a in scales)


def test_training_resumes_and_saves_a_card_that_loads(cache, tmp_path):
    first = train(_config(), tmp_path, cache)
    assert first["step"] == 2 and np.isfinite(first["last_loss"])
    resumed = train(_config(steps=3), tmp_path, cache)
    assert resumed["step"] == 3
    assert json.loads((tmp_path / "resume.json").read_text())["step"] == 3
    rows = (tmp_path / "log.csv").read_text().splitlines()
    assert [r.split(",")[0] for r in rows[1:]] == ["1", "2", "3"]
    model, card = checkpoint.load(tmp_path / "best.json")
    assert card["task"] == "correction" and card["training"]["device"] == "cpu" and card["training"]["device_name"]
    assert card["inference"] == {"mode": "one-step", "steps": 1, "seed": 1234, "nfe": 1}
    assert MecoConfig.from_dict(card["config"]) == TINY and "valid_sisdr_gain" in card["metrics"]
    assert card["training"]["config"]["clean_at_estimate"] is True


def test_a_warm_started_run_begins_from_the_given_corrector_and_counts_its_steps(cache, tmp_path):
    train(_config(), tmp_path / "first", cache)
    source, source_card = checkpoint.load(tmp_path / "first" / "best.json")
    train(_config(lr=0.0, init=str(tmp_path / "first" / "best.json")), tmp_path / "warm", cache)  # weights stay put
    warm, card = checkpoint.load(tmp_path / "warm" / "best.json")
    assert all(torch.equal(a, b) for a, b in zip(warm.state_dict().values(), source.state_dict().values()))
    training = card["training"]
    assert training["initialised_from"]["sha256"] == source_card["weights"]["sha256"]
    assert training["steps_this_run"] == 2 and training["steps"] == source_card["training"]["steps"] + 2


def test_a_run_from_the_schedules_end_trains_every_loss_from_its_first_step(cache, tmp_path):
    train(_config(schedule_from=1.0), tmp_path, cache)
    first = (tmp_path / "log.csv").read_text().splitlines()[1].split(",")
    assert first[1] == "1.0" and float(first[6]) == pytest.approx(MecoTrainConfig().objective.xr_weight)


@pytest.mark.parametrize(("schedule_from", "step", "expected"),
                         [(0.0, 0, 0.0), (0.0, 5, 0.5), (0.5, 0, 0.5), (0.5, 5, 0.75), (1.0, 0, 1.0), (0.0, 12, 1.0)])
def test_schedule_progress_starts_where_asked_and_ends_at_one(schedule_from, step, expected):
    assert MecoTrainConfig(steps=10, schedule_from=schedule_from).progress(step) == pytest.approx(expected)


def test_schedule_progress_follows_the_end_a_time_budget_sets():
    assert MecoTrainConfig(steps=1000).progress(50, total=100) == pytest.approx(0.5)


def test_a_time_budget_ends_a_meco_run_early_with_its_card(cache, tmp_path):
    result = train(_config(steps=10**6, minutes=0.05), tmp_path, cache)
    assert 0 < result["step"] < 10**6
    assert json.loads((tmp_path / "resume.json").read_text())["step"] == result["step"]
    checkpoint.load(tmp_path / "best.json")


def test_the_learning_rate_is_constant_by_default_as_in_meco():
    cfg = MecoTrainConfig(steps=100, lr=3e-4)
    assert [cfg.learning_rate(s) for s in (0, 50, 100)] == [3e-4] * 3


def test_a_cosine_learning_rate_decays_from_lr_to_five_percent_by_the_budgets_last_step():
    cfg = MecoTrainConfig(steps=10**6, lr=3e-4, lr_schedule="cosine")
    assert cfg.learning_rate(0, total=100) == pytest.approx(3e-4)
    assert cfg.learning_rate(50, total=100) == pytest.approx(3e-4 * (0.05 + 0.95 * 0.5))
    assert cfg.learning_rate(100, total=100) == pytest.approx(3e-4 * 0.05)


def test_a_cosine_run_logs_the_decaying_learning_rate_it_trained_with(cache, tmp_path):
    train(_config(steps=3, lr=1e-3, lr_schedule="cosine"), tmp_path, cache)
    rows = (tmp_path / "log.csv").read_text().splitlines()
    column = rows[0].split(",").index("lr")
    rates = [float(r.split(",")[column]) for r in rows[1:]]
    assert rates[0] == pytest.approx(1e-3) and rates[0] > rates[1] > rates[2] > 1e-3 * 0.05


def test_an_unknown_learning_rate_schedule_is_refused():
    with pytest.raises(ValueError, match="lr_schedule"):
        MecoTrainConfig(lr_schedule="step")


def test_a_schedule_start_outside_zero_to_one_is_refused():
    with pytest.raises(ValueError, match="schedule_from"):
        MecoTrainConfig(schedule_from=1.5)


def test_an_unknown_selection_is_refused():
    with pytest.raises(ValueError, match="select"):
        MecoTrainConfig(select="pesq")


def test_quality_selection_prefers_perceptual_gains_within_the_sisdr_bound():
    def row(sisdr_gain, pesq_gain, ovrl_gain):
        return {"valid_sisdr_corrected": 10.0 + sisdr_gain, "valid_sisdr_gain": sisdr_gain,
                "valid_pesq_gain": pesq_gain, "valid_ovrl_gain": ovrl_gain}

    on_target = row(-0.1, 0.1, 0.2)
    assert selection_score(on_target, "quality") == pytest.approx(1.0)        # each gain in units of its target
    assert selection_score(on_target, "quality") > selection_score(row(0.0, 0.05, 0.1), "quality")
    outside = row(SISDR_FLOOR_DB - 0.1, 1.0, 1.0)
    assert selection_score(row(0.0, -0.5, -0.5), "quality") > selection_score(outside, "quality")
    assert selection_score(outside, "quality") > selection_score(row(SISDR_FLOOR_DB - 1.0, 1.0, 1.0), "quality")
    assert selection_score(outside, "sisdr") == outside["valid_sisdr_corrected"]


def test_a_quality_selected_warm_start_logs_its_start_and_perceptual_gains(cache, tmp_path):
    train(_config(), tmp_path / "first", cache)
    train(_config(select="quality", init=str(tmp_path / "first" / "best.json")), tmp_path / "warm", cache)
    header, *rows = [r.split(",") for r in (tmp_path / "warm" / "log.csv").read_text().splitlines()]
    start = dict(zip(header, rows[0]))
    assert start["step"] == "0" and start["loss"] == "" and np.isfinite(float(start["valid_ovrl_gain"]))
    _, card = checkpoint.load(tmp_path / "warm" / "best.json")
    assert card["metrics"]["selected_by"] == "quality" and card["training"]["steps_this_run"] == 2
    assert {"valid_pesq_gain", "valid_ovrl_gain"} <= set(card["metrics"])


def test_two_gloo_processes_average_gradients_and_stay_in_sync(cache, tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    worker = REPO_ROOT / "tests" / "models" / "meco_ddp_worker.py"
    run = run_two_gloo_processes(["--master_port", str(port), str(worker), str(cache), str(tmp_path)])
    assert run.returncode == 0, run.stderr[-3000:]
    results = [json.loads((tmp_path / f"result-{r}.json").read_text()) for r in range(2)]
    assert [r["step"] for r in results] == [2, 2]
    # Each rank saw different crops (different losses), yet both hold the same weights.
    assert results[0]["last_loss"] != results[1]["last_loss"]
    assert results[0]["checksum"] == results[1]["checksum"]
    single = train(replace(_config(), steps=0), tmp_path / "fresh", cache)
    assert single["checksum"] != results[0]["checksum"]          # and they did train


def test_evaluation_scores_every_row_on_the_same_pairs(cache, tmp_path):
    from models.meco.evaluation import SEPARATOR_ROW, Row, evaluate_conditions
    from models.meco.modes import InferenceMode
    from models.metrics.speech import si_sdr

    torch.manual_seed(0)
    card = tmp_path / "meco.json"
    from models.meco.corrector import MeanFlowCorrector

    checkpoint.save(MeanFlowCorrector(TINY), card, {"name": "meco-toy", "architecture": "MeanFlowCorrector",
                                                    "task": "correction", "config": TINY.to_dict(),
                                                    "sample_rate": 16_000})
    rows = [Row(SEPARATOR_ROW, None), Row("MeCo", card), Row("Euler x2", card, InferenceMode.EULER, 2)]
    table = evaluate_conditions(rows, {"toy": cache / "valid"}, with_dnsmos=False, limit=2)
    lines = {line.split(" | ")[0].strip("| "): line for line in table.splitlines() if line.startswith("| ")}
    pairs = CachedPairs(cache / "valid")
    expected = np.mean([si_sdr(pairs[i]["estimate"].numpy(), pairs[i]["clean"].numpy()) for i in range(2)])
    assert lines[SEPARATOR_ROW].split(" | ")[1].startswith(f"{expected:.2f}")
    assert [lines[name].split(" | ")[-3] for name in (SEPARATOR_ROW, "MeCo", "Euler x2")] == ["0", "1", "2"]
    assert "- MeCo: SI-SDR" in table and "toy (2 pairs from 1 mixture, seed 1234)" in table


def test_an_enhancer_row_scores_the_estimate_as_the_enhancer_returns_it(cache, tmp_path):
    from models.enhancers.student import GtcrnStudent, StudentConfig
    from models.meco.evaluation import Row, enhancer_rows, evaluate_row
    from models.metrics.speech import si_sdr

    torch.manual_seed(0)
    config = StudentConfig(channels=8)
    student = GtcrnStudent(config).eval()
    card = tmp_path / "enh-toy.json"
    checkpoint.save(student, card, {"name": "enh-toy", "architecture": "GtcrnStudent", "task": "enhancement",
                                    "config": config.to_dict(), "sample_rate": 16_000})
    (row,) = enhancer_rows([card])
    assert row == Row("Separator + enh-toy (enhancer)", card, enhancer=True) and row.nfe == 1
    pairs = CachedPairs(cache / "valid")
    scores = evaluate_row(row, pairs, with_dnsmos=False)
    with torch.inference_mode():
        expected = [si_sdr(student(pairs[i]["estimate"][None, None])[0, 0].numpy(), pairs[i]["clean"].numpy())
                    for i in range(len(pairs))]
    np.testing.assert_allclose([s["si_sdr"] for s in scores], expected, rtol=1e-4, atol=1e-4)


def test_a_cached_mixtures_talkers_are_pairs_of_one_mixture(cache):
    pairs = CachedPairs(cache / "valid")
    mixtures = [pairs.mixture_of(i) for i in range(len(pairs))]
    assert mixtures[0] == mixtures[1] != mixtures[2] == mixtures[3]


def test_the_table_clusters_a_mixtures_pairs_in_its_intervals_and_differences():
    from models.meco.evaluation import SEPARATOR_ROW, Row, summarise
    from models.metrics.speech import confidence_interval

    separator = [{"si_sdr": 0.0} for _ in range(6)]
    corrected = [{"si_sdr": v} for v in (1.0, 2.0, 6.0, 6.0, 9.0, 11.0)]
    rows = [Row(SEPARATOR_ROW, None), Row("MeCo", None)]
    mixtures = [(0, 0), (0, 0), (0, 1), (0, 1), (1, 0), (1, 0)]
    meco = summarise(rows, {SEPARATOR_ROW: separator, "MeCo": corrected}, mixtures)[1]
    by_mixture = confidence_interval([1.5, 6.0, 10.0])
    assert meco["si_sdr"].half_width == pytest.approx(by_mixture.half_width) and meco["n"] == 6
    assert meco["delta_si_sdr"].half_width == pytest.approx(by_mixture.half_width)


def test_the_breakdown_by_estimate_quality_ranks_pairs_by_the_separator_s_sisdr():
    from models.meco.evaluation import SEPARATOR_ROW, Row, by_estimate_quality

    separator = [{"si_sdr": v, "pesq": 1.0} for v in (9.0, -3.0, 3.0, 0.0, 6.0, -6.0)]
    # The corrector adds 1 dB to the three worst estimates and takes 1 dB off the three best.
    corrected = [{"si_sdr": s["si_sdr"] + (1.0 if s["si_sdr"] < 1 else -1.0), "pesq": 1.0} for s in separator]
    rows = [Row(SEPARATOR_ROW, None), Row("MeCo", None)]
    text = by_estimate_quality(rows, {SEPARATOR_ROW: separator, "MeCo": corrected}, groups=2, mixtures=list(range(6)))
    (line,) = [ln for ln in text.splitlines() if ln.startswith("- ")]
    assert line.startswith("- MeCo: -6.0 to 0.0 dB (3 pairs): SI-SDR 1.00")
    assert "; 3.0 to 9.0 dB (3 pairs): SI-SDR -1.00" in line and "PESQ-WB 0.00" in line
    assert "DNSMOS OVRL" not in line


def test_the_table_names_the_separator_that_made_the_pairs_it_scores(cache):
    from models.meco.evaluation import provenance

    text = provenance([], ["--cache", "toy"], {"toy": cache / "valid"})
    assert "- Pairs scored: cache `toy`, separated by tiny-separator" in text


def test_the_euler_sweep_solves_both_correctors_with_each_step_count_beside_meco_s_one_jump(tmp_path):
    from models.meco.evaluation import SEPARATOR_ROW, euler_sweep_rows
    from models.meco.modes import InferenceMode

    rows = euler_sweep_rows(tmp_path, [1, 5])
    assert [r.name for r in rows] == [SEPARATOR_ROW, "Flow matching, 1 Euler step", "Flow matching, 5 Euler steps",
                                      "MeCo (full DSO), 1 Euler step", "MeCo (full DSO), 5 Euler steps",
                                      "MeCo (full DSO), one step"]
    assert [r.nfe for r in rows] == [0, 1, 5, 1, 5, 1] and rows[-1].mode is InferenceMode.ONE_STEP


def test_the_noise_sweep_scales_only_the_prior_noise_of_one_corrector(tmp_path):
    from models.meco.evaluation import SEPARATOR_ROW, noise_sweep_rows

    card = tmp_path / "meco.json"
    rows = noise_sweep_rows(card, [1.0, 0.5, 0.0])
    assert [r.name for r in rows] == [SEPARATOR_ROW, "meco, prior noise × 1", "meco, prior noise × 0.5",
                                      "meco, prior noise × 0"]
    assert [r.noise_scale for r in rows[1:]] == [1.0, 0.5, 0.0] and {r.card for r in rows[1:]} == {card}


def test_bf16_autocast_defaults_to_hardware_with_native_bf16():
    from models.train.common import native_bf16

    cpu = torch.device("cpu")
    assert MecoTrainConfig().autocast(cpu) == native_bf16(cpu)
    assert MecoTrainConfig(bf16=True).autocast(cpu) and not MecoTrainConfig(bf16=False).autocast(cpu)


def test_without_ablations_the_table_keeps_the_separator_and_the_one_corrector(tmp_path):
    from models.meco.evaluation import SEPARATOR_ROW, standard_rows
    from models.meco.modes import InferenceMode

    card = tmp_path / "meco.json"
    rows = standard_rows(tmp_path, card, ablations=False)
    assert [r.name for r in rows][0] == SEPARATOR_ROW and len(rows) == 3
    assert {r.card for r in rows[1:]} == {card} and rows[2].mode is InferenceMode.FROM_HALF


@pytest.mark.parametrize(("variant", "expected"), [("full-dso", 30.0), ("no-endpoint", 0.0)])
def test_the_endpoint_weight_option_sets_lambda_unless_the_variant_drops_the_loss(monkeypatch, tmp_path,
                                                                                 variant, expected):
    import models.train.meco as recipe

    seen = []
    monkeypatch.setattr(recipe, "train", lambda cfg, out, cache: seen.append(cfg))
    recipe.main(["--out", str(tmp_path), "--cache", str(tmp_path), "--variant", variant, "--endpoint-weight", "30"])
    assert seen[0].objective.endpoint_weight == expected


def test_a_warm_start_with_the_gains_option_grows_the_gain_path_at_zero(cache, tmp_path):
    train(_config(), tmp_path / "first", cache)
    source, _ = checkpoint.load(tmp_path / "first" / "best.json")
    gains = replace(TINY, unet=replace(TINY.unet, gains=True))
    train(_config(model=gains, lr=0.0, init=str(tmp_path / "first" / "best.json")), tmp_path / "grown", cache)
    assert json.loads((tmp_path / "grown" / "initialised_from.json").read_text())["grown"] == ["unet.gains"]
    grown, card = checkpoint.load(tmp_path / "grown" / "best.json")
    assert card["config"]["unet"]["gains"] is True
    est, mix = torch.randn(1, 2, 960), torch.randn(1, 3, 960)
    with torch.inference_mode():
        torch.testing.assert_close(grown(est, mix, generator=torch.Generator().manual_seed(0)),
                                   source(est, mix, generator=torch.Generator().manual_seed(0)))


def test_the_gains_option_gives_the_trained_network_its_gain_path(monkeypatch, tmp_path):
    import models.train.meco as recipe

    seen = []
    monkeypatch.setattr(recipe, "train", lambda cfg, out, cache: seen.append(cfg))
    recipe.main(["--out", str(tmp_path), "--cache", str(tmp_path)])
    recipe.main(["--out", str(tmp_path), "--cache", str(tmp_path), "--gains"])
    assert [cfg.model.unet.gains for cfg in seen] == [False, True]
