"""Enhancement in the engine and the `enhance` command: every channel, the input's rate and length,
the best student by default, cancellation, and use after separation."""

from __future__ import annotations

import argparse
import json

import numpy as np
import pytest
import soundfile as sf
import torch

from app.commands import enhance as enhance_command
from app.engine.enhancement import EnhanceSettings, enhance_array_job, enhance_job, find_enhancer
from app.engine.errors import ConfigError, JobCancelled, ModelLoadError
from app.engine.files import open_recording
from app.engine.jobs import drive
from models.inference.chunked import ChunkConfig

STUDENT = "tiny-enh-student-b"


@pytest.fixture(scope="module")
def tiny_enhancer_cards():
    """Two seeded untrained tiny students (validation PESQ 2.0 and 2.5) and a tiny teacher (3.0)."""
    from app.engine.pipeline import user_models_dir
    from models.common import checkpoint
    from models.enhancers.student import GtcrnStudent, StudentConfig
    from models.enhancers.teacher import BandAttentionTeacher, TeacherConfig

    folder = user_models_dir()
    folder.mkdir(parents=True, exist_ok=True)
    cards = []
    for seed, (name, build, pesq, training) in enumerate([
        ("tiny-enh-student-a", lambda: GtcrnStudent(StudentConfig(channels=8)), 2.0, {"variant": "no-kd"}),
        (STUDENT, lambda: GtcrnStudent(StudentConfig(channels=8)), 2.5, {"variant": "dfkd-dispatch-mssp"}),
        ("tiny-enh-teacher", lambda: BandAttentionTeacher(TeacherConfig(channels=16, blocks=1, heads=2, head_factor=1)),
         3.0, {}),
    ]):
        torch.manual_seed(seed)
        model = build()
        card = folder / f"{name}.json"
        checkpoint.save(model, card, {"name": name, "architecture": type(model).__name__, "task": "enhancement",
                                      "config": model.config.to_dict(), "sample_rate": 16000,
                                      "training": {"device": "cpu", **training}, "metrics": {"valid_pesq_wb": pesq}})
        cards.append(card)
    return cards


def _noisy_speechlike(path, channels=1, seconds=2.3, rate=16_000, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * rate)) / rate
    voiced = np.sin(2 * np.pi * 220 * t) * (1 + np.sin(2 * np.pi * 3 * t)) * 0.2
    audio = np.stack([np.roll(voiced, 7 * c) + 0.05 * rng.standard_normal(t.size) for c in range(channels)], axis=1)
    sf.write(path, audio.astype(np.float32), rate, subtype="FLOAT")
    return path


def _cli(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    enhance_command.register(parser.add_subparsers())
    args = parser.parse_args(["enhance", *argv])
    return args.run(args)


def _settings(**kw) -> EnhanceSettings:
    return EnhanceSettings(**{"model": STUDENT, "chunk": ChunkConfig(seconds=1.0), **kw})


def test_the_best_shipped_student_is_the_default(tiny_enhancer_cards):
    assert find_enhancer(None).name == STUDENT
    with pytest.raises(ModelLoadError, match="No enhancement model named 'nope'.*tiny-enh-teacher"):
        find_enhancer("nope")


@pytest.mark.parametrize("rate", [16_000, 44_100])
def test_every_channel_keeps_the_input_rate_and_length(tmp_path, tiny_enhancer_cards, rate):
    path = _noisy_speechlike(tmp_path / "room.wav", channels=3, rate=rate)
    with open_recording(path) as rec:
        result = drive(enhance_job(rec, _settings()))
        assert result.audio.shape == (3, rec.frames) and result.sample_rate == rate
    assert np.isfinite(result.audio).all() and (np.abs(result.audio).max(axis=1) > 0).all()


def test_each_channel_is_enhanced_as_if_it_were_alone(tmp_path, tiny_enhancer_cards):
    path = _noisy_speechlike(tmp_path / "stereo.wav", channels=2, rate=48_000)
    audio, _ = sf.read(path, dtype="float32", always_2d=True)
    sf.write(tmp_path / "second.wav", audio[:, 1], 48_000, subtype="FLOAT")
    with open_recording(path) as both, open_recording(tmp_path / "second.wav") as alone:
        together = drive(enhance_job(both, _settings())).audio
        single = drive(enhance_job(alone, _settings())).audio
    np.testing.assert_allclose(together[1], single[0], atol=1e-5)


def test_a_recording_shorter_than_half_a_second_is_refused_by_name(tmp_path, tiny_enhancer_cards):
    with open_recording(_noisy_speechlike(tmp_path / "click.wav", seconds=0.01)) as rec:
        with pytest.raises(ConfigError, match="click.wav is 0.010 s long; processing needs"):
            drive(enhance_job(rec, _settings()))


def test_cancel_takes_effect_at_the_next_chunk(tmp_path, tiny_enhancer_cards):
    path = _noisy_speechlike(tmp_path / "long.wav", seconds=4.0)
    seen = []
    with open_recording(path) as rec, pytest.raises(JobCancelled):
        drive(enhance_job(rec, _settings()), on_progress=seen.append, should_stop=lambda: len(seen) == 2)
    assert [p.done for p in seen] == [1, 2] and seen[0].total > 2 and seen[0].stage == "enhance"


def test_separated_talkers_can_be_enhanced_as_a_stage(tiny_enhancer_cards):
    talkers = np.random.default_rng(1).standard_normal((2, 44_100)).astype(np.float32) * 0.1
    result = drive(enhance_array_job(talkers, 44_100, _settings()))
    assert result.audio.shape == (2, 44_100) and result.sample_rate == 44_100 and result.model_name == STUDENT


def test_cli_writes_one_file_per_input_with_its_channels(tmp_path, tiny_enhancer_cards, capsys):
    (tmp_path / "in").mkdir()
    mono = _noisy_speechlike(tmp_path / "in" / "mono.wav", rate=22_050)
    multi = _noisy_speechlike(tmp_path / "in" / "array.wav", channels=4, rate=16_000)
    assert _cli([str(tmp_path / "in"), "--out", str(tmp_path / "out"), "--chunk-seconds", "1", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["array.wav", "mono.wav"]
    for source in (mono, multi):
        written = sf.info(tmp_path / "out" / source.name)
        original = sf.info(source)
        assert (written.channels, written.samplerate, written.frames) == (original.channels, original.samplerate,
                                                                           original.frames)
    assert {f["model"] for f in report["files"]} == {STUDENT}


def test_cli_never_overwrites_without_the_flag(tmp_path, tiny_enhancer_cards, capsys):
    path = _noisy_speechlike(tmp_path / "take.wav")
    out = tmp_path / "out"
    out.mkdir()
    (out / "take.wav").write_bytes(b"keep me")
    assert _cli([str(path), "--out", str(out)]) == 1
    assert "already exists" in capsys.readouterr().err
    assert (out / "take.wav").read_bytes() == b"keep me" and sorted(p.name for p in out.iterdir()) == ["take.wav"]
    assert _cli([str(path), "--out", str(out), "--overwrite", "--model", "tiny-enh-teacher"]) == 0
    assert sf.info(out / "take.wav").frames == sf.info(path).frames


def test_cli_notes_a_file_whose_enhanced_peaks_were_limited(tmp_path, tiny_enhancer_cards, capsys):
    path = _noisy_speechlike(tmp_path / "loud.wav")
    sf.write(path, 10.0 * sf.read(path)[0], 16_000, subtype="FLOAT")     # peaks near +12 dBFS
    assert _cli([str(path), "--out", str(tmp_path / "out"), "--chunk-seconds", "1", "--json"]) == 0
    (report,) = json.loads(capsys.readouterr().out)["files"]
    assert report["notes"][0].startswith("loud.wav peaked at +") and "soft limiter" in report["notes"][0]
    assert np.max(np.abs(sf.read(tmp_path / "out" / "loud.wav")[0])) <= 1.0
