"""The shipped demo recordings match their manifest (issue #4 item 7)."""

from __future__ import annotations

import json

import soundfile as sf

from models.data.paths import REPO_ROOT

DEMO = REPO_ROOT / "resources" / "demo"


def _records() -> list[dict]:
    return [json.loads(line) for line in (DEMO / "manifest.jsonl").read_text().splitlines() if line.strip()]


def test_demo_manifest_lists_4_6_and_2_channel_two_talker_recordings_first_4():
    records = _records()
    assert [r["channels"] for r in records] == [4, 6, 2]
    assert all(r["talkers"] == 2 and len(r["references"]) == 2 for r in records)


def test_demo_files_have_the_channels_rate_and_length_their_manifest_says():
    for r in _records():
        info = sf.info(str(DEMO / r["mixture"]))
        assert (info.channels, info.samplerate) == (r["channels"], r["sample_rate"])
        assert 10.0 <= info.duration <= 20.0
        for ref in r["references"]:
            ref_info = sf.info(str(DEMO / ref))
            assert ref_info.channels == 1 and ref_info.frames == info.frames


def test_demo_audio_stays_under_3_mb():
    assert sum(p.stat().st_size for p in DEMO.rglob("*") if p.is_file()) < 3_000_000
