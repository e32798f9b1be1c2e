"""Throughput of the on-the-fly training pipeline: mixtures/s through DataLoader workers.

Issue #4 item 6: the pipeline must feed training faster than the separator consumes it
(roughly 2-6 steps/s at batch 4-8, i.e. 10-50 mixtures/s) on this 2-core machine.
"""

from __future__ import annotations

import logging
import time
from dataclasses import replace

import torch

from models.data.mixtures import MixtureConfig, MixtureDataset, MixtureSimulator
from models.data.noise import NoisePool, default_noise_files
from models.data.scenes import RirBank, ensure_bank
from models.data.speech import SpeechPool

log = logging.getLogger(__name__)

BENCH_SCENES = 24  # enough variety for a throughput figure; built once into the cache


def run_data_bench(seconds: float = 20.0, workers: int = 2, batch_size: int = 1) -> dict:
    """Draw mixtures for about `seconds` through a DataLoader with `workers` processes.

    Uses the default training config with scenes from the RIR bank (the training setup) and
    the built corpus when present, else synthetic voices. Returns a dict of figures.
    """
    speech = SpeechPool.default()
    config = MixtureConfig()
    config = replace(config, bank=str(ensure_bank(config.scene_config(), config.sample_rate, BENCH_SCENES)))
    noise = NoisePool(speech, default_noise_files())
    dataset = MixtureDataset(MixtureSimulator(config, speech, noise), length=10**9)
    loader = torch.utils.data.DataLoader(
        dataset, batch_size=batch_size, num_workers=workers, collate_fn=list, prefetch_factor=4 if workers else None
    )
    batches = iter(loader)
    next(batches)  # worker start-up is not throughput
    count, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        count += len(next(batches))
    elapsed = time.perf_counter() - started
    del batches
    result = {
        "mixtures_per_s": round(count / elapsed, 2),
        "audio_seconds_per_s": round(count * config.seconds / elapsed, 1),
        "workers": workers,
        "seconds": round(elapsed, 1),
        "mixtures": count,
        "mixture_seconds": config.seconds,
        "train_voices": len(speech.voices(config.split)),
        "train_speech_hours": round(speech.hours(config.split), 2),
        "rir_scenes": len(RirBank(config.bank)),
    }
    log.info("data bench: %s", result)
    return result
