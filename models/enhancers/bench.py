"""Cost of the enhancers on this machine: parameters, MACs per second of audio, real-time factor
and training steps per second (issue #7 item 5).

    python -m models.enhancers.bench                       # untrained default teacher and student
    python -m models.enhancers.bench --cards resources/models/enh-*.json

MACs come from torch's FLOP counter (matmuls, convolutions, GRUs, attention; MAC = FLOP / 2).
The RTF is the best of `repeats` runs on a 10 s clip with the model's preferred thread count;
on a shared CPU the best run is the one least disturbed by other processes.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import torch

from models.enhancers.base import MaskingEnhancer, torch_threads
from models.common.results import markdown_table, write_result
from models.common.macs import count_macs
from models.common.timing import fastest

SAMPLE_RATE = 16_000


def parameters(model: torch.nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def macs_per_second(model: MaskingEnhancer) -> float:
    """Multiply-accumulates for one second of audio (inference)."""
    return count_macs(model, torch.zeros(1, 1, SAMPLE_RATE).normal_())


def real_time_factors(models: dict[str, MaskingEnhancer], seconds: float = 10.0, repeats: int = 5
                      ) -> dict[str, float]:
    """Best-of-`repeats` processing time / audio duration for one mono clip, per model, each with
    its own inference threads; the models take turns (`fastest`), so a change in the shared CPU's
    load during the measurement slows every model alike, not one model's figure alone."""
    clip = torch.randn(1, 1, int(seconds * SAMPLE_RATE)) * 0.1

    def run(model: MaskingEnhancer, audio: torch.Tensor) -> None:
        with torch_threads(model.inference_threads), torch.inference_mode():
            model.eval()(audio)

    for model in models.values():
        run(model, clip[..., :SAMPLE_RATE])                                 # warm-up
    best = fastest({name: (lambda m=model: run(m, clip)) for name, model in models.items()}, repeats)
    return {name: wall / seconds for name, (wall, _) in best.items()}


def training_steps_per_second(model: MaskingEnhancer, objective: torch.nn.Module, batch_size: int = 8,
                              seconds: float = 2.0, bf16: bool = True, steps: int = 3) -> float:
    """Forward + backward + Adam step on random crops (after one warm-up step), CPU autocast."""
    samples = int(seconds * SAMPLE_RATE)
    batch = {"noisy": torch.randn(batch_size, 1, samples) * 0.1, "clean": torch.randn(batch_size, 1, samples) * 0.1,
             "teacher": torch.randn(batch_size, 1, samples) * 0.1}
    model.train()
    opt = torch.optim.AdamW(model.parameters(), 1e-4)
    elapsed = []
    for _ in range(steps + 1):
        start = time.perf_counter()
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            loss, _ = objective(model, batch)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        elapsed.append(time.perf_counter() - start)
    return 1.0 / min(elapsed[1:])


def describe(model: MaskingEnhancer, name: str, rtf: float) -> dict:
    return {"name": name, "architecture": type(model).__name__, "parameters": parameters(model),
            "mmac_per_second": round(macs_per_second(model) / 1e6, 1), "rtf": round(rtf, 4),
            "threads": model.inference_threads or torch.get_num_threads(), "load_average": os.getloadavg()[0]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cards", nargs="*", type=Path, default=[], help="model cards (default: untrained defaults)")
    parser.add_argument("--train-steps", action="store_true", help="also time training steps (bf16 and fp32)")
    parser.add_argument("--train-threads", type=int, default=1, help="torch threads for the training steps "
                        "(the recipes' default)")
    parser.add_argument("--markdown", type=Path, default=None, help="also write a table for the README")
    args = parser.parse_args(argv)
    from models.common import checkpoint
    from models.dispatch.losses import StudentVariant
    from models.enhancers.student import GtcrnStudent
    from models.enhancers.teacher import BandAttentionTeacher
    from models.train.distill import DistillConfig, DistillObjective
    from models.train.enhancer import SupervisedObjective

    models = [(card.stem, checkpoint.load(card)[0]) for card in args.cards] or [
        ("teacher (untrained)", BandAttentionTeacher()), ("student (untrained)", GtcrnStudent())]
    rtf = real_time_factors(dict(models))
    rows = []
    for name, model in models:
        row = describe(model, name, rtf[name])
        if args.train_steps:
            torch.set_num_threads(args.train_threads)
            teacher = isinstance(model, BandAttentionTeacher)
            objective = SupervisedObjective() if teacher else \
                DistillObjective(DistillConfig(StudentVariant.DFKD_DISPATCH_MSSP))
            for bf16 in (True, False):
                row[f"train_steps_per_s_{'bf16' if bf16 else 'fp32'}"] = round(
                    training_steps_per_second(model, objective, bf16=bf16), 3)
        rows.append(row)
    print(json.dumps(rows, indent=1))
    if args.markdown:
        command = "python -m models.enhancers.bench" + (" --train-steps" if args.train_steps else "")
        if args.cards:
            command += " --cards " + " ".join(map(str, args.cards))
        write_markdown(args.markdown, rows, command)
    return 0


def write_markdown(path: Path, rows: list[dict], command: str) -> None:
    """One row per model; the load average says how busy the shared CPU was while measuring."""
    columns = ["name", "parameters", "mmac_per_second", "rtf", "threads", "train_steps_per_s_bf16",
               "train_steps_per_s_fp32", "load_average"]
    table = markdown_table(columns, [[str(r.get(c, "—")) for c in columns] for r in rows])
    write_result(path, command, table, f"{os.cpu_count()} cores; training steps: batch 8 x 2 s.")


if __name__ == "__main__":
    raise SystemExit(main())
