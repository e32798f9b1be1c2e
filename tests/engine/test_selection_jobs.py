"""Processing a selection: only the span is separated, corrected or enhanced, on the recording's time axis."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from app.engine.correction import CorrectSettings
from app.engine.documents import Session, Version, VersionKind, load_session, save_session
from app.engine.enhancement import EnhanceSettings
from app.engine.errors import ConfigError
from app.engine.files import ArraySource, Span, open_recording
from app.engine.jobs import drive
from app.engine.separation import OutputRate, SeparateSettings
from app.engine.workflow import (
    correct_versions_job,
    enhance_versions_job,
    separate_versions_job,
    version_span,
)
from models.enhancers.base import torch_threads
from models.inference.chunked import ChunkConfig

SPAN = (1.0, 2.5)


@pytest.fixture(autouse=True)
def one_thread():
    with torch_threads(1):
        yield


def _recording(path, rate: int, seconds: float = 4.0):
    rng = np.random.default_rng(0)
    sf.write(path, (0.2 * rng.standard_normal((int(seconds * rate), 2))).astype(np.float32), rate)
    return path


def _settings(**kw):
    return SeparateSettings(model="tiny-separator", chunk=ChunkConfig(seconds=1.0), **kw)


def test_a_span_reads_only_its_frames():
    source = ArraySource(np.arange(20, dtype=np.float32).reshape(2, 10), 16_000)
    span = Span(source, 3, 8)
    assert span.frames == 5 and span.channels == 2
    np.testing.assert_array_equal(span.read(-2, 99, [1]), [[13, 14, 15, 16, 17]])


@pytest.mark.parametrize(("rate", "output_rate"), [(16_000, OutputRate.INPUT), (48_000, OutputRate.INPUT),
                                                   (48_000, OutputRate.MODEL)])
def test_separating_a_selection_separates_only_it_on_the_recordings_time_axis(tmp_path, tiny_separator_card,
                                                                             rate, output_rate):
    path = _recording(tmp_path / "long.wav", rate)
    with open_recording(path) as rec:
        whole = drive(separate_versions_job(rec, _settings(output_rate=output_rate)))
        part = drive(separate_versions_job(rec, _settings(output_rate=output_rate), SPAN))
    out_rate = part[0].sample_rate
    start, stop = round(SPAN[0] * out_rate), round(SPAN[1] * out_rate)
    for version, full in zip(part, whole, strict=True):
        assert version.audio.shape == full.audio.shape
        assert not version.audio[:start].any() and not version.audio[stop + 1:].any()
        assert np.abs(version.audio[start:stop]).max() > 0
        assert version.name.endswith(" · 1.00–2.50 s") and version.settings["span_seconds"] == [1.0, 2.5]


def test_a_selection_is_separated_as_that_stretch_cut_out_would_be(tmp_path, tiny_separator_card):
    path = _recording(tmp_path / "long.wav", 16_000)
    audio, rate = sf.read(path, dtype="float32")
    sf.write(tmp_path / "cut.wav", audio[16_000:40_000], rate)
    with open_recording(path) as rec:
        part = drive(separate_versions_job(rec, _settings(), SPAN))
    with open_recording(tmp_path / "cut.wav") as cut:
        alone = drive(separate_versions_job(cut, _settings()))
    for version, expected in zip(part, alone, strict=True):
        np.testing.assert_allclose(version.audio[16_000:40_000], expected.audio, atol=1e-5)


def test_correcting_versions_made_from_a_selection_corrects_that_span_alone(tmp_path, tiny_separator_card,
                                                                           tiny_meco_card):
    with open_recording(_recording(tmp_path / "long.wav", 16_000)) as rec:
        separated = drive(separate_versions_job(rec, _settings(), SPAN))
        span = version_span(separated)
        corrected = drive(correct_versions_job(separated, rec, CorrectSettings(model="tiny-meco",
                                                                               chunk=ChunkConfig(seconds=1.0)), span))
    assert span == SPAN
    for version in corrected:
        assert version.audio.shape == (rec.frames,)
        assert not version.audio[:16_000].any() and not version.audio[40_001:].any()
        assert np.abs(version.audio[16_000:40_000]).max() > 0
        assert version.settings["span_seconds"] == [1.0, 2.5]


def test_enhancing_a_selection_keeps_the_rest_silent(tiny_student_card):
    rng = np.random.default_rng(1)
    versions = [Version("Separated · talker 1", 0, VersionKind.SEPARATED,
                        (0.1 * rng.standard_normal(64_000)).astype(np.float32), 16_000, "m", {})]
    (enhanced,) = drive(enhance_versions_job(versions, EnhanceSettings(model="tiny-student"), SPAN))
    assert enhanced.audio.shape == (64_000,) and enhanced.sample_rate == 16_000
    assert not enhanced.audio[:16_000].any() and not enhanced.audio[40_000:].any()
    assert np.abs(enhanced.audio[16_000:40_000]).max() > 0


def test_a_selection_too_short_to_process_is_refused_with_the_way_out(tmp_path, tiny_separator_card):
    with open_recording(_recording(tmp_path / "long.wav", 16_000)) as rec:
        with pytest.raises(ConfigError, match=r"long.wav: 1.00–1.20 s leaves 0.20 s of its 4.00 s to process"):
            drive(separate_versions_job(rec, _settings(), (1.0, 1.2)))


def test_versions_share_a_span_only_when_all_were_made_over_it():
    def version(span):
        return Version("v", 0, VersionKind.SEPARATED, np.zeros(10, np.float32), 16_000, "m",
                       {} if span is None else {"span_seconds": list(span)})

    assert version_span([version(SPAN), version(SPAN)]) == SPAN
    assert version_span([version(SPAN), version(None)]) is None
    assert version_span([version(None)]) is None


def test_a_saved_session_keeps_the_span_its_versions_were_made_over(tmp_path, tiny_separator_card):
    path = _recording(tmp_path / "long.wav", 16_000)
    session = Session(path)
    with open_recording(path) as rec:
        session.add(drive(separate_versions_job(rec, _settings(), SPAN)))
    save_session(session, tmp_path / "trial.mecosession")
    loaded = load_session(tmp_path / "trial.mecosession")
    assert version_span(loaded.versions) == SPAN
    assert [v.name for v in loaded.versions] == [v.name for v in session.versions]
