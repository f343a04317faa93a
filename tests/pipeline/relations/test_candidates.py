"""Candidate pairs (``spacy_somd.pipeline.relations.candidates``): ordered, bounded,
filtered, within sentences, linear on long input, covering every gold relation."""

import random
from typing import List

import pytest
import spacy
from spacy.tokens import Doc, Span

from spacy_somd.corpus.docs import sentence_to_doc
from spacy_somd.corpus.format import read_corpus_dir
from spacy_somd.pipeline.relations.candidates import entity_pairs, make_entity_pairs, missed_gold_relations, span_gap
from tests.builders import SHARED_CORPUS
from tests.builders.pipeline import doc_with_entities


def random_doc(rng: random.Random, n_tokens: int) -> Doc:
    """Random words (some sentence ends) with random non-overlapping entities."""
    nlp = spacy.blank("en")
    words = [rng.choice(["We", "used", ".", "SPSS", "22", "R", "and", "Fig"]) for _ in range(n_tokens)]
    doc = Doc(nlp.vocab, words=words)
    ents, i = [], 0
    while i < n_tokens:
        length = rng.randint(1, 3)
        if rng.random() < 0.4 and i + length <= n_tokens:
            ents.append(Span(doc, i, i + length, label=rng.choice(["Application", "Version", "Developer"])))
        i += length + rng.randint(0, 4)
    doc.ents = ents
    return doc


def all_pairs(doc: Doc, max_distance: int, type_pairs=None) -> List[tuple]:
    """The candidate pairs by their definition: every ordered pair of entities of one
    sentence within ``max_distance`` (time quadratic in the entities)."""
    sents = doc.sents if doc.has_annotation("SENT_START") else [doc[:]]
    sentence = {token.i: number for number, sent in enumerate(sents) for token in sent}
    return [
        (head, tail)
        for head in doc.ents
        for tail in doc.ents
        if head != tail
        and sentence[head.start] == sentence[tail.start]
        and span_gap(head, tail) <= max_distance
        and (type_pairs is None or (head.label_, tail.label_) in type_pairs)
    ]


@pytest.mark.parametrize("seed", range(6))
def test_entity_pairs_are_the_pairs_of_the_definition_in_order(seed):
    rng = random.Random(seed)
    doc = random_doc(rng, rng.randint(0, 300))
    if seed % 2:
        doc = spacy.blank("en").add_pipe("somd_sentencizer")(doc)
    for max_distance in (0, 3, 100):
        assert entity_pairs(doc, max_distance) == all_pairs(doc, max_distance)
    only = {("Version", "Application")}
    assert entity_pairs(doc, 10, only) == all_pairs(doc, 10, only)


def test_entity_pairs_are_ordered_bounded_and_filtered():
    words = "SPSS version 22 by IBM and then many more words here and R".split()
    doc = doc_with_entities(words, [(0, 1, "Application"), (2, 3, "Version"), (4, 5, "Developer"), (12, 13, "ProgrammingEnvironment")])
    pairs = [(h.text, t.text) for h, t in entity_pairs(doc, max_distance=100)]
    assert len(pairs) == 4 * 3 and ("22", "SPSS") in pairs and ("SPSS", "22") in pairs
    near = {(h.text, t.text) for h, t in entity_pairs(doc, max_distance=3)}
    assert ("22", "SPSS") in near and ("IBM", "SPSS") in near  # 3 tokens between IBM and SPSS
    assert not any("R" in pair for pair in near)
    only = entity_pairs(doc, 100, type_pairs={("Version", "Application")})
    assert [(h.text, t.text) for h, t in only] == [("22", "SPSS")]
    assert make_entity_pairs(max_distance=100)(doc) == entity_pairs(doc, 100)


def test_entity_pairs_stay_within_sentences():
    doc = doc_with_entities("We used SPSS 22 . R was used .".split(), [(2, 3, "Application"), (3, 4, "Version"), (5, 6, "ProgrammingEnvironment")])
    assert len(entity_pairs(doc, 100)) == 6  # no sentence boundaries: one sentence
    for token in doc:
        token.is_sent_start = token.i in (0, 5)
    pairs = {(h.text, t.text) for h, t in entity_pairs(doc, 100)}
    assert pairs == {("SPSS", "22"), ("22", "SPSS")}


@pytest.mark.skipif(not SHARED_CORPUS.is_dir(), reason="needs ../shared/somd2025")
def test_default_candidates_cover_every_gold_relation_of_the_corpus():
    nlp = spacy.blank("en")
    sentences, _ = read_corpus_dir(SHARED_CORPUS)
    docs = [sentence_to_doc(nlp.vocab, s) for s in sentences]
    config = spacy.registry.resolve({"c": {"@misc": "spacy_somd.entity_pairs.v1"}})
    assert missed_gold_relations(docs, config["c"]) == (0, 2551)
    tight = make_entity_pairs(max_distance=10)
    missed, total = missed_gold_relations(docs, tight)
    assert total == 2551 and missed > 0
