"""Scoring relations on docs that hold no gold relation data (``doc._.somd_relations``
None) warns and reports no relation or SOMD score, instead of relation F 0; docs whose
relations are an empty list are scored."""

import json
import subprocess
import sys

import pytest
import spacy
from spacy.tokens import Doc, DocBin, Span
from spacy.training import Example
from typer.testing import CliRunner

from spacy_somd.cli import app
from spacy_somd.labels import RELATIONS_ATTR, ensure_extensions
from spacy_somd.pipeline.scorers import relation_prf, score_relations
from tests.builders import ENV

WORDS = "We used SPSS 22 and R 4.0.3 .".split()
ENTS = [(2, 3, "Application"), (3, 4, "Version"), (5, 6, "ProgrammingEnvironment"), (6, 7, "Version")]
GOLD = [{"head": 3, "tail": 2, "label": "Version_of"}, {"head": 6, "tail": 5, "label": "Version_of"}]


def doc_with(relations) -> Doc:
    ensure_extensions()
    doc = Doc(spacy.blank("en").vocab, words=WORDS)
    doc.ents = [Span(doc, s, e, label=label) for s, e, label in ENTS]
    doc._.set(RELATIONS_ATTR, relations)
    return doc


def example(gold) -> Example:
    return Example(doc_with(GOLD), doc_with(gold))


def test_without_gold_relation_data_there_is_no_relation_or_somd_score_and_a_warning():
    with pytest.warns(UserWarning, match="2 of 2 reference docs hold no gold relation data"):
        scores = score_relations([example(None), example(None)])
    assert scores["rel_f"] is None and scores["rel_p"] is None and scores["rel_per_type"] is None
    assert scores["somd_macro_f"] is None and scores["somd_micro_f"] is None


def test_docs_without_gold_relation_data_are_left_out_of_the_score():
    with pytest.warns(UserWarning, match="1 of 2 reference docs .* scored on the other 1 only"):
        mixed = score_relations([example(None), example(GOLD)])
    assert mixed["rel_f"] == 1.0 and mixed["somd_micro_f"] == 1.0


def test_an_empty_list_is_no_relations_and_is_scored(recwarn):
    scores = relation_prf([example([])])
    assert scores["rel_p"] == 0.0 and scores["rel_f"] == 0.0
    assert scores["rel_per_type"]["Version_of"]["p"] == 0.0
    assert not [w for w in recwarn if "gold relation data" in str(w.message)]


def test_spacy_evaluate_without_gold_relation_data_warns_and_reports_no_relation_score(rule_pipeline, tmp_path):
    docs = [doc_with(None) for _ in range(3)]
    DocBin(docs=docs, store_user_data=False).to_disk(tmp_path / "dev.spacy")
    metrics = tmp_path / "metrics.json"
    result = subprocess.run(
        [sys.executable, "-m", "spacy", "evaluate", str(rule_pipeline), str(tmp_path / "dev.spacy"), "--output", str(metrics)],
        env=ENV,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "3 of 3 reference docs hold no gold relation data" in result.stderr
    scores = json.loads(metrics.read_text())
    assert scores.get("rel_f") is None and scores.get("somd_micro_f") is None


def test_evaluate_gold_entities_refuses_data_without_gold_relations(rule_pipeline, tmp_path):
    DocBin(docs=[doc_with(None)], store_user_data=False).to_disk(tmp_path / "dev.spacy")
    output = tmp_path / "gold.json"
    result = CliRunner().invoke(app, ["evaluate-gold-entities", str(rule_pipeline), str(tmp_path / "dev.spacy"), "--output", str(output)])
    assert result.exit_code == 1
    assert "no doc holds gold relation data" in result.output and "Traceback" not in result.output
    assert not output.exists()
