"""Softcite's software mentions as Docs with their usage flags."""

import pytest
import spacy

from spacy_somd.corpus.softcite import read_contexts
from spacy_somd.corpus.softcite_usage import predicted_doc, usage_docs
from spacy_somd.labels import LINE_ATTR, USAGE_KEY
from tests.builders.softcite import PLAIN, article_ids, sentence, span, write_contexts

CREATED = "We wrote DeepFoo and used R to plot."
SHARED = "DeepFoo is available at GitHub."


def contexts(tmp_path):
    (pmcid,) = article_ids("train", 1)
    texts = [
        sentence(CREATED, span(CREATED, "DeepFoo", "software", "S1", used=False, contribution=True), span(CREATED, "R", "software", "S2")),
        sentence(PLAIN),
        sentence(SHARED, span(SHARED, "DeepFoo", "software", "S3", used=False, shared=True), span(SHARED, "GitHub", "unknown")),
        sentence("Nothing was done with Excel.", span("Nothing was done with Excel.", "Excel", "software", "S4", used=False)),
    ]
    return write_contexts(tmp_path / "c.json.gz", [{"pmcid": pmcid, "texts": texts}])


def test_sentences_that_mention_software_become_docs_with_their_flags(tmp_path):
    nlp = spacy.blank("en")
    docs = usage_docs(nlp, read_contexts(contexts(tmp_path)))
    assert [doc.text for doc in docs] == [CREATED, SHARED, "Nothing was done with Excel."]
    assert [[(e.text, e.label_) for e in doc.ents] for doc in docs] == [
        [("DeepFoo", "Application"), ("R", "Application")],
        [("DeepFoo", "Application")],
        [("Excel", "Application")],
    ]
    assert [[(s.text, s.label_) for s in doc.spans[USAGE_KEY]] for doc in docs] == [[("DeepFoo", "created"), ("R", "used")], [("DeepFoo", "shared")], []]
    assert USAGE_KEY in docs[2].spans  # annotated: no flag holds
    assert [doc._.get(LINE_ATTR) for doc in docs] == [0, 1, 2]
    predicted = predicted_doc(nlp, docs[0])
    assert [t.text for t in predicted] == [t.text for t in docs[0]] and [e.text for e in predicted.ents] == ["DeepFoo", "R"]
    assert USAGE_KEY not in predicted.spans and not predicted_doc(nlp, docs[0], with_entities=False).ents


def test_a_mention_inside_a_word_is_widened_and_overlapping_mentions_are_an_error(tmp_path):
    nlp = spacy.blank("en")
    text = "We used SPSSv22 here."
    (pmcid,) = article_ids("train", 1)
    path = write_contexts(tmp_path / "a.json.gz", [{"pmcid": pmcid, "texts": [sentence(text, span(text, "SPSS", "software"))]}])
    (doc,) = usage_docs(nlp, read_contexts(path))
    assert [e.text for e in doc.ents] == ["SPSSv22"]
    both = [span(text, "SPSS", "software", "S1"), {**span(text, "v22", "software", "S2")}]
    path = write_contexts(tmp_path / "b.json.gz", [{"pmcid": pmcid, "texts": [sentence(text, *both)]}])
    with pytest.raises(ValueError, match=rf"b.json.gz: {pmcid}, sentence 1: the software mention 'S2' 'v22' cannot be a token span"):
        usage_docs(nlp, read_contexts(path), where=str(path))
