"""Sentences of real articles in training (``spacy_somd.softcite_sentences.v1`` and the
reader's ``articles``): mention-free negatives and partially annotated positives."""

import pytest
import spacy
from spacy.util import registry

from spacy_somd.labels import LINE_ATTR, PARTIAL_ATTR
from spacy_somd.training.reader import create_fold_corpus
from tests.builders.softcite import article_ids, sentence, small_contexts, span, write_contexts


def negatives(path, count, selection="random", positives=0):
    return registry.misc.get("spacy_somd.softcite_sentences.v1")(path, count, selection, positives, 0)


def test_negatives_come_from_training_articles_only(tmp_path):
    path = small_contexts(tmp_path / "c.json.gz")
    docs = negatives(path, 100)(spacy.blank("en"), 1000)
    texts = [doc.text for doc in docs]
    assert len(texts) == 4 and all(text.startswith("train article") for text in texts)  # two per training article
    assert [doc._.get(LINE_ATTR) for doc in docs] == [1000, 1001, 1002, 1003]
    assert all(token.ent_iob_ == "O" for doc in docs for token in doc)


def test_lookalike_negatives_take_the_software_like_sentence_first(tmp_path):
    path = small_contexts(tmp_path / "c.json.gz")
    docs = negatives(path, 2, "lookalike")(spacy.blank("en"), 1)
    assert len(docs) == 2 and any("MTOR" in doc.text for doc in docs)


def test_no_path_or_no_count_means_no_negatives_and_bad_settings_are_refused(tmp_path):
    assert negatives(None, 100) is None and negatives(tmp_path, 0) is None
    with pytest.raises(ValueError, match="selection \\(softcite_sentences\\) must be one of random, lookalike"):
        negatives(tmp_path, 10, "hardest")
    with pytest.raises(ValueError, match="positives \\(softcite_sentences\\) must be 0 or more, or -1"):
        negatives(tmp_path, 10, positives=-2)
    with pytest.raises(ValueError, match="must be 0 or more"):
        negatives(tmp_path, -1)


def test_the_reader_adds_negatives_to_the_training_split_only(tiny_corpus_docbins, tmp_path):
    nlp = spacy.blank("en")
    found = negatives(small_contexts(tmp_path / "c.json.gz"), 100)
    plain = list(create_fold_corpus(tiny_corpus_docbins, 2, "train", negative_ratio=1.0, dev_size=0.0)(nlp))
    train = list(create_fold_corpus(tiny_corpus_docbins, 2, "train", negative_ratio=1.0, dev_size=0.0, articles=found)(nlp))
    added = train[len(plain) :]
    assert [eg.reference.text for eg in train[: len(plain)]] == [eg.reference.text for eg in plain]
    assert len(added) == 4 and all(eg.reference.text.startswith("train article") for eg in added)
    # numbered after every line of the corpus, so that line numbers stay unique
    assert min(eg.reference._.get(LINE_ATTR) for eg in added) == 21
    with pytest.raises(ValueError, match="articles only adds training sentences, not to the dev split"):
        create_fold_corpus(tiny_corpus_docbins, 2, "dev", articles=found)


def test_positives_type_what_softcite_types_and_leave_software_spans_missing(tmp_path):
    docs = negatives(small_contexts(tmp_path / "c.json.gz"), 0, positives=-1)(spacy.blank("en"), 1)
    assert len(docs) == 2  # the SPSS sentence of each training article
    doc = docs[0]
    assert doc._.get(PARTIAL_ATTR) and doc.cats == {"SOFTWARE": 1.0}
    assert [(ent.text, ent.label_) for ent in doc.ents] == [("22", "Version"), ("IBM", "Developer")]
    iob = {token.text: token.ent_iob_ for token in doc}
    assert iob["SPSS"] == "" and iob["Analyses"] == "O"  # missing, not O and not a guessed type


def test_a_typed_span_off_the_token_boundaries_is_missing_not_stretched(tmp_path):
    text = "We used SPSS (version19.0; IBM)."
    path = write_contexts(
        tmp_path / "c.json",
        [
            {"pmcid": pmcid, "texts": [sentence(text, span(text, "SPSS", "software"), span(text, "19.0", "version"), span(text, "IBM", "publisher"))]}
            for pmcid in article_ids("train", 1)
        ],
    )
    doc = negatives(path, 0, positives=-1)(spacy.blank("en"), 1)[0]
    assert [(ent.text, ent.label_) for ent in doc.ents] == [("IBM", "Developer")]
    assert {token.text: token.ent_iob_ for token in doc}["version19.0"] == ""
