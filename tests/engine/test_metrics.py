"""The metrics job that the metrics panel shows: versions scored against the right references."""

from __future__ import annotations

import numpy as np
import soundfile as sf

from app.engine.demo import DEMO_DIR
from app.engine.documents import Version, VersionKind
from app.engine.jobs import drive
from app.engine.workflow import METRIC_LABELS, MetricsRow, metrics_job, metrics_table

DEMO = DEMO_DIR / "meeting-respeaker4"


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
    mixture = refs[0] + refs[1]
    rows = drive(metrics_job([_version(0, refs[0])], refs, mixture))
    assert [row.name for row in rows] == ["Mixture · talker 1", "Mixture · talker 2", "Separated · talker 1"]
    assert rows[2].values["si_sdr"] > 40 and -5 < rows[0].values["si_sdr"] < 5
    assert [row.model for row in rows] == ["", "", "test"]


def test_the_metrics_table_has_a_header_four_decimals_and_blanks_where_not_computed():
    rows = [MetricsRow("a", "Separated · talker 1", {"si_sdr": 7.123456, "dnsmos_ovrl": 2.5}, "tacband-separator"),
            MetricsRow("b", "MeCo · talker 1", {"si_sdr": float("nan")}, "meco")]
    header, first, second = metrics_table(rows)
    assert header == ["Version", *METRIC_LABELS.values(), "Model"]
    assert first[-1] == "tacband-separator" and second[-1] == "meco"
    assert first[:2] == ["Separated · talker 1", "7.1235"] and first[header.index("DNSMOS OVRL")] == "2.5000"
    assert first[header.index("PESQ-WB")] == "" and second[1] == ""
