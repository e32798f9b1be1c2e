"""A run's length under a wall-clock budget (as many steps as the minutes allow, never more than
asked), and its log across resumes."""

from __future__ import annotations

import pytest
import torch

from models.train import common
from models.train.common import Budget, CsvLog

CPU = torch.device("cpu")


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(common.time, "monotonic", fake)
    return fake


def test_without_minutes_a_run_is_its_steps(clock):
    budget = Budget(500, None, CPU)
    clock.now += 1e6
    assert budget.total(0) == budget.total(499) == 500


def test_a_time_budget_projects_the_end_from_the_rate_so_far(clock):
    budget = Budget(10_000, 2.0, CPU)
    assert budget.total(0) == 10_000                   # no rate yet: the steps asked for
    clock.now += 30                                    # a quarter of the time for 100 steps
    assert budget.total(100) == 400
    clock.now += 90
    assert budget.total(390) == 390                    # time is up: the run ends here


def test_a_time_budget_never_runs_past_the_steps_asked_for(clock):
    budget = Budget(50, 10.0, CPU)
    budget.total(0)
    clock.now += 6
    assert budget.total(40) == 50


def test_a_resumed_run_projects_from_the_steps_of_this_invocation_only(clock):
    budget = Budget(10_000, 1.0, CPU)
    budget.total(3000)
    clock.now += 30
    assert budget.total(3100) == 3200


def test_a_budget_of_no_time_is_refused():
    with pytest.raises(ValueError, match="positive"):
        Budget(10, 0.0, CPU)


def test_a_resumed_csv_log_keeps_writing_under_its_own_header(tmp_path):
    path = tmp_path / "log.csv"
    CsvLog(path, ["step", "loss"]).write({"step": 1, "loss": 0.5})
    CsvLog(path, ["step", "lr", "loss"]).write({"step": 2, "lr": 1e-3, "loss": 0.25})
    assert path.read_text().splitlines() == ["step,loss", "1,0.5", "2,0.25"]
