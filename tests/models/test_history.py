"""A run's validation history: only the rows that validated, with the command that made the table."""

from __future__ import annotations

from models.train.history import main, validation_rows


def _log(folder, text):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "log.csv").write_text(text)
    return folder


def test_only_rows_with_validation_figures_are_kept_with_their_step(tmp_path):
    run = _log(tmp_path / "run", "step,loss,valid_sisdr_gain,score\n25,1.0,,\n50,0.9,-0.1234567,0.5\n75,0.8,,\n")
    columns, rows = validation_rows(run / "log.csv")
    assert columns == ["step", "valid_sisdr_gain", "score"]
    assert rows == [{"step": "50", "valid_sisdr_gain": "-0.1234567", "score": "0.5"}]


def test_the_table_names_its_command_and_rounds_to_four_digits(tmp_path, capsys):
    run = _log(tmp_path / "run", "step,valid_pesq_gain\n0,0.0123456\n800,-0.0229535\n")
    out = tmp_path / "history.md"
    assert main([str(run), "--markdown", str(out)]) == 0
    text = out.read_text()
    assert text.startswith(f"Produced by `python -m models.train.history {run} --markdown {out}`.")
    assert "| 0 | 0.01235 |" in text and "| 800 | -0.02295 |" in text
    assert "| step | valid_pesq_gain |" in capsys.readouterr().out


def test_a_folder_without_a_log_is_named_in_the_error(tmp_path, capsys):
    assert main([str(tmp_path / "nothing")]) == 2
    assert "nothing/log.csv" in capsys.readouterr().err
