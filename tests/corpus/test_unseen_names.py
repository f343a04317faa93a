"""Renamed variants (``spacy_somd.corpus.unseen_names``): generated names take every shape
and avoid the vocabulary."""

import random

from spacy_somd.corpus.unseen_names import SHAPES, generate_name, software_mentions, unseen_names_variant
from tests.builders.corpus import check_valid, sentence_entities, somd_sentence


def test_generated_names_take_every_shape_and_avoid_the_vocabulary():
    rng = random.Random(0)
    names = [generate_name(rng) for _ in range(200)]
    shapes = {
        "camel": any(n[:1].isupper() and any(c.isupper() for c in n[1:]) and n.isalpha() for n in names),
        "caps": any(n.isupper() and n.isalpha() for n in names),
        "digits": any(n.islower() and n[-1].isdigit() for n in names),
        "hyphen": any("-" in n for n in names),
    }
    assert set(shapes) == set(SHAPES) and all(shapes.values())
    s = somd_sentence(
        "SPSS and R with lme4 on Windows ; SPSS 22 by IBM",
        "B-Application O B-ProgrammingEnvironment O B-PlugIn O B-OperatingSystem O B-Application B-Version O B-Developer",
        [("PlugIn_of", 4, 2), ("Version_of", 9, 8), ("Developer_of", 11, 8)],
    )
    vocabulary = {w.lower() for w in s.words} | {n.lower() for n in names[:100]}
    first, again = (unseen_names_variant([s], vocabulary, seed=3)[0] for _ in range(2))
    assert first == again  # deterministic by seed
    new = [first.words[a] for a, _, _ in software_mentions(first)]
    assert len(new) == 5 and new[0] == new[4]  # the same name twice gets the same replacement
    assert not {n.lower() for n in new} & vocabulary
    assert [t for _, t in sentence_entities(first)] == [t for _, t in sentence_entities(s)]
    assert sentence_entities(first)[-2:] == [("22", "Version"), ("IBM", "Developer")]
    assert [label for label, _, _ in first.relations] == ["PlugIn_of", "Version_of", "Developer_of"]
    check_valid(first)
