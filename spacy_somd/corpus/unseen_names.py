"""Software mentions swapped for other names: names seen in training, or new ones.

Two disjoint ways to make new names, so that training never sees the names of the
evaluation variant's kind: the unseen-names *evaluation* variant builds names from
syllables in the shapes software names take (CamelCase "VarQuant", ALLCAPS "KORVEX",
lowercase with digits "morpha2", hyphenated "Seq-Lumen"); the *training* augmenter
scrambles the letters and digits of a name seen in training ("SPSS" -> "QWRT", "lme4" ->
"xqa7"). Neither equals (case-insensitively) a word of a given vocabulary.
"""

import random
from typing import Collection, Dict, Iterable, List, Mapping, Sequence, Tuple

from spacy_somd.corpus.format import Sentence, bio_to_spans
from spacy_somd.corpus.retokenization import Edit, apply_edits
from spacy_somd.labels import SOFTWARE_TYPES

SYLLABLES = (
    "var",
    "quant",
    "kor",
    "vex",
    "mor",
    "pha",
    "seq",
    "lu",
    "men",
    "gen",
    "o",
    "trix",
    "bio",
    "stat",
    "plex",
    "ana",
    "lyz",
    "cel",
    "tra",
    "cko",
    "neu",
    "ro",
    "vis",
    "ta",
    "phy",
    "lo",
    "map",
    "per",
    "zy",
    "mo",
    "dex",
    "sim",
    "ula",
    "tor",
    "flu",
    "xo",
    "cyt",
    "ara",
    "bel",
    "dyn",
)
SHAPES = ("camel", "caps", "digits", "hyphen")


def syllable_word(rng: random.Random, low: int = 2, high: int = 3) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(low, high)))


def generate_name(rng: random.Random) -> str:
    """One software-like name in a shape drawn from :data:`SHAPES`."""
    shape = rng.choice(SHAPES)
    if shape == "camel":
        return syllable_word(rng, 1, 1).capitalize() + syllable_word(rng, 1, 2).capitalize()
    if shape == "caps":
        return syllable_word(rng, 1, 2).upper()
    if shape == "digits":
        return syllable_word(rng) + str(rng.randint(2, 99))
    return f"{syllable_word(rng, 1, 2).capitalize()}-{syllable_word(rng, 1, 2).capitalize()}"


def unseen_name(rng: random.Random, seen: Collection[str]) -> str:
    """A generated name that is not in ``seen`` (lower-cased words)."""
    while True:
        name = generate_name(rng)
        if name.lower() not in seen:
            return name


def software_mentions(sentence: Sentence) -> List[Tuple[int, int, str]]:
    """(start, end, type) of the sentence's software mentions."""
    return [span for span in bio_to_spans(sentence.labels or []) if span[2] in SOFTWARE_TYPES]


def replace_mentions(sentence: Sentence, names: Mapping[Tuple[int, int], Sequence[str]]) -> Sentence:
    """The sentence with the mentions at (start, end) replaced by the given words."""
    return apply_edits(sentence, [Edit(start, end, list(words)) for (start, end), words in names.items()])


def unseen_names_variant(sentences: Iterable[Sentence], vocabulary: Collection[str], seed: int) -> List[Sentence]:
    """The sentences with every software mention replaced by a generated name that is not
    in ``vocabulary`` (lower-cased words): the same mention text gets the same name."""
    rng = random.Random(seed)
    chosen: Dict[str, str] = {}
    taken = set(vocabulary)
    variants = []
    for sentence in sentences:
        names = {}
        for start, end, _ in software_mentions(sentence):
            text = " ".join(sentence.words[start:end])
            if text not in chosen:
                chosen[text] = unseen_name(rng, taken)
                taken.add(chosen[text].lower())
            names[(start, end)] = [chosen[text]]
        variants.append(replace_mentions(sentence, names))
    return variants
