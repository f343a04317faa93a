"""Fixtures of the relation tests: a relation extractor trained in-process on the tiny
corpus."""

import pytest
import spacy

from tests.builders import somd_blank
from tests.builders.pipeline import gold_entity_examples, tiny_docs, train_relations


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A relation extractor (default CNN model) trained on the tiny corpus' gold entities,
    saved to disk; with an entity ruler in front so raw sentences get entities."""
    spacy.util.fix_random_seed(0)
    nlp = somd_blank()
    docs = tiny_docs(nlp)
    ruler = nlp.add_pipe("entity_ruler")
    ruler.add_patterns([{"label": e.label_, "pattern": [{"ORTH": t.text} for t in e]} for doc in docs for e in doc.ents])
    nlp.add_pipe("somd_relation_extractor")
    examples = gold_entity_examples(nlp, docs)
    with nlp.select_pipes(disable=["entity_ruler"]):
        train_relations(nlp, examples, epochs=25)
    path = tmp_path_factory.mktemp("relation_model") / "model"
    nlp.to_disk(path)
    return nlp, path, docs
