"""A session's report: every version with what made it, the cards' hashes, the metrics, the software."""

from __future__ import annotations

import json

import numpy as np
import soundfile as sf

from app.cli import main
from app.engine.documents import Session, Version, VersionKind, save_session
from app.engine.files import open_recording
from app.engine.labels import Label
from app.engine.report import session_report
from app.engine.workflow import MetricsRow


def _session(tmp_path, tiny_separator_card) -> Session:
    recording = tmp_path / "meeting.wav"
    sf.write(recording, np.zeros((16_000, 4), np.float32), 16_000)
    session = Session(recording)
    settings = {"method": "model", "reference_channel": 1, "channels": [0, 1, 2], "span_seconds": [0.2, 0.8]}
    session.add([Version(f"Separated · talker {k + 1}", k, VersionKind.SEPARATED, np.zeros(16_000, np.float32),
                         16_000, "tiny-separator", settings) for k in range(2)])
    session.add([Version("odd | name", 0, VersionKind.IMPORTED, np.zeros(16_000, np.float32), 16_000, "x.wav", {})])
    session.set_reference(0, tmp_path / "clean1.wav")
    session.add_label(Label(0.1, 0.5, "hello"))
    return session


def test_the_report_names_each_version_its_settings_and_the_card_that_made_it(tmp_path, tiny_separator_card):
    session = _session(tmp_path, tiny_separator_card)
    with open_recording(session.recording_path) as rec:
        rows = [MetricsRow("", "Mixture · talker 1", {"si_sdr": 1.5}), MetricsRow("v", "Separated · talker 1",
                                                                                   {"si_sdr": 4.25}, "tiny-separator")]
        text = session_report(session.snapshot(), rec.info, metrics=rows, metrics_scope="over the whole recording")
    card = json.loads(tiny_separator_card.read_text())
    assert "4 channel(s), 16000 Hz, 1.000 s" in text
    assert "| Separated · talker 1 | 1 | separated | tiny-separator |" in text
    assert "reference channel 2; channels 1,2,3; span seconds 0.20–0.80 s" in text
    assert f"`{card['weights']['sha256']}`" in text                       # the card that made the numbers
    assert "odd \\| name" in text                                        # a name cannot break the table
    assert "- talker 1: `" in text and "1 label(s)" in text
    assert "| Separated · talker 1 | 4.2500 |" in text and "At 16 kHz, over the whole recording" in text
    assert "| torch |" in text and "| MeCo Studio |" in text
    assert "## Notes" not in text                                        # none written, no section


def _report_of_mended(tmp_path, card, settings: dict) -> str:
    """The report of a session holding one version with these recorded settings (its mends)."""
    session = _session(tmp_path, card)
    session.add([Version("Mended · talker 1", 0, VersionKind.SEPARATED, np.zeros(16_000, np.float32), 16_000, "x",
                         settings)])
    with open_recording(session.recording_path) as rec:
        return session_report(session.snapshot(), rec.info)


def test_the_report_lists_the_mends_made_to_a_version(tmp_path, tiny_separator_card):
    mends = {"swapped_seconds": [[1.0, 2.0]], "silenced_seconds": [[3.0, 3.5]], "blend": -20.0,
             "attenuated": [{"seconds": [0.5, 1.5], "hz": [45, 55], "db": "removed"},
                            {"seconds": [2.0, 2.5], "hz": [1000, 3000], "db": -30.0}]}
    text = _report_of_mended(tmp_path, tiny_separator_card, mends)
    assert ("swapped seconds 1.00–2.00 s; silenced seconds 3.00–3.50 s; attenuated 45–55 Hz removed over "
            "0.50–1.50 s; 1000–3000 Hz -30 dB over 2.00–2.50 s; blend with the mixture at -20 dB") in text


def test_the_reports_notes_are_the_sessions_own_words_near_the_top(tmp_path, tiny_separator_card):
    session = _session(tmp_path, tiny_separator_card)
    session.set_notes("Two talkers at a table; **MeCo** sounds better at 3 s.")
    with open_recording(session.recording_path) as rec:
        text = session_report(session.snapshot(), rec.info)
    assert "## Notes\n\nTwo talkers at a table; **MeCo** sounds better at 3 s." in text
    assert text.index("## Notes") < text.index("## Versions")


def test_the_report_command_writes_a_saved_sessions_report_and_keeps_an_existing_file(tmp_path, tiny_separator_card,
                                                                                  capsys):
    saved = save_session(_session(tmp_path, tiny_separator_card), tmp_path / "meeting")
    out = tmp_path / "report.md"
    assert main(["report", str(saved), "--out", str(out)]) == 0
    assert out.read_text().startswith("# MeCo Studio session report") and f"Session: `{saved}`" in out.read_text()
    out.write_text("mine")
    assert main(["report", str(saved), "--out", str(out)]) == 1
    assert out.read_text() == "mine" and "add --overwrite" in capsys.readouterr().err


def test_the_report_gives_each_talkers_talk_time_turns_and_the_overlap(tmp_path, tiny_separator_card):
    session = _session(tmp_path, tiny_separator_card)
    session.add_labels([Label(0.0, 0.4, "talker 1"), Label(0.3, 0.6, "talker 2")], "activity")
    with open_recording(session.recording_path) as rec:
        text = session_report(session.snapshot(), rec.info)
    assert "| Label | Turns | Total | Share | Mean turn | Longest turn |" in text
    assert "| talker 1 | 1 | 0.400 s | 40.0 % | 0.400 s | 0.400 s |" in text
    assert "| Two or more at once | 1 | 0.400 s | 40.0 % |" in text     # "hello" (0.1-0.5) overlaps both talkers


def test_the_report_says_how_a_version_was_faded_aligned_and_dehummed(tmp_path, tiny_separator_card):
    mends = {"faded_in_seconds": [[0.0, 0.5]], "aligned": {"shift_ms": -32.0, "polarity_flipped": True,
                                                          "gcc_phat_peak": 0.8},
             "hum_removed": {"hz": 60.0, "lines": 8, "prominence_db": 14.2}}
    text = _report_of_mended(tmp_path, tiny_separator_card, mends)
    assert ("faded in seconds 0.00–0.50 s; aligned moved 32 ms earlier, polarity flipped; "
            "hum removed 60 Hz and 7 harmonics") in text


def test_the_report_says_how_far_and_by_what_profile_the_noise_was_reduced(tmp_path, tiny_separator_card):
    runs = [{"reduction_db": 12.0, "sensitivity_db": 6.0, "smoothing_bins": 3, "profile": [1.0, 2.0],
             "seconds": "whole"},
            {"reduction_db": 6.0, "sensitivity_db": 9.0, "smoothing_bins": 3, "profile": "quietest tenth",
             "seconds": [3.0, 4.5]},
            {"reduction_db": 10.0, "sensitivity_db": 6.0, "smoothing_bins": 3, "profile": "tracked over time",
             "seconds": "whole"}]
    text = _report_of_mended(tmp_path, tiny_separator_card, {"noise_reduced": runs})
    assert ("noise reduced 12 dB down (sensitivity 6 dB, noise learnt from 1.00–2.00 s); 6 dB down (sensitivity "
            "9 dB, noise from the quietest tenth) over 3.00–4.50 s; 10 dB down (sensitivity 6 dB, noise tracked over "
            "time)") in text
