"""Train the TAC band-split separator with permutation-invariant SI-SDR on simulated array mixtures.

    python -m models.train.separator --out runs/separator --steps 20000
    torchrun --nproc_per_node 4 -m models.train.separator --out runs/separator   # DDP (gloo on CPU)

Resumes from `OUT/resume.*` when present; writes `OUT/log.csv`, keeps the best EMA model by
validation SI-SDRi as `OUT/best.json` + `OUT/best.safetensors` (a shippable card).
"""

from __future__ import annotations

import argparse
import logging
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import DataLoader

from models.common import checkpoint
from models.data.mixtures import MixtureConfig, MixtureDataset, MixtureSimulator
from models.data.noise import NoisePool, default_noise_files
from models.data.speech import SpeechPool, Split
from models.losses.si_sdr import pit_si_sdr, si_sdr
from models.separator.network import SeparatorConfig, TacBandSeparator
from models.train.common import (Bf16Choice, Budget, CsvLog, Ema, all_reduce_gradients, broadcast_parameters,
                                 cleanup_distributed, cosine_lr, load_resume, readable, resume_path, rir_bank,
                                 save_resume, setup_distributed, start_from, training_record)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SeparatorTrainConfig(Bf16Choice):
    model: SeparatorConfig = field(default_factory=SeparatorConfig)
    steps: int = 20_000
    batch_size: int = 8               # per process
    segment_seconds: float = 2.0      # short crops: most of the cost is per second of audio
    lr: float = 1e-3
    warmup: int = 500
    weight_decay: float = 1e-2
    grad_clip: float = 5.0
    ema_decay: float = 0.999
    bf16: bool | None = None          # autocast; None: where the hardware has native bf16 (`native_bf16`)
    mwf_weight: float = 0.0           # weight of the SI-SDR loss on the MWF output (multi-mic items)
    workers: int = 2
    threads: int = 2
    seed: int = 0
    valid_items: int = 48
    valid_every: int = 500
    save_every_seconds: float = 180.0
    log_every: int = 25
    refresh_data_every: int = 1000    # re-read the corpus and RIR bank, which grow while data-prep runs
    init: str | None = None           # card of a checkpoint to start from (a fresh run only)
    minutes: float | None = None      # wall-clock budget of this invocation (`Budget`); None: `steps` alone


def collate(items: list[dict]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Batch arrays of different sizes at the cost of a typical one, not the largest.

    The batch takes the mic count k of one of its items at random; larger arrays keep their
    first k mics (a smaller array of the same geometry, reference mic first), smaller ones are
    padded and masked out. Padding every batch to 8 mics would double the cost per step.
    """
    counts = [m["mixture"].shape[0] for m in items]
    mics = counts[int(torch.randint(len(items), ()))]
    frames = items[0]["mixture"].shape[1]
    mix = torch.zeros(len(items), mics, frames)
    mask = torch.zeros(len(items), mics, dtype=torch.bool)
    for i, m in enumerate(items):
        used = min(mics, counts[i])
        mix[i, :used] = m["mixture"][:used]
        mask[i, :used] = True
    return mix, mask, torch.stack([m["targets"] for m in items])


def build_datasets(data: MixtureConfig, seed: int, valid_items: int) -> tuple[MixtureDataset, MixtureDataset]:
    """On-the-fly training mixtures and a fixed validation set from held-out voices."""
    speech = SpeechPool.default(data.sample_rate)
    noise = NoisePool(speech, default_noise_files(), sample_rate=data.sample_rate)
    log.info("speech pool: %.2f h, %d train voices", speech.hours(), len(speech.voices(Split.TRAIN)))
    train_sim = MixtureSimulator(data, speech, noise)
    valid_sim = MixtureSimulator(replace(data, split=Split.VALID), speech, noise)
    return MixtureDataset(train_sim, 10**9, seed), MixtureDataset(valid_sim, valid_items, 12345)


def evaluate(model: TacBandSeparator,
             batches: list[tuple[torch.Tensor, torch.Tensor, torch.Tensor]]) -> dict[str, float]:
    model.eval()
    device = next(model.parameters()).device
    gains: dict[str, list[float]] = {"mask": [], "mwf": []}
    with torch.inference_mode():
        for batch in batches:
            mix, mask, ref = (t.to(device) for t in batch)
            masked, filtered = model.forward_with_mwf(mix, mask)
            base = si_sdr(mix[:, :1].expand_as(ref), ref).mean(-1)
            for name, est in (("mask", masked), ("mwf", filtered)):
                gains[name] += (pit_si_sdr(est, ref)[0] - base).tolist()
    model.train()
    return {f"valid_sisdri_{k}": float(np.mean(v)) for k, v in gains.items()}


def _card(cfg: SeparatorTrainConfig, step: int, metrics: dict[str, Any], data: dict[str, Any],
          device: str, seconds: float, init: dict[str, Any] | None) -> dict[str, Any]:
    return {
        "name": "tacband-separator",
        "architecture": "TacBandSeparator",
        "task": "separation",
        "config": cfg.model.to_dict(),
        "sample_rate": cfg.model.sample_rate,
        "channels": {"min": 1, "max": 8, "reference": 0},
        "talkers": cfg.model.talkers,
        "data": data,
        "training": {**training_record(step, init), "device": device, "seconds": round(seconds),
                     "recipe": "models.train.separator",
                     "config": {k: v for k, v in asdict(cfg).items() if k != "model"}},
        "metrics": metrics,
    }


def training_step(model: TacBandSeparator, opt: torch.optim.Optimizer,
                  batch: tuple[torch.Tensor, torch.Tensor, torch.Tensor], cfg: SeparatorTrainConfig,
                  device: torch.device, world_size: int = 1) -> tuple[torch.Tensor, torch.Tensor]:
    """One optimiser step on `batch` (mixture, mic mask, references); (loss, PIT SI-SDR per item)."""
    mix, mic_mask, ref = batch
    with torch.autocast("cpu" if device.type == "cpu" else "cuda", dtype=torch.bfloat16, enabled=cfg.autocast(device)):
        if cfg.mwf_weight > 0:
            masked, filtered = model.forward_with_mwf(mix, mic_mask)
        else:
            masked, filtered = model(mix, mic_mask), None
    score, perm = pit_si_sdr(masked.float(), ref)
    loss = -score.mean()
    if filtered is not None:
        multi = mic_mask.sum(1) > 1
        aligned = torch.gather(filtered.float(), 1, perm[..., None].expand_as(filtered))
        loss = loss - cfg.mwf_weight * (si_sdr(aligned, ref).mean(-1) * multi).sum() / multi.sum().clamp(min=1)
    opt.zero_grad(set_to_none=True)
    loss.backward()
    all_reduce_gradients(model, world_size)
    torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip)
    opt.step()
    return loss, score


def step_rate(cfg: SeparatorTrainConfig, mics: int = 4, steps: int = 3) -> float:
    """Training steps per second of the recipe's model and batch on this machine (random audio
    of `mics` channels: the cost does not depend on the content), after one warm-up step."""
    torch.manual_seed(0)
    model = TacBandSeparator(cfg.model)
    opt = torch.optim.AdamW(model.parameters(), cfg.lr, weight_decay=cfg.weight_decay)
    frames = round(cfg.segment_seconds * cfg.model.sample_rate)
    batch = (0.1 * torch.randn(cfg.batch_size, mics, frames), torch.ones(cfg.batch_size, mics, dtype=torch.bool),
             0.1 * torch.randn(cfg.batch_size, cfg.model.talkers, frames))
    cpu = torch.device("cpu")
    training_step(model, opt, batch, cfg, cpu)
    started = time.perf_counter()
    for _ in range(steps):
        training_step(model, opt, batch, cfg, cpu)
    return steps / (time.perf_counter() - started)


def train(cfg: SeparatorTrainConfig, out: Path, data_config: MixtureConfig) -> dict[str, float]:
    env = setup_distributed()
    torch.set_num_threads(cfg.threads)
    torch.manual_seed(cfg.seed + env.rank)
    out.mkdir(parents=True, exist_ok=True)
    model = TacBandSeparator(cfg.model).to(env.device)
    resume = resume_path(out)
    init = start_from(model, out, cfg.init, env.is_main)
    broadcast_parameters(model)
    opt = torch.optim.AdamW(model.parameters(), cfg.lr, weight_decay=cfg.weight_decay)
    ema = Ema(model, cfg.ema_decay)
    state = load_resume(resume, model, ema, opt) or {"step": 0, "best": -1e9, "seconds": 0.0}
    step, best, seconds = state["step"], state["best"], state["seconds"]

    def make_loader() -> tuple[Iterator, MixtureDataset]:
        train_data, valid = build_datasets(data_config, cfg.seed * 1000 + env.rank * 10**6 + step, cfg.valid_items)
        loader = DataLoader(train_data, batch_size=cfg.batch_size, collate_fn=collate, num_workers=cfg.workers,
                            prefetch_factor=4 if cfg.workers else None)
        return iter(loader), valid

    iterator, valid = make_loader()
    valid_batches = [collate([valid[i] for i in range(j, min(j + 8, len(valid)))]) for j in range(0, len(valid), 8)]
    csv_log = CsvLog(out / "log.csv", ["step", "lr", "loss", "train_sisdr", "steps_per_s", "valid_sisdri_mask",
                                       "valid_sisdri_mwf", "seconds"])
    data_card = {"simulator": "models.data.mixtures", "config": asdict(data_config)}
    log.info("training separator from step %d on %s (world %d)", step, env.device, env.world_size)

    last_save, t_log, loss_sum, score_sum, n_sum = time.time(), time.time(), 0.0, 0.0, 0
    # On resume the stream is reseeded with the step, so it continues with unseen mixtures.
    budget = Budget(cfg.steps, cfg.minutes, env.device)
    total = budget.total(step)
    while step < total:
        if step % cfg.refresh_data_every == 0 and step > state["step"]:
            iterator, _ = make_loader()
        mix, mic_mask, ref = (t.to(env.device) for t in next(iterator))
        for group in opt.param_groups:
            group["lr"] = cosine_lr(step, total, cfg.lr, cfg.warmup)
        loss, score = training_step(model, opt, (mix, mic_mask, ref), cfg, env.device, env.world_size)
        ema.update(model)
        step += 1
        loss_sum, score_sum, n_sum = loss_sum + loss.item(), score_sum + score.mean().item(), n_sum + 1
        total = budget.total(step)
        done = step >= total

        if env.is_main and (step % cfg.log_every == 0 or done):
            now = time.time()
            seconds += now - t_log
            row = {"step": step, "lr": opt.param_groups[0]["lr"], "loss": loss_sum / n_sum,
                   "train_sisdr": score_sum / n_sum, "steps_per_s": n_sum / (now - t_log), "seconds": round(seconds)}
            t_log, loss_sum, score_sum, n_sum = now, 0.0, 0.0, 0
            if step % cfg.valid_every == 0 or done:
                with ema.applied(model):
                    row.update(evaluate(model, valid_batches))
                    if row["valid_sisdri_mask"] > best:
                        best = row["valid_sisdri_mask"]
                        metrics = {k: round(v, 3) for k, v in row.items() if k.startswith("valid")}
                        metrics["valid_set"] = f"{cfg.valid_items} simulated mixtures, valid voices, seed 12345"
                        checkpoint.save(model, out / "best.json", _card(cfg, step, metrics, data_card,
                                                                         str(env.device), seconds, init))
            csv_log.write(row)
            log.info("step %d %s", step, readable(row))
        if env.is_main and (time.time() - last_save > cfg.save_every_seconds or done):
            save_resume(resume, model, ema, opt, {"step": step, "best": best, "seconds": seconds})
            last_save = time.time()
    cleanup_distributed()
    return {"step": step, "best": best}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, required=True, help="run folder (resumes when it exists)")
    parser.add_argument("--steps", type=int, default=SeparatorTrainConfig.steps)
    parser.add_argument("--batch-size", type=int, default=SeparatorTrainConfig.batch_size)
    parser.add_argument("--segment-seconds", type=float, default=SeparatorTrainConfig.segment_seconds)
    parser.add_argument("--lr", type=float, default=SeparatorTrainConfig.lr)
    parser.add_argument("--warmup", type=int, default=SeparatorTrainConfig.warmup, help="steps of linear LR warm-up")
    parser.add_argument("--channels", type=int, default=SeparatorConfig.channels, help="model width D")
    parser.add_argument("--blocks", type=int, default=SeparatorConfig.blocks)
    parser.add_argument("--spatial-blocks", type=int, default=SeparatorConfig.spatial_blocks,
                        help="per-mic time blocks with TAC before pooling (grown at identity from an --init "
                             "card without them)")
    parser.add_argument("--mwf-weight", type=float, default=SeparatorTrainConfig.mwf_weight)
    parser.add_argument("--workers", type=int, default=SeparatorTrainConfig.workers)
    parser.add_argument("--threads", type=int, default=SeparatorTrainConfig.threads)
    parser.add_argument("--valid-every", type=int, default=SeparatorTrainConfig.valid_every)
    parser.add_argument("--valid-items", type=int, default=SeparatorTrainConfig.valid_items)
    parser.add_argument("--log-every", type=int, default=SeparatorTrainConfig.log_every)
    parser.add_argument("--ema-decay", type=float, default=SeparatorTrainConfig.ema_decay,
                        help="EMA horizon ~ 1/(1-decay) steps; keep it near a tenth of the run")
    parser.add_argument("--rir-scenes", type=int, default=250,
                        help="rooms in the cached RIR bank (built once, ~1 s each); 0 simulates every mixture afresh")
    parser.add_argument("--refresh-data-every", type=int, default=SeparatorTrainConfig.refresh_data_every)
    parser.add_argument("--minutes", type=float, help="stop after this many minutes of training, the LR "
                        "schedule fitted to the steps that time allows (a machine lent for a fixed time)")
    parser.add_argument("--init", type=Path, help="card of a checkpoint to start a fresh run from "
                                                   "(e.g. the shipped separator); ignored on resume")
    precision = parser.add_mutually_exclusive_group()
    precision.add_argument("--bf16", dest="bf16", action="store_true", default=None,
                           help="bf16 autocast (default: where the hardware has native bf16)")
    precision.add_argument("--no-bf16", dest="bf16", action="store_false", help="train in fp32")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    model = replace(SeparatorConfig(), channels=args.channels, blocks=args.blocks,
                    spatial_blocks=args.spatial_blocks)
    cfg = SeparatorTrainConfig(model=model, steps=args.steps, batch_size=args.batch_size,
                               segment_seconds=args.segment_seconds, lr=args.lr, warmup=args.warmup,
                               mwf_weight=args.mwf_weight,
                               workers=args.workers, threads=args.threads, valid_every=args.valid_every,
                               valid_items=args.valid_items, log_every=args.log_every, bf16=args.bf16,
                               refresh_data_every=args.refresh_data_every, ema_decay=args.ema_decay,
                               init=str(args.init) if args.init else None, minutes=args.minutes)
    data = MixtureConfig(seconds=cfg.segment_seconds, talkers=(2, 2))
    data = replace(data, bank=rir_bank(data, args.rir_scenes))
    train(cfg, args.out, data)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
