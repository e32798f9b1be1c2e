"""Blind listening trials: shuffled letters, ratings kept by version, results appended and summed up."""

from __future__ import annotations

import random

import pytest

from app.engine.errors import ConfigError
from app.engine.listening import RESULT_HEADER, new_trial, rating_summary, read_results, save_trial

NAMES = ["Mixture · ch 1", "Separated · talker 1", "MeCo · talker 1", "Student · talker 1"]


def _trial(seed: int = 0):
    return new_trial(NAMES, [None, "s", "m", "e"], ["", "sep", "meco", "student"], 0, (1.0, 4.0),
                     random.Random(seed))


def test_the_mixture_stays_first_and_the_versions_are_shuffled_under_letters():
    orders = {tuple(_trial(seed).order) for seed in range(20)}
    assert all(order[0] == 0 and sorted(order[1:]) == [1, 2, 3] for order in orders) and len(orders) > 1
    trial = _trial()
    assert [trial.title(p) for p in range(4)] == ["Mixture · ch 1", "Version A", "Version B", "Version C"]


def test_fewer_than_two_versions_cannot_be_compared_blind():
    with pytest.raises(ValueError, match="at least two versions"):
        new_trial(NAMES[:2], [None, "s"], ["", "sep"], 0, None)


def test_a_trial_is_written_by_letter_with_the_versions_it_hid(tmp_path):
    trial = _trial()
    for position, rating in zip(trial.positions, (20, 80, 55)):
        trial.ratings[trial.order[position]] = rating
    assert trial.complete
    path = save_trial(tmp_path / "listening.csv", trial)
    rows = read_results(path)
    assert [row[4] for row in rows] == ["Version A", "Version B", "Version C"]
    assert [row[5] for row in rows] == [NAMES[lane] for lane in trial.order[1:]]
    assert [row[8] for row in rows] == ["20", "80", "55"] and rows[0][2:4] == ["1.000", "4.000"]


def test_trials_accumulate_and_each_version_gets_its_mean_and_interval(tmp_path):
    path = tmp_path / "listening.csv"
    for seed, meco in enumerate((70, 80, 90)):
        trial = _trial(seed)
        trial.ratings.update({1: 40.0, 2: float(meco), 3: 60.0})
        save_trial(path, trial)
    summary = {name: (mean, half, n) for name, mean, half, n in rating_summary(read_results(path))}
    assert summary["MeCo · talker 1"][0] == pytest.approx(80.0) and summary["MeCo · talker 1"][2] == 3
    assert summary["MeCo · talker 1"][1] == pytest.approx(24.84, abs=0.01)          # t(2) = 4.303, sd 10
    assert next(iter(summary)) == "MeCo · talker 1"                                   # the best first


def test_a_file_that_is_not_a_results_file_is_named_and_left_alone(tmp_path):
    other = tmp_path / "metrics.csv"
    other.write_text("Version,SI-SDR\n")
    with pytest.raises(ConfigError, match="metrics.csv is not a blind listening results file"):
        save_trial(other, _trial())
    assert other.read_text() == "Version,SI-SDR\n"
    assert RESULT_HEADER[0] == "Trial (UTC)"


def test_the_ratings_command_pools_several_listeners_files(tmp_path, capsys):
    import json

    from app.cli import main

    for listener, meco in (("anna", 70.0), ("ben", 90.0)):
        trial = _trial()
        trial.ratings.update({1: 40.0, 2: meco, 3: 60.0})
        save_trial(tmp_path / f"{listener}.csv", trial)
    assert main(["ratings", str(tmp_path / "anna.csv"), str(tmp_path / "ben.csv"), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    best = report["versions"][0]
    assert best["name"] == "MeCo · talker 1" and best["mean"] == pytest.approx(80.0) and best["ratings"] == 2
    assert main(["ratings", str(tmp_path / "anna.csv")]) == 0
    assert "MeCo · talker 1" in capsys.readouterr().out
