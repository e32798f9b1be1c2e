from __future__ import annotations

import argparse
import json

import pytest

from app.commands import data


def _run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    data.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    return args.run(args)


def test_make_testsets_writes_each_requested_set_with_a_manifest(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("MECO_CACHE", str(tmp_path / "cache"))  # empty cache: synthetic voices
    out = tmp_path / "sets"
    assert (
        _run(["make-testsets", "--sets", "in_domain", "--count", "2", "--seconds", "0.5", "--out", str(out), "--json"])
        == 0
    )
    result = json.loads(capsys.readouterr().out)
    lines = (out / "in_domain" / "manifest.jsonl").read_text().splitlines()
    assert result["sets"]["in_domain"].endswith("manifest.jsonl") and len(lines) == 2
    assert json.loads(lines[0])["split"] == "test"


def test_a_non_positive_count_is_refused_before_any_work(capsys):
    with pytest.raises(SystemExit) as exit_info:
        _run(["make-testsets", "--count", "0"])
    assert exit_info.value.code == 2 and "positive" in capsys.readouterr().err


def test_real_speech_set_is_skipped_with_advice_when_no_recorded_speech_is_indexed(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("MECO_CACHE", str(tmp_path / "cache"))
    out = tmp_path / "sets"
    assert _run(["make-testsets", "--sets", "real_speech", "--count", "1", "--out", str(out)]) == 0
    assert "data-prep" in capsys.readouterr().err and not (out / "real_speech").exists()


def test_the_time_left_follows_the_pace_kept_since_the_run_started():
    ticks = iter([100.0, 160.0, 220.0, 221.0])
    pace = data.Pace(clock=lambda: next(ticks))
    assert pace.left(1800, 10800) == ""                         # the first report starts the clock
    assert pace.left(3600, 10800) == "; about 4 min left"       # half an hour of speech a minute
    assert pace.left(5400, 10800) == "; about 3 min left"
    assert pace.left(10764, 10800) == "; under a minute left"
