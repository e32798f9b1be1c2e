"""Separation evaluation: floors, ceilings and per-mic-count rows on simulated mixtures."""

from __future__ import annotations

import numpy as np
import pytest

from models.data.mixtures import MixtureConfig, MixtureSimulator
from models.data.noise import NoisePool
from models.data.speech import SpeechPool
from models.evaluation.row_cache import RowCache
from models.evaluation.separation import (ORACLE_MWF, Method, checks, evaluate, margin_over_classical,
                                         paired_comparisons, summarise, talker_correlation, to_markdown,
                                         wpe_differences)


@pytest.fixture(scope="module")
def mixtures():
    speech = SpeechPool.synthetic()
    sim = MixtureSimulator(MixtureConfig(seconds=2.0, talkers=(2, 2), mics=(4, 4), snr_db=(20, 20),
                                         rt60_s=(0.2, 0.3)), speech, NoisePool(speech))
    return [sim.sample(seed) for seed in range(2)]


def test_oracle_mask_beats_the_unprocessed_mixture(mixtures):
    summary = {s["method"]: s for s in summarise(evaluate(mixtures, [], mic_counts=(), with_dnsmos=False))}
    assert summary["Oracle IRM (1 mic)"]["si_sdri"].mean > 5.0
    assert summary["Mixture (unprocessed)"]["si_sdri"].mean == pytest.approx(0.0, abs=1e-6)


def test_the_oracle_mwf_is_scored_at_each_mic_count_of_two_or_more_and_beats_the_mixture(mixtures):
    rows = evaluate(mixtures, [], mic_counts=(1, 2, 4), with_dnsmos=False)
    summary = {(s["method"], s["mics"]): s for s in summarise(rows)}
    assert {mics for method, mics in summary if method == ORACLE_MWF} == {2, 4}
    assert all(summary[ORACLE_MWF, mics]["si_sdri"].mean > 3.0 for mics in (2, 4))
    table = to_markdown(summarise(rows), "toy")
    (row,) = [line for line in table.splitlines() if line.startswith("| Oracle IRM + MWF | 4 |")]
    assert row.endswith("| — | 4 |")                       # an oracle's run time means nothing


def test_methods_are_scored_per_mic_count_they_support(mixtures):
    first_mics = Method("first mics", lambda mix: np.stack([mix[0], mix[-1]]), min_mics=2)
    rows = evaluate(mixtures, [first_mics], mic_counts=(1, 2, 4), with_dnsmos=False, include_floor_and_oracle=False)
    assert sorted({r["mics"] for r in rows}) == [2, 4]
    assert len(rows) == 2 * 2 * 2               # mixtures x mic counts x talkers
    table = to_markdown(summarise(rows), "toy")
    assert table.count("| first mics |") == 2 and "SI-SDRI" in table


def test_a_second_evaluation_reuses_cached_rows_and_scores_only_new_keys(mixtures, tmp_path):
    calls: list[str] = []

    def counting(name: str, key: str) -> Method:
        return Method(name, lambda mix: calls.append(key) or np.stack([mix[0], mix[-1]]), min_mics=2, key=key)

    cache = RowCache(tmp_path / "rows.jsonl")
    first = evaluate(mixtures, [counting("model", "model@aaaa")], mic_counts=(2,), with_dnsmos=False,
                     cache=cache, set_id="set")
    assert calls == ["model@aaaa"] * 2
    again = evaluate(mixtures, [counting("model", "model@aaaa"), counting("retrained", "model@bbbb")], mic_counts=(2,),
                     with_dnsmos=False, cache=RowCache(tmp_path / "rows.jsonl"), set_id="set")
    assert calls == ["model@aaaa"] * 2 + ["model@bbbb"] * 2      # retrained weights are scored afresh
    assert [r for r in again if r["method"] != "retrained"] == first


def test_cached_rows_of_the_same_weights_under_another_name_take_that_name(mixtures, tmp_path):
    """A card scored as the shipped model, then compared under its own name once it was replaced:
    its cached rows must count as that name's rows, not pool with the new shipped model's."""
    def method(name: str) -> Method:
        return Method(name, lambda mix: np.stack([mix[0], mix[-1]]), min_mics=2, key="TacBand (mask)@aaaa")

    evaluate(mixtures, [method("TacBand (mask)")], mic_counts=(2,), with_dnsmos=False, include_floor_and_oracle=False,
             cache=RowCache(tmp_path / "rows.jsonl"), set_id="set")
    again = evaluate(mixtures, [method("old-card (mask)")], mic_counts=(2,), with_dnsmos=False,
                     include_floor_and_oracle=False, cache=RowCache(tmp_path / "rows.jsonl"), set_id="set")
    assert len(again) == 4 and {r["method"] for r in again} == {"old-card (mask)"}


def test_cached_rows_are_kept_apart_per_fixed_set(mixtures, tmp_path):
    calls: list[int] = []
    method = Method("m", lambda mix: calls.append(1) or np.stack([mix[0], mix[-1]]), min_mics=2)
    for set_id in ("set-a", "set-b"):
        evaluate(mixtures[:1], [method], mic_counts=(2,), with_dnsmos=False, include_floor_and_oracle=False,
                 cache=RowCache(tmp_path / "rows.jsonl"), set_id=set_id)
    assert len(calls) == 2


def test_a_row_cache_line_cut_short_is_skipped_and_the_next_entry_starts_clean(tmp_path):
    path = tmp_path / "rows.jsonl"
    RowCache(path).put(RowCache.key("s", 0), [{"si_sdr": 1.0}])
    path.write_text(path.read_text() + '{"key": "[\\"s\\", 1]", "rows": [{"si_')     # the run was killed mid-line
    cache = RowCache(path)
    assert cache.get(RowCache.key("s", 0)) == [{"si_sdr": 1.0}] and cache.get(RowCache.key("s", 1)) is None
    cache.put(RowCache.key("s", 2), [{"si_sdr": 2.0}])
    assert RowCache(path).get(RowCache.key("s", 2)) == [{"si_sdr": 2.0}]


def test_a_models_rows_are_keyed_by_its_weights():
    import torch

    from models.evaluation.separation import model_methods

    first, same, changed = (torch.nn.Linear(2, 2) for _ in range(3))
    same.load_state_dict(first.state_dict())
    keys = [[m.cache_key for m in model_methods(model)] for model in (first, same, changed)]
    assert keys[0] == keys[1] and set(keys[0]).isdisjoint(keys[2])


def _rows(method: str, mics: int, values: list[float]) -> list[dict]:
    return [{"item": k // 2, "talker": k % 2, "method": method, "mics": mics, "si_sdri": v}
            for k, v in enumerate(values)]


def test_a_mixtures_two_talkers_count_as_one_cluster_in_the_summary_and_the_paired_margin():
    from models.metrics.speech import confidence_interval

    rows = _rows("TacBand (mask)", 4, [1.0, 2.0, 6.0, 6.0, 9.0, 11.0]) + _rows("ILRMA", 4, [0.0] * 6)
    rows = [{**row, "rtf": 0.01} for row in rows]
    (summary,) = [s for s in summarise(rows) if s["method"] == "TacBand (mask)"]
    by_mixture = confidence_interval([1.5, 6.0, 10.0])
    assert summary["si_sdri"].half_width == pytest.approx(by_mixture.half_width) and summary["n"] == 6
    _, margin = margin_over_classical(rows, 4)
    assert margin.half_width == pytest.approx(by_mixture.half_width)


def test_the_talker_correlation_line_reads_how_a_mixtures_talkers_move_together():
    rows = _rows("TacBand (mask)", 4, [1.0, 1.5, 5.0, 5.5, 9.0, 9.5]) + _rows("TacBand (mask)", 1, [1.0, 2.0])
    line = talker_correlation(rows)
    assert "TacBand (mask): 4 mics r = 1.00 (3 mixtures)" in line and "1 mic " not in line   # 1 mixture: no r
    assert talker_correlation(_rows("Other", 4, [1.0, 2.0, 3.0, 4.0, 5.0, 6.0])) == ""


def test_the_margin_is_paired_against_the_better_classical_method():
    rows = (_rows("TacBand (mask)", 4, [8.0, 9.0, 10.0, 11.0]) + _rows("AuxIVA", 4, [1.0, 2.0, 3.0, 4.0])
            + _rows("ILRMA", 4, [2.0, 2.0, 4.0, 4.0]))
    best, diff = margin_over_classical(rows, 4)
    assert best == "ILRMA" and diff.mean == pytest.approx(6.5) and diff.n == 4


def test_out_of_domain_checks_name_the_floor_and_the_margin_targets():
    rows = (_rows("TacBand (mask)", 4, [8.0, 9.0, 10.0, 11.0]) + _rows("ILRMA", 4, [2.0, 2.0, 4.0, 4.0])
            + _rows("TacBand (mask)", 2, [8.0, 8.0, 8.0, 8.0]) + _rows("AuxIVA", 2, [0.0, 1.0, 0.0, 1.0]))
    lines = checks(rows, "out_of_domain")
    assert "- 4 mics: 9.50 dB (target ≥ 9): met" in lines
    assert "- margin over the best classical method at 4 mics: +6.50 dB (target ≥ 6): met" in lines
    assert lines[-1].startswith("- paired margin over the best classical method: 2 mics +7.50 ± ")
    assert "4 mics +6.50 ± " in lines[-1] and lines[-1].endswith("(ILRMA)")


def test_in_domain_checks_compare_2_and_8_mics_with_4():
    rows = (_rows("TacBand (mask)", 2, [5.0, 5.0]) + _rows("TacBand (mask)", 4, [9.0, 9.0])
            + _rows("TacBand (mask)", 8, [10.0, 10.0]))
    lines = checks(rows, "in_domain")
    assert "- 4 mics: 9.00 dB (target ≥ 12): not met" in lines
    assert "- 2 and 8 mics against 4: -4.00 and +1.00 dB (target within ±3): not met" in lines


def test_paired_comparisons_give_the_gain_from_mics_and_the_gap_between_models():
    rows = (_rows("A (mask)", 1, [3.0, 4.0, 5.0]) + _rows("A (mask)", 4, [4.0, 5.0, 7.0])
            + _rows("B (mask)", 1, [3.0, 5.0, 5.0]) + _rows("B (mask)", 4, [3.0, 5.0, 5.0]))
    lines = paired_comparisons(rows, ["A (mask)", "B (mask)"])
    assert lines[0].startswith("Paired SI-SDRi differences")
    assert lines[1].startswith("- A (mask), k mics minus 1 mic: 4 mics +1.33 ± ")
    assert lines[2].startswith("- B (mask), k mics minus 1 mic: 4 mics +0.00 ± 0.00")
    assert lines[3].startswith("- B (mask) minus A (mask): 1 mic +0.33 ± ") and ", 4 mics -1.00 ± " in lines[3]


def test_paired_comparisons_skip_what_was_not_scored_on_shared_talkers():
    assert paired_comparisons(_rows("A (mask)", 2, [1.0, 2.0]), ["A (mask)"]) == []


def test_the_margin_counts_a_classical_method_after_wpe_as_classical():
    rows = (_rows("TacBand (mask)", 4, [8.0, 9.0, 10.0, 11.0]) + _rows("ILRMA", 4, [2.0, 2.0, 4.0, 4.0])
            + _rows("ILRMA + WPE", 4, [4.0, 4.0, 6.0, 6.0]))
    best, diff = margin_over_classical(rows, 4)
    assert best == "ILRMA + WPE" and diff.mean == pytest.approx(4.5)


def test_wpe_differences_pair_each_method_with_itself_without_wpe():
    rows = (_rows("AuxIVA", 4, [1.0, 2.0, 3.0, 4.0]) + _rows("AuxIVA + WPE", 4, [2.0, 3.0, 4.0, 5.0])
            + _rows("TacBand (mask)", 1, [5.0, 5.0]) + _rows("Lonely + WPE", 4, [1.0, 1.0]))
    lines = wpe_differences(rows)
    assert lines[0].startswith("WPE first, paired SI-SDRi difference")
    assert lines[1:] == ["- AuxIVA: 4 mics +1.00 ± 0.00"]


def test_a_method_after_wpe_is_keyed_apart_from_it_and_by_the_wpe_settings():
    from models.baselines.wpe import WpeSettings
    from models.evaluation.separation import with_wpe

    method = Method("AuxIVA", lambda mix: mix[:2], min_mics=2)
    (first,), (other,) = with_wpe([method]), with_wpe([method], WpeSettings(delay_ms=24.0))
    assert first.name == "AuxIVA + WPE" and first.min_mics == 2
    assert len({method.cache_key, first.cache_key, other.cache_key}) == 3
