"""Fuzzing: mutated headers and bytes of valid files must fail only with AudioFileError.

Four formats x 300 mutants = 1200 files, derandomised so CI sees the same mutants every run.
A mutant that crashed libsndfile would take the whole pytest process down, so a green run is
also the proof that none did.
"""

from __future__ import annotations

import io
import tempfile
from pathlib import Path

import pytest
import soundfile as sf
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.engine.errors import AudioFileError
from app.engine.files import open_recording
from tests.engine.bad_files import RATE, tone

FORMATS = {"wav": ("WAV", "PCM_16"), "flac": ("FLAC", "PCM_16"), "ogg": ("OGG", "VORBIS"),
           "mp3": ("MP3", "MPEG_LAYER_III")}
MUTANTS_PER_FORMAT = 300
BLOCK_FRAMES = 4096
MAX_BLOCKS = 16   # a mutated header may claim hours; reading a few blocks exercises the decoder


def _valid_bytes(ext: str) -> bytes:
    fmt, subtype = FORMATS[ext]
    buffer = io.BytesIO()
    sf.write(buffer, tone(seconds=0.3, channels=2), RATE, format=fmt, subtype=subtype)
    return buffer.getvalue()


VALID = {ext: _valid_bytes(ext) for ext in FORMATS}

_mutation = st.one_of(
    st.tuples(st.just("flip"), st.integers(0, 2**31), st.integers(1, 255)),
    st.tuples(st.just("header"), st.integers(0, 63), st.integers(0, 255)),
    st.tuples(st.just("int32"), st.integers(0, 60), st.sampled_from([0, 1, 0x7FFFFFFF, 0xFFFFFFFF, 0x80000000])),
    st.tuples(st.just("truncate"), st.integers(0, 2**31), st.just(0)),
    st.tuples(st.just("insert"), st.integers(0, 2**31), st.integers(0, 255)),
)


def _mutate(data: bytes, mutations: list[tuple[str, int, int]]) -> bytes:
    out = bytearray(data)
    for kind, where, value in mutations:
        if not out:
            break
        pos = where % len(out)
        if kind == "flip":
            out[pos] ^= value
        elif kind == "header":
            out[min(where, len(out) - 1)] = value
        elif kind == "int32" and where + 4 <= len(out):
            out[where:where + 4] = value.to_bytes(4, "little")
        elif kind == "truncate":
            del out[pos:]
        elif kind == "insert":
            out[pos:pos] = bytes([value]) * (1 + value % 7)
    return bytes(out)


def _open_and_read(path: Path) -> None:
    with open_recording(path) as rec:
        for block in range(min(MAX_BLOCKS, -(-rec.frames // BLOCK_FRAMES))):
            rec.read(block * BLOCK_FRAMES, (block + 1) * BLOCK_FRAMES)


@pytest.mark.parametrize("ext", sorted(FORMATS))
def test_mutated_files_raise_only_the_engine_error(ext):
    folder = Path(tempfile.mkdtemp(prefix=f"fuzz-{ext}-"))
    target = folder / f"mutant.{ext}"

    @settings(max_examples=MUTANTS_PER_FORMAT, derandomize=True, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(st.lists(_mutation, min_size=1, max_size=4))
    def check(mutations):
        target.write_bytes(_mutate(VALID[ext], mutations))
        try:
            _open_and_read(target)
        except AudioFileError as err:
            assert target.name in str(err)

    check()
