"""English sentences for the synthetic speech corpus, generated from a small grammar.

Generated rather than copied so that no text licence applies; phonetic variety comes from a
vocabulary of everyday words and several clause patterns (statements, questions, lists).
"""

from __future__ import annotations

import numpy as np

_SUBJECTS = (
    "the old farmer",
    "my neighbour",
    "a young doctor",
    "the tired driver",
    "our teacher",
    "the small child",
    "her brother",
    "the baker",
    "a quiet student",
    "the captain",
    "his grandmother",
    "the new manager",
    "a friendly nurse",
    "the musician",
    "the engineer",
    "my cousin",
    "the pilot",
    "a stranger",
    "the gardener",
    "the reporter",
    "everyone in the office",
    "the whole family",
    "two boys",
    "the waiter",
    "the lawyer",
)
_VERBS = (
    "carried",
    "painted",
    "found",
    "repaired",
    "opened",
    "bought",
    "cleaned",
    "moved",
    "borrowed",
    "counted",
    "described",
    "packed",
    "watched",
    "ordered",
    "lifted",
    "washed",
    "delivered",
    "dropped",
    "checked",
    "sold",
    "measured",
    "hid",
    "wrapped",
    "cooked",
    "fixed",
    "returned",
    "collected",
    "pushed",
    "covered",
    "tested",
)
_ADJECTIVES = (
    "red",
    "heavy",
    "broken",
    "shiny",
    "wooden",
    "narrow",
    "bright",
    "dusty",
    "tiny",
    "enormous",
    "green",
    "warm",
    "cold",
    "quiet",
    "ancient",
    "plastic",
    "golden",
    "soft",
    "sharp",
    "round",
    "yellow",
    "smooth",
    "crooked",
    "fresh",
    "empty",
    "silver",
    "purple",
    "fragile",
    "muddy",
    "strange",
)
_OBJECTS = (
    "box",
    "ladder",
    "window",
    "bicycle",
    "basket",
    "letter",
    "bottle",
    "table",
    "blanket",
    "lamp",
    "map",
    "kettle",
    "guitar",
    "fence",
    "boat",
    "chair",
    "bucket",
    "clock",
    "jacket",
    "camera",
    "plate",
    "rope",
    "candle",
    "mirror",
    "suitcase",
    "umbrella",
    "drawer",
    "wheel",
    "violin",
    "parcel",
    "notebook",
    "carpet",
    "barrel",
    "helmet",
)
_PLACES = (
    "near the station",
    "behind the barn",
    "at the market",
    "in the kitchen",
    "across the river",
    "under the bridge",
    "beside the lake",
    "on the roof",
    "in the garden",
    "by the harbour",
    "at the corner shop",
    "in the library",
    "down the hill",
    "outside the school",
    "along the beach",
    "inside the hall",
)
_TIMES = (
    "yesterday",
    "this morning",
    "last winter",
    "before dinner",
    "on Sunday",
    "after the storm",
    "at noon",
    "late at night",
    "every Friday",
    "three weeks ago",
    "in the spring",
    "just before sunrise",
)
_REASONS = (
    "because it was raining",
    "so that nobody would notice",
    "although it was far too late",
    "while the dog was barking",
    "since the shop was closed",
    "before the guests arrived",
    "as the sun went down",
    "when the music stopped",
    "because the road was blocked",
)
_NUMBERS = ("two", "three", "four", "five", "seven", "nine", "ten", "twelve", "twenty", "forty")


def _pick(rng: np.random.Generator, options: tuple[str, ...]) -> str:
    return options[rng.integers(len(options))]


def sentence(rng: np.random.Generator) -> str:
    """One sentence, 5-20 words."""
    subj, verb, adj, obj = _pick(rng, _SUBJECTS), _pick(rng, _VERBS), _pick(rng, _ADJECTIVES), _pick(rng, _OBJECTS)
    form = rng.integers(6)
    if form == 0:
        text = f"{subj} {verb} the {adj} {obj} {_pick(rng, _PLACES)} {_pick(rng, _TIMES)}."
    elif form == 1:
        text = f"{_pick(rng, _TIMES)}, {subj} {verb} a {adj} {obj} {_pick(rng, _REASONS)}."
    elif form == 2:
        text = f"Why has {subj} {verb} the {obj} {_pick(rng, _PLACES)}?"
    elif form == 3:
        text = (
            f"{subj} {verb} {_pick(rng, _NUMBERS)} {adj} {obj}s and a {_pick(rng, _ADJECTIVES)} {_pick(rng, _OBJECTS)}."
        )
    elif form == 4:
        text = f"Did {subj} really say that the {obj} was {adj}?"
    else:
        text = f"The {adj} {obj} that {subj} {verb} is still {_pick(rng, _PLACES)}."
    return text[0].upper() + text[1:]


def passage(rng: np.random.Generator, sentences: tuple[int, int] = (1, 3)) -> str:
    """`sentences` (inclusive range) sentences joined into one utterance text."""
    return " ".join(sentence(rng) for _ in range(int(rng.integers(sentences[0], sentences[1] + 1))))
