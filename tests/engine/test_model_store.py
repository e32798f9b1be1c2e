"""Installing a user's own model: the card and its verified weights join the registry; shipped
models are never replaced or removed."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from app.engine.errors import JobCancelled, ModelLoadError
from app.engine.jobs import drive
from app.engine.model_store import install_model_job, is_shipped, remove_model
from app.engine.pipeline import SHIPPED_MODELS, Task, find_model, list_models, user_models_dir

SHIPPED_STUDENT = SHIPPED_MODELS / "enhancer" / "enh-student-no-kd.json"


@pytest.fixture(autouse=True)
def own_user_folder(tmp_path, monkeypatch):
    """Each test installs into a user folder of its own, seen by nothing else."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))


def trained_card(folder: Path, name: str = "my-student") -> Path:
    """A run folder's card and weights, as a recipe leaves them (here: a shipped student renamed)."""
    folder.mkdir(parents=True, exist_ok=True)
    card = json.loads(SHIPPED_STUDENT.read_text())
    card["name"] = name
    shutil.copyfile(SHIPPED_STUDENT.with_suffix(".safetensors"), folder / card["weights"]["file"])
    path = folder / "best.json"
    path.write_text(json.dumps(card))
    return path


def test_an_installed_model_is_listed_loadable_and_kept_in_its_own_folder(tmp_path):
    entry = drive(install_model_job(trained_card(tmp_path / "run")))
    assert entry.card_path == user_models_dir() / "my-student" / "my-student.json"
    assert not is_shipped(entry)
    assert find_model("my-student", Task.ENHANCEMENT).card_path == entry.card_path
    from app.engine.pipeline import load_model

    assert load_model(entry) is not None                     # the weights check out against the card


def test_weights_that_do_not_match_the_card_are_refused_and_nothing_is_left(tmp_path):
    card = trained_card(tmp_path / "run")
    weights = card.parent / json.loads(card.read_text())["weights"]["file"]
    data = bytearray(weights.read_bytes())
    data[-1] ^= 0xFF
    weights.write_bytes(bytes(data))
    with pytest.raises(ModelLoadError, match="do not match the sha256"):
        drive(install_model_job(card))
    assert [e.name for e in list_models() if not is_shipped(e)] == []
    assert list(user_models_dir().iterdir()) == []


def test_a_card_without_its_weights_is_refused_by_name(tmp_path):
    card = trained_card(tmp_path / "run")
    (card.parent / json.loads(card.read_text())["weights"]["file"]).unlink()
    with pytest.raises(ModelLoadError, match="are missing"):
        drive(install_model_job(card))


def test_a_shipped_models_name_is_refused(tmp_path):
    with pytest.raises(ModelLoadError, match="A shipped model is called enh-student-no-kd"):
        drive(install_model_job(trained_card(tmp_path / "run", name="enh-student-no-kd")))


def test_a_second_install_of_a_name_needs_overwrite_and_then_replaces_it(tmp_path):
    drive(install_model_job(trained_card(tmp_path / "first")))
    with pytest.raises(ModelLoadError, match="installed already"):
        drive(install_model_job(trained_card(tmp_path / "second")))
    entry = drive(install_model_job(trained_card(tmp_path / "second"), overwrite=True))
    assert [e.card_path for e in list_models() if e.name == "my-student"] == [entry.card_path]


def test_a_cancelled_install_leaves_nothing(tmp_path):
    with pytest.raises(JobCancelled):
        drive(install_model_job(trained_card(tmp_path / "run")), should_stop=lambda: True)
    assert list(user_models_dir().iterdir()) == []


def test_removing_a_user_model_deletes_its_folder_but_a_shipped_one_stays(tmp_path):
    entry = drive(install_model_job(trained_card(tmp_path / "run")))
    remove_model("my-student")
    assert not entry.card_path.parent.exists()
    with pytest.raises(ModelLoadError, match="ships with MeCo Studio"):
        remove_model("enh-student-no-kd")
    with pytest.raises(ModelLoadError, match="No model called nobody"):
        remove_model("nobody")


def test_an_install_that_a_crash_cut_short_is_not_listed(tmp_path):
    card = trained_card(tmp_path / "run")
    staging = user_models_dir() / ".install-abc123"
    staging.mkdir(parents=True)
    shutil.copy(card, staging / "my-student.json")
    assert "my-student" not in [e.name for e in list_models()]


def test_the_command_line_installs_lists_and_removes_a_model(tmp_path, capsys):
    from app.cli import main

    assert main(["models", "--install", str(trained_card(tmp_path / "run")), "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)["models"]
    assert "my-student" in [row["name"] for row in listed]
    assert main(["models", "--remove", "my-student"]) == 0
    assert "my-student" not in capsys.readouterr().out
    assert main(["models", "--remove", "enh-teacher"]) == 1
    assert "ships with MeCo Studio" in capsys.readouterr().err
