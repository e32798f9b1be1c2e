"""Mending versions over spans: two talkers' audio swapped, a span silenced, the gaps between turns."""

from __future__ import annotations

import numpy as np
import pytest

from app.engine.documents import Session, Version, VersionKind, default_name
from app.engine.errors import ConfigError
from app.engine.jobs import drive
from app.engine.version_edits import (
    LEVEL_SUFFIX,
    SILENCED_SUFFIX,
    SWAPPED_SUFFIX,
    outside,
    silence_job,
    silenced_version,
    swap_pair,
    swapped_versions,
)

RATE = 1000


def _version(talker: int, value: float = 0.0, frames: int = 4000, rate: int = RATE, model: str = "tiny",
             kind: VersionKind = VersionKind.SEPARATED, **settings) -> Version:
    return Version(default_name(kind, talker), talker, kind, np.full(frames, value, np.float32), rate, model, settings)


def test_the_swap_exchanges_the_audio_inside_the_span_and_keeps_it_outside():
    first, second = _version(0, 1.0), _version(1, -1.0)
    one, two = swapped_versions(first, second, (1.0, 3.0), fade_seconds=0.01)
    assert (one.audio[:1000] == 1.0).all() and (one.audio[3000:] == 1.0).all()
    assert (one.audio[1010:2990] == -1.0).all() and (two.audio[1010:2990] == 1.0).all()
    assert (two.audio[:1000] == -1.0).all() and (two.audio[3000:] == -1.0).all()


def test_each_join_is_a_linear_crossfade_inside_the_span():
    one, _ = swapped_versions(_version(0, 0.0), _version(1, 1.0), (1.0, 3.0), fade_seconds=0.004)
    np.testing.assert_allclose(one.audio[999:1005], [0.0, 0.2, 0.4, 0.6, 0.8, 1.0], atol=1e-6)
    np.testing.assert_allclose(one.audio[2995:3001], [1.0, 0.8, 0.6, 0.4, 0.2, 0.0], atol=1e-6)


def test_a_span_from_the_start_has_no_fade_in():
    one, _ = swapped_versions(_version(0, 0.0), _version(1, 1.0), (0.0, 1.0), fade_seconds=0.01)
    assert (one.audio[:990] == 1.0).all() and one.audio[999] < 0.1 and (one.audio[1000:] == 0.0).all()


def test_the_swapped_versions_keep_what_made_them_and_record_the_swap():
    first = _version(0, kind=VersionKind.CORRECTED, model="meco", span_seconds=[0.5, 3.5])
    second = _version(1, kind=VersionKind.CORRECTED, model="meco", span_seconds=[0.5, 3.5])
    one, two = swapped_versions(first, second, (1.0, 2.0))
    assert (one.talker, one.kind, one.model, two.talker) == (0, VersionKind.CORRECTED, "meco", 1)
    assert one.name == "MeCo · talker 1" + SWAPPED_SUFFIX
    assert one.settings["span_seconds"] == [0.5, 3.5]            # a correction of the mend keeps to it
    assert (one.settings["swapped_from"], one.settings["swapped_with"]) == (first.id, second.id)
    again, _ = swapped_versions(one, two, (3.0, 3.5))
    assert again.name == one.name and again.settings["swapped_seconds"] == [[1.0, 2.0], [3.0, 3.5]]


def test_versions_of_unequal_length_swap_where_both_have_audio():
    one, two = swapped_versions(_version(0, 1.0, frames=4000), _version(1, -1.0, frames=2500), (2.0, 4.0))
    assert one.audio.shape == (4000,) and two.audio.shape == (2500,)
    assert (one.audio[2010:2490] == -1.0).all() and (one.audio[2500:] == 1.0).all()


def test_a_span_outside_the_audio_is_refused():
    with pytest.raises(ConfigError, match="holds no audio"):
        swapped_versions(_version(0), _version(1), (5.0, 6.0))


def test_the_newest_version_pairs_with_the_other_talkers_made_the_same_way():
    separated = [_version(0), _version(1)]
    corrected = [_version(0, kind=VersionKind.CORRECTED, model="meco"),
                 _version(1, kind=VersionKind.CORRECTED, model="meco")]
    assert swap_pair([*separated, *corrected], []) == tuple(corrected)
    assert swap_pair([*separated, *corrected], [separated[1].id]) == tuple(separated)
    assert swap_pair([*separated, *corrected], [corrected[1].id, separated[0].id]) == (separated[0], corrected[1])


@pytest.mark.parametrize("versions, chosen, problem", [
    ([_version(0), _version(0)], [0, 1], "both talker 1's"),
    ([_version(0), _version(1, rate=2000)], [0, 1], "swap versions made at one rate"),
    ([_version(0), _version(1), _version(2)], [], "several counterparts"),
    ([_version(0), _version(1, model="other")], [], "no counterparts"),
    ([_version(0), _version(1), _version(2)], [0, 1, 2], "3 are selected"),
    ([], [], "no versions to swap"),
])
def test_an_unclear_pair_is_refused_with_what_to_select(versions, chosen, problem):
    with pytest.raises(ConfigError, match=problem):
        swap_pair(versions, [versions[k].id for k in chosen])


def test_a_mend_puts_the_new_versions_in_place_and_hides_the_originals_in_one_undo_step():
    session = Session()
    first, second, other = _version(0), _version(1), _version(0, kind=VersionKind.CORRECTED)
    session.add([first, second, other])
    one, two = swapped_versions(first, second, (1.0, 2.0))
    session.mend([first.id, second.id], [one, two], "swap talkers 1 and 2 over 1.00–2.00 s")
    assert [v.id for v in session.versions] == [first.id, one.id, second.id, two.id, other.id]
    assert [v.hidden for v in session.versions] == [True, False, True, False, False]
    assert session.undo() == "swap talkers 1 and 2 over 1.00–2.00 s"
    assert session.versions == [first, second, other] and not any(v.hidden for v in session.versions)


def test_silencing_a_span_keeps_everything_outside_it_and_fades_inside_its_edges():
    (version,) = [_version(0, 1.0)]
    silenced = silenced_version(version, [(1.0, 2.0)], fade_seconds=0.004)
    audio = silenced.audio
    assert (audio[:1000] == 1.0).all() and (audio[2000:] == 1.0).all() and (audio[1004:1996] == 0.0).all()
    np.testing.assert_allclose(audio[1000:1004], [0.8, 0.6, 0.4, 0.2], atol=1e-6)
    np.testing.assert_allclose(audio[1996:2000], [0.2, 0.4, 0.6, 0.8], atol=1e-6)


def test_a_lower_level_instead_of_silence_and_overlapping_spans_merge():
    lowered = silenced_version(_version(0, 1.0), [(1.0, 2.0), (1.5, 2.5)], gain_db=-20.0, fade_seconds=0.0)
    np.testing.assert_allclose(lowered.audio[1000:2500], 0.1, rtol=1e-5)
    assert lowered.settings["level_seconds"] == [[1.0, 2.5]] and lowered.settings["level_db"] == -20.0
    assert lowered.name.endswith(LEVEL_SUFFIX) and lowered.kind is VersionKind.SEPARATED
    assert "silenced_seconds" not in lowered.settings


def test_silence_is_recorded_as_silence():
    silenced = silenced_version(_version(0, 1.0), [(1.0, 2.0)])
    assert silenced.settings["silenced_seconds"] == [[1.0, 2.0]] and silenced.name.endswith(SILENCED_SUFFIX)


def test_the_gain_of_a_block_inside_a_day_long_span_costs_only_the_block():
    from app.engine.version_edits import span_gain

    day = 86_400 * 48_000
    np.testing.assert_array_equal(span_gain(day // 2, 4, [(0, day)], 0.5, 480, 2 * day), [0.5] * 4)
    np.testing.assert_allclose(span_gain(day - 3, 4, [(0, day)], 0.0, 3, 2 * day), [0.25, 0.5, 0.75, 1.0])


def test_a_span_with_no_audio_of_the_version_is_refused():
    with pytest.raises(ConfigError, match="holds no audio"):
        silenced_version(_version(0), [(9.0, 10.0)])


def test_a_fade_in_ramps_linearly_over_the_span_and_keeps_the_rest():
    from app.engine.version_edits import faded_version

    faded = faded_version(_version(0, 1.0), (1.0, 1.004), rising=True)
    np.testing.assert_allclose(faded.audio[1000:1004], [0.125, 0.375, 0.625, 0.875])
    assert (faded.audio[:1000] == 1.0).all() and (faded.audio[1004:] == 1.0).all()
    assert faded.name.endswith(" · faded in") and faded.settings["faded_in_seconds"] == [[1.0, 1.004]]


def test_a_fade_out_falls_from_full_level_to_silence():
    from app.engine.version_edits import faded_version

    original = _version(0, 0.5)
    faded = faded_version(original, (3.0, 4.0), rising=False)
    np.testing.assert_allclose(faded.audio[[3000, 3999]], [0.5 * (1 - 0.5 / 1000), 0.5 * 0.5 / 1000], atol=1e-7)
    assert (faded.audio[:3000] == 0.5).all() and np.all(np.diff(faded.audio[3000:]) < 0)
    assert faded.settings["mended_from"] == original.id and faded.settings["faded_out_seconds"] == [[3.0, 4.0]]


def test_a_fade_streamed_in_blocks_is_the_fade_of_the_whole():
    from app.engine.version_edits import fade_gain

    whole = fade_gain(0, 1000, 100, 900, rising=True)
    pieces = np.concatenate([fade_gain(start, 128, 100, 900, rising=True) for start in range(0, 1000, 128)])[:1000]
    np.testing.assert_array_equal(pieces, whole)


def test_a_fade_where_the_version_has_no_audio_is_refused():
    from app.engine.version_edits import faded_version

    with pytest.raises(ConfigError, match="holds no audio of .* to fade"):
        faded_version(_version(0), (9.0, 10.0), rising=True)


def test_the_gaps_between_a_talkers_turns_are_what_none_of_its_labels_covers():
    assert outside([(2.0, 3.0), (0.5, 1.0), (2.5, 3.5)], 5.0, margin=0.0) == [(0.0, 0.5), (1.0, 2.0), (3.5, 5.0)]
    assert outside([(0.0, 5.0)], 5.0, margin=0.0) == []


def test_each_turn_keeps_a_quarter_second_either_side_as_a_voice_detectors_hangover_does():
    assert outside([(2.0, 3.0)], 5.0) == [(0.0, 1.75), (3.25, 5.0)]


def test_silencing_several_versions_is_one_job_of_one_version_each():
    versions = [_version(0, 1.0), _version(1, 2.0)]
    mended = drive(silence_job(versions, [[(0.0, 1.0)], [(3.0, 4.0)]]))
    assert [v.talker for v in mended] == [0, 1]
    assert mended[0].audio[500] == 0.0 and mended[1].audio[500] == 2.0 and mended[1].audio[3500] == 0.0
