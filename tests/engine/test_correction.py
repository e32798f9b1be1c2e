"""MeCo in the engine: any separator's estimates, chunked one-evaluation correction, seeds, the CLI."""

from __future__ import annotations

import argparse
import json

import numpy as np
import pytest
import soundfile as sf

from app.commands import correct as correct_command
from app.engine.correction import CorrectSettings, correct_job
from app.engine.files import ArraySource
from app.engine.errors import ChannelLayoutError, ConfigError, JobCancelled
from app.engine.files import open_recording
from app.engine.jobs import drive
from app.engine.pipeline import Task, find_model, load_model
from models.enhancers.base import torch_threads
from models.inference.chunked import ChunkConfig
from models.meco.modes import InferenceMode

MODEL = "tiny-meco"


@pytest.fixture(autouse=True)
def one_thread():
    """Tiny networks run fastest on one thread on the shared 2-core CPU (as the enhancer tests do)."""
    with torch_threads(1):
        yield


def _mixture(path, channels=3, seconds=2.0, rate=16_000):
    t = np.arange(int(seconds * rate)) / rate
    a, b = np.sin(2 * np.pi * 220 * t), np.sign(np.sin(2 * np.pi * 900 * t))
    mix = np.stack([0.3 * np.roll(a, d) + 0.2 * np.roll(b, -d) for d in range(channels)], axis=1)
    sf.write(path, mix.astype(np.float32), rate)
    return path


def _estimates(seconds=2.0, rate=16_000):
    t = np.arange(int(seconds * rate)) / rate
    return np.stack([0.3 * np.sin(2 * np.pi * 220 * t), 0.2 * np.sign(np.sin(2 * np.pi * 900 * t))]).astype(np.float32)


def _settings(**kw):
    return CorrectSettings(model=MODEL, **{"chunk": ChunkConfig(seconds=1.0), **kw})


@pytest.mark.parametrize("rate", [16_000, 44_100])
def test_corrections_have_the_mixture_length_and_rate(tmp_path, tiny_meco_card, rate):
    with open_recording(_mixture(tmp_path / "mix.wav", rate=rate)) as mix:
        result = drive(correct_job(ArraySource(_estimates(), 16_000), mix, _settings()))
        assert result.sample_rate == rate and result.corrected.shape == (2, mix.frames)
    assert np.isfinite(result.corrected).all() and np.abs(result.corrected).max() > 0
    assert result.nfe == 1 and result.mode is InferenceMode.ONE_STEP and result.notices == []


def test_a_mixture_shorter_than_half_a_second_is_refused_by_name(tmp_path, tiny_meco_card):
    with open_recording(_mixture(tmp_path / "click.wav", seconds=0.01)) as mix:
        with pytest.raises(ConfigError, match="click.wav is 0.010 s long; processing needs"):
            drive(correct_job(ArraySource(_estimates(seconds=0.01), 16_000), mix, _settings()))


def test_a_fixed_seed_repeats_the_output_and_no_seed_does_not(tmp_path, tiny_meco_card):
    with open_recording(_mixture(tmp_path / "mix.wav")) as mix:
        runs = [drive(correct_job(ArraySource(_estimates(), 16_000), mix, _settings(seed=s))).corrected
                for s in (5, 5, None)]
    np.testing.assert_array_equal(runs[0], runs[1])
    assert not np.array_equal(runs[0], runs[2])


@pytest.mark.parametrize("mode, steps, per_chunk", [(InferenceMode.ONE_STEP, None, 1), (InferenceMode.EULER, 3, 3),
                                                    (InferenceMode.FROM_HALF, None, 1)])
def test_each_chunk_costs_the_modes_network_evaluations(tmp_path, tiny_meco_card, mode, steps, per_chunk):
    model = load_model(find_model(MODEL, Task.CORRECTION))
    calls = []
    handle = model.unet.register_forward_hook(lambda *_: calls.append(1))
    try:
        with open_recording(_mixture(tmp_path / "mix.wav", seconds=3.0)) as mix:
            seen = []
            drive(correct_job(ArraySource(_estimates(3.0), 16_000), mix, _settings(mode=mode, steps=steps)),
                  on_progress=seen.append)
    finally:
        handle.remove()
    assert len(calls) == per_chunk * seen[-1].total and seen[-1].total > 1


def test_cancel_takes_effect_at_the_next_chunk(tmp_path, tiny_meco_card):
    seen = []
    with open_recording(_mixture(tmp_path / "mix.wav", seconds=4.0)) as mix:
        with pytest.raises(JobCancelled):
            drive(correct_job(ArraySource(_estimates(4.0), 16_000), mix, _settings()), on_progress=seen.append,
                  should_stop=lambda: len(seen) == 2)
    assert [p.done for p in seen] == [1, 2] and seen[0].stage == "correct"


def test_short_estimates_are_padded_with_a_notice(tmp_path, tiny_meco_card):
    with open_recording(_mixture(tmp_path / "mix.wav", seconds=2.0)) as mix:
        result = drive(correct_job(ArraySource(_estimates(1.5), 16_000, "other.wav"), mix, _settings()))
        assert result.corrected.shape == (2, mix.frames)
    assert any("other.wav is 0.50 s shorter" in n for n in result.notices)


def test_more_than_eight_talkers_are_refused(tmp_path, tiny_meco_card):
    with open_recording(_mixture(tmp_path / "mix.wav")) as mix:
        with pytest.raises(ChannelLayoutError, match="9 channels"):
            drive(correct_job(ArraySource(np.zeros((9, 32_000), np.float32), 16_000), mix, _settings()))


def _cli(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    correct_command.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    return args.run(args)


def test_cli_corrects_another_separators_file_and_never_overwrites(tmp_path, tiny_meco_card, capsys):
    mix = _mixture(tmp_path / "meeting.wav", rate=48_000)
    estimate = tmp_path / "other_separator.wav"
    sf.write(estimate, _estimates().T, 16_000)
    out = tmp_path / "out"
    argv = ["correct", "--estimate", str(estimate), "--mixture", str(mix), "--out", str(out), "--model", MODEL,
            "--chunk-seconds", "1", "--json"]
    assert _cli(argv) == 0
    report = json.loads(capsys.readouterr().out)
    written, rate = sf.read(out / "other_separator.wav")
    assert rate == 48_000 and written.shape == (96_000, 2)
    assert report["files"][0]["nfe"] == 1 and report["files"][0]["seed"] == 1234
    assert _cli(argv) == 1
    assert "already exists" in json.loads(capsys.readouterr().out)["failed"][0]["error"]


def test_separate_then_correct_streams_both_versions_at_the_output_rate(tmp_path, tiny_separator_card,
                                                                         tiny_meco_card):
    from app.engine.correction import corrected_separation_job
    from app.engine.separation import SeparateSettings

    corrected, uncorrected, stages = [], [], []
    with open_recording(_mixture(tmp_path / "room.wav", channels=4, rate=48_000, seconds=2.0)) as rec:
        separation, correction = drive(
            corrected_separation_job(rec, SeparateSettings(model="tiny-separator", chunk=ChunkConfig(seconds=1.0)),
                                     _settings(), sink=corrected.append, uncorrected_sink=uncorrected.append),
            on_progress=lambda p: stages.append(p.stage))
    a, b = np.concatenate(corrected, 1), np.concatenate(uncorrected, 1)
    assert a.shape == b.shape == (2, 96_000) and correction.sample_rate == 48_000
    assert correction.channels_used == separation.channels_used == [0, 1, 2, 3]
    assert stages[0] == "separate" and stages[-1] == "correct" and not np.allclose(a, b)


def test_has_corrector_names_installed_cards_only(tiny_meco_card):
    from app.engine.correction import has_corrector

    assert has_corrector() and has_corrector(MODEL) and not has_corrector("no-such-corrector")


def test_the_shipped_pipeline_keeps_the_recordings_level():
    """The networks' gain is arbitrary (scale-invariant training); the talkers come out near their level
    in the recording, and MeCo's at the level of the estimate it corrected."""
    from app.engine.correction import CorrectSettings
    from app.engine.demo import DEMO_DIR
    from app.engine.files import open_recording
    from app.engine.jobs import drive
    from app.engine.separation import SeparateSettings
    from app.engine.workflow import correct_versions_job, separate_versions_job

    def level_db(audio: np.ndarray) -> float:
        return float(10 * np.log10(np.mean(audio.astype(np.float64) ** 2)))

    with open_recording(DEMO_DIR / "meeting-respeaker4" / "mixture.flac") as rec:
        separated = drive(separate_versions_job(rec, SeparateSettings()))
        corrected = drive(correct_versions_job(separated, rec, CorrectSettings()))
        mixture = level_db(rec.read(0, rec.frames, [0])[0])
    for talker, fixed in zip(separated, corrected, strict=True):
        assert mixture - 12 < level_db(talker.audio) < mixture
        assert abs(level_db(fixed.audio) - level_db(talker.audio)) < 0.5
