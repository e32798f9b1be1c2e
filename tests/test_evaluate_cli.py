"""`meco-studio evaluate separation` on a tiny fixed set: a table per set, naming its command."""

from __future__ import annotations

from app.cli import EXIT_FAILED, EXIT_OK, main
from models.data.paths import cache_root
from tests.conftest import write_tiny_fixed_set


def _tiny_set(root):
    write_tiny_fixed_set(root / "in_domain")


def test_evaluate_writes_a_markdown_table_with_its_command(tmp_path, tiny_separator_card):
    _tiny_set(tmp_path / "sets")
    out = tmp_path / "separation.md"
    code = main(["evaluate", "separation", "--testsets", str(tmp_path / "sets"), "--sets", "in_domain",
                 "--model", "tiny-separator", "--mics", "1", "2", "--no-dnsmos", "--no-baselines",
                 "--markdown", str(out)])
    assert code == EXIT_OK
    text = out.read_text()
    assert "meco-studio evaluate separation --sets in_domain --mics 1 2" in text
    assert "| TacBand (mask) | 1 |" in text and "| TacBand + MWF | 2 |" in text
    assert "| Oracle IRM (1 mic) | — |" in text


def test_evaluate_says_how_to_make_missing_sets(tmp_path, tiny_separator_card, capsys):
    assert main(["evaluate", "separation", "--testsets", str(tmp_path), "--model", "tiny-separator",
                 "--no-dnsmos"]) == EXIT_FAILED
    assert "make-testsets" in capsys.readouterr().err


def test_a_repeated_evaluation_reuses_the_rows_it_scored(tmp_path, tiny_separator_card):
    _tiny_set(tmp_path / "sets")
    tables = []
    for name in ("first.md", "again.md"):
        assert main(["evaluate", "separation", "--testsets", str(tmp_path / "sets"), "--sets", "in_domain",
                     "--model", "tiny-separator", "--mics", "2", "--no-dnsmos", "--no-baselines",
                     "--markdown", str(tmp_path / name)]) == EXIT_OK
        tables.append((tmp_path / name).read_text())
    assert tables[0] == tables[1]                  # even the RTFs: they were measured once
    assert (cache_root() / "evaluation" / "separation" / "in_domain.jsonl").exists()


def test_compared_separators_get_rows_named_after_their_cards(tmp_path, tiny_separator_card):
    import torch

    from models.common import checkpoint
    from models.separator.network import SeparatorConfig, TacBandSeparator

    _tiny_set(tmp_path / "sets")
    torch.manual_seed(1)
    config = SeparatorConfig(channels=16, blocks=1, spatial_blocks=1)
    other = tmp_path / "elsewhere" / "grown.json"          # a card file outside the model folders
    other.parent.mkdir()
    checkpoint.save(TacBandSeparator(config), other, {"name": "tiny-grown", "architecture": "TacBandSeparator",
                                                      "task": "separation", "config": config.to_dict(),
                                                      "sample_rate": 16000})
    out = tmp_path / "compare.md"
    assert main(["evaluate", "separation", "--testsets", str(tmp_path / "sets"), "--sets", "in_domain",
                 "--model", "tiny-separator", "--compare", str(other), "--mics", "2", "--no-dnsmos",
                 "--no-baselines", "--markdown", str(out)]) == EXIT_OK
    text = out.read_text()
    assert "| TacBand (mask) | 2 |" in text and "| tiny-grown (mask) | 2 |" in text
    assert "tiny-grown + MWF" not in text and f"--compare {other}" in text
    assert "- tiny-grown (mask) minus TacBand (mask): 2 mics " in text


def test_a_compared_card_of_another_task_is_refused(tmp_path, tiny_separator_card, tiny_meco_card, capsys):
    _tiny_set(tmp_path / "sets")
    assert main(["evaluate", "separation", "--testsets", str(tmp_path / "sets"), "--sets", "in_domain",
                 "--model", "tiny-separator", "--compare", str(tiny_meco_card), "--no-dnsmos"]) == EXIT_FAILED
    assert "is for correction, not separation" in capsys.readouterr().err


def test_the_demos_gated_rows_silence_each_version_outside_its_talkers_turns():
    import numpy as np

    from app.commands.evaluate import silenced_between_turns
    from app.engine.documents import Version, VersionKind

    rate = 16_000
    t = np.arange(rate) / rate
    voice = (0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)
    quiet = np.zeros(rate, np.float32)
    tracks = [np.concatenate([voice, 0.01 * voice, quiet]), np.concatenate([0.01 * voice, voice, quiet])]
    versions = [Version(f"Separated · talker {k + 1}", k, VersionKind.SEPARATED, track, rate, "sep", {})
                for k, track in enumerate(tracks)]
    gated = silenced_between_turns(versions)
    assert [v.name for v in gated] == ["Separated silenced between turns · talker 1",
                                       "Separated silenced between turns · talker 2"]
    assert not gated[0].audio[int(1.3 * rate):].any() and gated[0].audio[:rate].any()
    assert not gated[1].audio[:int(0.7 * rate)].any() and gated[1].audio[rate:2 * rate].any()
    assert {v.id for v in gated}.isdisjoint({v.id for v in versions})


def test_the_demos_enhanced_rows_finish_only_the_separated_talkers(tiny_student_card):
    import numpy as np

    from app.commands.evaluate import enhanced_separations
    from app.engine.documents import Version, VersionKind
    from models.inference.chunked import ChunkConfig

    rate = 16_000
    rng = np.random.default_rng(0)
    separated = [Version(f"Separated · talker {k + 1}", k, VersionKind.SEPARATED,
                         rng.standard_normal(rate).astype(np.float32) * 0.1, rate, "sep", {}) for k in range(2)]
    corrected = [Version("MeCo · talker 1", 0, VersionKind.CORRECTED, separated[0].audio, rate, "meco", {})]
    enhanced = enhanced_separations(separated + corrected, ChunkConfig(seconds=0.5), "tiny-student")
    assert [v.name for v in enhanced] == ["Student tiny-student · talker 1", "Student tiny-student · talker 2"]
    assert all(v.kind is VersionKind.ENHANCED and v.audio.shape == (rate,) for v in enhanced)
    assert [v.settings["source_version"] for v in enhanced] == [v.id for v in separated]


def test_demos_with_an_unknown_enhancer_fail_before_separating_anything(capsys):
    assert main(["evaluate", "demos", "--enhance", "no-such-student", "--no-dnsmos"]) == EXIT_FAILED
    err = capsys.readouterr().err
    assert "No enhancement model named 'no-such-student'" in err and "separating" not in err


def test_the_demos_noise_rows_name_how_the_noise_was_found():
    import numpy as np

    from app.commands.evaluate import noise_reduced
    from app.engine.documents import Version, VersionKind

    rate = 16_000
    rng = np.random.default_rng(1)
    versions = [Version(f"Separated · talker {k + 1}", k, VersionKind.SEPARATED,
                        (0.01 * rng.standard_normal(3 * rate)).astype(np.float32), rate, "sep", {}) for k in range(2)]
    profiled, tracked = noise_reduced(versions, [12.0]), noise_reduced(versions, [12.0], tracked=True)
    assert [v.name for v in tracked] == ["Separated noise tracked, reduced 12 dB · talker 1",
                                         "Separated noise tracked, reduced 12 dB · talker 2"]
    assert profiled[0].name == "Separated noise reduced 12 dB · talker 1"
    assert [v.settings["noise_reduced"][0]["profile"] for v in profiled + tracked] == ["quietest tenth"] * 2 + [
        "tracked over time"] * 2
    assert len({v.id for v in versions + profiled + tracked}) == 6


def test_the_demos_driven_into_clipping_are_repaired_and_separated(tmp_path, tiny_separator_card, capsys):
    import json

    assert main(["evaluate", "declip", "--drive", "12", "--model", "tiny-separator", "--json"]) == EXIT_OK
    rows = json.loads(capsys.readouterr().out)["declip"]
    assert set(rows) == {"meeting-respeaker4", "kitchen-respeaker6", "interview-stereo"}
    for row in (r["12"] for r in rows.values()):
        assert row["runs"] > 0 and 0 < row["clipped_share"] < 0.2 and row["snr_repaired"] > row["snr_clipped"]


def test_the_demo_talkers_gaps_are_redrawn_closer_than_a_straight_line(monkeypatch, capsys):
    import json

    monkeypatch.setattr("app.commands.evaluate.REPAIR_PLACES", 2)
    assert main(["evaluate", "repair", "--json"]) == EXIT_OK
    rows = json.loads(capsys.readouterr().out)["repair"]
    assert list(rows) == ["1", "2.5", "5", "10", "20"]
    assert rows["5"]["repair"] > rows["5"]["line"] + 3


def test_the_delays_sources_of_a_demo_are_matched_to_its_talkers_frame_by_frame():
    import json

    import numpy as np

    from app.commands.evaluate import _source_frames
    from app.engine.activity import ActivitySettings, frame_scores, own_frames
    from app.engine.demo import DEMO_DIR
    from app.engine.workflow import demo_references, read_reference

    item = json.loads((DEMO_DIR / "manifest.jsonl").read_text().splitlines()[0])
    path = DEMO_DIR / item["mixture"]
    settings = ActivitySettings()
    truth = np.stack([own_frames(read_reference(ref, 16_000), 16_000, settings)
                      for _, ref in sorted(demo_references(path).items())])
    frames = _source_frames(path, item["mics_m"], truth, settings.frame_seconds)
    assert frames.shape == truth.shape and frames.dtype == bool
    assert frame_scores(frames, truth)["precision"] > 0.7          # each source's label where its talker speaks


def test_evaluate_combine_places_the_recorders_of_simulated_meetings(tmp_path, capsys):
    table = tmp_path / "combine.md"
    assert main(["evaluate", "combine", "--scenes", "1", "--seconds", "40", "--separate", "--markdown",
                 str(table)]) == EXIT_OK
    text = table.read_text()
    assert "meco-studio evaluate combine --scenes 1 --seconds 40 --seed 1 --separate" in text
    assert "| Recorders placed | 2 of 2 |" in text and "| True drift within the 99.73 % interval |" in text
    for row in ("The shipped separator, the array alone (4 mics)", "The shipped separator, combined as placed (7 mics)",
                "The shipped separator, combined on the true clocks (7 mics)", "AuxIVA, combined as placed (7 mics)"):
        assert f"| {row} | " in text
