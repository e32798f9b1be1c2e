"""What every training recipe shares: distributed setup, resume state, EMA, LR schedule, CSV log.

Resume state is data too: tensors (model, EMA, optimiser moments, RNG) in safetensors, the rest
(step, optimiser hyper-parameters, wall time) in JSON; nothing is unpickled on resume.
"""

from __future__ import annotations

import csv
import json
import math
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
import torch.distributed as dist
from safetensors.torch import load_file, save_file
from torch import nn

from models.common import checkpoint
from models.data.mixtures import MixtureConfig
from models.data.scenes import ensure_bank


@dataclass(frozen=True)
class Distributed:
    rank: int
    world_size: int
    local_rank: int
    device: torch.device

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def setup_distributed(device: str = "auto") -> Distributed:
    """One process, or one per GPU/CPU slot under `torchrun` (gloo on CPU, nccl on GPUs)."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    local = int(os.environ.get("LOCAL_RANK", "0"))
    use_cuda = torch.cuda.is_available() and device in ("auto", "cuda")
    dev = torch.device(f"cuda:{local}") if use_cuda else torch.device("cpu")
    if use_cuda:
        torch.cuda.set_device(dev)
    if world > 1 and not dist.is_initialized():
        dist.init_process_group("nccl" if use_cuda else "gloo")
    return Distributed(rank, world, local, dev)


def cleanup_distributed() -> None:
    """Tear down together: a process that left while its peer was still in a collective could
    abort the peer (gloo), so all wait at a barrier first."""
    if dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()


def all_reduce_gradients(model: nn.Module, world_size: int) -> None:
    """Average gradients across processes by hand.

    Used where DDP's hooks are bypassed (torch.func.jvp in MeCo) and for plain models alike,
    so every recipe synchronises the same way.
    """
    if world_size <= 1:
        return
    grads = [p.grad for p in model.parameters() if p.grad is not None]
    if not grads:
        return
    flat = torch.cat([g.reshape(-1) for g in grads])
    dist.all_reduce(flat)
    flat /= world_size
    offset = 0
    for g in grads:
        g.copy_(flat[offset:offset + g.numel()].view_as(g))
        offset += g.numel()


def broadcast_parameters(model: nn.Module) -> None:
    if dist.is_initialized():
        for tensor in list(model.parameters()) + list(model.buffers()):
            dist.broadcast(tensor.data, src=0)


def warm_start(model: nn.Module, card_path: Path) -> dict[str, Any]:
    """Load a shipped checkpoint's weights into a fresh run; returns its provenance for the new card.

    Every weight of the card must fit `model`, so a warm start never silently drops layers. The
    model may have more: only layers it names in `GROWABLE` (identity at init), listed as `grown`.
    """
    source, card = checkpoint.load(card_path)
    if type(source) is not type(model):
        raise ValueError(f"{card_path} holds a {card['architecture']} that does not match this run's model")
    try:
        missing, unexpected = model.load_state_dict(source.state_dict(), strict=False)
    except RuntimeError as err:
        raise ValueError(f"{card_path} does not fit this run's model: {err}") from err
    growable = getattr(model, "GROWABLE", ())
    not_growable = [k for k in missing if not k.startswith(growable)]
    if unexpected or not_growable:
        raise ValueError(f"{card_path} does not fit this run's model: missing {sorted(not_growable)}, "
                         f"unexpected {sorted(unexpected)}")
    grown = sorted({p + k[len(p):].split(".")[0] for k in missing for p in growable if k.startswith(p)})
    return {"name": card.get("name"), "sha256": card["weights"]["sha256"],
            "steps": card.get("training", {}).get("steps"), **({"grown": grown} if grown else {})}


def resume_path(out: Path) -> Path:
    """Where a run keeps its resume state (`resume.safetensors` + `resume.json`), for every recipe."""
    return out / "resume"


def start_from(model: nn.Module, out: Path, init_card: str | None, is_main: bool) -> dict[str, Any] | None:
    """A run's warm start: the card's weights on a fresh run, and its provenance on every run.

    The provenance is kept in `out/initialised_from.json`, so a resumed run still records it in
    its card; a resumed run keeps its own weights and ignores `init_card`.
    """
    init_file = out / "initialised_from.json"
    init = json.loads(init_file.read_text()) if init_file.exists() else None
    if init_card and not resume_path(out).with_suffix(".json").exists():
        init = warm_start(model, Path(init_card))
        if is_main:
            init_file.write_text(json.dumps(init))
    return init


def training_record(step: int, init: dict[str, Any] | None) -> dict[str, Any]:
    """A card's step count: every optimiser step the weights have seen, the warm start's included."""
    total = step + ((init or {}).get("steps") or 0)
    return {"steps": total, **({"initialised_from": init, "steps_this_run": step} if init else {})}


def cosine_lr(step: int, total: int, peak: float, warmup: int, floor: float = 0.05) -> float:
    """Linear warm-up, cosine decay to floor * peak; a pure function of the step (nanoGPT)."""
    if step < warmup:
        return peak * (step + 1) / warmup
    progress = min(1.0, (step - warmup) / max(1, total - warmup))
    return peak * (floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * progress)))


class Budget:
    """A run's length in steps: `steps`, or, given `minutes`, as many as this invocation's wall
    clock allows at the rate it has run so far, whichever is fewer.

    A machine lent for fixed minutes then ends its run on time, with the LR schedule decayed,
    whatever its step rate. Under DDP every rank takes rank 0's clock, so all stop at one step.
    """

    def __init__(self, steps: int, minutes: float | None, device: torch.device) -> None:
        if minutes is not None and minutes <= 0:
            raise ValueError(f"a time budget must be positive, not {minutes} minutes")
        self.steps, self.minutes, self.device = steps, minutes, device
        self.started = time.monotonic()
        self.first_step: int | None = None

    def total(self, step: int) -> int:
        """The step this run ends at, as seen at `step` (the LR schedule's `total`)."""
        if self.minutes is None:
            return self.steps
        if self.first_step is None:
            self.first_step = step
        used = torch.tensor([(time.monotonic() - self.started) / (60 * self.minutes)], device=self.device)
        if dist.is_initialized():
            dist.broadcast(used, src=0)
        fraction = float(used.item())
        if fraction >= 1:
            return min(self.steps, step)
        done = step - self.first_step
        projected = self.first_step + math.ceil(done / fraction) if done > 0 and fraction > 0 else self.steps
        return min(self.steps, max(step + 1, projected))


class Ema:
    """Exponential moving average of parameters; evaluation and shipping use the EMA weights."""

    def __init__(self, model: nn.Module, decay: float) -> None:
        self.decay = decay
        self.shadow = {k: v.detach().clone().float() for k, v in model.state_dict().items()}

    @torch.no_grad()
    def update(self, model: nn.Module) -> None:
        for k, v in model.state_dict().items():
            if v.dtype.is_floating_point:
                self.shadow[k].lerp_(v.float(), 1 - self.decay)
            else:
                self.shadow[k].copy_(v)

    @contextmanager
    def applied(self, model: nn.Module) -> Iterator[None]:
        """Temporarily load EMA weights into model (e.g. for validation)."""
        backup = {k: v.detach().clone() for k, v in model.state_dict().items()}
        model.load_state_dict({k: v.to(backup[k].dtype) for k, v in self.shadow.items()})
        try:
            yield
        finally:
            model.load_state_dict(backup)


def save_resume(path: Path, model: nn.Module, ema: Ema | None, opt: torch.optim.Optimizer,
                meta: dict[str, Any]) -> None:
    """Tensors to `path.safetensors`, the rest to `path.json`, each written atomically."""
    tensors = {f"model.{k}": v.detach().contiguous().cpu() for k, v in model.state_dict().items()}
    if ema is not None:
        tensors.update({f"ema.{k}": v.contiguous().cpu() for k, v in ema.shadow.items()})
    state = opt.state_dict()
    for idx, slots in state["state"].items():
        for name, value in slots.items():
            tensors[f"opt.{idx}.{name}"] = torch.as_tensor(value).detach().contiguous().cpu()
    tensors["rng.torch"] = torch.get_rng_state()
    tmp = path.with_suffix(".safetensors.tmp")
    save_file(tensors, str(tmp))
    os.replace(tmp, path.with_suffix(".safetensors"))
    info = {**meta, "param_groups": state["param_groups"], "saved_at": time.time()}
    tmp_json = path.with_suffix(".json.tmp")
    tmp_json.write_text(json.dumps(info, indent=1, default=str))
    os.replace(tmp_json, path.with_suffix(".json"))


def load_resume(path: Path, model: nn.Module, ema: Ema | None, opt: torch.optim.Optimizer) -> dict[str, Any] | None:
    """Restore what `save_resume` wrote; None when there is nothing to resume."""
    if not path.with_suffix(".json").exists() or not path.with_suffix(".safetensors").exists():
        return None
    info = json.loads(path.with_suffix(".json").read_text())
    tensors = load_file(str(path.with_suffix(".safetensors")))
    model.load_state_dict({k[6:]: v for k, v in tensors.items() if k.startswith("model.")}, strict=True)
    if ema is not None:
        device = next(model.parameters()).device
        ema.shadow = {k[4:]: v.float().to(device) for k, v in tensors.items() if k.startswith("ema.")}
    opt_state: dict[int, dict[str, torch.Tensor]] = {}
    for key, value in tensors.items():
        if key.startswith("opt."):
            _, idx, name = key.split(".", 2)
            opt_state.setdefault(int(idx), {})[name] = value
    opt.load_state_dict({"state": opt_state, "param_groups": info["param_groups"]})
    torch.set_rng_state(tensors["rng.torch"])
    return info


def readable(row: dict[str, Any]) -> dict[str, Any]:
    """A log row for people: floats to 4 significant digits (a 3e-4 learning rate stays 3e-4)."""
    return {k: float(f"{v:.4g}") if isinstance(v, float) else v for k, v in row.items()}


class CsvLog:
    """Append-only metrics log; a resumed run keeps writing to the same file, under that file's
    header (a column added to the recipe since the run began is left out, not misaligned)."""

    def __init__(self, path: Path, fields: list[str]) -> None:
        self.path, self.fields = path, fields
        if path.exists() and path.stat().st_size:
            with path.open(newline="") as f:
                self.fields = next(csv.reader(f))
        else:
            with path.open("w", newline="") as f:
                csv.DictWriter(f, fields).writeheader()

    def write(self, row: dict[str, Any]) -> None:
        with self.path.open("a", newline="") as f:
            csv.DictWriter(f, self.fields, extrasaction="ignore").writerow(row)


def rir_bank(data: MixtureConfig, scenes: int) -> str | None:
    """The cached RIR bank matching `data`'s rooms and arrays (built up to `scenes` if short, on
    every core: nothing else runs before training starts); None (fresh rooms per mixture, slower)
    when `scenes` is 0."""
    if scenes <= 0:
        return None
    return str(ensure_bank(data.scene_config(), data.sample_rate, scenes, workers=os.cpu_count() or 1))


def native_bf16(device: torch.device) -> bool:
    """Whether bf16 autocast pays on `device`: CUDA with bf16 support, or a CPU with AVX512-BF16
    or AMX. Without them CPU bf16 is emulated: measured on an AVX2-only EPYC, a teacher step took
    8x longer in bf16 than in fp32 (`python -m models.enhancers.bench --train-steps`)."""
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported()
    try:
        flags = Path("/proc/cpuinfo").read_text().split()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


class Bf16Choice:
    """For recipe configs with a `bf16: bool | None` field: None means where the hardware has it."""

    bf16: bool | None

    def autocast(self, device: torch.device) -> bool:
        return native_bf16(device) if self.bf16 is None else self.bf16
