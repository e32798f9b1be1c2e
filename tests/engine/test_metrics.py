"""The metrics job that the metrics panel shows: versions scored against the right references."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from app.engine.demo import DEMO_DIR
from app.engine.documents import Version, VersionKind
from app.engine.files import ArraySource
from app.engine.jobs import drive
from app.engine.labels import Label
from app.engine.workflow import (
    METRIC_LABELS,
    MetricsRow,
    label_metrics_job,
    metrics_job,
    metrics_table,
    read_reference,
)
from models.metrics.speech import confidence_interval, si_sdr

DEMO = DEMO_DIR / "meeting-respeaker4"
# Most labels below are 2.3 s long, DNSMOS_ONE_WINDOW_S (tests/conftest.py): one DNSMOS window each.


def _references() -> dict[int, np.ndarray]:
    return {k: sf.read(DEMO / f"talker{k + 1}.flac", dtype="float32")[0] for k in (0, 1)}


def _version(talker: int, audio: np.ndarray) -> Version:
    return Version(f"Separated · talker {talker + 1}", talker, VersionKind.SEPARATED, audio, 16_000, "test", {})


def test_swapped_talkers_are_scored_against_the_reference_they_match():
    refs = _references()
    level = min(float(np.std(r)) for r in refs.values())
    noise = 0.05 * level * np.random.default_rng(0).standard_normal(refs[0].shape[0]).astype(np.float32)
    swapped = [_version(0, refs[1] + noise), _version(1, refs[0] + noise)]
    rows = drive(metrics_job(swapped, refs))
    assert [row.name for row in rows] == ["Separated · talker 1 (≈ talker 2)", "Separated · talker 2 (≈ talker 1)"]
    assert all(row.values["si_sdr"] > 10 for row in rows)


def test_the_mixture_baseline_rows_keep_their_own_talker():
    refs = _references()
    mixture = ArraySource((refs[0] + refs[1])[None], 16_000, "mixture")
    rows = drive(metrics_job([_version(0, refs[0])], refs, mixture))
    assert [row.name for row in rows] == ["Mixture · talker 1", "Mixture · talker 2", "Separated · talker 1"]
    assert rows[2].values["si_sdr"] > 40 and -5 < rows[0].values["si_sdr"] < 5
    assert [row.model for row in rows] == ["", "", "test"]


def test_the_metrics_table_has_a_header_four_decimals_and_blanks_where_not_computed():
    rows = [MetricsRow("a", "Separated · talker 1", {"si_sdr": 7.123456, "dnsmos_ovrl": 2.5}, "tacband-separator"),
            MetricsRow("b", "MeCo · talker 1", {"si_sdr": float("nan")}, "meco", (1.5, 2.25), "hello")]
    header, first, second = metrics_table(rows)
    assert header == ["Version", *METRIC_LABELS.values(), "Model", "Label", "Start (s)", "End (s)"]
    assert first[-4:] == ["tacband-separator", "", "", ""] and second[-4:] == ["meco", "hello", "1.500", "2.250"]
    assert first[:2] == ["Separated · talker 1", "7.1235"] and first[header.index("DNSMOS OVRL")] == "2.5000"
    assert first[header.index("PESQ-WB")] == "" and second[1] == ""


def test_a_span_scores_only_that_range_of_every_version_and_reference():
    refs = _references()
    version = refs[0].copy()
    version[: 16_000 * 4] = np.random.default_rng(1).standard_normal(16_000 * 4) * 0.1   # ruined outside the span
    whole, = drive(metrics_job([_version(0, version)], refs))
    (inside,) = drive(metrics_job([_version(0, version)], refs, span=(5.0, 9.0)))
    assert whole.values["si_sdr"] < 10 < 40 < inside.values["si_sdr"]


def test_versions_at_another_rate_are_scored_against_references_at_16_khz():
    import soxr

    refs = _references()
    at_48k = soxr.resample(refs[1], 16_000, 48_000).astype(np.float32)
    version = Version("Imported · talker 2", 1, VersionKind.IMPORTED, at_48k, 48_000, "", {})
    (row,) = drive(metrics_job([version], refs, span=(1.0, 6.0)))
    assert row.name == "Imported · talker 2" and row.values["si_sdr"] > 30


def test_a_reference_recorded_at_another_rate_is_resampled(tmp_path):
    import soxr

    clean = _references()[0]
    sf.write(tmp_path / "ref48k.flac", soxr.resample(clean, 16_000, 48_000), 48_000)
    reference = read_reference(tmp_path / "ref48k.flac", 16_000)
    assert reference.shape == clean.shape
    assert si_sdr(reference, clean) > 30


def test_each_label_is_scored_over_its_own_range_and_too_short_ones_are_left_out():
    refs = _references()
    version = refs[0].copy()
    late = np.random.default_rng(2).standard_normal(version.size - 16_000 * 5).astype(np.float32)
    version[16_000 * 5:] += 2 * np.std(refs[0]) * late                                              # noisy late on
    labels = [Label(1.0, 3.3, "early"), Label(4.5, 4.6, "blip"), Label(6.0, 8.3, "")]
    mixture = ArraySource((refs[0] + refs[1])[None], 16_000, "mixture")
    rows = drive(label_metrics_job([_version(0, version)], refs, mixture, labels))[:6]
    assert [row.title for row in rows] == ["early · Mixture · talker 1", "early · Mixture · talker 2",
                                          "early · Separated · talker 1", "label · Mixture · talker 1",
                                          "label · Mixture · talker 2", "label · Separated · talker 1"]
    assert [row.span for row in rows] == [(1.0, 3.3)] * 3 + [(6.0, 8.3)] * 3
    assert rows[2].values["si_sdr"] > 40 > 10 > rows[5].values["si_sdr"]


def test_scores_over_several_labels_end_with_each_versions_mean_and_95_percent_interval():
    refs = _references()
    mixture = ArraySource((refs[0] + refs[1])[None], 16_000, "mixture")
    labels = [Label(1.0, 3.3, "a"), Label(3.3, 5.6, "b"), Label(6.0, 8.3, "c")]
    rows = drive(label_metrics_job([_version(0, refs[0] + 0.1 * refs[1])], refs, mixture, labels))
    per_label, means = rows[:9], rows[9:12]
    assert [row.title for row in means] == ["Mean of 3 labels · Mixture · talker 1",
                                            "Mean of 3 labels · Mixture · talker 2",
                                            "Mean of 3 labels · Separated · talker 1"]
    own = [row.values["si_sdr"] for row in per_label if row.version_id]
    interval = confidence_interval(own)
    assert means[2].values["si_sdr"] == pytest.approx(interval.mean)
    assert means[2].half_widths["si_sdr"] == pytest.approx(interval.half_width)
    table = metrics_table(rows)
    assert table[0][-len(METRIC_LABELS)] == "SI-SDR (dB) ±95 % CI" and table[12][8] == "mean of 3 labels"
    assert table[1][-1] == ""                              # a label's own row has no interval


def test_scores_over_several_labels_end_with_each_runs_paired_difference_from_what_it_started_from():
    refs = _references()
    mixture = ArraySource((refs[0] + refs[1])[None], 16_000, "mixture")
    labels = [Label(1.0, 3.3, "a"), Label(3.3, 5.6, "b"), Label(6.0, 8.3, "c")]
    separated = _version(0, refs[0] + 0.3 * refs[1])
    corrected = Version("MeCo · talker 1", 0, VersionKind.CORRECTED, refs[0] + 0.1 * refs[1], 16_000, "meco",
                        {"source_version": separated.id})
    rows = drive(label_metrics_job([separated, corrected], refs, mixture, labels))
    differences = [row for row in rows if row.baseline]
    assert [row.title for row in differences] == [
        "Δ over 3 labels · Separated · talker 1 − Mixture · talker 1",
        "Δ over 3 labels · MeCo · talker 1 − Separated · talker 1"]
    scores = {name: [row.values["si_sdr"] for row in rows if row.name == name and row.label is not None]
              for name in ("Mixture · talker 1", "Separated · talker 1", "MeCo · talker 1")}
    gain = confidence_interval(np.subtract(scores["MeCo · talker 1"], scores["Separated · talker 1"]))
    assert differences[1].values["si_sdr"] == pytest.approx(gain.mean) and gain.mean > 5
    assert differences[1].half_widths["si_sdr"] == pytest.approx(gain.half_width)
    improvement = np.subtract(scores["Separated · talker 1"], scores["Mixture · talker 1"]).mean()
    assert differences[0].values["si_sdr"] == pytest.approx(improvement)        # SI-SDRi
    assert metrics_table(rows)[-1][8] == "paired difference from Separated · talker 1 over 3 labels"


def test_a_mends_difference_is_from_the_version_it_mended_when_that_is_scored_too():
    from app.engine.version_edits import silenced_version

    refs = _references()
    mixture = ArraySource((refs[0] + refs[1])[None], 16_000, "mixture")
    labels = [Label(1.0, 3.3, "a"), Label(3.3, 5.6, "b"), Label(6.0, 8.3, "c")]
    separated = _version(0, refs[0] + 0.3 * refs[1])
    mended = silenced_version(separated, [(5.6, 6.0)])               # between the labels: the same scores
    rows = drive(label_metrics_job([separated, mended], refs, mixture, labels))
    (difference,) = [row for row in rows if row.baseline and row.version_id == mended.id]
    assert difference.baseline == "Separated · talker 1" and difference.values["si_sdr"] == pytest.approx(0, abs=1e-6)
    alone = drive(label_metrics_job([mended], refs, mixture, labels))   # the original not scored: the mixture
    assert [row.baseline for row in alone if row.baseline] == ["Mixture · talker 1"]


def test_a_separations_difference_is_from_the_mixture_scored_against_the_reference_it_matched():
    refs = _references()
    mixture = ArraySource((refs[0] + refs[1])[None], 16_000, "mixture")
    labels = [Label(1.0, 3.3, "a"), Label(3.3, 5.6, "b")]
    swapped = _version(0, refs[1] + 0.2 * refs[0])                      # talker 1's track holds talker 2
    rows = drive(label_metrics_job([swapped], refs, mixture, labels))
    difference = rows[-1]
    assert difference.title == "Δ over 2 labels · Separated · talker 1 − Mixture · talker 2"
    own = [row.values["si_sdr"] for row in rows[:6] if row.version_id]
    heard = [row.values["si_sdr"] for row in rows[:6] if row.name == "Mixture · talker 2"]
    assert difference.values["si_sdr"] == pytest.approx(np.mean(np.subtract(own, heard)))


def test_a_label_naming_a_talker_scores_that_talkers_versions_and_the_mixture_at_their_reference():
    refs = _references()
    mixture = ArraySource((refs[0] + refs[1])[None], 16_000, "mixture")
    versions = [_version(0, refs[0] + 0.1 * refs[1]), _version(1, refs[1] + 0.1 * refs[0])]
    labels = [Label(1.0, 3.3, "talker 1"), Label(3.3, 5.6, "Talker 2"), Label(6.0, 8.3, "both")]
    rows = [row for row in drive(label_metrics_job(versions, refs, mixture, labels)) if not row.labels]
    by_label = {}
    for row in rows:
        by_label.setdefault(row.label, []).append(row.name)
    assert by_label["talker 1"] == ["Mixture · talker 1", "Separated · talker 1"]
    assert by_label["Talker 2"] == ["Mixture · talker 2", "Separated · talker 2"]
    assert len(by_label["both"]) == 4


def test_only_talker_n_labels_name_a_talker():
    from app.engine.labels import label_talker

    assert [label_talker(t) for t in ("talker 1", " TALKER 12 ", "talker 0", "talker one", "the talker 2")] == [
        0, 11, None, None, None]


def test_a_reference_read_over_a_span_is_the_whole_reads_part_in_silence_as_long(tmp_path):
    import soxr

    from app.engine.workflow import read_reference

    clean = _references()[0]
    sf.write(tmp_path / "ref48k.flac", soxr.resample(clean, 16_000, 48_000), 48_000, subtype="PCM_24")
    whole = read_reference(tmp_path / "ref48k.flac", 16_000)
    part = read_reference(tmp_path / "ref48k.flac", 16_000, (2.0, 4.5))
    assert part.shape == whole.shape
    np.testing.assert_allclose(part[32_000:72_000], whole[32_000:72_000], atol=1e-4)
    assert not part[:31_000].any() and not part[73_000:].any()
