"""Fixtures of the annotate tests: a briefly trained pipeline whose entity ruler always
finds the ANNOTATE_PATTERNS, trained once for the session and only read by the tests."""

from pathlib import Path

import pytest
import spacy

from tests.builders import spacy_train
from tests.builders.annotate import ANNOTATE_PATTERNS


@pytest.fixture(scope="session")
def model(tmp_path_factory, tiny_corpus_docbins) -> Path:
    """configs/fast.cfg trained briefly on the tiny corpus, with an entity ruler after its
    NER so that it always finds the ANNOTATE_PATTERNS (and the relations see entities)."""
    out = tmp_path_factory.mktemp("annotate_model")
    nlp = spacy.load(spacy_train("fast.cfg", out / "train", tiny_corpus_docbins))
    ruler = nlp.add_pipe("entity_ruler", after="ner", config={"overwrite_ents": True})
    ruler.add_patterns(ANNOTATE_PATTERNS)
    nlp.to_disk(out / "model")
    return out / "model"
