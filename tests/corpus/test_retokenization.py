"""Re-tokenized variants (``spacy_somd.corpus.retokenization``): versions, citations and
URLs split with labels and relations moved, split pieces joined, every corpus sentence
with a valid variant."""

import pytest

from spacy_somd.corpus.format import bio_to_spans, read_corpus_dir
from spacy_somd.corpus.retokenization import Edit, apply_edits, tokenization_variant
from spacy_somd.pipeline.sentencizer import DEFAULT_CONFIG, sentence_starts
from tests.builders import SHARED_CORPUS
from tests.builders.corpus import VERSIONS, check_valid, relation_texts, sentence_entities, somd_sentence


def test_versions_citations_and_urls_are_split_with_labels_and_relations_moved():
    variant = tokenization_variant(VERSIONS)
    assert " ".join(variant.words) == "R 4 . 0 . 3 with lme4 [ 3 - 5 ] , see http : / / fiji . sc ."
    assert variant.labels == (
        ["B-ProgrammingEnvironment", "B-Version"]
        + ["I-Version"] * 4
        + ["O", "B-PlugIn", "B-Citation"]
        + ["I-Citation"] * 4
        + ["O", "O", "B-URL"]
        + ["I-URL"] * 6
        + ["O"]
    )
    assert variant.relations == [("Version_of", 1, 0), ("PlugIn_of", 7, 0), ("Citation_of", 8, 7), ("URL_of", 15, 7)]
    assert relation_texts(variant) == [
        ("Version_of", "4 . 0 . 3", "R"),
        ("PlugIn_of", "lme4", "R"),
        ("Citation_of", "[ 3 - 5 ]", "lme4"),
        ("URL_of", "http : / / fiji . sc", "lme4"),
    ]
    check_valid(variant)


def test_split_pieces_of_the_corpus_are_joined():
    s = somd_sentence(
        "SPSS Inc . , Chicago ( Pond et al . 2005 ; [ 5 , 8 ] ) v2.1",
        "B-Developer I-Developer O O O O O O O O O O B-Citation I-Citation I-Citation I-Citation I-Citation O B-Version",
        [("Citation_of", 12, 0), ("Version_of", 18, 0)],
    )  # the relations need not make sense here, only point at entity starts
    variant = tokenization_variant(s)
    assert " ".join(variant.words) == "SPSS Inc. , Chicago ( Pond et al. 2005 ; [5,8] ) v2 . 1"
    assert sentence_entities(variant) == [("SPSS Inc.", "Developer"), ("[5,8]", "Citation"), ("v2 . 1", "Version")]
    assert variant.relations == [("Citation_of", 10, 0), ("Version_of", 12, 0)]
    check_valid(variant)


def test_pieces_are_not_joined_across_an_entity_start():
    s = somd_sentence("Acme Inc . and [ 7 ]", "B-Developer I-Developer B-Abbreviation O O B-Citation O", [("Citation_of", 5, 0)])
    variant = tokenization_variant(s)
    assert variant.words == s.words and variant.labels == s.labels and variant.relations == s.relations


def test_apply_edits_refuses_to_hide_an_entity_start():
    s = somd_sentence("SPSS 22 .", "B-Application B-Version O", [("Version_of", 1, 0)])
    with pytest.raises(ValueError, match="would lose an entity start"):
        apply_edits(s, [Edit(0, 2, ["SPSS22"])])
    with pytest.raises(ValueError, match="overlapping"):
        apply_edits(s, [Edit(2, 3, ["a"]), Edit(2, 3, ["b"])])
    renamed = apply_edits(s, [Edit(0, 1, ["IBM", "SPSS", "Statistics"])])
    assert sentence_entities(renamed) == [("IBM SPSS Statistics", "Application"), ("22", "Version")]
    assert renamed.relations == [("Version_of", 3, 0)]


@pytest.mark.skipif(not SHARED_CORPUS.is_dir(), reason="needs ../shared/somd2025")
def test_every_corpus_sentence_has_a_valid_variant_whose_entities_stay_within_sentences():
    sentences, _ = read_corpus_dir(SHARED_CORPUS)
    changed = 0
    for s in sentences:
        variant = tokenization_variant(s)
        check_valid(variant)
        assert [t for _, t in sentence_entities(variant)] == [t for _, t in sentence_entities(s)]
        assert [label for label, _, _ in variant.relations] == [label for label, _, _ in s.relations]
        assert ["".join(text.split(" ")) for text in map(" ".join, [variant.words])] == ["".join(s.words)]
        changed += variant.words != s.words
        # the sentencizer never cuts a gold entity: NER training needs it (spaCy's E024)
        for words, labels in ((s.words, s.labels), (variant.words, variant.labels)):
            starts = sentence_starts(words, **DEFAULT_CONFIG)
            assert not any(any(starts[a + 1 : b]) for a, b, _ in bio_to_spans(labels)), words
    assert changed > len(sentences) / 2
