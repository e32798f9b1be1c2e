"""`meco-studio export` writes a saved session's versions; wired in by calling the module."""

from __future__ import annotations

import argparse
import json

import numpy as np
import pyloudnorm
import pytest
import soundfile as sf

from app.commands import export as export_command
from app.engine.documents import (
    Session,
    Version,
    VersionKind,
    default_name,
    save_session,
)
from app.engine.labels import Label, labels_text


def _main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    export_command.register(parser.add_subparsers())
    args = parser.parse_args(argv)
    return args.run(args)


def _session(tmp_path, labels: tuple[Label, ...] = ()):
    session = Session(tmp_path / "meeting.wav")
    t = np.arange(16_000) / 16_000
    session.add([Version(default_name(VersionKind.CORRECTED, k), k, VersionKind.CORRECTED,
                         (0.3 * np.sin(2 * np.pi * 300 * (k + 1) * t)).astype(np.float32), 16_000, "meco", {})
                 for k in range(2)])
    for label in labels:
        session.add_label(label)
    return save_session(session, tmp_path / "meeting"), session


def test_export_command_writes_every_version(tmp_path, capsys):
    path, session = _session(tmp_path)
    assert _main(["export", str(path), "--out", str(tmp_path / "out"), "--format", "flac", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert [p.split("/")[-1] for p in result["outputs"]] == ["meeting_talker1_corrected.flac",
                                                             "meeting_talker2_corrected.flac"]
    for out, version in zip(result["outputs"], session.versions):
        audio, rate = sf.read(out, dtype="float32")
        assert rate == 16_000 and sf.info(out).subtype == "PCM_24"
        np.testing.assert_allclose(audio, version.audio, atol=1e-6)


def test_export_command_picks_versions_by_name_and_resamples(tmp_path, capsys):
    path, _ = _session(tmp_path)
    assert _main(["export", str(path), "--out", str(tmp_path / "out"), "--only", "MeCo · talker 2",
                  "--rate", "48000", "--json"]) == 0
    (out,) = json.loads(capsys.readouterr().out)["outputs"]
    assert sf.info(out).samplerate == 48_000 and out.endswith("talker2_corrected.wav")


def test_export_command_writes_the_talkers_as_the_channels_of_one_file(tmp_path, capsys):
    path, session = _session(tmp_path)
    assert _main(["export", str(path), "--out", str(tmp_path / "out"), "--multichannel", "--json"]) == 0
    (out,) = json.loads(capsys.readouterr().out)["outputs"]
    audio, _ = sf.read(out, dtype="float32")
    assert out.endswith("meeting_talker1+2_corrected.wav") and audio.shape == (16_000, 2)
    np.testing.assert_allclose(audio.T, [v.audio for v in session.versions], atol=1e-6)


def test_export_command_writes_only_the_asked_range(tmp_path, capsys):
    path, session = _session(tmp_path)
    assert _main(["export", str(path), "--out", str(tmp_path / "out"), "--range", "0.25", "0.5", "--json"]) == 0
    for out, version in zip(json.loads(capsys.readouterr().out)["outputs"], session.versions):
        audio, _ = sf.read(out, dtype="float32")
        np.testing.assert_allclose(audio, version.audio[4_000:8_000], atol=1e-6)


def test_export_command_writes_each_label_saved_in_the_session(tmp_path, capsys):
    path, _ = _session(tmp_path, (Label(0.25, 0.5, "yes"), Label(0.5, 0.75, "no")))
    assert _main(["export", str(path), "--out", str(tmp_path / "out"), "--only", "MeCo · talker 1",
                  "--each-label", "--json"]) == 0
    outputs = json.loads(capsys.readouterr().out)["outputs"]
    assert [o.split("/")[-1] for o in outputs] == ["meeting_talker1_corrected_01_yes.wav",
                                                   "meeting_talker1_corrected_02_no.wav"]
    assert [sf.info(o).frames for o in outputs] == [4_000, 4_000]


def test_export_command_takes_labels_from_an_audacity_file(tmp_path, capsys):
    path, _ = _session(tmp_path)
    labels = tmp_path / "words.txt"
    labels.write_text(labels_text([Label(0.1, 0.2, "one")]))
    assert _main(["export", str(path), "--out", str(tmp_path / "out"), "--each-label", str(labels),
                  "--template", "{label}_{talker}", "--json"]) == 0
    outputs = json.loads(capsys.readouterr().out)["outputs"]
    assert [o.split("/")[-1] for o in outputs] == ["one_1.wav", "one_2.wav"]


def test_export_command_brings_each_file_to_the_asked_loudness(tmp_path, capsys):
    path, _ = _session(tmp_path)
    assert _main(["export", str(path), "--out", str(tmp_path / "out"), "--loudness", "-16", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["loudness_lufs"] == -16.0
    for out in result["outputs"]:
        audio, rate = sf.read(out, dtype="float64")
        assert pyloudnorm.Meter(rate).integrated_loudness(audio) == pytest.approx(-16.0, abs=0.05)


def test_a_preset_sets_its_purposes_export_and_a_given_option_overrides_it(tmp_path, capsys):
    path, _ = _session(tmp_path)
    assert _main(["export", str(path), "--out", str(tmp_path / "bc"), "--preset", "broadcast", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["subtype"] == "PCM_24" and result["loudness_lufs"] == -23.0
    assert _main(["export", str(path), "--out", str(tmp_path / "asr"), "--preset", "asr", "--format", "flac",
                  "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    out = result["outputs"][0]
    assert out.endswith(".flac") and sf.info(out).subtype == "PCM_16" and sf.info(out).samplerate == 16_000
