"""Long audio lives in a deleted file's mapping: reclaimable memory, nothing left on disk, and a
full disk is an error naming it rather than a crash."""

from __future__ import annotations

import errno
import os

import numpy as np
import pytest

from app.engine import scratch
from app.engine.errors import ExportError


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setattr(scratch, "DISK_BACKED_BYTES", 1 << 20)
    return tmp_path / "meco-studio" / "scratch"


def _mapped_deleted_files(folder) -> list[str]:
    with open("/proc/self/maps") as maps:
        return [line for line in maps if str(folder) in line and line.rstrip().endswith("(deleted)")]


def test_small_arrays_stay_in_memory(cache):
    small = scratch.scratch_zeros((2, 1000))
    assert small.shape == (2, 1000) and not small.any() and not _mapped_deleted_files(cache)


def test_long_audio_is_a_deleted_files_mapping_that_leaves_nothing_behind(cache):
    audio = scratch.scratch_zeros((2, 1 << 20))
    audio[1, -1] = 0.5
    assert audio.dtype == np.float32 and audio.sum() == 0.5
    assert len(_mapped_deleted_files(cache)) == 1 and os.listdir(cache) == []
    del audio
    assert not _mapped_deleted_files(cache)


def test_a_full_disk_is_named_and_leaves_no_file(cache, monkeypatch):
    def full(fd, offset, length):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "posix_fallocate", full)
    with pytest.raises(ExportError, match=r"No room for 8 MB of audio in .*scratch: No space left on device"):
        scratch.scratch_zeros((2, 1 << 20))
    assert os.listdir(cache) == []
