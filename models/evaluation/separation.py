"""Separation evaluation: every method on the same mixtures, per microphone count, with 95 % CIs.

Each fixed-set mixture is evaluated with its first k microphones for every k in `mic_counts`
that it has, so rows for different k compare the same rooms and talkers. The oracle ideal ratio
mask (on the reference mic, from the true targets) is the single-channel ceiling; the unprocessed
mixture is the floor. Scores are against each talker's direct path + early reflections at the
reference mic (the data engine's target), best permutation per mixture.
"""

from __future__ import annotations

import hashlib
import itertools
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
import torch

from models.baselines.wpe import WpeSettings, dereverberate
from models.common.results import markdown_table
from models.common.stft import Stft, StftConfig
from models.data.mixtures import Mixture
from models.evaluation.row_cache import RowCache
from models.separator.mwf import mask_weighted_mwf
from models.metrics.speech import (
    DNSMOS_LEVEL_DBFS,
    Interval,
    confidence_interval,
    dnsmos,
    intrusive,
    paired_difference,
    si_sdr,
)

log = logging.getLogger(__name__)

SeparateFn = Callable[[np.ndarray], np.ndarray]      # (mics, samples) -> (talkers, samples)
METRICS = ("si_sdr", "si_sdri", "pesq", "estoi", "sig", "bak", "ovrl")
MODEL_METHOD = "TacBand (mask)"
ORACLE_MWF = "Oracle IRM + MWF"
CLASSICAL_METHODS = ("AuxIVA", "ILRMA")
WPE_SUFFIX = " + WPE"              # a method on mics dereverberated first (`with_wpe`)
# Issue #5's targets, SI-SDRi in dB at 4 mics: per set the floor, and (out-of-domain) the margin
# over the best classical method; 2 and 8 mics within SPREAD_DB of 4 mics.
TARGET_SI_SDRI = {"in_domain": 12.0, "out_of_domain": 9.0}
TARGET_MARGIN = {"out_of_domain": 6.0}
TARGET_SPREAD_DB = 3.0


@dataclass(frozen=True)
class Method:
    name: str
    separate: SeparateFn
    min_mics: int = 1
    key: str = ""                   # what its rows depend on besides the mixture (`RowCache`)

    @property
    def cache_key(self) -> str:
        return self.key or self.name


def weights_digest(model: torch.nn.Module) -> str:
    """Short hash of a model's weights: what its cached rows are keyed by."""
    digest = hashlib.sha256()
    for name, tensor in model.state_dict().items():
        digest.update(name.encode())
        digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()[:16]


def model_methods(model: torch.nn.Module, label: str = "TacBand", with_mwf: bool = True) -> list[Method]:
    """Our separator with its mask output and with the mask-driven MWF (2+ mics); their rows are
    cached under the weights' hash, so a retrained model is always scored afresh."""

    def masked(mix: np.ndarray) -> np.ndarray:
        with torch.inference_mode():
            return model(torch.from_numpy(mix)[None])[0].numpy()

    def filtered(mix: np.ndarray) -> np.ndarray:
        with torch.inference_mode():
            return model.forward_with_mwf(torch.from_numpy(mix)[None])[1][0].numpy()

    weights = weights_digest(model)
    methods = [Method(f"{label} (mask)", masked, key=f"TacBand (mask)@{weights}")]
    if with_mwf:
        methods.append(Method(f"{label} + MWF", filtered, min_mics=2, key=f"TacBand + MWF@{weights}"))
    return methods


def bss_methods() -> list[Method]:
    from models.baselines.bss import ILRMA_SEED, BssMethod, separate_bss

    # ILRMA's key names its fixed seed: rows scored before it was seeded, or with another seed, are not reused
    return [Method("AuxIVA", lambda mix: separate_bss(mix, BssMethod.AUXIVA), min_mics=2),
            Method("ILRMA", lambda mix: separate_bss(mix, BssMethod.ILRMA), min_mics=2,
                   key=f"ILRMA@seed{ILRMA_SEED}")]


def with_wpe(methods: list[Method], settings: WpeSettings = WpeSettings()) -> list[Method]:
    """Each of `methods` on its mics dereverberated first by WPE, as the CHiME recipes put WPE before
    separation; keyed by the WPE settings too. The WPE time counts in each row's RTF."""
    tag = f"WPE@{settings.taps_ms:g}/{settings.delay_ms:g}/{settings.iterations}"

    def after_wpe(method: Method) -> Method:
        return Method(method.name + WPE_SUFFIX, lambda mix: method.separate(dereverberate(mix, 16_000, settings)),
                      method.min_mics, key=f"{method.cache_key}+{tag}")
    return [after_wpe(m) for m in methods]


def _ideal_masks(stft: Stft, mixture_ref: np.ndarray, targets: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
    """The reference mic's spectrum and each talker's ideal ratio mask |S|/(|S| + |X - S|) on it."""
    x = stft(torch.from_numpy(mixture_ref)[None])
    s = stft(torch.from_numpy(targets))
    return x, s.abs() / (s.abs() + (x - s).abs() + 1e-8)


def oracle_irm(mixture_ref: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Ideal ratio mask per talker on the reference mic (512/128 STFT): a single-channel mask's ceiling."""
    stft = Stft(StftConfig())
    x, mask = _ideal_masks(stft, mixture_ref, targets)
    return stft.inverse(mask * x, mixture_ref.size).numpy()


def oracle_mwf(mixture: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """The separator's mask-driven MWF (`mask_weighted_mwf`) steered by ideal ratio masks instead
    of the network's, on all of `mixture`'s mics (the first is the reference): the ceiling of
    that spatial stage, which a mask cannot reach alone, per mic count."""
    stft = Stft(StftConfig())
    _, mask = _ideal_masks(stft, mixture[0], targets)
    spec = stft(torch.from_numpy(np.ascontiguousarray(mixture)))[None]            # (1, mics, bins, frames)
    every_mic = torch.ones(1, mixture.shape[0], dtype=torch.bool)
    filtered = mask_weighted_mwf(spec, mask[None].to(spec.dtype), every_mic)[0]
    return stft.inverse(filtered, mixture.shape[-1]).numpy()


def best_order(est: np.ndarray, ref: np.ndarray) -> tuple[int, ...]:
    """The order p with est[p[k]] matching ref[k] best (mean SI-SDR): a separator's order is arbitrary."""
    talkers = ref.shape[0]
    return max(itertools.permutations(range(talkers)),
               key=lambda p: np.mean([si_sdr(est[p[k]], ref[k]) for k in range(talkers)]))


def best_permutation(est: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """`est` (talkers, frames) reordered to match `ref` (see `best_order`)."""
    return est[list(best_order(est, ref))]


def score_item(est: np.ndarray, mixture_ref: np.ndarray, targets: np.ndarray, with_dnsmos: bool) -> list[dict]:
    """Per-talker metrics of one separated mixture (estimates aligned to targets first)."""
    est = best_permutation(est[: targets.shape[0]], targets)
    rows = []
    for k in range(targets.shape[0]):
        row = intrusive(est[k], targets[k])
        row["si_sdri"] = row["si_sdr"] - si_sdr(mixture_ref, targets[k])
        if with_dnsmos:
            row.update(dnsmos(est[k]))
        rows.append(row)
    return rows


def evaluate(mixtures: Iterable[Mixture], methods: list[Method], mic_counts: tuple[int, ...] = (1, 2, 4, 6, 8),
             with_dnsmos: bool = True, include_floor_and_oracle: bool = True,
             cache: RowCache | None = None, set_id: str = "") -> list[dict]:
    """One row per (mixture, talker, method, mic count) with every metric and the run time.

    With a `cache`, rows already scored for this set (`set_id`), item, method and mic count are
    reused and new ones are stored as they are made.
    """
    rows: list[dict] = []
    for index, mix in enumerate(mixtures):
        ref = mix.mixture[mix.meta.get("ref_mic", 0)]
        targets = mix.targets
        base = {"item": index, "set_seed": mix.meta.get("seed"), "seconds": ref.size / 16_000}

        def scored(method: str, key: str, mics: int, separate: Callable[[], np.ndarray]) -> list[dict]:
            # DNSMOS rows carry the level they were scored at: rows scored before normalisation are not reused.
            cache_key = RowCache.key(set_id, index, base["set_seed"], key, mics,
                                     f"dnsmos@{DNSMOS_LEVEL_DBFS:g}dBFS" if with_dnsmos else False)
            cached = cache.get(cache_key) if cache is not None else None
            if cached is not None:       # the same weights may be scored under another name (`--compare`)
                return [{**row, "method": method} for row in cached]
            t0 = time.perf_counter()
            est = separate()
            rtf = (time.perf_counter() - t0) / base["seconds"] if mics else 0.0
            new = [{**base, **row, "talker": talker, "method": method, "mics": mics, "rtf": rtf}
                   for talker, row in enumerate(score_item(est, ref, targets, with_dnsmos))]
            if cache is not None:
                cache.put(cache_key, new)
            return new

        if include_floor_and_oracle:
            rows += scored("Mixture (unprocessed)", "mixture", 0, lambda: np.stack([ref] * targets.shape[0]))
            rows += scored("Oracle IRM (1 mic)", "oracle-irm", 0, lambda: oracle_irm(ref, targets))
            for mics in (m for m in mic_counts if 2 <= m <= mix.mixture.shape[0]):
                rows += scored(ORACLE_MWF, "oracle-irm-mwf", mics, lambda: oracle_mwf(mix.mixture[:mics], targets))
        for mics, method in itertools.product(mic_counts, methods):
            if mix.mixture.shape[0] < mics or mics < method.min_mics:
                continue
            rows += scored(method.name, method.cache_key, mics,
                           lambda: method.separate(np.ascontiguousarray(mix.mixture[:mics])))
        log.info("evaluated mixture %d", index)
    return rows


def summarise(rows: list[dict]) -> list[dict]:
    """Mean and 95 % CI per (method, mics) for every metric present, the talkers of one mixture
    counted as one cluster (`confidence_interval`)."""
    groups: dict[tuple[str, int], list[dict]] = {}
    for row in rows:
        groups.setdefault((row["method"], row["mics"]), []).append(row)
    out = []
    for (method, mics), group in groups.items():
        summary = {"method": method, "mics": mics, "n": len(group),
                   "rtf": float(np.mean([r["rtf"] for r in group]))}
        for metric in METRICS:
            scored = [r for r in group if metric in r]
            if scored:
                summary[metric] = confidence_interval([r[metric] for r in scored], clusters=[r["item"] for r in scored])
        out.append(summary)
    return sorted(out, key=lambda s: (s["mics"], s["method"]))


def _si_sdri(rows: list[dict], method: str, mics: int) -> dict[tuple[int, int], float]:
    return {(r["item"], r["talker"]): r["si_sdri"] for r in rows if r["method"] == method and r["mics"] == mics}


def margin_over_classical(rows: list[dict], mics: int) -> tuple[str, Interval] | None:
    """(best classical method, paired CI of our SI-SDRi minus its) at `mics`, over the talkers
    both scored; the best is the classical method (alone or after WPE, where scored) with the
    highest mean there. None without both."""
    ours = _si_sdri(rows, MODEL_METHOD, mics)
    classical = {name: _si_sdri(rows, name, mics) for base in CLASSICAL_METHODS for name in (base, base + WPE_SUFFIX)}
    classical = {name: scores for name, scores in classical.items() if scores}
    if not ours or not classical:
        return None
    best = max(classical, key=lambda name: np.mean(list(classical[name].values())))
    shared = sorted(set(ours) & set(classical[best]))
    return best, _difference(ours, classical[best], shared)


def checks(rows: list[dict], set_name: str) -> list[str]:
    """Issue #5's checks for one set, from its rows: SI-SDRi at 4 mics, the paired margin over
    the best classical method at every mic count, and 2 and 8 mics against 4."""
    mean = {m: float(np.mean(list(v.values()))) for m in (1, 2, 4, 6, 8)
            if (v := _si_sdri(rows, MODEL_METHOD, m))}
    lines = [f"Checks ({MODEL_METHOD}, SI-SDRi):"]
    if 4 in mean and set_name in TARGET_SI_SDRI:
        target = TARGET_SI_SDRI[set_name]
        lines.append(f"- 4 mics: {mean[4]:.2f} dB (target ≥ {target:g}): {'met' if mean[4] >= target else 'not met'}")
    margins = []
    for mics in sorted(m for m in mean if m >= 2):
        found = margin_over_classical(rows, mics)
        if found is not None:
            best, diff = found
            margins.append(f"{mics} mics {diff.format(signed=True)} ({best})")
            if mics == 4 and set_name in TARGET_MARGIN:
                target = TARGET_MARGIN[set_name]
                lines.append(f"- margin over the best classical method at 4 mics: {diff.mean:+.2f} dB "
                             f"(target ≥ {target:g}): {'met' if diff.mean >= target else 'not met'}")
    if margins:
        lines.append("- paired margin over the best classical method: " + ", ".join(margins))
    if set_name == "in_domain" and {2, 4, 8} <= set(mean):
        spread = {m: mean[m] - mean[4] for m in (2, 8)}
        met = all(abs(v) <= TARGET_SPREAD_DB for v in spread.values())
        lines.append(f"- 2 and 8 mics against 4: {spread[2]:+.2f} and {spread[8]:+.2f} dB "
                     f"(target within ±{TARGET_SPREAD_DB:g}): {'met' if met else 'not met'}")
    return lines if len(lines) > 1 else []


def _paired(rows: list[dict], a: tuple[str, int], b: tuple[str, int]) -> Interval | None:
    """Paired CI of SI-SDRi of (method, mics) `a` minus `b`, over the talkers both scored."""
    first, second = _si_sdri(rows, *a), _si_sdri(rows, *b)
    shared = sorted(set(first) & set(second))
    if len(shared) < 2:
        return None
    return _difference(first, second, shared)


def _difference(first: dict[tuple[int, int], float], second: dict[tuple[int, int], float],
                shared: list[tuple[int, int]]) -> Interval:
    """Paired CI of `first` minus `second` over the (item, talker) keys `shared`, clustered by item."""
    return paired_difference([first[k] for k in shared], [second[k] for k in shared],
                             clusters=[item for item, _ in shared])


def paired_comparisons(rows: list[dict], methods: list[str]) -> list[str]:
    """What unpaired CIs hide: for each method, the SI-SDRi gained from more mics against 1 mic
    on the same talkers; and each method after the first against the first, mic count by mic count."""
    mics = sorted({r["mics"] for r in rows if r["method"] in methods})
    def fmt(m: int, d: Interval) -> str:
        return f"{m} mic{'s' if m > 1 else ''} {d.format(signed=True)}"

    lines = []
    for method in methods:
        gains = [fmt(m, d) for m in mics if m > 1
                 if (d := _paired(rows, (method, m), (method, 1))) is not None]
        if gains:
            lines.append(f"- {method}, k mics minus 1 mic: " + ", ".join(gains))
    for method in methods[1:]:
        diffs = [fmt(m, d) for m in mics
                 if (d := _paired(rows, (method, m), (methods[0], m))) is not None]
        if diffs:
            lines.append(f"- {method} minus {methods[0]}: " + ", ".join(diffs))
    title = "Paired SI-SDRi differences (dB, mean ± 95 % CI over the talkers both scored, clustered by mixture):"
    return [title, *lines] if lines else []


def wpe_differences(rows: list[dict]) -> list[str]:
    """For every method also scored after WPE: its SI-SDRi with WPE first minus without, per mic
    count, on the same talkers."""
    methods = sorted({r["method"] for r in rows})
    lines = []
    for name in (m for m in methods if m.endswith(WPE_SUFFIX) and m.removesuffix(WPE_SUFFIX) in methods):
        base = name.removesuffix(WPE_SUFFIX)
        diffs = [f"{m} mic{'s' if m > 1 else ''} {d.format(signed=True)}"
                 for m in sorted({r["mics"] for r in rows if r["method"] == name})
                 if (d := _paired(rows, (name, m), (base, m))) is not None]
        if diffs:
            lines.append(f"- {base}: " + ", ".join(diffs))
    title = ("WPE first, paired SI-SDRi difference (with minus without, dB, mean ± 95 % CI over the talkers both "
             "scored, clustered by mixture):")
    return [title, *lines] if lines else []


def talker_correlation(rows: list[dict], method: str = MODEL_METHOD) -> str:
    """Pearson correlation of the SI-SDRi of a mixture's first and second talker, per mic count:
    how far the two are from independent samples, which is why the intervals are clustered."""
    parts = []
    for mics in sorted({r["mics"] for r in rows if r["method"] == method}):
        scores = _si_sdri(rows, method, mics)
        both = np.array([(v, scores[item, 1]) for (item, talker), v in scores.items()
                         if talker == 0 and (item, 1) in scores]).reshape(-1, 2)
        first, second = both[:, 0], both[:, 1]
        keep = np.isfinite(first) & np.isfinite(second)
        if keep.sum() >= 3 and first[keep].std() > 0 and second[keep].std() > 0:
            r = float(np.corrcoef(first[keep], second[keep])[0, 1])
            parts.append(f"{mics} mic{'s' if mics > 1 else ''} r = {r:.2f} ({int(keep.sum())} mixtures)")
    if not parts:
        return ""
    return (f"A mixture's two talkers are not independent samples (hence intervals clustered by mixture): "
            f"correlation of their SI-SDRi, {method}: " + ", ".join(parts) + "\n")


def to_markdown(summary: list[dict], title: str) -> str:
    metrics = [m for m in METRICS if any(m in s for s in summary)]
    head = ["Method", "Mics"] + [m.upper().replace("_", "-") if m not in ("sig", "bak", "ovrl")
                                  else f"DNSMOS {m.upper()}" for m in metrics] + ["RTF", "n"]
    rows = [[s["method"], str(s["mics"]) if s["mics"] else "—", *(str(s[m]) if m in s else "—" for m in metrics),
             f"{s['rtf']:.3f}" if s["mics"] and s["method"] != ORACLE_MWF else "—", str(s["n"])] for s in summary]
    return f"**{title}**\n\n" + markdown_table(head, rows)
