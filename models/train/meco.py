"""Train MeCo (the MeanFlow one-step corrector) on cached separator outputs; every ablation is a switch.

    python -m models.train.meco_cache --separator resources/models/tacband-separator.json   # once
    python -m models.train.meco --out runs/meco-full-dso --variant full-dso
    torchrun --nproc_per_node 2 -m models.train.meco --out runs/meco --variant full-dso  # DDP (gloo/nccl)
    python -m models.train.meco --out runs/meco --init resources/models/corrector/meco.json \
        --schedule-from 1                    # warm start, going on at the schedules' end state
    python -m models.train.meco --profile      # one training step and one-step inference, measured

Variants (one recipe, `--variant`): full-dso (MeCo), no-xr-scaling (plain MeanFlow loss),
no-endpoint (no Endpoint SI-SDR loss), exact-c (c = 1), flow-matching (FlowSE-style baseline,
evaluated with 5 Euler steps). The Fast-GeCo-style one step from t = 0.5 is an inference mode.

The model is never wrapped in DistributedDataParallel: torch.func.jvp runs the network outside
DDP's hooks, so gradients are averaged by hand (`all_reduce_gradients`) after backward, and a
parameter checksum is compared across processes at every validation and at the end.
Resumes from `OUT/resume.*`; writes `OUT/log.csv`; keeps the best EMA model by validation as
`OUT/best.json` + `OUT/best.safetensors` (a shippable card): by SI-SDR of the corrected output, or
with `--select quality` by its PESQ-WB and DNSMOS OVRL gains within issue #6's SI-SDR bound. A warm
start logs its starting point's validation as step 0.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import platform
import time
from dataclasses import asdict, dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.distributed as dist
from torch.utils.data import DataLoader

from models.common import checkpoint
from models.common.timing import fastest
from models.losses.si_sdr import si_sdr
from models.meco.corrector import MeanFlowCorrector, MecoConfig
from models.meco.objective import DsoConfig, DsoLosses, JvpMethod, dso_loss
from models.meco.modes import InferenceMode, evaluations
from models.train.common import (Bf16Choice, Budget, CsvLog, Ema, all_reduce_gradients, broadcast_parameters,
                                 cleanup_distributed, cosine_lr, load_resume, readable, resume_path, save_resume,
                                 setup_distributed, start_from, training_record)
from models.train.meco_cache import CacheSplit, CachedPairs, cache_folder, collate

log = logging.getLogger(__name__)

INFERENCE_SEED = 1234        # MeCo's inference seed
EULER_STEPS = 5              # the multi-step (FlowSE-style) baseline of issue #6
LR_SCHEDULES = ("constant", "cosine")
SELECTIONS = ("sisdr", "quality")
# issue #6's targets against the separator alone, which `--select quality` ranks checkpoints by
SISDR_FLOOR_DB = -0.3
PESQ_TARGET = 0.1
OVRL_TARGET = 0.2


class Variant(StrEnum):
    FULL_DSO = "full-dso"
    NO_XR_SCALING = "no-xr-scaling"
    NO_ENDPOINT = "no-endpoint"
    EXACT_C = "exact-c"
    FLOW_MATCHING = "flow-matching"

    def objective(self, base: DsoConfig = DsoConfig()) -> DsoConfig:
        match self:
            case Variant.FULL_DSO:
                return base
            case Variant.NO_XR_SCALING:
                return replace(base, xr_scaling=False)
            case Variant.NO_ENDPOINT:
                return replace(base, endpoint_weight=0.0)
            case Variant.EXACT_C:
                return replace(base, coefficient=1.0)
            case Variant.FLOW_MATCHING:
                return replace(base, meanflow=False)
        raise ValueError(f"unknown variant {self}")

    def inference(self) -> tuple[InferenceMode, int]:
        """How a model of this variant is evaluated and shipped: (mode, steps)."""
        return (InferenceMode.EULER, EULER_STEPS) if self is Variant.FLOW_MATCHING else (InferenceMode.ONE_STEP, 1)


@dataclass(frozen=True)
class MecoTrainConfig(Bf16Choice):
    model: MecoConfig = field(default_factory=MecoConfig)
    variant: Variant = Variant.FULL_DSO
    objective: DsoConfig = field(default_factory=DsoConfig)   # set from `variant` by `for_variant`
    steps: int = 40_000
    batch_size: int = 8               # per process
    crop_frames: int = 64             # ~1 s at hop 256, as MeCo's 256 frames at hop 64
    # the path's clean end at the level and sign the talker has in the estimate (`CachedPairs`);
    # False: as simulated, which cards trained before this setting existed used
    clean_at_estimate: bool = True
    lr: float = 1e-4                  # MeCo: Adam 1e-4
    # "constant" is MeCo's; "cosine" decays to 5 % of `lr` by the last step (of `steps`, or of
    # what a time `Budget` allows), for a warm start that should settle rather than wander
    lr_schedule: str = "constant"
    select: str = "sisdr"             # which validation picks `best.json` (`selection_score`)
    ema_decay: float = 0.999          # MeCo
    grad_clip: float = 1.0            # MeCo
    # autocast, the JVP staying fp32; None: where the hardware has native bf16 (`native_bf16`);
    # `--profile` times both
    bf16: bool | None = None
    workers: int = 2
    threads: int = 2
    seed: int = 0
    valid_pairs: int = 32
    valid_every: int = 500
    save_every_seconds: float = 180.0
    log_every: int = 25
    init: str | None = None           # card of a corrector to start a fresh run from
    # where in the (r, t) and loss-weight schedules step 0 stands: 0 runs them from the start
    # (flow-only warm-up first); 1 continues a finished run's end state, for a warm start
    schedule_from: float = 0.0
    minutes: float | None = None      # wall-clock budget of this invocation (`Budget`); None: `steps` alone

    def __post_init__(self) -> None:
        if not 0.0 <= self.schedule_from <= 1.0:
            raise ValueError(f"schedule_from must lie in [0, 1], not {self.schedule_from}")
        if self.lr_schedule not in LR_SCHEDULES:
            raise ValueError(f"lr_schedule must be one of {LR_SCHEDULES}, not {self.lr_schedule!r}")
        if self.select not in SELECTIONS:
            raise ValueError(f"select must be one of {SELECTIONS}, not {self.select!r}")

    @classmethod
    def for_variant(cls, variant: Variant, **overrides: Any) -> MecoTrainConfig:
        base = overrides.pop("objective", DsoConfig())
        return cls(variant=variant, objective=variant.objective(base), **overrides)

    def progress(self, step: int, total: int | None = None) -> float:
        """Training progress in [0, 1] fed to the schedules: `schedule_from` at step 0, 1 at the last
        step (`total`, where a time `Budget` ends the run, else `steps`)."""
        return self.schedule_from + (1.0 - self.schedule_from) * min(1.0, step / (total or self.steps))

    def learning_rate(self, step: int, total: int | None = None) -> float:
        if self.lr_schedule == "constant":
            return self.lr
        return cosine_lr(step, total or self.steps, self.lr, warmup=0)

    def crop_samples(self) -> int:
        """(frames - 1) * hop samples give exactly `crop_frames` centred STFT frames (MeCo's rule)."""
        return (self.crop_frames - 1) * self.model.spectral.hop


def training_step(model: MeanFlowCorrector, batch: dict[str, torch.Tensor], progress: float,
                  config: MecoTrainConfig) -> DsoLosses:
    """Loss of one batch of cached pairs (waveforms) at `progress` in [0, 1] of training."""
    cond = model.condition(batch["estimate"], batch["mixture"], batch["mic_mask"])
    clean_wave = batch["clean"].float() / cond.scale[:, None]
    clean = model.features.encode(clean_wave)
    device = batch["clean"].device
    with torch.autocast(device.type, dtype=torch.bfloat16, enabled=config.autocast(device)):
        return dso_loss(model, clean, cond, clean_wave, progress, config.objective)


def correct_pairs(model: MeanFlowCorrector, batch: dict[str, torch.Tensor], mode: InferenceMode, steps: int,
                  seed: int = INFERENCE_SEED) -> torch.Tensor:
    """Corrected waveforms `(batch, samples)` of a batch of pairs, reproducible under `seed`."""
    generator = torch.Generator().manual_seed(seed)
    with torch.inference_mode():
        return model(batch["estimate"][:, None], batch["mixture"], mode, steps, generator, batch["mic_mask"])[:, 0]


def perceptual_scores(audio: torch.Tensor, clean: torch.Tensor) -> dict[str, list[float]]:
    """PESQ-WB against `clean` and DNSMOS OVRL, per item of a batch `(batch, samples)` at 16 kHz."""
    from models.metrics.speech import dnsmos, pesq_wb

    pairs = list(zip(audio.float().cpu().numpy(), clean.float().cpu().numpy()))
    return {"pesq": [pesq_wb(a, c) for a, c in pairs], "ovrl": [dnsmos(a)["ovrl"] for a, _ in pairs]}


def estimate_quality(batches: list[dict[str, torch.Tensor]]) -> dict[str, float]:
    """Mean PESQ-WB and DNSMOS OVRL of the separator's estimates: fixed, so scored once per run."""
    scores = [perceptual_scores(b["estimate"], b["clean"]) for b in batches]
    return {key: float(np.nanmean([v for s in scores for v in s[key]])) for key in ("pesq", "ovrl")}


def validate(model: MeanFlowCorrector, batches: list[dict[str, torch.Tensor]], variant: Variant,
             baseline: dict[str, float] | None = None) -> dict[str, float]:
    """Mean SI-SDR of the estimate and of its correction against clean speech (EMA weights in use);
    given the estimates' quality (`estimate_quality`) as `baseline`, the correction's PESQ-WB and
    DNSMOS OVRL gains over it too."""
    mode, steps = variant.inference()
    device = next(model.parameters()).device
    model.eval()
    before, after = [], []
    quality: dict[str, list[float]] = {"pesq": [], "ovrl": []}
    for batch in ({k: v.to(device) for k, v in b.items()} for b in batches):
        corrected = correct_pairs(model, batch, mode, steps)
        before += si_sdr(batch["estimate"], batch["clean"]).tolist()
        after += si_sdr(corrected, batch["clean"]).tolist()
        if baseline is not None:
            for key, values in perceptual_scores(corrected, batch["clean"]).items():
                quality[key] += values
    model.train()
    row = {"valid_sisdr_estimate": float(np.mean(before)), "valid_sisdr_corrected": float(np.mean(after)),
           "valid_sisdr_gain": float(np.mean(after) - np.mean(before))}
    if baseline is not None:
        row |= {f"valid_{key}_gain": float(np.nanmean(quality[key])) - baseline[key] for key in quality}
    return row


def selection_score(row: dict[str, float], select: str) -> float:
    """How a validation `row` ranks for `best.json` (higher is better). "sisdr": the corrected SI-SDR.
    "quality": a checkpoint that keeps SI-SDR within SISDR_FLOOR_DB of the estimate ranks by the mean
    of its PESQ-WB and DNSMOS OVRL gains, each in units of its target; one outside the bound ranks
    below all of those (-1000), by its SI-SDR gain."""
    if select == "sisdr":
        return row["valid_sisdr_corrected"]
    if row["valid_sisdr_gain"] < SISDR_FLOOR_DB:
        return row["valid_sisdr_gain"] - 1000.0
    return 0.5 * (row["valid_pesq_gain"] / PESQ_TARGET + row["valid_ovrl_gain"] / OVRL_TARGET)


def parameter_checksum(model: torch.nn.Module) -> float:
    return float(sum(p.detach().double().sum() for p in model.parameters()))


def check_in_sync(model: torch.nn.Module, world_size: int) -> float:
    """The parameter checksum, after making sure every process holds the same weights."""
    total = parameter_checksum(model)
    if world_size > 1:
        device = next(model.parameters()).device           # nccl gathers CUDA tensors only
        sums = [torch.zeros(1, dtype=torch.float64, device=device) for _ in range(world_size)]
        dist.all_gather(sums, torch.tensor([total], dtype=torch.float64, device=device))
        if len({s.item() for s in sums}) != 1:
            raise RuntimeError(f"processes hold different weights (checksums {[s.item() for s in sums]}); "
                               "gradients were not synchronised")
    return total


def device_name(device: torch.device) -> str:
    """What trained the model, for the card: the GPU's name, or the CPU's."""
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def card(cfg: MecoTrainConfig, step: int, metrics: dict[str, Any], data: dict[str, Any], device: torch.device,
         seconds: float, init: dict[str, Any] | None = None) -> dict[str, Any]:
    mode, steps = cfg.variant.inference()
    return {
        "name": f"meco-{cfg.variant}",
        "architecture": "MeanFlowCorrector",
        "task": "correction",
        "config": cfg.model.to_dict(),
        "sample_rate": cfg.model.sample_rate,
        "channels": {"min": 1, "max": 8, "reference": 0},
        "inference": {"mode": str(mode), "steps": steps, "seed": INFERENCE_SEED, "nfe": evaluations(mode, steps)},
        "data": data,
        "training": {**training_record(step, init), "device": str(device), "device_name": device_name(device),
                     "seconds": round(seconds), "recipe": "models.train.meco",
                     "variant": str(cfg.variant),
                     "config": {k: v for k, v in asdict(cfg).items() if k != "model"}},
        "metrics": metrics,
    }


def _fresh_sums() -> dict[str, float]:
    return {"loss": 0.0, "flow": 0.0, "xr": 0.0, "n": 0, "endpoint_sisdr": 0.0, "n_endpoint": 0}


def train(cfg: MecoTrainConfig, out: Path, cache: Path) -> dict[str, Any]:
    env = setup_distributed()
    torch.set_num_threads(cfg.threads)
    torch.manual_seed(cfg.seed + env.rank)
    out.mkdir(parents=True, exist_ok=True)
    model = MeanFlowCorrector(cfg.model).to(env.device)
    init = start_from(model, out, cfg.init, env.is_main)
    broadcast_parameters(model)
    opt = torch.optim.Adam(model.parameters(), cfg.lr)
    ema = Ema(model, cfg.ema_decay)
    resume = resume_path(out)
    state = load_resume(resume, model, ema, opt) or {"step": 0, "best": -1e9, "seconds": 0.0}
    step, best, seconds = state["step"], state["best"], state["seconds"]

    # A resumed run draws fresh crops: the stream is seeded by (seed, rank, start step).
    train_data = CachedPairs(cache / CacheSplit.TRAIN, cfg.crop_samples(), 10**9,
                             seed=cfg.seed * 1_000_003 + env.rank * 7919 + step,
                             clean_at_estimate=cfg.clean_at_estimate)
    loader = DataLoader(train_data, batch_size=cfg.batch_size, collate_fn=collate, num_workers=cfg.workers,
                        persistent_workers=cfg.workers > 0, prefetch_factor=4 if cfg.workers else None)
    valid = CachedPairs(cache / CacheSplit.VALID)
    valid_items = [valid[i] for i in range(min(cfg.valid_pairs, len(valid)))]
    valid_batches = [collate(valid_items[j:j + 8]) for j in range(0, len(valid_items), 8)]
    baseline = estimate_quality(valid_batches) if cfg.select == "quality" and env.is_main else None
    csv_log = CsvLog(out / "log.csv", ["step", "progress", "loss", "flow", "xr", "endpoint_sisdr", "w_xr",
                                       "lr", "steps_per_s", "valid_sisdr_estimate", "valid_sisdr_corrected",
                                       "valid_sisdr_gain", "valid_pesq_gain", "valid_ovrl_gain", "score",
                                       "seconds"])
    manifest = cache / "manifest.json"
    data_card = json.loads(manifest.read_text()) if manifest.exists() else {"cache": str(cache)}
    log.info("training MeCo %s from step %d on %s (world %d)", cfg.variant, step, env.device, env.world_size)
    if step == 0 and init is not None and env.is_main:      # where the warm start stands (not a candidate)
        row = {"step": 0, **validate(model, valid_batches, cfg.variant, baseline)}
        csv_log.write({**row, "score": selection_score(row, cfg.select)})
        log.info("step 0 (the warm start) %s", readable(row))

    last_save, t_log = time.time(), time.time()
    sums = _fresh_sums()
    last_loss = float("nan")
    iterator = iter(loader)
    budget = Budget(cfg.steps, cfg.minutes, env.device)
    total = budget.total(step)
    while step < total:
        batch = {k: v.to(env.device) for k, v in next(iterator).items()}
        for group in opt.param_groups:
            group["lr"] = cfg.learning_rate(step, total)
        losses = training_step(model, batch, cfg.progress(step, total), cfg)
        opt.zero_grad(set_to_none=True)
        losses.total.backward()
        all_reduce_gradients(model, env.world_size)
        torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip)
        opt.step()
        ema.update(model)
        step += 1
        last_loss = float(losses.total.detach())
        for key, value in (("loss", last_loss), ("flow", losses.flow), ("xr", losses.xr), ("n", 1)):
            sums[key] += value
        if math.isfinite(losses.endpoint_si_sdr):        # NaN while the endpoint loss is off
            sums["endpoint_sisdr"] += losses.endpoint_si_sdr
            sums["n_endpoint"] += 1
        total = budget.total(step)
        done = step >= total

        if step % cfg.log_every == 0 or done:
            now = time.time()
            seconds += now - t_log
            n = sums["n"]
            row: dict[str, Any] = {"step": step, "progress": round(cfg.progress(step, total), 4),
                                   "w_xr": losses.weights.xr, "lr": opt.param_groups[0]["lr"],
                                   "steps_per_s": n / (now - t_log), "seconds": round(seconds),
                                   **{k: sums[k] / n for k in ("loss", "flow", "xr")},
                                   "endpoint_sisdr": sums["endpoint_sisdr"] / max(sums["n_endpoint"], 1)}
            sums = _fresh_sums()
            t_log = now
            if step % cfg.valid_every == 0 or done:
                check_in_sync(model, env.world_size)
                if env.is_main:
                    with ema.applied(model):
                        row.update(validate(model, valid_batches, cfg.variant, baseline))
                        row["score"] = selection_score(row, cfg.select)
                        if row["score"] > best:
                            best = row["score"]
                            metrics = {k: round(v, 3) for k, v in row.items() if k.startswith("valid")}
                            metrics["valid_set"] = f"{len(valid_items)} cached valid pairs ({cache.name})"
                            metrics["selected_by"] = cfg.select
                            checkpoint.save(model, out / "best.json",
                                            card(cfg, step, metrics, data_card, env.device, seconds, init))
            if env.is_main:
                csv_log.write(row)
                log.info("step %d %s", step, readable(row))
        if env.is_main and (time.time() - last_save > cfg.save_every_seconds or done):
            save_resume(resume, model, ema, opt, {"step": step, "best": best, "seconds": seconds})
            last_save = time.time()
    checksum = check_in_sync(model, env.world_size)
    cleanup_distributed()
    return {"step": step, "best": best, "checksum": checksum, "last_loss": last_loss, "rank": env.rank}


def _synthetic_batch(batch_size: int, samples: int, mics: int, generator: torch.Generator) -> dict[str, torch.Tensor]:
    """Random pairs with the shapes of real ones: cost does not depend on content."""
    clean = 0.05 * torch.randn(batch_size, samples, generator=generator)
    return {"clean": clean, "estimate": clean + 0.02 * torch.randn(batch_size, samples, generator=generator),
            "mixture": 0.05 * torch.randn(batch_size, mics, samples, generator=generator),
            "mic_mask": torch.ones(batch_size, mics, dtype=torch.bool)}


def profile(cfg: MecoTrainConfig, clip_seconds: float = 10.0, mics: int = 4, talkers: int = 2,
            repeats: int = 5) -> dict[str, Any]:
    """Training-step speed per JVP method and precision, size and cost, and one-step inference RTF
    next to the separator's on the same clip, both chunked as the app runs them (min of repeats)."""
    from models.common.macs import count_macs
    from models.inference.chunked import ChunkConfig, ChunkedRunner
    from models.meco.corrector import chunk_function
    from models.separator.network import SeparatorConfig, TacBandSeparator

    torch.set_num_threads(cfg.threads)
    gen = torch.Generator().manual_seed(0)
    model = MeanFlowCorrector(cfg.model)
    opt = torch.optim.Adam(model.parameters(), cfg.lr)
    batch = _synthetic_batch(cfg.batch_size, cfg.crop_samples(), mics, gen)
    report: dict[str, Any] = {"parameters": sum(p.numel() for p in model.parameters()),
                              "batch_size": cfg.batch_size, "crop_seconds": cfg.crop_samples() / cfg.model.sample_rate,
                              "threads": cfg.threads, "training": {}}
    for jvp in JvpMethod:
        for bf16 in (False, True):
            run_cfg = replace(cfg, bf16=bf16, objective=replace(cfg.objective, jvp=jvp))

            def one_step() -> None:
                losses = training_step(model, batch, 0.9, run_cfg)      # all three loss terms active
                opt.zero_grad(set_to_none=True)
                losses.total.backward()
                opt.step()

            one_step()
            wall, cpu = fastest({"step": one_step}, repeats)["step"]
            report["training"][f"{jvp}{'-bf16' if bf16 else ''}"] = {"steps_per_s": round(1.0 / wall, 3),
                                                                    "cpu_s_per_step": round(cpu, 3)}

    rate = cfg.model.sample_rate
    frames = int(clip_seconds * rate)
    clip = {"estimates": 0.05 * torch.randn(1, talkers, frames, generator=gen),
            "mixture": 0.05 * torch.randn(1, mics, frames, generator=gen)}
    model.eval()
    report["mmac_per_second_per_talker"] = round(
        count_macs(model, clip["estimates"][:, :1], clip["mixture"]) / 1e6 / clip_seconds, 1)
    separator = TacBandSeparator(SeparatorConfig()).eval()
    report["separator_mmac_per_second"] = round(count_macs(separator, clip["mixture"]) / 1e6 / clip_seconds, 1)

    chunk, overlap = ChunkConfig().frames(rate)
    stacked = torch.cat([clip["estimates"], clip["mixture"]], 1)[0].numpy()

    def run_chunked(fn, audio: np.ndarray) -> None:
        for _ in ChunkedRunner(fn, chunk, overlap, align=False).run(audio):
            pass

    for bf16 in (False, True):
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            best = fastest({"corrector": lambda: run_chunked(chunk_function(model, talkers), stacked),
                          "separator": lambda: run_chunked(separator, stacked[talkers:])}, repeats)
        suffix = "_bf16" if bf16 else ""
        for kind, index in (("wall", 0), ("cpu", 1)):
            corrector_s, separator_s = best["corrector"][index], best["separator"][index]
            report[f"rtf_corrector_{kind}{suffix}"] = round(corrector_s / clip_seconds, 4)
            report[f"rtf_separator_{kind}{suffix}"] = round(separator_s / clip_seconds, 4)
            report[f"corrector_share_of_separator_{kind}{suffix}"] = round(corrector_s / separator_s, 3)
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, help="run folder (resumes when it exists)")
    parser.add_argument("--cache", default="default", help="cache name under <cache>/meco/, or a folder")
    parser.add_argument("--variant", choices=[v.value for v in Variant], default=Variant.FULL_DSO.value)
    parser.add_argument("--steps", type=int, default=MecoTrainConfig.steps)
    parser.add_argument("--batch-size", type=int, default=MecoTrainConfig.batch_size)
    parser.add_argument("--crop-frames", type=int, default=MecoTrainConfig.crop_frames)
    parser.add_argument("--clean-as-simulated", dest="clean_at_estimate", action="store_false",
                        help="train towards clean speech at its simulated level and sign, not at those it has in "
                        "the estimate (how correctors were trained before)")
    parser.add_argument("--endpoint-weight", type=float, default=DsoConfig.endpoint_weight,
                        help="lambda of the Endpoint SI-SDR loss (MeCo's 1; no-endpoint sets 0)")
    parser.add_argument("--gains", action="store_true",
                        help="give the U-Net its complex gain path on the estimate and the reference mic "
                        "(`UNetConfig.gains`; grown at zero on a warm start from a card without it)")
    parser.add_argument("--lr", type=float, default=MecoTrainConfig.lr)
    parser.add_argument("--lr-schedule", choices=LR_SCHEDULES, default=MecoTrainConfig.lr_schedule,
                        help="constant (MeCo's) or cosine decay to 5 %% of --lr by the last step")
    parser.add_argument("--select", choices=SELECTIONS, default=MecoTrainConfig.select,
                        help="which validation keeps best.json: corrected SI-SDR, or PESQ-WB and DNSMOS OVRL "
                        "gains within the SI-SDR bound (slower validation)")
    parser.add_argument("--ema-decay", type=float, default=MecoTrainConfig.ema_decay,
                        help="EMA of the weights; a short run wants a shorter memory (e.g. 0.995)")
    parser.add_argument("--jvp", choices=[j.value for j in JvpMethod], default=DsoConfig.jvp.value,
                        help="exact forward-mode JVP, or MeCo's central difference")
    precision = parser.add_mutually_exclusive_group()
    precision.add_argument("--bf16", dest="bf16", action="store_true", default=None,
                           help="bf16 autocast, the JVP in fp32 (default: where the hardware has native bf16)")
    precision.add_argument("--no-bf16", dest="bf16", action="store_false", help="train in fp32")
    parser.add_argument("--workers", type=int, default=MecoTrainConfig.workers)
    parser.add_argument("--threads", type=int, default=MecoTrainConfig.threads)
    parser.add_argument("--valid-every", type=int, default=MecoTrainConfig.valid_every)
    parser.add_argument("--valid-pairs", type=int, default=MecoTrainConfig.valid_pairs)
    parser.add_argument("--log-every", type=int, default=MecoTrainConfig.log_every)
    parser.add_argument("--init", type=Path, help="card of a corrector to start a fresh run from "
                        "(its architecture and config must match; ignored when the run resumes)")
    parser.add_argument("--schedule-from", type=float, default=MecoTrainConfig.schedule_from,
                        help="progress in [0, 1] at which the (r, t) and loss-weight schedules start; "
                        "1 skips the flow-only warm-up and the annealing, e.g. to go on from --init")
    parser.add_argument("--minutes", type=float, help="stop after this many minutes of training, the schedules "
                        "fitted to the steps that time allows (a machine lent for a fixed time)")
    parser.add_argument("--profile", action="store_true", help="measure a training step and inference, print JSON")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    objective = replace(DsoConfig(), jvp=JvpMethod(args.jvp), endpoint_weight=args.endpoint_weight)
    base = MecoConfig()
    model = replace(base, unet=replace(base.unet, gains=args.gains))
    cfg = MecoTrainConfig.for_variant(
        Variant(args.variant), model=model, objective=objective, steps=args.steps,
        batch_size=args.batch_size, crop_frames=args.crop_frames, clean_at_estimate=args.clean_at_estimate, lr=args.lr,
        lr_schedule=args.lr_schedule, select=args.select, ema_decay=args.ema_decay,
        bf16=args.bf16, workers=args.workers,
        threads=args.threads, valid_every=args.valid_every, valid_pairs=args.valid_pairs, log_every=args.log_every,
        init=str(args.init) if args.init else None, schedule_from=args.schedule_from, minutes=args.minutes)
    if args.profile:
        print(json.dumps(profile(cfg), indent=1))
        return 0
    if args.out is None:
        parser.error("--out is required for training")
    cache = Path(args.cache) if Path(args.cache).is_dir() else cache_folder(args.cache)
    train(cfg, args.out, cache)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
