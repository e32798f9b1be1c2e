"""`meco-studio score`: a user's systems scored against their references, tables out, failures named."""

from __future__ import annotations

import csv
import json

import pytest

from app.cli import EXIT_FAILED, EXIT_OK, main
from tests.engine.test_scoring import item_folders, noisy, talkers, write  # noqa: F401  (fixtures)


@pytest.fixture
def two_systems(item_folders, talkers):  # noqa: F811
    write(item_folders / "better" / "meeting" / "spk1.wav", noisy(talkers[0], 25, seed=1))
    write(item_folders / "better" / "meeting" / "spk2.wav", noisy(talkers[1], 25, seed=2))
    return item_folders


def test_two_systems_give_means_paired_differences_and_every_row(two_systems, capsys):
    root = two_systems
    code = main(["score", str(root / "est"), "--compare", str(root / "better"), "--references", str(root / "refs"),
                 "--csv", str(root / "rows.csv"), "--markdown", str(root / "table.md"), "--json"])
    assert code == EXIT_OK
    report = json.loads(capsys.readouterr().out)
    assert report["systems"] == ["est", "better"]
    assert report["summary"]["est"]["si_sdr"]["n"] == 2
    assert 1.0 <= report["summary"]["better"]["dnsmos_ovrl"]["mean"] <= 5.0
    assert report["differences"]["better"]["si_sdr"]["mean"] > 5
    assert report["problems"] == []
    with open(root / "rows.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [(r["system"], r["item"]) for r in rows] == [("est", "meeting")] * 2 + [("better", "meeting")] * 2
    table = (root / "table.md").read_text()
    assert table.startswith(f"Produced by `meco-studio score {root / 'est'} --references")
    assert "| better − est | 2 |" in table


def test_each_row_names_what_made_its_estimate_when_the_files_tags_say(item_folders, talkers, capsys):  # noqa: F811
    from app.engine.export import write_audio

    for k in range(2):
        write_audio(item_folders / "ours" / "meeting" / f"spk{k + 1}.wav", noisy(talkers[k], 20, seed=k)[None],
                    16_000, tags={"comment": f"talker {k + 1} of meeting, separated by tacband-separator"})
    csv_path = item_folders / "rows.csv"
    assert main(["score", str(item_folders / "ours"), "--compare", str(item_folders / "est"), "--references",
                 str(item_folders / "refs"), "--no-dnsmos", "--csv", str(csv_path), "--json"]) == EXIT_OK
    rows = json.loads(capsys.readouterr().out)["rows"]
    assert sorted(r["made_by"] for r in rows if r["system"] == "ours") == [
        "talker 1 of meeting, separated by tacband-separator", "talker 2 of meeting, separated by tacband-separator"]
    assert {r["made_by"] for r in rows if r["system"] == "est"} == {""}       # written without tags
    with open(csv_path, newline="") as f:
        assert "separated by tacband-separator" in next(csv.DictReader(f))["made_by"]


def test_an_item_that_cannot_be_scored_is_named_and_the_exit_code_says_so(item_folders, talkers, capsys):  # noqa: F811
    write(item_folders / "refs" / "kitchen" / "a.wav", talkers[0])
    code = main(["score", str(item_folders / "est"), "--references", str(item_folders / "refs"), "--no-dnsmos"])
    assert code == EXIT_FAILED
    captured = capsys.readouterr()
    assert "error: est: kitchen: 1 reference(s) but 0 estimate(s)" in captured.err
    assert "SI-SDR" in captured.out and "DNSMOS" not in captured.out


def test_nothing_to_score_fails_with_a_message(tmp_path, capsys):
    (tmp_path / "refs").mkdir()
    (tmp_path / "est").mkdir()
    assert main(["score", str(tmp_path / "est"), "--references", str(tmp_path / "refs")]) == EXIT_FAILED
    assert "nothing could be scored" in capsys.readouterr().err


def test_labels_give_a_row_per_talker_and_label_in_every_output(two_systems, capsys):
    root = two_systems
    (root / "refs" / "meeting" / "turns.txt").write_text("0.0\t1.5\tfirst\n1.5\t3.0\tsecond\n")
    code = main(["score", str(root / "est"), "--compare", str(root / "better"), "--references", str(root / "refs"),
                 "--labels", "turns.txt", "--no-dnsmos", "--csv", str(root / "rows.csv"),
                 "--markdown", str(root / "table.md"), "--json"])
    assert code == EXIT_OK
    report = json.loads(capsys.readouterr().out)
    assert report["summary"]["est"]["si_sdr"]["n"] == 4 and report["differences"]["better"]["si_sdr"]["n"] == 4
    assert sorted({(r["label"], tuple(r["span"])) for r in report["rows"]}) == [("first", (0.0, 1.5)),
                                                                                ("second", (1.5, 3.0))]
    with open(root / "rows.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [(r["label"], r["start_s"], r["stop_s"]) for r in rows][:2] == [("first", "0.000", "1.500"),
                                                                          ("second", "1.500", "3.000")]
    assert "--labels turns.txt" in (root / "table.md").read_text().splitlines()[0]


def test_a_label_file_that_cannot_be_read_is_named_and_the_exit_code_says_so(item_folders, capsys):  # noqa: F811
    (item_folders / "refs" / "meeting" / "turns.txt").write_text("0.0\tsoon\tfirst\n")
    code = main(["score", str(item_folders / "est"), "--references", str(item_folders / "refs"),
                 "--labels", "turns.txt", "--no-dnsmos"])
    assert code == EXIT_FAILED
    err = capsys.readouterr().err
    assert "error: est: meeting: turns.txt" in err and "line 1" in err


def test_align_moves_a_late_systems_estimates_and_says_so(item_folders, talkers, capsys):  # noqa: F811
    import numpy as np

    for k in range(2):
        late = np.concatenate([np.zeros(320, np.float32), noisy(talkers[k], 20, seed=k)[:-320]])
        write(item_folders / "online" / "meeting" / f"spk{k + 1}.wav", late)
    assert main(["score", str(item_folders / "online"), "--references", str(item_folders / "refs"), "--align",
                 "--no-dnsmos", "--markdown", str(item_folders / "table.md"), "--json"]) == EXIT_OK
    report = json.loads(capsys.readouterr().out)
    assert {r["note"] for r in report["rows"]} == {"moved 20 ms earlier to meet its reference"}
    assert report["summary"]["online"]["si_sdr"]["mean"] == pytest.approx(20, abs=0.5)
    assert "--align --no-dnsmos" in (item_folders / "table.md").read_text()
