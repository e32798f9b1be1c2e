"""Repairing a recording as RX's Repair Assistant does: each kind of damage found and counted apart
(the clicks that clipped runs and dropouts make at their edges not counted twice), the chosen repairs
read through one after another into a copy, never over the recording."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from app.engine.errors import ConfigError
from app.engine.files import ArraySource, open_recording
from app.engine.jobs import drive
from app.engine.provenance import read_tags
from app.engine.dehum import Hum
from app.engine.restoration import Damage, Restoration, damage_job, restored_copy_job, restored_view_job

RATE = 16_000


@pytest.fixture(scope="module")
def damaged() -> np.ndarray:
    """Three seconds of two tones: channel 1 swells into clipping around 1.1 s and clicks at 0.5 s; channel 2 drops
    2.5 ms at 1.5 s and 40 ms at 2.5 s."""
    t = np.arange(3 * RATE) / RATE
    audio = np.stack([0.3 * np.sin(2 * np.pi * 200 * t), 0.3 * np.sin(2 * np.pi * 310 * t)])
    swell = 1 + 3 * np.hanning(6_400)                             # a loud syllable, not a jump in level
    audio[0, 14_400:20_800] = np.clip(swell * audio[0, 14_400:20_800], -1, 1)
    audio[0, 8_000:8_010] += 0.4
    audio[1, 24_000:24_040] = 0.0
    audio[1, 40_000:40_640] = 0.0
    return audio.astype(np.float32)


def test_each_kind_of_damage_is_counted_apart(damaged):
    assert drive(damage_job(ArraySource(damaged, RATE, "damaged.wav"))) == Damage(
        clipped=50, dropouts=1, long_dropouts=1, clicks=1)


def test_the_chosen_repairs_are_read_through_in_turn(damaged):
    view, counts = drive(restored_view_job(ArraySource(damaged, RATE, "damaged.wav"),
                                           Restoration(declip=True, dropouts=True, declick=True)))
    assert counts == {"clipped runs": 50, "dropouts": 1, "clicks": 1}
    repaired = view.read(0, view.frames)
    assert np.abs(repaired[0, 14_400:20_800]).max() > 1.0                        # redrawn beyond full scale
    assert np.abs(repaired[1, 24_000:24_040]).min() > 0 or np.abs(repaired[1, 24_000:24_040]).max() > 0.1
    np.testing.assert_array_equal(repaired[1, 40_000:40_640], 0.0)                # too long: left as it is
    assert np.abs(repaired[0, 8_000:8_010] - damaged[0, 8_000:8_010]).max() > 0.1  # the click redrawn


def test_nothing_chosen_reads_the_recording_as_it_is(damaged):
    source = ArraySource(damaged, RATE, "damaged.wav")
    view, counts = drive(restored_view_job(source, Restoration()))
    assert view is source and counts == {} and not Restoration().chosen


def test_the_copy_is_written_whole_tagged_and_never_over_the_recording(tmp_path, damaged):
    src = tmp_path / "damaged.wav"
    sf.write(src, damaged.T, RATE, subtype="PCM_16")
    before = src.read_bytes()
    with open_recording(src) as rec:
        with pytest.raises(ConfigError, match="cannot replace damaged.wav"):
            drive(restored_copy_job(rec, src, Restoration(declip=True)))
        counts = drive(restored_copy_job(rec, tmp_path / "copy.wav", Restoration(dropouts=True, declick=True)))
    assert counts == {"dropouts": 1, "clicks": 1} and src.read_bytes() == before
    info = sf.info(tmp_path / "copy.wav")
    assert (info.subtype, info.channels, info.frames) == ("PCM_24", 2, damaged.shape[1])
    assert read_tags(tmp_path / "copy.wav")["comment"].endswith("dropouts redrawn, clicks redrawn")


def test_a_preview_repairs_its_stretch_and_what_it_takes_away_adds_back(damaged):
    from app.engine.restoration import preview_job

    source = ArraySource(damaged, RATE, "damaged.wav")
    chosen = Restoration(declip=True, declick=True)
    kept = drive(preview_job(source, chosen, 0, (0.25, 1.25)))
    view, _ = drive(restored_view_job(source, chosen))
    np.testing.assert_allclose(kept, view.read(4_000, 20_000, [0])[0], atol=1e-4)   # as the copy, away from the ends
    removed = drive(preview_job(source, chosen, 0, (0.25, 1.25), removed=True))
    np.testing.assert_allclose(kept + removed, damaged[0, 4_000:20_000], atol=1e-6)


def test_repair_from_a_terminal_redraws_every_kind_by_default_into_a_float_copy(tmp_path, damaged, capsys):
    import json

    from app.cli import main

    (tmp_path / "in").mkdir()
    src = tmp_path / "in" / "damaged.wav"
    sf.write(src, damaged.T, RATE, subtype="PCM_16")
    before = src.read_bytes()
    assert main(["repair", str(tmp_path / "in"), "--out", str(tmp_path / "out"), "--json"]) == 0
    done = json.loads(capsys.readouterr().out)["files"][0]
    assert done["redrawn"] == {"clipped runs": 50, "dropouts": 1, "clicks": 1} and not done["dereverberated"]
    info = sf.info(tmp_path / "out" / "damaged.wav")
    assert (info.subtype, info.channels, info.frames) == ("FLOAT", 2, damaged.shape[1])
    assert read_tags(tmp_path / "out" / "damaged.wav")["comment"].endswith(
        "clipped runs redrawn, dropouts redrawn, clicks redrawn")
    assert src.read_bytes() == before


def test_repair_from_a_terminal_does_only_the_repairs_named(tmp_path, damaged, capsys):
    from app.cli import main

    src = tmp_path / "damaged.wav"
    sf.write(src, damaged.T, RATE, subtype="PCM_16")
    assert main(["repair", str(src), "--out", str(tmp_path / "out"), "--fill-dropouts", "--dereverb",
                 "--reduce-noise", "6"]) == 0
    said = capsys.readouterr().err
    assert "damaged.wav (1 dropout redrawn; reverberation taken out; steady noise lowered 6 dB)" in said
    hummed(tmp_path / "hum.wav")
    assert main(["repair", str(tmp_path / "hum.wav"), "--out", str(tmp_path / "out"), "--declick", "--dehum"]) == 0
    assert "hum.wav (0 clicks redrawn; 50 Hz mains hum notched)" in capsys.readouterr().err
    assert sf.info(tmp_path / "out" / "damaged.wav").subtype == "PCM_24"


def test_a_repaired_file_never_replaces_its_recording_nor_an_existing_file_unasked(tmp_path, damaged):
    from app.engine.errors import ExportError
    from app.engine.restoration import repaired_file_job

    src = tmp_path / "damaged.wav"
    sf.write(src, damaged.T, RATE, subtype="PCM_16")
    before = src.read_bytes()
    with pytest.raises(ConfigError, match="cannot replace it"):
        drive(repaired_file_job(src, src, Restoration(declick=True), overwrite=True))
    (tmp_path / "out.wav").write_bytes(b"keep")
    with pytest.raises(ExportError, match="exists"):
        drive(repaired_file_job(src, tmp_path / "out.wav", Restoration(declick=True)))
    assert src.read_bytes() == before and (tmp_path / "out.wav").read_bytes() == b"keep"
    report = drive(repaired_file_job(src, tmp_path / "out.wav", Restoration(declick=True), overwrite=True))
    assert report["redrawn"] == {"clicks": 4} and sf.info(tmp_path / "out.wav").frames == damaged.shape[1]


def test_a_copy_can_have_its_steady_noise_lowered_last(tmp_path):
    from app.engine.noise_reduction import NoiseSettings
    from app.engine.restoration import repaired_file_job

    rng = np.random.default_rng(3)
    t = np.arange(3 * RATE) / RATE
    tone = 0.3 * np.sin(2 * np.pi * 440 * t) * (t > 1.5)          # silence (noise alone) for the first half
    hiss = 0.01 * rng.standard_normal((2, t.size))
    sf.write(tmp_path / "hiss.wav", (tone + hiss).T.astype(np.float32), RATE, subtype="FLOAT")
    report = drive(repaired_file_job(tmp_path / "hiss.wav", tmp_path / "out.wav",
                                     Restoration(declick=True, noise=NoiseSettings(reduction_db=12.0))))
    out, _ = sf.read(tmp_path / "out.wav", always_2d=True)
    assert out.shape == (t.size, 2) and "clicks" in report["redrawn"]
    before, after = np.sqrt(np.mean(hiss[:, RATE // 2:RATE] ** 2)), np.sqrt(np.mean(out[RATE // 2:RATE] ** 2))
    assert 20 * np.log10(before / after) > 6                             # the hiss alone: well down
    assert read_tags(tmp_path / "out.wav")["comment"].endswith("clicks redrawn, steady noise lowered 12 dB")


def hummed(path, seconds=3.0):
    """Two channels of a tone at 700 Hz over a 50 Hz hum with its harmonics."""
    t = np.arange(round(seconds * RATE)) / RATE
    hum = sum(0.05 / k * np.sin(2 * np.pi * 50 * k * t) for k in range(1, 6))
    tone = 0.2 * np.sin(2 * np.pi * 700 * t)
    sf.write(path, np.stack([tone + hum, 0.5 * tone + hum], axis=1).astype(np.float32), RATE, subtype="FLOAT")
    return path


def line_db(audio: np.ndarray, hz: float) -> float:
    spectrum = np.abs(np.fft.rfft(audio * np.hanning(len(audio))))
    return 20 * np.log10(spectrum[round(hz * len(audio) / RATE)] + 1e-12)


def test_a_copy_can_have_its_mains_hum_notched_last(tmp_path):
    from app.engine.restoration import repaired_file_job

    src = hummed(tmp_path / "hum.wav")
    report = drive(repaired_file_job(src, tmp_path / "out.wav", Restoration(dehum=True)))
    before, _ = sf.read(src)
    after, _ = sf.read(tmp_path / "out.wav")
    settled = slice(RATE, None)                                      # the notches settle within the first second
    for channel in range(2):
        assert line_db(before[settled, channel], 50) - line_db(after[settled, channel], 50) > 20
        assert abs(line_db(before[settled, channel], 700) - line_db(after[settled, channel], 700)) < 0.5
    assert report["hum_hz"] == 50.0 and report["notes"] == []
    assert read_tags(tmp_path / "out.wav")["comment"].endswith("50 Hz mains hum notched (8 lines)")


def test_a_copy_without_a_hum_is_left_as_it_is_with_a_note(tmp_path, damaged):
    from app.engine.restoration import repaired_file_job

    src = tmp_path / "clean.wav"
    sf.write(src, damaged.T, RATE, subtype="PCM_16")
    report = drive(repaired_file_job(src, tmp_path / "out.wav", Restoration(declick=True, dehum=True)))
    assert report["hum_hz"] is None and "No mains hum stands out in “clean.wav”" in report["notes"][0]
    assert read_tags(tmp_path / "out.wav")["comment"].endswith("clicks redrawn")


def test_the_damage_found_is_said_in_words():
    assert Damage(clipped=50, dropouts=1, long_dropouts=1, clicks=0).said == \
        "50 clipped runs, 1 dropout (and 1 longer one, left as it is) and 0 clicks"
    assert Damage(clipped=1, dropouts=0, long_dropouts=2, clicks=3, hum=Hum(60.0, 20.0, 4)).said == \
        "1 clipped run, 0 dropouts (and 2 longer ones, left as they are), 3 clicks and a 60 Hz mains hum"


def test_only_the_repairs_the_damage_calls_for_are_kept():
    chosen = Restoration(declip=True, dropouts=True, declick=True, dereverb=True, dehum=True)
    needed = chosen.needed_for(Damage(clipped=0, dropouts=2, long_dropouts=0, clicks=0))
    assert (needed.declip, needed.dropouts, needed.declick, needed.dereverb, needed.dehum) == \
        (False, True, False, True, False)
    assert chosen.needed_for(Damage(0, 0, 0, 0, Hum(50.0, 20.0, 8))).dehum
    assert not Restoration(declick=True).needed_for(Damage(0, 0, 0, 5)).declip       # never more than was chosen


def test_as_needed_a_copy_gets_only_what_its_count_found(tmp_path):
    from app.engine.restoration import repaired_file_job, what_was_done

    src = hummed(tmp_path / "hum.wav")
    every = Restoration(declip=True, dropouts=True, declick=True, dehum=True)
    report = drive(repaired_file_job(src, tmp_path / "out.wav", every, as_needed=True))
    assert report["redrawn"] == {} and report["hum_hz"] == 50.0
    assert report["damage"] == {"clipped_runs": 0, "dropouts": 0, "long_dropouts": 0, "clicks": 0, "hum_hz": 50.0,
                                "hum_lines": 8}
    assert what_was_done(report) == "found 0 clipped runs, 0 dropouts, 0 clicks and a 50 Hz mains hum: 50 Hz mains " \
                                    "hum notched"
    assert sf.info(tmp_path / "out.wav").subtype == "PCM_24"                     # nothing redrawn above full scale
    assert read_tags(tmp_path / "out.wav")["comment"].endswith("50 Hz mains hum notched (8 lines)")


def test_as_needed_a_recording_without_damage_is_copied_unchanged_and_says_so(tmp_path):
    from app.engine.restoration import repaired_file_job, what_was_done

    t = np.arange(2 * RATE) / RATE
    src = tmp_path / "clean.wav"
    sf.write(src, 0.2 * np.sin(2 * np.pi * 300 * t), RATE, subtype="PCM_16")
    report = drive(repaired_file_job(src, tmp_path / "out.wav", Restoration(declip=True, declick=True),
                                     as_needed=True, damage=Damage(0, 0, 0, 0)))     # counted already: not again
    assert what_was_done(report) == "found 0 clipped runs, 0 dropouts and 0 clicks: nothing changed"
    np.testing.assert_array_equal(sf.read(tmp_path / "out.wav", dtype="int16")[0], sf.read(src, dtype="int16")[0])
    assert read_tags(tmp_path / "out.wav")["comment"].endswith("nothing to repair was found; copied unchanged")


def test_repair_as_needed_and_info_damage_from_a_terminal(tmp_path, damaged, capsys):
    import json

    from app.cli import main

    sf.write(tmp_path / "damaged.wav", damaged.T, RATE, subtype="PCM_16")
    hummed(tmp_path / "hum.wav")
    assert main(["info", str(tmp_path / "damaged.wav"), str(tmp_path / "hum.wav"), "--damage", "--json"]) == 0
    files = json.loads(capsys.readouterr().out)["files"]
    assert files[0]["damage"]["clipped_runs"] == 50 and files[0]["damage"]["hum_hz"] is None
    assert files[1]["damage"]["said"] == "0 clipped runs, 0 dropouts, 0 clicks and a 50 Hz mains hum"
    assert main(["info", str(tmp_path / "hum.wav"), "--damage"]) == 0
    assert "  damage: 0 clipped runs, 0 dropouts, 0 clicks and a 50 Hz mains hum" in capsys.readouterr().out
    assert main(["repair", str(tmp_path), "--out", str(tmp_path / "out"), "--dehum", "--declick", "--as-needed"]) == 0
    said = capsys.readouterr().err
    assert "hum.wav (found 0 clipped runs, 0 dropouts, 0 clicks and a 50 Hz mains hum: 50 Hz mains hum notched)" \
        in said
    assert "damaged.wav (found 50 clipped runs" in said and "and 1 click: 4 clicks redrawn)" in said   # their edges too


def test_a_copy_can_have_its_noise_taken_out_by_a_speech_enhancer_last(tmp_path, tiny_student_card):
    from app.engine.enhancement import EnhanceSettings, enhance_job
    from app.engine.restoration import repaired_file_job, what_was_done

    src = hummed(tmp_path / "noisy.wav")
    report = drive(repaired_file_job(src, tmp_path / "out.wav", Restoration(enhance=EnhanceSettings("tiny-student"))))
    assert report["enhanced_by"] == "tiny-student" and what_was_done(report) == "speech enhanced by tiny-student"
    with open_recording(src) as rec:
        expected = drive(enhance_job(rec, EnhanceSettings("tiny-student"))).audio
    written, _ = sf.read(tmp_path / "out.wav", dtype="float32", always_2d=True)
    np.testing.assert_allclose(written.T, expected, atol=1e-4)                   # every channel, as `enhance` does
    assert "speech enhanced by tiny-student" in read_tags(tmp_path / "out.wav")["comment"]


def test_the_gate_and_an_enhancer_are_not_both_taken(tiny_student_card):
    from app.engine.enhancement import EnhanceSettings
    from app.engine.noise_reduction import NoiseSettings

    with pytest.raises(ConfigError, match="not both"):
        Restoration(noise=NoiseSettings(reduction_db=6.0), enhance=EnhanceSettings("tiny-student"))


def test_a_preview_hears_the_enhancer_as_the_copy_would(tiny_student_card, damaged):
    from app.engine.enhancement import EnhanceSettings, enhance_array_job
    from app.engine.restoration import preview_job

    source = ArraySource(damaged, RATE, "damaged.wav")
    chosen = Restoration(enhance=EnhanceSettings("tiny-student"))
    kept = drive(preview_job(source, chosen, 1, (0.5, 1.0)))
    whole = drive(enhance_array_job(damaged[1:2, :3 * RATE], RATE, EnhanceSettings("tiny-student"))).audio[0]
    np.testing.assert_allclose(kept, whole[8_000:16_000], atol=1e-3)     # 2 s of context either side: the same


def test_repair_from_a_terminal_takes_the_noise_out_with_an_enhancer_when_asked(tmp_path, tiny_student_card, capsys):
    from app.cli import main

    src = hummed(tmp_path / "noisy.wav")
    assert main(["repair", str(src), "--out", str(tmp_path / "out"), "--declick", "--enhance", "tiny-student"]) == 0
    assert "noisy.wav (0 clicks redrawn; speech enhanced by tiny-student)" in capsys.readouterr().err
    assert main(["repair", str(src), "--out", str(tmp_path / "out2"), "--enhance", "--reduce-noise", "6"]) == 1
    assert "not both" in capsys.readouterr().err


def test_a_copy_can_be_written_as_flac_with_its_redrawn_peaks_limited(tmp_path, damaged):
    from app.engine.export import AudioFormat, ExportSettings, SampleFormat
    from app.engine.restoration import repaired_file_job

    src = tmp_path / "damaged.wav"
    sf.write(src, damaged.T, RATE, subtype="PCM_16")
    flac = ExportSettings(AudioFormat.FLAC, SampleFormat.PCM_24)
    report = drive(repaired_file_job(src, tmp_path / "out.flac", Restoration(declip=True), export=flac))
    assert report["redrawn"] == {"clipped runs": 50}
    assert sf.info(tmp_path / "out.flac").subtype == "PCM_24" and any("limit" in note for note in report["notes"])
    assert np.abs(sf.read(tmp_path / "out.flac")[0]).max() <= 1.0


def test_repair_from_a_terminal_writes_the_format_named(tmp_path, damaged, capsys):
    from app.cli import main

    sf.write(tmp_path / "damaged.wav", damaged.T, RATE, subtype="PCM_16")
    assert main(["repair", str(tmp_path / "damaged.wav"), "--out", str(tmp_path / "out"), "--format", "flac"]) == 0
    assert sf.info(tmp_path / "out" / "damaged.flac").subtype == "PCM_24"
    assert main(["repair", str(tmp_path / "damaged.wav"), "--out", str(tmp_path / "out2"), "--format", "flac",
                 "--sample-format", "FLOAT"]) == 1
    assert "FLAC cannot store float samples" in capsys.readouterr().err and not (tmp_path / "out2").exists()
