"""Chunked overlap-add: exact reconstruction, equivalence to one call, talker order kept."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from models.inference.chunked import ChunkedRunner, best_order, plan_chunks


def _run(model, audio, chunk, overlap, align=False):
    runner = ChunkedRunner(model, chunk, overlap, align=align)
    steps = list(runner.run(audio))
    return runner.result(), steps


@pytest.mark.parametrize(("frames", "chunk", "overlap"), [(10_000, 1000, 250), (999, 1000, 250), (5003, 700, 0)])
def test_chunks_cover_every_frame(frames, chunk, overlap):
    spans = plan_chunks(frames, chunk, overlap)
    covered = np.zeros(frames, bool)
    for s in spans:
        assert 0 <= s.start < s.stop <= frames and s.stop - s.start <= chunk
        covered[s.start:s.stop] = True
    assert covered.all()


def test_identity_model_reconstructs_its_input():
    audio = np.random.default_rng(0).standard_normal((3, 12_345)).astype(np.float32)
    out, steps = _run(lambda x: x, audio, chunk=2000, overlap=500)
    np.testing.assert_allclose(out, audio, atol=1e-6)
    assert steps[-1][0] == steps[-1][1] == len(steps) > 1


def test_one_chunk_covering_the_file_equals_the_unchunked_call():
    torch.manual_seed(0)
    conv = torch.nn.Conv1d(2, 2, 9, padding=4)
    audio = np.random.default_rng(1).standard_normal((2, 4000)).astype(np.float32)
    out, _ = _run(conv, audio, chunk=8000, overlap=1000)
    with torch.no_grad():
        direct = conv(torch.from_numpy(audio)[None])[0].numpy()
    np.testing.assert_allclose(out, direct, atol=1e-6)


def test_talkers_swapped_in_a_chunk_come_back_in_order():
    rng = np.random.default_rng(2)
    talkers = rng.standard_normal((2, 20_000)).astype(np.float32)
    calls = {"n": 0}

    def flaky_separator(mix: torch.Tensor) -> torch.Tensor:
        """Returns the true talkers for the chunk, swapped on every other call."""
        calls["n"] += 1
        start = int(mix[0, 0, 0].item())
        piece = torch.from_numpy(talkers[:, start:start + mix.shape[-1]])[None]
        return piece.flip(1) if calls["n"] % 2 == 0 else piece

    positions = np.arange(20_000, dtype=np.float32)[None]      # the model reads its position from the input
    out, steps = _run(flaky_separator, positions, chunk=4000, overlap=1000, align=True)
    assert len(steps) > 3
    np.testing.assert_allclose(out, talkers, atol=1e-5)


def test_best_order_matches_by_correlation():
    a, b = np.random.default_rng(3).standard_normal((2, 500))
    assert best_order(np.stack([a, b]), np.stack([b, a])) == [1, 0]
    assert best_order(np.stack([a, b]), np.stack([a, b])) == [0, 1]
