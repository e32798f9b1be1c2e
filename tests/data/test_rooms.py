from __future__ import annotations

import numpy as np
import pytest

from models.data.arrays import ArrayKind, make_array
from models.data.rooms import (
    RoomConfig,
    RoomLayout,
    early_part,
    measure_rt60,
    sample_layout,
    shortest_rt60_s,
    simulate_rirs,
)

SAMPLE_RATE = 16000


@pytest.mark.parametrize("rt60_s", [0.3, 0.5])
def test_generated_room_has_the_requested_rt60_within_20_percent(rt60_s):
    config = RoomConfig(rt60_s=(rt60_s, rt60_s))
    layout = RoomLayout((5.0, 4.0, 3.0), rt60_s, np.array([[2.5], [2.0], [1.2]]), np.array([[1.2], [1.5], [1.5]]))
    rir = simulate_rirs(layout, config, SAMPLE_RATE, seed=0)[0, 0]
    assert measure_rt60(rir, SAMPLE_RATE) == pytest.approx(rt60_s, rel=0.2)


def test_long_rooms_use_the_hybrid_simulator_and_keep_their_decay():
    config = RoomConfig(full_ism_order_max=10, rays=1000)
    layout = RoomLayout((6.0, 5.0, 3.0), 0.6, np.array([[3.0], [2.0], [1.2]]), np.array([[1.2], [1.5], [1.5]]))
    rir = simulate_rirs(layout, config, SAMPLE_RATE, seed=0)[0, 0]
    assert measure_rt60(rir, SAMPLE_RATE) == pytest.approx(0.6, rel=0.25)


def test_simulation_is_deterministic_in_its_seed():
    layout = RoomLayout((4.0, 3.5, 2.6), 0.3, np.array([[2.0], [2.0], [1.2]]), np.array([[1.0], [1.0], [1.5]]))
    a = simulate_rirs(layout, RoomConfig(), SAMPLE_RATE, seed=5)
    np.testing.assert_array_equal(a, simulate_rirs(layout, RoomConfig(), SAMPLE_RATE, seed=5))


def test_layout_keeps_everything_inside_the_walls():
    rng = np.random.default_rng(0)
    config = RoomConfig()
    for _ in range(20):
        array = make_array(ArrayKind.LINEAR, 4, 0.3, rng)
        layout = sample_layout(config, array, 4, rng)
        size = np.array(layout.size_m)[:, None]
        for points in (layout.mics_m, layout.sources_m):
            assert np.all(points > 0) and np.all(points < size)


def test_early_part_keeps_the_rir_up_to_direct_path_plus_early_ms_then_fades_to_zero():
    rir = np.zeros(4000, np.float32)
    rir[100] = 1.0
    rir[100:] += 0.01
    early = early_part(rir, SAMPLE_RATE, early_ms=50.0, fade_ms=5.0)
    end = 100 + 800
    np.testing.assert_array_equal(early[:end], rir[:end])
    assert np.all(early[end + 80 :] == 0) and np.all(np.diff(early[end : end + 80]) <= 0)


def test_a_short_rt60_in_a_large_room_gives_a_feasible_room_instead_of_failing():
    config = RoomConfig(rt60_s=(0.1, 0.1), size_min_m=(9.0, 7.0, 3.0), size_max_m=(10.0, 8.0, 3.5))
    rng = np.random.default_rng(0)
    layout = sample_layout(config, make_array(ArrayKind.LINEAR, 2, 0.1, rng), 1, rng)
    assert layout.rt60_s == pytest.approx(shortest_rt60_s(np.array(layout.size_m)))
    rir = simulate_rirs(layout, RoomConfig(full_ism_order_max=10, rays=500), SAMPLE_RATE, seed=0)
    assert np.all(np.isfinite(rir)) and np.abs(rir).max() > 0
