"""The voice catalogue of the speech corpus: Kokoro stock packs, their blends, classical engines.

Splits are by voice (issue #4 item 1c): whole stock packs are held out for valid and test,
balanced by sex, and never enter a training blend; blends for valid/test mix only held-out
packs of their own split. Classical engines are a minority share so that models do not learn
one vocoder's fingerprint (item 1b).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from models.data.speech import Split


class Engine(StrEnum):
    KOKORO = "kokoro"
    ESPEAK = "espeak"
    FLITE = "flite"
    FESTIVAL = "festival"


@dataclass(frozen=True)
class VoiceSpec:
    voice_id: str
    engine: Engine
    split: Split
    sex: str  # "female" | "male"
    language: str = "en-us"  # espeak/Kokoro phonemiser language
    name: str = ""  # the engine's own voice name
    packs: tuple[str, ...] = ()  # Kokoro: stock packs blended...
    weights: tuple[float, ...] = ()  # ...with these weights (sum 1)
    share: float = 1.0  # relative number of utterances


# The 28 English packs of kokoro-js 1.2.1 (a = US, b = UK; f/m = female/male).
KOKORO_ENGLISH = (
    "af_alloy",
    "af_aoede",
    "af_bella",
    "af_heart",
    "af_jessica",
    "af_kore",
    "af_nicole",
    "af_nova",
    "af_river",
    "af_sarah",
    "af_sky",
    "am_adam",
    "am_echo",
    "am_eric",
    "am_fenrir",
    "am_liam",
    "am_michael",
    "am_onyx",
    "am_puck",
    "am_santa",
    "bf_alice",
    "bf_emma",
    "bf_isabella",
    "bf_lily",
    "bm_daniel",
    "bm_fable",
    "bm_george",
    "bm_lewis",
)
# Non-English packs of kokoro-js 1.2.1 that speak a language of `text.LANGUAGES`, in that language
# (Hindi, Japanese and Chinese packs need other front ends and are not used).
KOKORO_OTHER = {
    "ef_dora": "es",
    "em_alex": "es",
    "em_santa": "es",
    "ff_siwis": "fr-fr",
    "if_sara": "it",
    "im_nicola": "it",
    "pf_dora": "pt-br",
    "pm_alex": "pt-br",
    "pm_santa": "pt-br",
}
KOKORO_PACKS = (*KOKORO_ENGLISH, *KOKORO_OTHER)
HELD_OUT = {
    Split.VALID: ("af_jessica", "am_echo", "bf_lily", "bm_fable"),
    Split.TEST: ("af_kore", "af_sarah", "am_liam", "am_onyx", "bf_isabella", "bm_lewis", "ef_dora", "im_nicola"),
}
BLENDS = {Split.TRAIN: 24, Split.VALID: 2, Split.TEST: 4}  # English blends: 28 + 9 stock + 30 + 2 = 69 Kokoro voices
OTHER_BLENDS = (("em_alex", "em_santa"), ("pm_alex", "pm_santa"))  # same language and sex, training
CLASSICAL_SHARE = 0.6  # per classical voice, against 1.0 per Kokoro voice: ~15 % of utterances

# (engine, name, sex, language, split); espeak names are language+variant.
CLASSICAL = (
    (Engine.FLITE, "kal16", "male", "en-us", Split.TRAIN),
    (Engine.FLITE, "awb", "male", "en-gb", Split.TRAIN),
    (Engine.FLITE, "slt", "female", "en-us", Split.TRAIN),
    (Engine.FLITE, "rms", "male", "en-us", Split.TEST),
    (Engine.FESTIVAL, "kal_diphone", "male", "en-us", Split.TRAIN),
    (Engine.FESTIVAL, "ked_diphone", "male", "en-us", Split.TRAIN),
    (Engine.FESTIVAL, "cmu_us_slt_arctic_hts", "female", "en-us", Split.VALID),
    (Engine.ESPEAK, "en-us+m3", "male", "en-us", Split.TRAIN),
    (Engine.ESPEAK, "en-us+f2", "female", "en-us", Split.TRAIN),
    (Engine.ESPEAK, "en-gb+m5", "male", "en-gb", Split.TRAIN),
    (Engine.ESPEAK, "en-gb-scotland+f4", "female", "en-gb", Split.TRAIN),
    (Engine.ESPEAK, "en-029+m2", "male", "en-us", Split.TRAIN),
    (Engine.ESPEAK, "en-gb-x-rp+f3", "female", "en-gb", Split.TRAIN),
    (Engine.ESPEAK, "en-us-nyc+m7", "male", "en-us", Split.TEST),
    (Engine.ESPEAK, "en-gb+f5", "female", "en-gb", Split.TEST),
)


def pack_sex(pack: str) -> str:
    return "female" if pack[1] == "f" else "male"


def pack_language(pack: str) -> str:
    return KOKORO_OTHER.get(pack, "en-gb" if pack[0] == "b" else "en-us")


def pack_split(pack: str) -> Split:
    for split, packs in HELD_OUT.items():
        if pack in packs:
            return split
    return Split.TRAIN


def _blends(split: Split, count: int, seed: int) -> list[VoiceSpec]:
    """`count` blends of 2-3 same-sex English packs of `split`, Dirichlet weights, alternating sex."""
    rng = np.random.default_rng([seed, list(Split).index(split)])
    pool = [p for p in KOKORO_ENGLISH if pack_split(p) == split]
    out = []
    for i in range(count):
        sex = ("female", "male")[i % 2]
        same = [p for p in pool if pack_sex(p) == sex]
        k = int(min(rng.integers(2, 4), len(same)))
        packs = tuple(sorted(str(p) for p in rng.choice(same, size=k, replace=False)))
        weights = tuple(round(float(w), 3) for w in rng.dirichlet(np.full(k, 2.0)))
        weights = (*weights[:-1], round(1.0 - sum(weights[:-1]), 3))
        main = packs[int(np.argmax(weights))]
        out.append(
            VoiceSpec(
                f"kokoro:blend-{split}-{i:02d}",
                Engine.KOKORO,
                split,
                sex,
                pack_language(main),
                packs=packs,
                weights=weights,
            )
        )
    return out


def catalogue(seed: int = 0) -> list[VoiceSpec]:
    """Every corpus voice (>= 60), deterministic in `seed`."""
    voices = [
        VoiceSpec(
            f"kokoro:{p}", Engine.KOKORO, pack_split(p), pack_sex(p), pack_language(p), packs=(p,), weights=(1.0,)
        )
        for p in KOKORO_PACKS
    ]
    for split, count in BLENDS.items():
        voices += _blends(split, count, seed)
    rng = np.random.default_rng([seed, 99])
    for packs in OTHER_BLENDS:
        w = round(float(rng.uniform(0.3, 0.7)), 3)
        voices.append(
            VoiceSpec(
                f"kokoro:blend-{packs[0]}-{packs[1]}",
                Engine.KOKORO,
                Split.TRAIN,
                pack_sex(packs[0]),
                pack_language(packs[0]),
                packs=packs,
                weights=(w, round(1 - w, 3)),
            )
        )
    voices += [
        VoiceSpec(f"{engine}:{name}", engine, split, sex, language, name=name, share=CLASSICAL_SHARE)
        for engine, name, sex, language, split in CLASSICAL
    ]
    return voices
