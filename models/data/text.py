"""Sentences for the synthetic speech corpus, generated from small grammars (English, plus
Spanish, French, Italian and Portuguese for the non-English Kokoro packs).

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


# Other languages for the non-English Kokoro packs, which sound heavily accented in English
# (DATA-SOURCES.md): noun phrases carry their own articles, so no agreement rules are needed.
_OTHER = {
    "es": {
        "subjects": (
            "el viejo granjero",
            "mi vecina",
            "una doctora joven",
            "el conductor",
            "nuestro profesor",
            "la niña",
            "su hermano",
            "el panadero",
            "la capitana",
            "el jardinero",
            "toda la familia",
        ),
        "verbs": ("pintó", "encontró", "arregló", "abrió", "compró", "limpió", "movió", "vendió", "guardó", "midió"),
        "objects": (
            "la caja roja",
            "una escalera vieja",
            "la ventana rota",
            "un cesto pesado",
            "la carta azul",
            "una botella vacía",
            "la mesa de madera",
            "el reloj dorado",
            "la bicicleta verde",
        ),
        "places": (
            "cerca de la estación",
            "detrás del granero",
            "en el mercado",
            "en la cocina",
            "junto al río",
            "en el jardín",
            "en la biblioteca",
            "al lado del lago",
        ),
        "times": ("ayer", "esta mañana", "el invierno pasado", "antes de la cena", "el domingo", "a mediodía"),
    },
    "fr-fr": {
        "subjects": (
            "le vieux fermier",
            "ma voisine",
            "une jeune médecin",
            "le chauffeur",
            "notre professeur",
            "la petite fille",
            "son frère",
            "le boulanger",
            "la capitaine",
            "le jardinier",
            "toute la famille",
        ),
        "verbs": (
            "a peint",
            "a trouvé",
            "a réparé",
            "a ouvert",
            "a acheté",
            "a nettoyé",
            "a déplacé",
            "a vendu",
            "a caché",
            "a mesuré",
        ),
        "objects": (
            "la boîte rouge",
            "une vieille échelle",
            "la fenêtre cassée",
            "un panier lourd",
            "la lettre bleue",
            "une bouteille vide",
            "la table en bois",
            "l'horloge dorée",
            "le vélo vert",
        ),
        "places": (
            "près de la gare",
            "derrière la grange",
            "au marché",
            "dans la cuisine",
            "au bord de la rivière",
            "dans le jardin",
            "à la bibliothèque",
            "à côté du lac",
        ),
        "times": ("hier", "ce matin", "l'hiver dernier", "avant le dîner", "dimanche", "à midi"),
    },
    "it": {
        "subjects": (
            "il vecchio contadino",
            "la mia vicina",
            "una giovane dottoressa",
            "l'autista",
            "il nostro maestro",
            "la bambina",
            "suo fratello",
            "il fornaio",
            "la capitana",
            "il giardiniere",
            "tutta la famiglia",
        ),
        "verbs": (
            "ha dipinto",
            "ha trovato",
            "ha riparato",
            "ha aperto",
            "ha comprato",
            "ha pulito",
            "ha spostato",
            "ha venduto",
            "ha nascosto",
            "ha misurato",
        ),
        "objects": (
            "la scatola rossa",
            "una vecchia scala",
            "la finestra rotta",
            "un cesto pesante",
            "la lettera blu",
            "una bottiglia vuota",
            "il tavolo di legno",
            "l'orologio dorato",
            "la bicicletta verde",
        ),
        "places": (
            "vicino alla stazione",
            "dietro il fienile",
            "al mercato",
            "in cucina",
            "lungo il fiume",
            "nel giardino",
            "in biblioteca",
            "accanto al lago",
        ),
        "times": ("ieri", "stamattina", "l'inverno scorso", "prima di cena", "domenica", "a mezzogiorno"),
    },
    "pt-br": {
        "subjects": (
            "o velho fazendeiro",
            "minha vizinha",
            "uma médica jovem",
            "o motorista",
            "nosso professor",
            "a menina",
            "seu irmão",
            "o padeiro",
            "a capitã",
            "o jardineiro",
            "a família inteira",
        ),
        "verbs": (
            "pintou",
            "encontrou",
            "consertou",
            "abriu",
            "comprou",
            "limpou",
            "mudou",
            "vendeu",
            "escondeu",
            "mediu",
        ),
        "objects": (
            "a caixa vermelha",
            "uma escada velha",
            "a janela quebrada",
            "um cesto pesado",
            "a carta azul",
            "uma garrafa vazia",
            "a mesa de madeira",
            "o relógio dourado",
            "a bicicleta verde",
        ),
        "places": (
            "perto da estação",
            "atrás do celeiro",
            "no mercado",
            "na cozinha",
            "na beira do rio",
            "no jardim",
            "na biblioteca",
            "ao lado do lago",
        ),
        "times": ("ontem", "hoje de manhã", "no inverno passado", "antes do jantar", "no domingo", "ao meio-dia"),
    },
}
LANGUAGES = ("en-us", "en-gb", *_OTHER)


def _pick(rng: np.random.Generator, options: tuple[str, ...]) -> str:
    return options[rng.integers(len(options))]


def sentence(rng: np.random.Generator, language: str = "en-us") -> str:
    """One sentence of 5-20 words in `language` (an espeak code of `LANGUAGES`)."""
    if not language.startswith("en"):
        return _other_sentence(rng, _OTHER[language])
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


def _other_sentence(rng: np.random.Generator, words: dict[str, tuple[str, ...]]) -> str:
    subj, verb, obj = _pick(rng, words["subjects"]), _pick(rng, words["verbs"]), _pick(rng, words["objects"])
    place, time = _pick(rng, words["places"]), _pick(rng, words["times"])
    text = f"{time}, {subj} {verb} {obj} {place}." if rng.random() < 0.5 else f"{subj} {verb} {obj} {place} {time}."
    return text[0].upper() + text[1:]


def passage(rng: np.random.Generator, sentences: tuple[int, int] = (1, 3), language: str = "en-us") -> str:
    """`sentences` (inclusive range) sentences in `language` joined into one utterance text."""
    count = int(rng.integers(sentences[0], sentences[1] + 1))
    return " ".join(sentence(rng, language) for _ in range(count))
