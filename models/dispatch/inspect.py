"""What the app's patch inspector draws, from a teacher, a student, a noisy clip and its clean reference.

Everything comes from the same code as the training losses (`distillation_loss`), so the map a
user sees is the selection the student was trained with. Results are plain read-only numpy
arrays at the 512/128 STFT grid (257 bins x frames), ready for image items sharing one colour
scale. For several students side by side, run the teacher once (`enhance`) and pass its
estimate to `inspect_estimates` for each student.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from models.common.stft import Stft
from models.dispatch.losses import DispatchConfig, KdLoss, KdResult, StudentVariant, distillation_loss, variant_config
from models.dispatch.patches import band_masks, frequency_split, to_bins
from models.enhancers.base import MaskingEnhancer, torch_threads

DB_FLOOR = 1e-8
INSPECT_THREADS = 1   # elementwise maps: a second thread only adds barriers (10x slower on a busy CPU here)


@dataclass(frozen=True)
class PatchGrid:
    """One grid's maps `(patches, frames)`; `band` is 'all' (uniform) or 'low' / 'high' (MSSP)."""
    band: str
    patch_bins: int
    knowledge_gap_score: np.ndarray   # float32
    eligible: np.ndarray              # bool: the patch touches the band
    keep_mask: np.ndarray             # bool: the patch is distilled


@dataclass(frozen=True)
class PatchInspection:
    sample_rate: int
    hop: int
    spectrograms_db: dict[str, np.ndarray]   # 'clean', 'teacher', 'student' (and 'noisy'): (bins, frames)
    split_bin: np.ndarray                    # (frames,) MSSP low/high split m_t from the teacher
    grids: tuple[PatchGrid, ...]
    score_bins: np.ndarray                   # (bins, frames) each bin shows its patch's KGS
    keep_bins: np.ndarray                    # (bins, frames) bool, each bin shows its patch's selection
    kept_share: float                        # kept patches / eligible patches
    positive_gap_share: float                # kept patches with KGS > 0 / kept patches

    @property
    def frame_seconds(self) -> float:
        return self.hop / self.sample_rate


def inspection_config(card: dict) -> DispatchConfig:
    """The selection a student card was trained with (`training.kd`, written by the distillation
    recipe); a student without KD is shown with the DFKD + DISPatch + MSSP selection it would get."""
    kd = card.get("training", {}).get("kd")
    if kd is None or KdLoss(kd["loss"]) is KdLoss.NONE:
        return variant_config(StudentVariant.DFKD_DISPATCH_MSSP)
    return DispatchConfig.from_dict(kd)


def _readonly(x: torch.Tensor) -> np.ndarray:
    out = np.ascontiguousarray(x.detach().cpu().numpy())
    out.setflags(write=False)
    return out


def _per_bin(result: KdResult, bins: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Compose the grids into one bin map: the uniform grid as is; with bands, bins up to m_t show
    the low grid and bins above it the high grid."""
    maps = [(to_bins(b.score[:1], b.patch_bins, bins)[0], to_bins(b.keep[:1], b.patch_bins, bins)[0])
            for b in result.bands]
    if len(maps) == 1:
        return maps[0]
    low, _ = band_masks(result.split_bin[:1], bins)
    low = low[0]
    return torch.where(low, maps[0][0], maps[1][0]), torch.where(low, maps[0][1], maps[1][1])


def _wave(x: np.ndarray) -> torch.Tensor:
    """Mono `(samples,)` -> `(1, samples)` float32."""
    return torch.as_tensor(np.asarray(x, dtype=np.float32)).reshape(1, -1)


@torch.no_grad()
def inspect_estimates(teacher_estimate: np.ndarray, student_estimate: np.ndarray, clean: np.ndarray,
                      config: DispatchConfig, noisy: np.ndarray | None = None, sample_rate: int = 16_000
                      ) -> PatchInspection:
    """Maps for mono 16 kHz waveforms `(samples,)` of equal length; `config.loss` picks the grid
    (L2: uniform `patch_bins`; DFKD: low/high grids, MSSP at 10/40)."""
    if config.loss is KdLoss.NONE:
        raise ValueError("a student without KD has no patch selection; pick an L2 or DFKD config")
    with torch_threads(INSPECT_THREADS):
        return _inspect(teacher_estimate, student_estimate, clean, config, noisy, sample_rate)


def _inspect(teacher_estimate: np.ndarray, student_estimate: np.ndarray, clean: np.ndarray, config: DispatchConfig,
             noisy: np.ndarray | None, sample_rate: int) -> PatchInspection:
    waves = [_wave(x) for x in (teacher_estimate, student_estimate, clean)]
    if len({w.shape[1] for w in waves}) != 1:
        raise ValueError(f"estimates and reference must have equal lengths, got {[w.shape[1] for w in waves]}")
    stft = Stft(config.stft)
    teacher, student, reference = (stft(w) for w in waves)
    result = distillation_loss(student, teacher, reference, config)
    bins = reference.shape[1]
    split = result.split_bin if result.split_bin is not None else frequency_split(teacher.abs())
    score_bins, keep_bins = _per_bin(result, bins)
    spectra = {"clean": reference, "teacher": teacher, "student": student}
    if noisy is not None:
        spectra["noisy"] = stft(_wave(noisy))
    eligible = sum(int(b.eligible.sum()) for b in result.bands)
    kept = sum(int(b.keep.sum()) for b in result.bands)
    names = ("all",) if len(result.bands) == 1 else ("low", "high")
    grids = tuple(PatchGrid(name, b.patch_bins, _readonly(b.score[0]), _readonly(b.eligible[0]), _readonly(b.keep[0]))
                  for name, b in zip(names, result.bands, strict=True))
    return PatchInspection(
        sample_rate=sample_rate, hop=config.stft.hop,
        spectrograms_db={k: _readonly(20 * torch.log10(v[0].abs() + DB_FLOOR)) for k, v in spectra.items()},
        split_bin=_readonly(split[0]), grids=grids, score_bins=_readonly(score_bins), keep_bins=_readonly(keep_bins),
        kept_share=kept / max(eligible, 1), positive_gap_share=float(result.positive_gap_share()))


@torch.no_grad()
def enhance(model: MaskingEnhancer, noisy: np.ndarray) -> np.ndarray:
    """One enhancer on a mono 16 kHz clip `(samples,)` -> `(samples,)`, with its preferred threads."""
    with torch_threads(model.inference_threads):
        return model(_wave(noisy)[None])[0, 0].numpy()


def inspect_models(teacher: MaskingEnhancer, student: MaskingEnhancer, noisy: np.ndarray, clean: np.ndarray,
                   config: DispatchConfig) -> PatchInspection:
    """Run both networks on `noisy` and inspect their patches against `clean` (mono, 16 kHz)."""
    return inspect_estimates(enhance(teacher, noisy), enhance(student, noisy), clean, config, noisy=noisy)
