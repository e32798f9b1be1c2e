"""A recording dereverberated block by block: the blocks' crossfades add up to the recording, a
read in any pieces gives the same samples, channels left out read as they are, and copies are
written whole and never over the recording."""

from __future__ import annotations

import json

import numpy as np
import pytest
import soundfile as sf

from app.engine import dereverb
from app.engine.demo import DEMO_DIR
from app.engine.errors import ConfigError
from app.engine.files import ArraySource, open_recording
from app.engine.jobs import drive
from models.baselines.wpe import WpeSettings

RATE = 16_000


@pytest.fixture(scope="module")
def meeting() -> np.ndarray:
    """The four-microphone demo, 10 s."""
    return sf.read(DEMO_DIR / "meeting-respeaker4" / "mixture.flac", dtype="float32", always_2d=True)[0].T.copy()


@pytest.fixture
def short_blocks(monkeypatch):
    """Blocks of 2 s with 0.5 s of context, so a few seconds hold several borders."""
    monkeypatch.setattr(dereverb, "BLOCK_SECONDS", 2.0)
    monkeypatch.setattr(dereverb, "CONTEXT_SECONDS", 0.5)


def test_the_blocks_crossfades_add_up_to_the_recording_exactly_where_nothing_is_taken_away(meeting, short_blocks,
                                                                                            monkeypatch):
    monkeypatch.setattr(dereverb, "dereverberate", lambda audio, rate, settings: audio)
    view = dereverb.Dereverberated(ArraySource(meeting, RATE, "meeting.flac"))
    assert view.blocks == 5
    np.testing.assert_allclose(view.read(0, view.frames), meeting, atol=1e-6)


def test_blocks_are_of_equal_length_so_none_is_a_short_remnant(meeting, short_blocks):
    view = dereverb.Dereverberated(ArraySource(meeting[:, :int(4.9 * RATE)], RATE, "meeting.flac"))
    assert np.diff(view.borders).tolist() == [int(2.45 * RATE)] * 2


def test_a_read_in_any_pieces_gives_the_samples_of_one_read(meeting, short_blocks):
    view = dereverb.Dereverberated(ArraySource(meeting, RATE, "meeting.flac"))
    whole = view.read(0, view.frames)
    pieces = np.concatenate([view.read(lo, lo + 12_345) for lo in range(0, view.frames, 12_345)], axis=1)
    np.testing.assert_array_equal(pieces, whole)
    np.testing.assert_array_equal(view.read(30_000, 50_000, [2, 0]), whole[[2, 0], 30_000:50_000])
    assert not np.allclose(whole, meeting, atol=1e-3)


def test_channels_left_out_read_as_they_are_and_the_rest_are_solved_together(meeting):
    source = ArraySource(meeting, RATE, "meeting.flac")
    view = dereverb.Dereverberated(source, channels=[0, 2])
    np.testing.assert_array_equal(view.read(0, RATE, [1, 3]), meeting[[1, 3], :RATE])
    together = dereverb.Dereverberated(ArraySource(meeting[[0, 2]], RATE, "pair.flac")).read(0, RATE)
    np.testing.assert_array_equal(view.read(0, RATE, [0, 2]), together)


@pytest.mark.parametrize("settings, message", [(WpeSettings(taps_ms=5.0), "filter of 5 ms"),
                                               (WpeSettings(delay_ms=150.0), "delay of 150 ms"),
                                               (WpeSettings(iterations=0), "0 iterations")])
def test_settings_wpe_cannot_mean_are_refused_by_name(meeting, settings, message):
    with pytest.raises(ConfigError, match=message):
        dereverb.Dereverberated(ArraySource(meeting, RATE, "meeting.flac"), settings)


def test_the_command_writes_every_channel_at_24_bit_and_leaves_the_input(tmp_path, meeting, capsys):
    from app.cli import EXIT_OK, main
    from app.engine.provenance import read_tags

    src = tmp_path / "meeting.wav"
    sf.write(src, meeting.T, RATE, subtype="PCM_16")
    before = src.read_bytes()
    assert main(["dereverb", str(src), "--out", str(tmp_path / "o"), "--json"]) == EXIT_OK
    (done,) = json.loads(capsys.readouterr().out)["files"]
    assert (done["channels"], done["blocks"], done["delay_ms"]) == (4, 1, 48.0)
    out = tmp_path / "o" / "meeting.wav"
    assert sf.info(out).subtype == "PCM_24" and sf.info(out).frames == meeting.shape[1]
    assert sf.info(out).channels == 4 and src.read_bytes() == before
    assert "dereverberated by WPE: a 80 ms filter after 48 ms" in read_tags(out)["comment"]


def test_the_command_refuses_settings_out_of_range_before_reading_anything(tmp_path, capsys):
    from app.cli import EXIT_OK, main

    assert main(["dereverb", str(tmp_path / "absent.wav"), "--out", str(tmp_path), "--iterations", "20"]) != EXIT_OK
    assert "20 iterations is out of range" in capsys.readouterr().err


def test_the_copy_is_never_written_over_its_recording(tmp_path, meeting):
    src = tmp_path / "meeting.wav"
    sf.write(src, meeting.T, RATE)
    with open_recording(src) as rec, pytest.raises(ConfigError, match="cannot replace meeting.wav"):
        drive(dereverb.dereverberated_copy_job(rec, src))


def test_the_copy_holds_what_the_view_reads(tmp_path, meeting):
    src = tmp_path / "meeting.wav"
    sf.write(src, meeting.T, RATE, subtype="FLOAT")
    with open_recording(src) as rec:
        result = drive(dereverb.dereverberated_copy_job(rec, tmp_path / "copy.wav"))
        expected = dereverb.Dereverberated(rec).read(0, rec.frames)
    assert (result.blocks, result.channels) == (1, 4)
    np.testing.assert_allclose(sf.read(tmp_path / "copy.wav", dtype="float32")[0].T, expected, atol=2 ** -22)


def test_a_preview_is_what_the_copy_holds_there_and_what_it_takes_away_adds_back(meeting, short_blocks):
    source = ArraySource(meeting, RATE, "meeting.flac")
    kept = drive(dereverb.preview_job(source, WpeSettings(), 2, (3.5, 7.25)))
    np.testing.assert_array_equal(kept, dereverb.Dereverberated(source).read(56_000, 116_000, [2])[0])
    removed = drive(dereverb.preview_job(source, WpeSettings(), 2, (3.5, 7.25), removed=True))
    np.testing.assert_allclose(kept + removed, meeting[2, 56_000:116_000], atol=1e-6)
