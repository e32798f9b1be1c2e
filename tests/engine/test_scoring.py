"""Scoring a user's files: items paired by path, talkers matched by SI-SDR, CIs and paired differences."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from app.engine.jobs import drive
from app.engine.scoring import ScoringError, pair_items, score_item, score_job, summarise
from models.metrics.speech import si_sdr

RATE = 16_000
DEMO = Path(__file__).resolve().parents[2] / "resources" / "demo" / "meeting-respeaker4"


@pytest.fixture(scope="module")
def talkers() -> list[np.ndarray]:
    """Three seconds of each demo talker: real speech, so PESQ and ESTOI have something to score."""
    return [sf.read(DEMO / f"talker{k}.flac", dtype="float32")[0][RATE * 2:RATE * 5] for k in (1, 2)]


def noisy(clean: np.ndarray, snr_db: float, seed: int = 0) -> np.ndarray:
    noise = np.random.default_rng(seed).standard_normal(clean.size).astype(np.float32)
    noise *= np.sqrt(np.mean(clean ** 2) / np.mean(noise ** 2) / 10 ** (snr_db / 10))
    return clean + noise


def write(path: Path, audio: np.ndarray, rate: int = RATE) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, audio, rate)
    return path


@pytest.fixture
def item_folders(tmp_path, talkers):
    """REFS/meeting/{a,b}.wav; EST/meeting/{spk1,spk2}.wav in the other order, at 10 and 20 dB SNR."""
    for name, clean in zip("ab", talkers, strict=True):
        write(tmp_path / "refs" / "meeting" / f"{name}.wav", clean)
    write(tmp_path / "est" / "meeting" / "spk1.wav", noisy(talkers[1], 20))
    write(tmp_path / "est" / "meeting" / "spk2.wav", noisy(talkers[0], 10))
    return tmp_path


def test_estimates_are_matched_to_the_references_they_resemble(item_folders):
    pairing = pair_items(item_folders / "refs", item_folders / "est")
    (item,) = pairing.items
    rows = score_item(item, "mine", dnsmos=False)
    matched = {row.reference.name: row.estimate.name for row in rows}
    assert matched == {"a.wav": "spk2.wav", "b.wav": "spk1.wav"}
    by_reference = {row.reference.name: row.values["si_sdr"] for row in rows}
    assert by_reference["a.wav"] == pytest.approx(10, abs=0.5) and by_reference["b.wav"] == pytest.approx(20, abs=0.5)
    assert all({"pesq", "estoi"} <= row.values.keys() for row in rows)


def test_an_item_with_the_wrong_number_of_estimates_is_named_and_the_rest_scored(item_folders, talkers):
    write(item_folders / "refs" / "kitchen" / "a.wav", talkers[0])
    write(item_folders / "est" / "kitchen" / "spk1.wav", talkers[0])
    write(item_folders / "est" / "kitchen" / "spk2.wav", talkers[1])
    pairing = pair_items(item_folders / "refs", item_folders / "est")
    assert [item.name for item in pairing.items] == ["meeting"]
    ((name, reason),) = pairing.problems
    assert name == "kitchen" and "1 reference(s) but 2 estimate(s)" in reason


def test_a_pattern_keeps_other_files_out_of_an_items_estimates(item_folders, talkers):
    write(item_folders / "est" / "meeting" / "spk1_separated.wav", talkers[1])
    pairing = pair_items(item_folders / "refs", item_folders / "est", pattern="spk?.wav")
    assert [p.name for p in pairing.items[0].estimates] == ["spk1.wav", "spk2.wav"]


def test_single_talker_files_pair_by_name(tmp_path, talkers):
    write(tmp_path / "refs" / "clip.wav", talkers[0])
    write(tmp_path / "est" / "clip.flac", noisy(talkers[0], 15))
    write(tmp_path / "refs" / "lost.wav", talkers[1])
    pairing = pair_items(tmp_path / "refs", tmp_path / "est")
    assert [(i.name, i.estimates[0].name) for i in pairing.items] == [("clip", "clip.flac")]
    assert pairing.problems[0][0] == "lost"


def test_talker_folders_pair_as_in_librimix(tmp_path, talkers):
    for k, clean in enumerate(talkers, start=1):
        write(tmp_path / "refs" / f"s{k}" / "61-70968-0000.wav", clean)
        write(tmp_path / "est" / f"s{3 - k}" / "61-70968-0000.wav", noisy(clean, 12))
    write(tmp_path / "refs" / "mix_both" / "61-70968-0000.wav", talkers[0] + talkers[1])
    pairing = pair_items(tmp_path / "refs", tmp_path / "est", mixtures=tmp_path / "refs" / "mix_both",
                         talker_folders=("s1", "s2"))
    (item,) = pairing.items
    rows = score_item(item, "mine", dnsmos=False)
    assert {(r.reference.parent.name, r.estimate.parent.name) for r in rows} == {("s1", "s2"), ("s2", "s1")}
    assert all(r.values["si_sdri"] > 5 for r in rows)


def test_a_mixture_asked_for_but_missing_is_said_in_the_row(tmp_path, talkers):
    write(tmp_path / "refs" / "clip.wav", talkers[0])
    write(tmp_path / "est" / "clip.wav", noisy(talkers[0], 15))
    (tmp_path / "mix").mkdir()
    (item,) = pair_items(tmp_path / "refs", tmp_path / "est", mixtures=tmp_path / "mix").items
    (row,) = score_item(item, "mine", dnsmos=False)
    assert "si_sdri" not in row.values and row.note == f"no mixture for it in {tmp_path / 'mix'}, so no SI-SDRi"


def test_improvement_is_measured_from_the_mixtures_reference_channel(tmp_path, talkers):
    mixture = np.stack([talkers[0] + talkers[1], np.zeros_like(talkers[0])], axis=1)
    write(tmp_path / "refs" / "room" / "mixture.wav", mixture)
    write(tmp_path / "refs" / "room" / "a.wav", talkers[0])
    write(tmp_path / "est" / "room" / "spk1.wav", noisy(talkers[0], 15))
    (item,) = pair_items(tmp_path / "refs", tmp_path / "est", mixture_name="mixture.wav").items
    (row,) = score_item(item, "mine", reference_channel=0, dnsmos=False)
    expected = row.values["si_sdr"] - si_sdr(talkers[0] + talkers[1], talkers[0])
    assert row.values["si_sdri"] == pytest.approx(expected, abs=1e-3)
    with pytest.raises(ScoringError, match="no reference channel 3"):
        score_item(item, "mine", reference_channel=2, dnsmos=False)


def test_estimates_where_separate_puts_them_for_mixtures_of_one_name(tmp_path, talkers):
    """`separate REFS/*/mixture.wav --out EST` writes EST/<item>_mixture/spk1.wav, spk2.wav."""
    for item in ("meeting", "kitchen"):
        write(tmp_path / "refs" / item / "mixture.wav", talkers[0] + talkers[1])
        for k, clean in enumerate(talkers, start=1):
            write(tmp_path / "refs" / item / f"talker{k}.wav", clean)
            write(tmp_path / "est" / f"{item}_mixture" / f"spk{k}.wav", clean)
    pairing = pair_items(tmp_path / "refs", tmp_path / "est", mixture_name="mixture.wav")
    assert [(i.name, i.estimates[0].parent.name, i.mixture.name) for i in pairing.items] == [
        ("kitchen", "kitchen_mixture", "mixture.wav"), ("meeting", "meeting_mixture", "mixture.wav")]


def test_a_file_that_is_not_mono_is_named_and_the_other_items_scored(item_folders, talkers):
    write(item_folders / "refs" / "stereo" / "a.wav", talkers[0])
    write(item_folders / "est" / "stereo" / "spk1.wav", np.stack([talkers[0]] * 2, axis=1))
    pairing = pair_items(item_folders / "refs", item_folders / "est")
    problems = []
    rows = drive(score_job(pairing.items, "mine", dnsmos=False, on_problem=lambda *p: problems.append(p)))
    assert {r.item for r in rows} == {"meeting"}
    assert problems == [("stereo", "spk1.wav has 2 channels; scoring compares one talker per mono file.")]


def test_estimates_at_another_rate_are_scored_at_16_khz(tmp_path, talkers):
    import soxr

    write(tmp_path / "refs" / "clip.wav", talkers[0])
    write(tmp_path / "est" / "clip.wav", soxr.resample(talkers[0], RATE, 48_000), 48_000)
    (item,) = pair_items(tmp_path / "refs", tmp_path / "est").items
    (row,) = score_item(item, "mine", dnsmos=False)
    assert row.values["si_sdr"] > 30


def test_a_missing_folder_is_named(tmp_path):
    (tmp_path / "refs").mkdir()
    with pytest.raises(ScoringError, match="estimate folder .*nowhere"):
        pair_items(tmp_path / "refs", tmp_path / "nowhere")


def test_paired_differences_compare_the_same_talkers(item_folders, talkers):
    write(item_folders / "better" / "meeting" / "spk1.wav", noisy(talkers[0], 25, seed=1))
    write(item_folders / "better" / "meeting" / "spk2.wav", noisy(talkers[1], 25, seed=2))
    rows = []
    for system in ("est", "better"):
        items = pair_items(item_folders / "refs", item_folders / system).items
        rows += drive(score_job(items, system, dnsmos=False))
    first, second = summarise(rows, ["est", "better"])
    assert first.differences == {}
    by = {(r.system, r.reference.name): r.values["si_sdr"] for r in rows}
    expected = np.mean([by["better", name] - by["est", name] for name in ("a.wav", "b.wav")])
    assert second.differences["si_sdr"].mean == pytest.approx(expected)
    assert second.differences["si_sdr"].n == 2


def _with_labels(root: Path, text: str) -> Path:
    (root / "refs" / "meeting" / "labels.txt").write_text(text)
    (item,) = pair_items(root / "refs", root / "est", labels="labels.txt").items
    return item


def _row(system: str, item: str, talker: int, value: float, span: tuple[float, float] | None = None):
    from app.engine.scoring import Row

    return Row(system, item, Path(f"talker{talker}.wav"), Path(f"spk{talker}.wav"), {"si_sdr": value}, span=span)


def test_whole_files_are_clustered_by_item_so_an_items_talkers_are_not_two_samples():
    from models.metrics.speech import confidence_interval

    values = {("a", 0): 1.0, ("a", 1): 2.0, ("b", 0): 6.0, ("b", 1): 6.0, ("c", 0): 9.0, ("c", 1): 11.0}
    rows = [_row("ours", item, talker, v) for (item, talker), v in values.items()]
    rows += [_row("theirs", item, talker, 0.0) for item, talker in values]
    ours, theirs = summarise(rows, ["theirs", "ours"])[::-1]
    by_item = confidence_interval([1.5, 6.0, 10.0])
    assert ours.intervals["si_sdr"].half_width == pytest.approx(by_item.half_width)
    assert ours.differences["si_sdr"].half_width == pytest.approx(by_item.half_width)


def test_labelled_segments_of_one_recording_are_scored_as_independent_samples():
    from models.metrics.speech import confidence_interval

    values = [1.0, 2.0, 6.0, 9.0]
    rows = [_row("ours", "meeting", 0, v, span=(float(k), k + 1.0)) for k, v in enumerate(values)]
    (summary,) = summarise(rows, ["ours"])
    assert summary.intervals["si_sdr"] == confidence_interval(values)


def test_with_labels_each_talker_is_scored_over_each_labels_range(item_folders):
    item = _with_labels(item_folders, "0.0\t1.5\tfirst\n1.5\t3.0\tsecond\n")
    rows = score_item(item, "mine", dnsmos=False)
    assert sorted((row.reference.name, row.label, row.span) for row in rows) == [
        ("a.wav", "first", (0.0, 1.5)), ("a.wav", "second", (1.5, 3.0)),
        ("b.wav", "first", (0.0, 1.5)), ("b.wav", "second", (1.5, 3.0))]
    for row in rows:                     # exactly the metric over that range of the two files
        start, stop = (round(t * RATE) for t in row.span)
        reference, estimate = (sf.read(path, dtype="float32")[0][start:stop] for path in (row.reference, row.estimate))
        assert row.values["si_sdr"] == pytest.approx(si_sdr(estimate, reference), abs=1e-4)


def test_a_label_naming_a_talker_scores_that_talker_alone(item_folders):
    item = _with_labels(item_folders, "0.0\t3.0\ttalker 2\n")
    (row,) = score_item(item, "mine", dnsmos=False)
    assert row.reference.name == "b.wav" and row.estimate.name == "spk1.wav"


def test_an_item_whose_labels_are_all_too_short_to_score_is_named(item_folders):
    item = _with_labels(item_folders, "0.0\t0.2\tcough\n1.0\t1.0\tpoint\n")
    with pytest.raises(ScoringError, match="none of the 2 label"):
        score_item(item, "mine", dnsmos=False)


def test_an_item_without_its_label_file_is_named_and_not_scored(item_folders):
    pairing = pair_items(item_folders / "refs", item_folders / "est", labels="labels.txt")
    assert pairing.items == [] and pairing.problems == [
        ("meeting", f"no label file labels.txt in {item_folders / 'refs' / 'meeting'}")]


def test_paired_differences_over_labels_pair_the_same_talker_and_range(item_folders, talkers):
    write(item_folders / "better" / "meeting" / "x.wav", noisy(talkers[0], 30, seed=3))
    write(item_folders / "better" / "meeting" / "y.wav", noisy(talkers[1], 30, seed=4))
    (item_folders / "refs" / "meeting" / "labels.txt").write_text("0.0\t1.5\tfirst\n1.5\t3.0\tsecond\n")
    rows = []
    for system in ("est", "better"):
        (item,) = pair_items(item_folders / "refs", item_folders / system, labels="labels.txt").items
        rows += score_item(item, system, dnsmos=False)
    _, better = summarise(rows, ["est", "better"])
    assert better.differences["si_sdr"].n == 4 and better.differences["si_sdr"].mean > 10


def late(audio: np.ndarray, frames: int) -> np.ndarray:
    return np.concatenate([np.zeros(frames, np.float32), audio[:-frames]])


def test_a_late_system_is_scored_as_it_is_unless_asked_to_align(item_folders, talkers):
    est = item_folders / "late"
    write(est / "meeting" / "spk1.wav", late(noisy(talkers[1], 20), 480))          # 30 ms of latency
    write(est / "meeting" / "spk2.wav", late(noisy(talkers[0], 10), 480))
    (item,) = pair_items(item_folders / "refs", est).items
    as_is = {r.reference.name: r for r in score_item(item, "late", dnsmos=False)}
    aligned = {r.reference.name: r for r in score_item(item, "late", dnsmos=False, align=True)}
    assert as_is["b.wav"].values["si_sdr"] < 0 and as_is["b.wav"].note == ""
    assert aligned["b.wav"].values["si_sdr"] == pytest.approx(20, abs=0.3)     # where it has audio
    assert aligned["a.wav"].values["si_sdr"] == pytest.approx(10, abs=0.3)
    assert aligned["b.wav"].note == "moved 30 ms earlier to meet its reference"


def test_aligning_an_estimate_in_step_changes_nothing(item_folders):
    (item,) = pair_items(item_folders / "refs", item_folders / "est").items
    as_is = score_item(item, "mine", dnsmos=False)
    aligned = score_item(item, "mine", dnsmos=False, align=True)
    assert [r.values for r in aligned] == [pytest.approx(r.values, rel=1e-9) for r in as_is]
    assert all(r.note == "" for r in aligned)


def test_an_estimate_unrelated_to_its_reference_is_scored_as_it_is_with_a_note(tmp_path, talkers):
    write(tmp_path / "refs" / "clip.wav", talkers[0])
    write(tmp_path / "est" / "clip.wav", np.random.default_rng(5).standard_normal(talkers[0].size).astype(np.float32))
    (item,) = pair_items(tmp_path / "refs", tmp_path / "est").items
    (row,) = score_item(item, "mine", dnsmos=False, align=True)
    assert row.note.startswith("no clear delay against its reference")
