from __future__ import annotations

import numpy as np
import pytest

from models.data.arrays import FIXED_MICS, ArrayKind, make_array, mic_counts


@pytest.mark.parametrize("kind", list(ArrayKind))
def test_each_array_kind_builds_every_mic_count_it_allows(kind):
    rng = np.random.default_rng(0)
    for mics in mic_counts(kind, (1, 8)):
        array = make_array(kind, mics, 0.1, rng)
        assert array.positions.shape == (3, mics)
        assert array.aperture_m < 0.35


@pytest.mark.parametrize("aperture_m", [0.02, 0.3])
def test_free_form_arrays_have_the_requested_aperture(aperture_m):
    rng = np.random.default_rng(1)
    for kind in (ArrayKind.LINEAR, ArrayKind.CIRCULAR, ArrayKind.RANDOM):
        assert make_array(kind, 6, aperture_m, rng).aperture_m == pytest.approx(aperture_m, rel=1e-6)


def test_standard_devices_have_their_fixed_mic_counts():
    assert FIXED_MICS[ArrayKind.RESPEAKER_4] == (4,) and FIXED_MICS[ArrayKind.UMA_8] == (7,)
    with pytest.raises(ValueError, match="cannot have 5 mics"):
        make_array(ArrayKind.RESPEAKER_6, 5, 0.1, np.random.default_rng(0))
