"""Train a single-channel enhancer (the DISPatch teacher, or a student without KD) on noisy/clean pairs.

    python -m models.train.enhancer --role teacher --out runs/enh-teacher
    python -m models.train.enhancer --role teacher --out runs/enh-teacher-vb --voicebank /data/VoiceBank-DEMAND
    torchrun --nproc_per_node 2 -m models.train.enhancer --role teacher --out runs/enh-teacher   # DDP

Data: the data engine's noisy *reverberant* single-talker speech (`enhancement_config` with rooms
on; target = direct path + 50 ms early reflections), or VoiceBank-DEMAND when `--voicebank` names
its folder (random crops; every 20th training file held out for validation).
Loss: GTCRN's hybrid loss (Rong et al. 2024): 30 x power-compressed (0.3) complex MSE + 70 x
compressed magnitude MSE - SI-SDR / 10, on the 512/128 STFT. The loop (`fit`) is shared with the
distillation recipe: resumable from `OUT/resume.*`, gradients averaged with
`all_reduce_gradients`, bf16 autocast (CPU or CUDA), EMA weights validated by PESQ-WB and kept
as `OUT/best.json` + `.safetensors` (a shippable card recording the device it was trained on).
"""

from __future__ import annotations

import argparse
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, replace
from enum import StrEnum
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

from models.common import checkpoint
from models.common.stft import Stft, StftConfig
from models.data.mixtures import MixtureConfig, MixtureDataset, MixtureSimulator, enhancement_config
from models.data.noise import NoisePool, default_noise_files
from models.data.readers import VoiceBankDemandReader
from models.data.speech import SpeechPool, Split
from models.enhancers.base import MaskingEnhancer
from models.enhancers.student import GtcrnStudent, StudentConfig
from models.enhancers.teacher import BandAttentionTeacher, TeacherConfig
from models.losses.si_sdr import si_sdr
from models.train.common import (Budget, CsvLog, Ema, all_reduce_gradients, broadcast_parameters, cleanup_distributed,
                                 cosine_lr, load_resume, native_bf16, readable, resume_path, rir_bank, save_resume,
                                 setup_distributed, start_from, training_record)

log = logging.getLogger(__name__)

SAMPLE_RATE = 16_000
COMPRESS = 0.3                  # GTCRN's power-law compression of the loss spectra
VB_VALID_EVERY = 20             # every 20th VoiceBank training file is held out for validation
# Sabine: a 10 x 8 x 3.5 m room (the largest simulated) cannot decay faster than ~0.16 s, and the
# data engine's default 0.1 s lower bound makes pyroomacoustics refuse such rooms.
RT60_S = (0.2, 0.8)
Batch = dict[str, torch.Tensor]


class Role(StrEnum):
    TEACHER = "teacher"
    STUDENT = "student"


@dataclass(frozen=True)
class EnhancerTrainConfig:
    role: Role = Role.TEACHER
    steps: int = 60_000
    batch_size: int = 8               # per process
    segment_seconds: float = 2.0      # GTCRN trains on short crops; cost is per second of audio
    lr: float = 1e-3                  # GTCRN: Adam 1e-3
    warmup: int = 500
    weight_decay: float = 1e-2
    grad_clip: float = 5.0
    ema_decay: float = 0.999
    # bf16 autocast; None: on for the teacher where the hardware has native bf16 (`native_bf16`), off
    # for the student. Measured with AVX512-BF16 (1 thread, load ~4): teacher 0.48 vs 0.45 steps/s,
    # student 1.58 vs 1.67, and the student's channels-last depthwise convolutions gave non-finite
    # gradients in bf16 now and then. On an AVX2-only CPU bf16 is emulated and 8x slower.
    bf16: bool | None = None
    workers: int = 2
    threads: int = 1                  # per process; 2 threads ran 3-4x slower on the shared 2-core CPU
                                      # (barrier per op); use both cores as 2 DDP processes (torchrun)
    seed: int = 0
    valid_items: int = 48
    valid_every: int = 1000
    rir_scenes: int = 200             # cached rooms for simulated pairs (0: every pair simulated afresh, ~0.3 s each)
    minutes: float | None = None      # wall-clock budget of this invocation (`Budget`); None: `steps` alone
    init: str | None = None           # card of an enhancer to start a fresh run from (e.g. to go on training it)
    save_every_seconds: float = 180.0
    log_every: int = 25

    def autocast(self, device: torch.device) -> bool:
        return self.role is Role.TEACHER and native_bf16(device) if self.bf16 is None else self.bf16


def build_enhancer(role: Role) -> MaskingEnhancer:
    return BandAttentionTeacher(TeacherConfig()) if role is Role.TEACHER else GtcrnStudent(StudentConfig())


class EnhancementLoss(torch.nn.Module):
    """GTCRN's hybrid loss on waveforms `(batch, samples)`; lower is better."""

    def __init__(self) -> None:
        super().__init__()
        self.stft = Stft(StftConfig())      # DISPatch's 512 / 128 STFT

    def _compressed(self, wave: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        spec = self.stft(wave.float())
        mag = (spec.real.pow(2) + spec.imag.pow(2) + 1e-12).sqrt()
        return spec * mag.pow(COMPRESS - 1), mag.pow(COMPRESS)

    def forward(self, estimate: torch.Tensor, clean: torch.Tensor) -> torch.Tensor:
        est_c, est_m = self._compressed(estimate)
        ref_c, ref_m = self._compressed(clean)
        complex_mse = (est_c - ref_c).abs().pow(2).mean()
        magnitude_mse = (est_m - ref_m).pow(2).mean()
        return 30 * complex_mse + 70 * magnitude_mse - si_sdr(estimate.float(), clean.float()).mean() / 10


class SimulatedPairs(Dataset):
    """`(noisy, clean)` pairs `(1, samples)` from the data engine's single-talker simulator."""

    def __init__(self, config: MixtureConfig, length: int, base_seed: int) -> None:
        speech = SpeechPool.default(config.sample_rate)
        noise = NoisePool(speech, default_noise_files(), config.sample_rate)
        self.mixtures = MixtureDataset(MixtureSimulator(config, speech, noise), length, base_seed)

    def __len__(self) -> int:
        return len(self.mixtures)

    def __getitem__(self, index: int) -> Batch:
        item = self.mixtures[index]
        return {"noisy": item["mixture"][:1], "clean": item["targets"][:1]}


class VoiceBankPairs(Dataset):
    """Random `seconds` crops (zero-padded when shorter) of VoiceBank-DEMAND files; seeded per index."""

    def __init__(self, root: Path, subset: str, seconds: float, length: int, base_seed: int, valid: bool) -> None:
        reader = VoiceBankDemandReader(root, subset)
        items = reader.items
        if subset == "train":
            items = [it for i, it in enumerate(items) if (i % VB_VALID_EVERY == 0) == valid]
        self.reader, self.items = reader, items
        self.frames, self.length, self.base_seed = int(seconds * SAMPLE_RATE), length, base_seed

    def __len__(self) -> int:
        return self.length

    def __getitem__(self, index: int) -> Batch:
        rng = np.random.default_rng([self.base_seed, index])
        example = None
        while example is None:
            example = self.reader.read(self.items[rng.integers(len(self.items))])
        noisy, clean = example.mixture[:1], example.references[:1]
        start = int(rng.integers(max(1, noisy.shape[1] - self.frames + 1)))
        pad = ((0, 0), (0, max(0, self.frames - noisy.shape[1])))
        crop = [np.pad(x[:, start:start + self.frames], pad) for x in (noisy, clean)]
        return {"noisy": torch.from_numpy(crop[0]), "clean": torch.from_numpy(crop[1])}


def simulated_config(seconds: float, split: Split = Split.TRAIN) -> MixtureConfig:
    """Noisy reverberant single-talker speech, one mic (issue #7's training data)."""
    return enhancement_config(reverberant=True, rt60_s=RT60_S, seconds=seconds, split=split)


def training_bank(seconds: float, scenes: int, voicebank: Path | None = None) -> str | None:
    """The RIR bank that simulated training and validation pairs draw rooms from (none for
    VoiceBank-DEMAND or `scenes` 0); fixed test sets always simulate fresh rooms."""
    return None if voicebank is not None else rir_bank(simulated_config(seconds), scenes)


def training_pairs(seconds: float, split: Split, length: int, base_seed: int,
                   voicebank: Path | None = None, bank: str | None = None) -> Dataset:
    """Train or validation pairs: simulated reverberant noisy speech, or VoiceBank-DEMAND."""
    if voicebank is not None:
        return VoiceBankPairs(voicebank, "train", seconds, length, base_seed, valid=split is not Split.TRAIN)
    return SimulatedPairs(replace(simulated_config(seconds, split), bank=bank), length, base_seed)


def data_card(seconds: float, voicebank: Path | None, bank: str | None = None) -> dict[str, Any]:
    if voicebank is not None:
        return {"corpus": "VoiceBank-DEMAND", "root": str(voicebank), "crop_seconds": seconds,
                "valid": f"every {VB_VALID_EVERY}th training file"}
    return {"simulator": "models.data.mixtures.enhancement_config",
            "config": asdict(replace(simulated_config(seconds), bank=bank))}


def rank_and_world() -> tuple[int, int]:
    """This process's rank and the world size (0, 1 outside torchrun)."""
    if torch.distributed.is_initialized():
        return torch.distributed.get_rank(), torch.distributed.get_world_size()
    return 0, 1


def stack(items: list[Batch]) -> Batch:
    return {k: torch.stack([it[k] for it in items]) for k in items[0]}


def validate(model: MaskingEnhancer, batches: list[Batch]) -> dict[str, float]:
    """EMA model on the fixed validation batches: PESQ-WB (selection metric) and SI-SDR gain."""
    from pesq import pesq

    model.eval()
    device = next(model.parameters()).device
    scores, gains = [], []
    with torch.inference_mode():
        for batch in batches:
            est = model(batch["noisy"].to(device)).float().cpu()
            clean = batch["clean"][:, 0]
            gains += (si_sdr(est[:, 0], clean) - si_sdr(batch["noisy"][:, 0], clean)).tolist()
            for e, c in zip(est[:, 0].numpy(), clean.numpy(), strict=True):
                scores.append(pesq(SAMPLE_RATE, c, e, "wb", on_error=1) if np.abs(c).max() > 0 else np.nan)
    model.train()
    return {"valid_pesq_wb": float(np.nanmean(scores)), "valid_sisdri": float(np.mean(gains))}


class SupervisedObjective(torch.nn.Module):
    """An objective maps (model, batch) to (loss, logged parts); a module, so `fit` moves its STFT
    windows to the training device."""

    def __init__(self) -> None:
        super().__init__()
        self.loss = EnhancementLoss()

    def forward(self, model: MaskingEnhancer, batch: Batch) -> tuple[torch.Tensor, dict[str, float]]:
        value = self.loss(model(batch["noisy"])[:, 0], batch["clean"][:, 0])
        return value, {"supervised": value.item()}


@dataclass(frozen=True)
class Run:
    """What `fit` needs besides the model: where, how long, and how to describe the result."""
    out: Path
    cfg: EnhancerTrainConfig
    card: Callable[[int, dict[str, Any], str, float], dict[str, Any]]    # (step, metrics, device, seconds)
    log_fields: tuple[str, ...] = ("supervised",)


def fit(model: MaskingEnhancer, objective: torch.nn.Module, batches: Callable[[int], Iterator[Batch]],
        valid_batches: list[Batch], run: Run) -> dict[str, float]:
    """The training loop shared by the teacher and the students; `batches(step)` restarts the
    data stream at a step (seeded by it, so a resumed run continues with unseen data)."""
    env = setup_distributed()
    cfg, out = run.cfg, run.out
    torch.set_num_threads(cfg.threads)
    torch.manual_seed(cfg.seed + env.rank)
    out.mkdir(parents=True, exist_ok=True)
    init = start_from(model, out, cfg.init, env.is_main)
    model = model.to(env.device).train()
    objective = objective.to(env.device)
    broadcast_parameters(model)
    opt = torch.optim.AdamW(model.parameters(), cfg.lr, weight_decay=cfg.weight_decay)
    ema = Ema(model, cfg.ema_decay)
    resume = resume_path(out)
    state = load_resume(resume, model, ema, opt) or {"step": 0, "best": -1e9, "seconds": 0.0}
    ema.shadow = {k: v.to(env.device) for k, v in ema.shadow.items()}      # resume loads them on the CPU
    step, best, seconds = state["step"], state["best"], state["seconds"]
    fields = ["step", "lr", "loss", *run.log_fields, "steps_per_s", "skipped", "valid_pesq_wb", "valid_sisdri",
              "seconds"]
    csv_log = CsvLog(out / "log.csv", fields)
    iterator = batches(step)
    log.info("training %s from step %d on %s (world %d)", type(model).__name__, step, env.device, env.world_size)

    sums: dict[str, float] = {}
    last_save, t_log, n_sum, skipped = time.time(), time.time(), 0, 0
    device_type = "cpu" if env.device.type == "cpu" else "cuda"
    budget = Budget(cfg.steps, cfg.minutes, env.device)
    total = budget.total(step)
    while step < total:
        batch = {k: v.to(env.device) for k, v in next(iterator).items()}
        for group in opt.param_groups:
            group["lr"] = cosine_lr(step, total, cfg.lr, cfg.warmup)
        with torch.autocast(device_type, dtype=torch.bfloat16, enabled=cfg.autocast(env.device)):
            loss, parts = objective(model, batch)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        all_reduce_gradients(model, env.world_size)
        norm = torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip)
        if torch.isfinite(norm):        # a non-finite gradient would poison weights and EMA: skip it
            opt.step()
            ema.update(model)
        else:
            skipped += 1
            log.warning("step %d: non-finite gradient norm, update skipped", step)
        step += 1
        n_sum += 1
        for k, v in {"loss": loss.item(), **parts}.items():
            sums[k] = sums.get(k, 0.0) + v
        total = budget.total(step)
        done = step >= total

        if env.is_main and (step % cfg.log_every == 0 or done):
            now = time.time()
            seconds += now - t_log
            row = {"step": step, "lr": opt.param_groups[0]["lr"], **{k: v / n_sum for k, v in sums.items()},
                   "steps_per_s": n_sum / (now - t_log), "skipped": skipped, "seconds": round(seconds)}
            t_log, sums, n_sum = now, {}, 0
            if (step % cfg.valid_every == 0 or done) and valid_batches:
                with ema.applied(model):
                    row.update(validate(model, valid_batches))
                    if row["valid_pesq_wb"] > best:
                        best = row["valid_pesq_wb"]
                        metrics = {k: round(v, 3) for k, v in row.items() if k.startswith("valid")}
                        card = run.card(step, metrics, str(env.device), seconds)
                        card["training"].update(training_record(step, init))
                        checkpoint.save(model, out / "best.json", card)
            csv_log.write(row)
            log.info("step %d %s", step, readable(row))
        if env.is_main and (time.time() - last_save > cfg.save_every_seconds or done):
            save_resume(resume, model, ema, opt, {"step": step, "best": best, "seconds": seconds})
            last_save = time.time()
    cleanup_distributed()
    return {"step": step, "best": best}


def enhancer_card(name: str, model: MaskingEnhancer, recipe: str, cfg: EnhancerTrainConfig, data: dict[str, Any],
                  step: int, metrics: dict[str, Any], device: str, seconds: float,
                  extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """A shippable card: the engine lists it under task 'enhancement'; `device` says where it trained."""
    return {
        "name": name, "architecture": type(model).__name__, "task": "enhancement",
        "config": model.config.to_dict(), "sample_rate": SAMPLE_RATE, "channels": {"min": 1, "max": None},
        "data": data,
        "training": {"steps": step, "device": device, "seconds": round(seconds), "recipe": recipe,
                     "config": {k: str(v) if isinstance(v, StrEnum) else v for k, v in asdict(cfg).items()},
                     **(extra or {})},
        "metrics": {**metrics, "valid_set": f"{cfg.valid_items} held-out pairs, seed 12345"},
    }


def loader_from(dataset: Dataset, cfg: EnhancerTrainConfig) -> Iterator[Batch]:
    return iter(DataLoader(dataset, batch_size=cfg.batch_size, collate_fn=stack, num_workers=cfg.workers,
                           prefetch_factor=4 if cfg.workers else None))


def valid_set(dataset: Dataset) -> list[Batch]:
    return [stack([dataset[i] for i in range(j, min(j + 8, len(dataset)))]) for j in range(0, len(dataset), 8)]


def train(cfg: EnhancerTrainConfig, out: Path, voicebank: Path | None = None) -> dict[str, float]:
    torch.manual_seed(cfg.seed)                     # the same initial weights on every rank and rerun
    model = build_enhancer(cfg.role)
    bank = training_bank(cfg.segment_seconds, cfg.rir_scenes, voicebank)
    data = data_card(cfg.segment_seconds, voicebank, bank)
    name = f"enh-{cfg.role}" + ("-vb" if voicebank else "")
    valid = valid_set(training_pairs(cfg.segment_seconds, Split.VALID, cfg.valid_items, 12345, voicebank, bank))

    def batches(step: int) -> Iterator[Batch]:
        seed = cfg.seed * 1000 + rank_and_world()[0] * 10**6 + step
        return loader_from(training_pairs(cfg.segment_seconds, Split.TRAIN, 10**9, seed, voicebank, bank), cfg)

    def card(step: int, metrics: dict[str, Any], device: str, seconds: float) -> dict[str, Any]:
        return enhancer_card(name, model, "models.train.enhancer", cfg, data, step, metrics, device, seconds)

    return fit(model, SupervisedObjective(), batches, valid, Run(out, cfg, card))


def add_loop_arguments(parser: argparse.ArgumentParser, defaults: EnhancerTrainConfig) -> None:
    """Options shared by this recipe and the distillation recipe."""
    parser.add_argument("--out", type=Path, required=True, help="run folder (resumes when it exists)")
    parser.add_argument("--steps", type=int, default=defaults.steps)
    parser.add_argument("--batch-size", type=int, default=defaults.batch_size)
    parser.add_argument("--segment-seconds", type=float, default=defaults.segment_seconds)
    parser.add_argument("--lr", type=float, default=defaults.lr)
    parser.add_argument("--warmup", type=int, default=defaults.warmup, help="linear LR warm-up steps")
    parser.add_argument("--ema-decay", type=float, default=defaults.ema_decay,
                        help="EMA horizon ~ 1/(1-decay) steps; keep it near a tenth of the run")
    parser.add_argument("--workers", type=int, default=defaults.workers)
    parser.add_argument("--threads", type=int, default=defaults.threads)
    parser.add_argument("--valid-every", type=int, default=defaults.valid_every)
    parser.add_argument("--valid-items", type=int, default=defaults.valid_items)
    parser.add_argument("--log-every", type=int, default=defaults.log_every)
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument("--minutes", type=float, default=defaults.minutes,
                        help="stop after this many minutes of training, the LR schedule fitted to the steps "
                             "that time allows (a machine lent for a fixed time)")
    parser.add_argument("--init", type=Path, help="card of an enhancer of this role to start a fresh run from "
                        "(its architecture and config must match; ignored when the run resumes)")
    parser.add_argument("--rir-scenes", type=int, default=defaults.rir_scenes,
                        help="rooms in the cached RIR bank for simulated pairs (0: simulate every pair afresh)")
    precision = parser.add_mutually_exclusive_group()
    precision.add_argument("--bf16", dest="bf16", action="store_true", default=None,
                           help="bf16 autocast (default: the teacher where the hardware has native bf16)")
    precision.add_argument("--no-bf16", dest="bf16", action="store_false", help="train in fp32")


def loop_config(args: argparse.Namespace, base: EnhancerTrainConfig) -> EnhancerTrainConfig:
    return replace(base, steps=args.steps, batch_size=args.batch_size, segment_seconds=args.segment_seconds,
                   lr=args.lr, warmup=args.warmup, ema_decay=args.ema_decay, workers=args.workers,
                   threads=args.threads, valid_every=args.valid_every, valid_items=args.valid_items,
                   log_every=args.log_every, seed=args.seed, bf16=args.bf16, rir_scenes=args.rir_scenes,
                   minutes=args.minutes, init=str(args.init) if args.init else None)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--role", choices=[r.value for r in Role], default=Role.TEACHER.value)
    parser.add_argument("--voicebank", type=Path, default=None,
                        help="VoiceBank-DEMAND folder (default: simulated data)")
    add_loop_arguments(parser, EnhancerTrainConfig())
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    train(loop_config(args, EnhancerTrainConfig(role=Role(args.role))), args.out, args.voicebank)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
