"""Properties of the pipeline on random input (hypothesis): any text, empty or very long,
goes through `nlp.pipe` without an error and every predicted relation joins the starts
of two predicted entities of one sentence; `predict` writes exactly one line per input
line, in order."""

from pathlib import Path
from typing import List

import pytest
import spacy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from spacy.language import Language
from spacy.tokens import Doc
from typer.testing import CliRunner

from spacy_somd.cli import app
from spacy_somd.labels import RELATIONS_ATTR
from spacy_somd.pipeline.relations.candidates import sentence_ids

SETTINGS = dict(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
# any text, and long texts: a random piece repeated into thousands of characters
TEXTS = st.one_of(st.text(), st.text(min_size=1, max_size=12).map(lambda piece: piece * (4_000 // len(piece))))
# tokens without whitespace or control characters (valid in the corpus format)
CHARACTERS = st.characters(blacklist_categories=("Cs", "Cc", "Zs", "Zl", "Zp"), blacklist_characters="\ufeff")
TOKEN = st.text(CHARACTERS, min_size=1, max_size=10)
LINES = st.lists(st.lists(TOKEN, max_size=25).map(" ".join), max_size=12)


def assert_relations_join_entity_starts_of_one_sentence(doc: Doc) -> None:
    starts = {ent.start for ent in doc.ents}
    sentence = sentence_ids(doc)
    for relation in doc._.get(RELATIONS_ATTR) or []:
        head, tail = relation["head"], relation["tail"]
        assert head in starts and tail in starts and head != tail, relation
        assert sentence[head] == sentence[tail], relation


def check_pipe(nlp: Language, texts: List[str]) -> None:
    docs = list(nlp.pipe(texts, batch_size=2))
    assert [doc.text for doc in docs] == texts
    for doc in docs:
        assert_relations_join_entity_starts_of_one_sentence(doc)


@pytest.fixture(scope="module")
def rule_nlp(rule_pipeline) -> Language:
    return spacy.load(rule_pipeline)


@pytest.fixture(scope="module")
def transformer_nlp(default_pipeline) -> Language:
    return spacy.load(default_pipeline)


def test_the_rule_pipeline_predicts_relations_at_all(rule_nlp):
    doc = rule_nlp("We used SPSS 22 and R 4.0.3 . Then Stata 15 was used .")
    assert len(doc._.get(RELATIONS_ATTR)) > 5  # so the property below is not vacuous
    assert_relations_join_entity_starts_of_one_sentence(doc)


@settings(max_examples=60, **SETTINGS)
@given(texts=st.lists(TEXTS, max_size=4))
def test_any_text_goes_through_the_rule_pipeline(rule_nlp, texts):
    check_pipe(rule_nlp, texts)


@pytest.mark.slow
@settings(max_examples=12, **SETTINGS)
@given(texts=st.lists(TEXTS, min_size=1, max_size=3))
def test_any_text_goes_through_the_transformer_pipeline(transformer_nlp, texts):
    check_pipe(transformer_nlp, texts)


@settings(max_examples=15, **SETTINGS)
@given(lines=LINES)
def test_predict_writes_one_line_per_input_line_in_order(rule_pipeline, tmp_path_factory, lines):
    folder = tmp_path_factory.mktemp("predict")
    texts = folder / "texts.txt"
    texts.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    result = CliRunner().invoke(app, ["predict", str(rule_pipeline), str(texts), str(folder / "out")])
    assert result.exit_code == 0, result.output
    out = Path(folder / "out")
    assert (out / "texts.txt").read_text(encoding="utf-8") == texts.read_text(encoding="utf-8")
    labels = (out / "entities.txt").read_text(encoding="utf-8").split("\n")
    relations = (out / "relations.txt").read_text(encoding="utf-8").split("\n")
    assert labels[-1] == relations[-1] == ""
    n_tokens = [len(line.split(" ")) if line else 0 for line in lines]
    assert [len(line.split(" ")) if line else 0 for line in labels[:-1]] == n_tokens
    assert len(relations) == len(lines) + 1
