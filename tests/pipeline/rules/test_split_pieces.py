"""The ``somd_split_urls`` and ``somd_split_citations`` pipes in a pipeline, with their
label from the config."""

import pytest
import spacy
from spacy.tokens import Doc


@pytest.mark.parametrize(
    "factory, label, words, expected",
    [
        ("somd_split_urls", "Link", "see http : / / x . org / y and more", "http : / / x . org / y"),
        ("somd_split_citations", "Ref", "used R [ 62 , 63 ] .", "[ 62 , 63 ]"),
    ],
)
def test_the_pipes_in_a_pipeline_with_their_label_from_the_config(factory, label, words, expected):
    nlp = spacy.blank("en")
    ruler = nlp.add_pipe("entity_ruler")
    ruler.add_patterns([{"label": label, "pattern": [{"ORTH": piece}]} for piece in ("http", "63")])
    nlp.add_pipe(factory, config={"label": label})
    doc = Doc(nlp.vocab, words=words.split())
    for _, proc in nlp.pipeline:
        doc = proc(doc)
    assert [(e.text, e.label_) for e in doc.ents] == [(expected, label)]
    assert nlp.get_pipe_meta(factory).assigns == ["doc.ents"]
