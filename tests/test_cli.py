"""The command line: exit codes scripts rely on, --json output, one line per failed file."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from app.cli import EXIT_FAILED, EXIT_OK, EXIT_USAGE, main
from tests.engine.bad_files import not_audio, write_valid


def test_no_command_prints_help_and_exits_with_usage_code(capsys):
    assert main([]) == EXIT_USAGE
    assert "usage: meco-studio" in capsys.readouterr().err


def test_unknown_option_exits_with_usage_code():
    with pytest.raises(SystemExit) as info:
        main(["info", "--no-such-flag", "x.wav"])
    assert info.value.code == EXIT_USAGE


def test_info_json_lists_good_files_and_names_failed_ones(tmp_path, capsys):
    good = write_valid(tmp_path / "good.wav", channels=3)
    bad = not_audio(tmp_path)
    assert main(["info", "--json", str(good), str(bad)]) == EXIT_FAILED
    captured = capsys.readouterr()
    report = json.loads(captured.out)
    assert [f["channels"] for f in report["files"]] == [3]
    assert report["failed"][0]["path"] == str(bad)
    assert captured.err.count("error:") == 1 and bad.name in captured.err


def test_info_shows_a_files_tags_as_the_app_wrote_them(tmp_path, capsys):
    from app.engine.export import write_audio

    path = write_audio(tmp_path / "spk1.wav", np.zeros((1, 1600), np.float32), 16_000,
                       tags={"title": "talker 1", "comment": "talker 1 of meeting.flac"})
    assert main(["info", "--json", str(path)]) == EXIT_OK
    tags = json.loads(capsys.readouterr().out)["files"][0]["tags"]
    assert (tags["title"], tags["comment"]) == ("talker 1", "talker 1 of meeting.flac")
    assert tags["software"].startswith("MeCo Studio")
    assert main(["info", str(path)]) == EXIT_OK
    assert "  comment: talker 1 of meeting.flac" in capsys.readouterr().out.splitlines()


def test_a_batch_goes_on_past_a_file_that_meets_a_bug_and_names_it(capsys):
    from app.commands.output import run_batch

    def process(name: str) -> dict:
        if name == "b.wav":
            raise RuntimeError("an internal fault")
        return {"input": name}

    code = run_batch(["a.wav", "b.wav", "c.wav"], process, "did", True, lambda done: [done["input"]])
    report = json.loads(capsys.readouterr().out)
    assert code == 1 and [done["input"] for done in report["files"]] == ["a.wav", "c.wav"]
    assert report["failed"][0]["error"].startswith("b.wav: unexpected RuntimeError: an internal fault")


def test_info_succeeds_on_a_good_file(tmp_path, capsys):
    assert main(["info", str(write_valid(tmp_path / "fine.flac", fmt="FLAC"))]) == EXIT_OK
    assert "fine.flac: 2 ch, 16000 Hz" in capsys.readouterr().out


def test_devices_lists_the_alsa_null_default_output(capsys):
    assert main(["devices", "--json"]) == EXIT_OK
    report = json.loads(capsys.readouterr().out)
    assert any(d["default"] for d in report["audio_outputs"])
    assert report["compute"][0]["name"] == "cpu"


def test_bench_files_reports_open_redraw_and_memory_and_writes_a_snippet(tmp_path, capsys):
    snippet = tmp_path / "bench-files.md"
    argv = ["bench", "files", "--minutes", "0.05", "--channels", "2", "--json", "--markdown", str(snippet)]
    assert main(argv) == EXIT_OK
    report = json.loads(capsys.readouterr().out)
    assert report["open_seconds"] > 0 and report["analysis_seconds"] > 0 and report["peak_rss_mb"] > 0
    assert set(report["redraw_ms"]) == {"full_view_ms", "minute_view_ms", "second_view_ms"}
    assert snippet.read_text().startswith("Produced by `meco-studio bench files --minutes 0.05 --channels 2")


def test_bench_files_in_24_bits_names_its_sample_format(tmp_path, capsys):
    snippet = tmp_path / "bench-files-24.md"
    argv = ["bench", "files", "--minutes", "0.05", "--channels", "2", "--subtype", "PCM_24", "--json",
            "--markdown", str(snippet)]
    assert main(argv) == EXIT_OK
    assert json.loads(capsys.readouterr().out)["file"]["subtype"] == "PCM_24"
    assert "--subtype PCM_24`" in snippet.read_text() and "WAV PCM_24" in snippet.read_text()


def test_bench_window_times_fresh_starts_up_to_the_drawn_demo(tmp_path, capsys):
    snippet = tmp_path / "bench-window.md"
    assert main(["bench", "window", "--runs", "1", "--json", "--markdown", str(snippet)]) == EXIT_OK
    report = json.loads(capsys.readouterr().out)
    assert 0 < report["imports_s"] < report["window_shown_s"] <= report["demo_drawn_s"]
    assert report["window_shown_s"] < report["torch_ready_s"] and report["longest_stall_ms"] >= 0
    assert report["torch_loaded_before_shown"] is False and report["runs"] == 1
    assert snippet.read_text().startswith("Produced by `meco-studio bench window --runs 1`")


def test_bench_separator_reports_the_median_of_its_runs_and_their_range(tmp_path, capsys):
    snippet = tmp_path / "bench-separator.md"
    argv = ["bench", "separator", "--lengths", "0.05", "--runs", "2", "--json", "--markdown", str(snippet)]
    assert main(argv) == EXIT_OK
    (length,) = json.loads(capsys.readouterr().out)["lengths"]
    seconds = sorted(run["seconds"] for run in length["runs"])
    assert len(seconds) == 2 and length["seconds"] == pytest.approx(sum(seconds) / 2)
    assert length["rtf_range"] == pytest.approx([seconds[0] / 3, seconds[1] / 3])
    assert length["peak_rss_mb"] == max(run["peak_rss_mb"] for run in length["runs"])
    text = snippet.read_text()
    assert text.startswith("Produced by `meco-studio bench separator --lengths 0.05 --threads 2 --runs 2`")
    assert "(median of 2: " in text


def test_bench_playback_reports_the_feeders_cpu_per_second_at_every_speed(capsys):
    assert main(["bench", "playback", "--seconds", "2", "--channels", "3", "--json"]) == EXIT_OK
    report = json.loads(capsys.readouterr().out)
    costs = [report["recording_48k_stereo_ms"]] + [report[f"ab_{speed:g}x_ms"] for speed in (0.5, 1.0, 2.0)]
    assert all(0 < cost < 1000 for cost in costs) and report["lanes"] == 3


def test_bench_edits_times_every_mend_on_long_versions(capsys):
    assert main(["bench", "edits", "--minutes", "0.1", "--sample-rate", "16000", "--json"]) == EXIT_OK
    report = json.loads(capsys.readouterr().out)
    assert report["minutes"] == 0.1 and report["peak_rss_mb"] > 0
    assert all(report[name] > 0 for name in ("swap two talkers over 1 min", "blend one talker with the mixture"))


def test_bench_denoise_measures_each_length_in_its_own_process(tmp_path, capsys):
    snippet = tmp_path / "bench-denoise.md"
    argv = ["bench", "denoise", "--lengths", "0.05", "0.1", "--channels", "3", "--sample-rate", "16000", "--json",
            "--markdown", str(snippet)]
    assert main(argv) == EXIT_OK
    report = json.loads(capsys.readouterr().out)
    assert [r["minutes"] for r in report["lengths"]] == [0.05, 0.1]
    assert all(r["seconds"] > 0 and r["peak_rss_mb"] > 0 for r in report["lengths"])
    assert snippet.read_text().startswith("Produced by `meco-studio bench denoise --lengths 0.05 0.1 --channels 3 "
                                          "--sample-rate 16000`")


def test_bench_decode_decodes_the_aac_of_each_length_into_the_cache(tmp_path, capsys):
    snippet = tmp_path / "bench-decode.md"
    assert main(["bench", "decode", "--lengths", "0.05", "--channels", "2", "--sample-rate", "48000", "--json",
                 "--markdown", str(snippet)]) == EXIT_OK
    (length,) = json.loads(capsys.readouterr().out)["lengths"]
    assert length["decoded_mb"] == pytest.approx(0.05 * 60 * 48_000 * 2 * 4 / 1e6, rel=0.05)    # float, stereo
    assert 0 < length["encoded_mb"] < length["decoded_mb"] and length["peak_rss_mb"] > 0
    assert "FFmpeg's among them" in snippet.read_text()


def test_bench_declip_redraws_the_bursts_of_clipping_of_each_length(capsys):
    assert main(["bench", "declip", "--lengths", "0.05", "--channels", "2", "--sample-rate", "16000", "--json"]) \
        == EXIT_OK
    (length,) = json.loads(capsys.readouterr().out)["lengths"]
    assert length["runs"] >= 3 and length["samples"] > 0 and length["peak_rss_mb"] > 0


def test_bench_declick_looks_for_clicks_in_each_length(capsys):
    assert main(["bench", "declick", "--lengths", "0.05", "--channels", "2", "--sample-rate", "16000", "--json"]) \
        == EXIT_OK
    (length,) = json.loads(capsys.readouterr().out)["lengths"]
    assert length["clicks"] >= 0 and length["seconds"] > 0 and length["peak_rss_mb"] > 0


def test_bench_dereverb_solves_each_length_in_blocks(capsys):
    assert main(["bench", "dereverb", "--lengths", "0.05", "--channels", "2", "--sample-rate", "16000", "--json"]) \
        == EXIT_OK
    (length,) = json.loads(capsys.readouterr().out)["lengths"]
    assert length["blocks"] == 1 and length["seconds"] > 0 and length["peak_rss_mb"] > 0


def test_bench_delays_tracks_each_length_in_columns(capsys):
    assert main(["bench", "delays", "--lengths", "0.05", "--channels", "2", "--sample-rate", "16000", "--json"]) \
        == EXIT_OK
    (length,) = json.loads(capsys.readouterr().out)["lengths"]
    assert length["columns"] == 31 and length["seconds"] > 0 and length["peak_rss_mb"] > 0


def _speech_engines() -> bool:
    from models.data.tts import classical_available
    from models.data.voices import Engine

    return any(classical_available(engine) for engine in (Engine.ESPEAK, Engine.FLITE, Engine.FESTIVAL))


@pytest.mark.skipif(not _speech_engines(), reason="data-prep installs the classical voices")
def test_bench_corpus_compares_one_speaking_process_with_several(capsys):
    assert main(["bench", "corpus", "--items", "4", "--workers", "2", "--json"]) == EXIT_OK
    report = json.loads(capsys.readouterr().out)
    assert set(report["speech_seconds_per_s"]) == set(report["default_corpus_minutes"]) == {"1", "2"}
    assert all(rate > 0 for rate in report["speech_seconds_per_s"].values())


@pytest.mark.skipif(_speech_engines(), reason="a speech engine is installed here")
def test_bench_corpus_without_a_speech_engine_says_to_install_one(capsys):
    assert main(["bench", "corpus"]) == EXIT_FAILED
    assert "run `meco-studio data-prep --steps install` first" in capsys.readouterr().err


def test_a_command_name_that_is_also_a_folder_runs_the_command(tmp_path, monkeypatch, capsys):
    """From the repository, `meco-studio models` lists models; it does not open models/ in the app."""
    from app.__main__ import main as entry

    (tmp_path / "models").mkdir()
    monkeypatch.chdir(tmp_path)
    assert entry(["models", "--json"]) == EXIT_OK
    assert "models" in json.loads(capsys.readouterr().out)


def test_devices_lists_the_test_array_as_an_input(capsys):
    from tests.conftest import TEST_ARRAY_DEVICE

    assert main(["devices", "--json"]) == EXIT_OK
    inputs = {d["name"]: d for d in json.loads(capsys.readouterr().out)["audio_inputs"]}
    assert inputs[TEST_ARRAY_DEVICE]["channels"] >= 4


def test_record_writes_a_take_of_the_asked_length(tmp_path, capsys):
    import soundfile as sf

    from tests.conftest import TEST_ARRAY_DEVICE

    out = tmp_path / "take.flac"
    assert main(["record", str(out), "--device", TEST_ARRAY_DEVICE, "--channels", "4", "--rate", "16000",
                 "--seconds", "0.25", "--json"]) == EXIT_OK
    report = json.loads(capsys.readouterr().out)
    assert report["output"] == str(out) and report["seconds"] == 0.25
    assert sf.info(out).frames == 4000 and sf.info(out).channels == 4


def test_record_refuses_to_replace_a_file_and_names_it(tmp_path, capsys):
    out = tmp_path / "take.wav"
    out.write_bytes(b"keep me")
    assert main(["record", str(out), "--seconds", "0.1"]) == EXIT_FAILED
    assert f"Cannot record to {out}: the file exists" in capsys.readouterr().err
    assert out.read_bytes() == b"keep me"


def test_record_names_a_missing_device(tmp_path, capsys):
    assert main(["record", str(tmp_path / "t.flac"), "--device", "No Such Mic"]) == EXIT_FAILED
    assert "No input device 'No Such Mic'" in capsys.readouterr().err


def test_a_take_that_hits_a_file_size_limit_keeps_what_it_wrote_and_fails(tmp_path):
    """A real write failure: the kernel refuses to grow the file past RLIMIT_FSIZE, as a full disk would."""
    import resource
    import signal
    import subprocess
    import sys

    import soundfile as sf

    from tests.conftest import REPO_ROOT, TEST_ARRAY_DEVICE

    def limit_file_size() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)          # fail the write instead of killing the process
        resource.setrlimit(resource.RLIMIT_FSIZE, (100_000, 100_000))

    out = tmp_path / "take.wav"
    run = subprocess.run([sys.executable, "-m", "app", "record", str(out), "--device", TEST_ARRAY_DEVICE,
                          "--channels", "4", "--rate", "16000", "--seconds", "2", "--json"], cwd=REPO_ROOT,
                         preexec_fn=limit_file_size, capture_output=True, text=True, timeout=60)
    assert run.returncode == EXIT_FAILED
    report = json.loads(run.stdout)
    assert report["problem"].startswith("the take stopped at") and f"writing {out} failed" in report["problem"]
    assert 0.3 < sf.info(out).duration < 0.6 and [p.name for p in tmp_path.iterdir()] == ["take.wav"]
    assert "Traceback" not in run.stderr


def test_stats_measures_every_channel_over_a_range(tmp_path, capsys):
    import soundfile as sf

    rate = 16_000
    t = np.arange(3 * rate) / rate
    audio = np.stack([0.5 * np.sin(2 * np.pi * 440 * t), np.zeros_like(t)], axis=1)
    sf.write(tmp_path / "two.wav", audio, rate, subtype="FLOAT")
    assert main(["stats", str(tmp_path / "two.wav"), "--range", "1", "2", "--json"]) == EXIT_OK
    (report,) = json.loads(capsys.readouterr().out)["files"]
    sine, silent = report["channels"]
    assert (report["start_seconds"], report["stop_seconds"]) == (1.0, 2.0) and sine["frames"] == rate
    assert sine["peak_dbfs"] == pytest.approx(-6.02, abs=0.01) and sine["crest_db"] == pytest.approx(3.01, abs=0.01)
    assert silent["peak_dbfs"] is None and silent["loudness_lufs"] is None     # JSON has no -inf or NaN


def test_a_range_is_read_in_minutes_as_the_window_writes_times_and_a_slip_is_a_usage_error(tmp_path, capsys):
    good = write_valid(tmp_path / "good.wav", channels=1)
    assert main(["stats", str(good), "--range", "0:00.1", "0:00.25", "--json"]) == EXIT_OK
    (report,) = json.loads(capsys.readouterr().out)["files"]
    assert (report["start_seconds"], report["stop_seconds"]) == (0.1, 0.25)
    with pytest.raises(SystemExit) as info:
        main(["stats", str(good), "--range", "1:75", "2"])
    assert info.value.code == EXIT_USAGE and "'1:75': the seconds must be under 60" in capsys.readouterr().err


def test_stats_prints_a_table_and_names_a_range_past_the_end(tmp_path, capsys):
    good = write_valid(tmp_path / "good.wav", channels=3)
    assert main(["stats", str(good)]) == EXIT_OK
    out = capsys.readouterr().out
    assert "Loudness (LUFS)" in out and all(f"ch {k}" in out for k in (1, 2, 3))
    assert main(["stats", str(good), "--range", "100", "101"]) == EXIT_FAILED
    assert "Nothing to analyse in good.wav from 100.000 s" in capsys.readouterr().err


def test_stats_labels_where_a_file_clips_and_writes_nothing_for_one_that_does_not(tmp_path, capsys):
    import soundfile as sf

    from app.engine.labels import read_labels

    rate = 16_000
    t = np.arange(2 * rate) / rate
    hot = 0.3 * np.sin(2 * np.pi * 200 * t)
    hot[rate:rate + 800] = np.clip(3 * np.sin(2 * np.pi * 200 * t[:800]), -1, 1)
    sf.write(tmp_path / "hot.wav", hot, rate, subtype="PCM_16")
    sf.write(tmp_path / "calm.wav", hot / 2, rate, subtype="PCM_16")
    labels = tmp_path / "labels"
    assert main(["stats", str(tmp_path / "hot.wav"), str(tmp_path / "calm.wav"), "--clipping-labels", str(labels),
                 "--json"]) == EXIT_OK
    hot_report, calm_report = json.loads(capsys.readouterr().out)["files"]
    assert (hot_report["clipped_stretches"], calm_report["clipped_stretches"]) == (1, 0)
    (label,) = read_labels(labels / "hot.clipping.txt")
    assert label.text == "clipped ch 1" and label.start == pytest.approx(1.0, abs=0.003)
    assert sorted(p.name for p in labels.iterdir()) == ["hot.clipping.txt"]


def _dropped(tone: np.ndarray) -> np.ndarray:
    """`tone` (two channels) with channel 1 dropping 2 ms at 1 s."""
    tone[0, 16_000:16_032] = 0
    return tone


def _clicked(tone: np.ndarray) -> np.ndarray:
    """`tone` (two channels) with channel 2 clicking for 10 samples at 1.5 s."""
    tone[1, 24_000:24_010] += 0.4
    return tone


@pytest.mark.parametrize("damage, options, said, name, text, start", [
    (_dropped, ["--dropout-labels", "--clipping-labels"], "1 dropout(s)", "dropouts", "dropout ch 1", 1.0),
    (_clicked, ["--click-labels"], "1 click(s)", "clicks", "click ch 2", 1.5)])
def test_stats_labels_where_a_file_is_damaged(tmp_path, capsys, damage, options, said, name, text, start):
    import soundfile as sf

    from app.engine.labels import read_labels

    t = np.arange(2 * 16_000) / 16_000
    tone = np.stack([0.3 * np.sin(2 * np.pi * 200 * t), 0.15 * np.sin(2 * np.pi * 200 * t)])
    sf.write(tmp_path / "damaged.wav", damage(tone).T, 16_000, subtype="PCM_16")
    labels = tmp_path / "labels"
    assert main(["stats", str(tmp_path / "damaged.wav"), *(a for o in options for a in (o, str(labels)))]) == EXIT_OK
    assert f"  {said} labelled" in capsys.readouterr().out.splitlines()
    (label,) = read_labels(labels / f"damaged.{name}.txt")
    assert label.text == text and label.start == pytest.approx(start, abs=0.001)
    assert sorted(p.name for p in labels.iterdir()) == [f"damaged.{name}.txt"]


def test_evaluate_activity_scores_each_labeller_against_the_clean_references(capsys):
    assert main(["evaluate", "activity", "--json"]) == EXIT_OK
    results = json.loads(capsys.readouterr().out)["activity"]
    ceiling = results["Clean references (the detector's ceiling)"]
    floor = results["Mixture alone (both talkers whenever anyone speaks)"]
    assert floor["recall"] == 1.0 and ceiling["precision"] == 1.0
    assert all(0.0 <= r[k] <= 1.0 for r in results.values() for k in ("precision", "recall", "f1"))
    assert ceiling["der"] < floor["der"]                     # the mixture alone labels both talkers throughout
    assert len(next(iter(results.values()))["per_demo_f1"]) == 3


def test_about_reports_versions_folders_and_each_installed_models_weights(capsys):
    from app import __version__
    from app.engine.pipeline import list_models

    assert main(["about", "--json"]) == EXIT_OK
    report = json.loads(capsys.readouterr().out)
    assert report["environment"]["MeCo Studio"] == __version__ and "torch" in report["environment"]
    shipped = {entry.name: entry.card["weights"]["sha256"] for entry in list_models()}
    assert {row["name"]: row["sha256"] for row in report["models"]} == shipped


def test_record_from_two_devices_writes_a_file_each_and_says_how_to_combine_them(tmp_path, capsys):
    import soundfile as sf

    from tests.conftest import TEST_ARRAY_DEVICE, TEST_PAIR_DEVICE

    out = tmp_path / "meeting.flac"
    assert main(["record", str(out), "--device", TEST_ARRAY_DEVICE, "--device", TEST_PAIR_DEVICE,
                 "--channels", "4", "--channels", "2", "--rate", "16000", "--seconds", "0.25"]) == EXIT_OK
    printed = capsys.readouterr().out
    array, pair = tmp_path / f"meeting-{TEST_ARRAY_DEVICE.replace('_', '-')}.flac", \
        tmp_path / f"meeting-{TEST_PAIR_DEVICE.replace('_', '-')}.flac"
    assert (sf.info(array).channels, sf.info(pair).channels) == (4, 2) and not out.exists()
    assert f"meco-studio combine {array} {pair} --out {out.with_suffix('.wav')}" in printed   # combine writes WAV


def test_record_combine_keeps_the_takes_files_and_says_how_to_try_again_when_they_cannot_be_combined(tmp_path,
                                                                                                       capsys):
    from tests.conftest import TEST_ARRAY_DEVICE, TEST_PAIR_DEVICE

    # the two test devices play different tones, a quarter of a second each: nothing to place them by
    out = tmp_path / "meeting.flac"
    assert main(["record", str(out), "--device", TEST_ARRAY_DEVICE, "--device", TEST_PAIR_DEVICE, "--channels", "4",
                 "--channels", "2", "--rate", "16000", "--seconds", "0.25", "--combine", "--json"]) == EXIT_FAILED
    captured = capsys.readouterr()
    report = json.loads(captured.out)
    assert "could not be combined" in captured.err and "too short to place" in report["combine_error"]
    assert all(Path(take["output"]).exists() for take in report["takes"]) and not out.with_suffix(".wav").exists()


def test_record_combine_needs_several_devices(tmp_path, capsys):
    assert main(["record", str(tmp_path / "t.flac"), "--combine", "--seconds", "0.1"]) == EXIT_FAILED
    assert "give --device once for each" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_record_refuses_a_channel_count_per_device_that_does_not_match(tmp_path, capsys):
    from tests.conftest import TEST_ARRAY_DEVICE, TEST_PAIR_DEVICE

    assert main(["record", str(tmp_path / "t.flac"), "--device", TEST_ARRAY_DEVICE, "--device", TEST_PAIR_DEVICE,
                 "--channels", "4", "--channels", "2", "--channels", "1"]) == EXIT_FAILED
    assert "Give --channels once, or once for each of the 2 devices" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []
