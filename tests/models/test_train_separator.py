"""The separator recipe at toy size: it learns, writes a loadable card, resumes, and runs under DDP."""

from __future__ import annotations

import csv
import json
import shutil

import pytest
import torch

from models.common import checkpoint
from models.train.separator import main
from tests.conftest import run_two_gloo_processes

TOY = ["--rir-scenes", "0", "--steps", "4", "--batch-size", "2", "--segment-seconds", "1.0", "--channels", "16",
       "--blocks", "1", "--workers", "0", "--threads", "1", "--valid-items", "2", "--valid-every", "2",
       "--log-every", "2"]


@pytest.fixture(scope="module")
def toy_run(tmp_path_factory):
    """One finished toy run: its folder (best.json, log.csv, resume state). Tests read it, never write it."""
    out = tmp_path_factory.mktemp("toy-run")
    assert main(["--out", str(out), *TOY]) == 0
    return out


def test_toy_run_writes_a_loadable_card_and_a_log(toy_run):
    model, card = checkpoint.load(toy_run / "best.json")
    assert card["training"]["steps"] in (2, 4) and "valid_sisdri_mask" in card["metrics"]
    assert model(torch.randn(1, 3, 8000)).shape == (1, 2, 8000)
    rows = list(csv.DictReader((toy_run / "log.csv").open()))
    assert [int(r["step"]) for r in rows] == [2, 4]


def test_a_finished_run_resumes_where_it_stopped(tmp_path, toy_run):
    run = shutil.copytree(toy_run, tmp_path / "run")
    assert json.loads((run / "resume.json").read_text())["step"] == 4
    main(["--out", str(run), *[a if a != "4" else "6" for a in TOY]])
    assert json.loads((run / "resume.json").read_text())["step"] == 6


def test_a_fresh_run_starts_from_the_weights_of_a_given_card(tmp_path, toy_run):
    source, source_card = checkpoint.load(toy_run / "best.json")
    warm = tmp_path / "warm"
    main(["--out", str(warm), "--init", str(toy_run / "best.json"), *TOY, "--lr", "0"])   # weights stay put
    state = json.loads((warm / "initialised_from.json").read_text())
    assert state == {"name": "tacband-separator", "sha256": source_card["weights"]["sha256"],
                     "steps": source_card["training"]["steps"]}
    from models.train.common import load_resume

    model = type(source)(source.config)
    load_resume(warm / "resume", model, None, torch.optim.AdamW(model.parameters()))
    assert all(torch.equal(a, b) for a, b in zip(model.state_dict().values(), source.state_dict().values()))
    card = checkpoint.read_card(warm / "best.json")["training"]
    assert card["steps_this_run"] in (2, 4)
    assert card["steps"] == source_card["training"]["steps"] + card["steps_this_run"]


def test_a_warm_start_refuses_a_card_of_another_shape(tmp_path, toy_run):
    wider = [a if a != "16" else "24" for a in TOY]
    with pytest.raises(ValueError, match="does not"):
        main(["--out", str(tmp_path / "wide"), "--init", str(toy_run / "best.json"), *wider])


def test_a_warm_start_may_grow_spatial_blocks_and_records_them(tmp_path, toy_run):
    main(["--out", str(tmp_path / "grown"), "--init", str(toy_run / "best.json"), *TOY,
          "--spatial-blocks", "1", "--lr", "0"])
    assert json.loads((tmp_path / "grown" / "initialised_from.json").read_text())["grown"] == ["spatial.0"]
    source, _ = checkpoint.load(toy_run / "best.json")
    grown, card = checkpoint.load(tmp_path / "grown" / "best.json")
    assert card["config"]["spatial_blocks"] == 1
    x = torch.randn(1, 3, 8000)
    with torch.no_grad():
        torch.testing.assert_close(grown(x), source(x))


def test_two_process_gloo_run_completes(tmp_path):
    out = run_two_gloo_processes(["--master_port", "29517", "-m", "models.train.separator", "--out", str(tmp_path),
                                  *TOY])
    assert out.returncode == 0, out.stderr[-3000:]
    assert json.loads((tmp_path / "resume.json").read_text())["step"] == 4
    checkpoint.load(tmp_path / "best.json")


def test_bf16_autocast_defaults_to_hardware_with_native_bf16():
    from models.train.common import native_bf16
    from models.train.separator import SeparatorTrainConfig

    cpu = torch.device("cpu")
    assert SeparatorTrainConfig().autocast(cpu) == native_bf16(cpu)
    assert SeparatorTrainConfig(bf16=True).autocast(cpu) and not SeparatorTrainConfig(bf16=False).autocast(cpu)


def test_step_rate_times_optimiser_steps_of_the_recipe():
    from dataclasses import replace

    from models.separator.network import SeparatorConfig
    from models.train.separator import SeparatorTrainConfig, step_rate

    cfg = SeparatorTrainConfig(model=replace(SeparatorConfig(), channels=16, blocks=1), batch_size=2,
                               segment_seconds=0.5, bf16=False)
    assert 0 < step_rate(cfg, mics=2, steps=1) < 1000


def test_a_time_budget_stops_the_run_early_with_a_final_card_and_resume_state(tmp_path):
    timed = [a if a != "4" else "100000" for a in TOY]
    assert main(["--out", str(tmp_path), *timed, "--minutes", "0.05"]) == 0
    step = json.loads((tmp_path / "resume.json").read_text())["step"]
    assert 0 < step < 100000
    rows = list(csv.DictReader((tmp_path / "log.csv").open()))
    assert int(rows[-1]["step"]) == step and rows[-1]["valid_sisdri_mask"]      # validated at the end
    checkpoint.load(tmp_path / "best.json")


def test_two_gloo_processes_under_a_time_budget_stop_at_the_same_step(tmp_path):
    timed = [a if a != "4" else "100000" for a in TOY]
    out = run_two_gloo_processes(["--master_port", "29519", "-m", "models.train.separator", "--out", str(tmp_path),
                                  *timed, "--minutes", "0.05"])
    assert out.returncode == 0, out.stderr[-3000:]      # a rank that stopped alone would leave its peer hanging
    assert 0 < json.loads((tmp_path / "resume.json").read_text())["step"] < 100000
