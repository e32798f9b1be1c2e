"""Sounds labelled as Audacity's Label Sounds labels them: above a level, short pauses bridged,
short sounds dropped, numbered; read a block at a time from a recording."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from app.engine import sound_labels as sl
from app.engine.errors import ConfigError
from app.engine.files import open_recording
from app.engine.jobs import drive
from app.engine.labels import Label

RATE = 16_000


def bursts(spans: list[tuple[float, float]], seconds: float = 10.0, level: float = 0.3) -> np.ndarray:
    """A 300 Hz tone at `level` over each span, silence (faint hiss) elsewhere."""
    t = np.arange(int(seconds * RATE)) / RATE
    audio = 1e-4 * np.random.default_rng(0).standard_normal(t.size)
    for start, stop in spans:
        inside = (t >= start) & (t < stop)
        audio[inside] += level * np.sin(2 * np.pi * 300 * t[inside])
    return audio.astype(np.float32)


def labels_of(audio: np.ndarray, settings: sl.SoundSettings = sl.SoundSettings()) -> list[Label]:
    return drive(sl.track_sounds_job(audio, RATE, settings))


def test_each_sound_gets_a_numbered_label_over_its_span():
    found = labels_of(bursts([(1.0, 2.5), (5.0, 6.0)]))
    assert [label.text for label in found] == ["sound 1", "sound 2"]
    assert [(label.start, label.stop) for label in found] == [pytest.approx((1.0, 2.5), abs=0.011),
                                                               pytest.approx((5.0, 6.0), abs=0.011)]


def test_a_pause_shorter_than_the_minimum_silence_is_bridged():
    audio = bursts([(1.0, 2.0), (2.5, 3.0)])
    assert len(labels_of(audio)) == 1
    assert len(labels_of(audio, sl.SoundSettings(min_silence_seconds=0.3))) == 2


def test_a_click_shorter_than_the_minimum_sound_is_dropped():
    assert [label.text for label in labels_of(bursts([(1.0, 1.05), (4.0, 5.0)]))] == ["sound 1"]


def test_a_sound_below_the_threshold_is_not_a_sound():
    quiet = bursts([(1.0, 2.0)], level=0.01)                         # -43 dBFS RMS
    assert labels_of(quiet) == [] and len(labels_of(quiet, sl.SoundSettings(threshold_dbfs=-50))) == 1


def test_a_recording_is_read_in_blocks_and_any_channel_means_the_loudest(tmp_path, monkeypatch):
    monkeypatch.setattr(sl, "BLOCK_FRAMES", 70)                      # 0.7 s blocks
    path = tmp_path / "two.wav"
    sf.write(path, np.stack([bursts([(1.0, 2.0)]), bursts([(6.0, 7.5)])], axis=1), RATE, subtype="FLOAT")
    with open_recording(path) as rec:
        both = drive(sl.recording_sounds_job(rec, sl.ANY_CHANNEL, sl.SoundSettings(text="talk")))
        second = drive(sl.recording_sounds_job(rec, 1, sl.SoundSettings()))
    assert [(round(label.start, 2), round(label.stop, 2), label.text) for label in both] == [
        (1.0, 2.0, "talk 1"), (6.0, 7.5, "talk 2")]
    assert [(round(label.start, 2), round(label.stop, 2)) for label in second] == [(6.0, 7.5)]


def test_a_threshold_out_of_range_is_named():
    with pytest.raises(ConfigError, match="threshold of 5 dBFS"):
        labels_of(bursts([]), sl.SoundSettings(threshold_dbfs=5))


def test_label_sounds_writes_an_audacity_label_file_per_recording(tmp_path, capsys):
    import json

    from app.cli import EXIT_OK, main
    from app.engine.labels import read_labels

    sf.write(tmp_path / "talk.wav", bursts([(1.0, 2.0), (5.0, 6.5)]), RATE)
    assert main(["label-sounds", str(tmp_path / "talk.wav"), "--out", str(tmp_path / "labels"), "--text", "utt",
                 "--json"]) == EXIT_OK
    (report,) = json.loads(capsys.readouterr().out)["files"]
    assert report["labels"] == 2 and report["sound_seconds"] == pytest.approx(2.5, abs=0.03)
    found = read_labels(tmp_path / "labels" / "talk.txt")
    assert [(round(label.start, 2), round(label.stop, 2), label.text) for label in found] == [
        (1.0, 2.0, "utt 1"), (5.0, 6.5, "utt 2")]
    assert main(["label-sounds", str(tmp_path / "talk.wav"), "--out", str(tmp_path / "labels")]) != EXIT_OK
    assert "talk.txt already exists" in capsys.readouterr().err


def test_label_sounds_names_a_channel_the_file_lacks(tmp_path, capsys):
    from app.cli import main

    sf.write(tmp_path / "mono.wav", bursts([(1.0, 2.0)]), RATE)
    assert main(["label-sounds", str(tmp_path / "mono.wav"), "--out", str(tmp_path / "o"), "--channel", "2"]) != 0
    assert "mono.wav has 1 channel(s): there is no channel 2" in capsys.readouterr().err
