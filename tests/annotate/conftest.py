"""Fixtures of the annotate tests: a briefly trained pipeline whose entity ruler always
finds the ANNOTATE_PATTERNS, trained once for the session and only read by the tests, and
Ray on 1 CPU."""

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


@pytest.fixture(scope="session")
def ray_cluster():
    """Ray started once for the session on 1 CPU."""
    ray = pytest.importorskip("ray", reason="the ray engine needs the ray extra: pip install 'spacy-somd[ray]'")
    pytest.importorskip("pyarrow", reason="Ray Data needs pyarrow")
    ray.init(num_cpus=1, include_dashboard=False, log_to_driver=False)
    yield ray
    ray.shutdown()


@pytest.fixture(scope="session")
def document_pipeline(tmp_path_factory) -> Path:
    """An untrained pipeline for document runs: the SOMD tokenizer and sentence boundaries
    and an entity ruler that finds the DOCUMENT_PATTERNS (no relations)."""
    from tests.builders import somd_blank
    from tests.builders.annotate import DOCUMENT_PATTERNS

    nlp = somd_blank()
    nlp.add_pipe("somd_sentencizer", name="sentencizer")
    ruler = nlp.add_pipe("entity_ruler")
    nlp.initialize()
    ruler.add_patterns(DOCUMENT_PATTERNS)
    path = tmp_path_factory.mktemp("document_pipeline") / "model"
    nlp.to_disk(path)
    return path
