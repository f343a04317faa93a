"""Scoring on Softcite's whole articles (``spacy_somd.evaluation.softcite``) and its command."""

import json

import pytest
import spacy
from spacy.language import Language
from typer.testing import CliRunner

from spacy_somd.cli import app
from spacy_somd.corpus.softcite import ContextSentence, Mention
from spacy_somd.documents.tei import read_tei
from spacy_somd.evaluation.softcite import ArticleScores, LinkCounts, evaluate_softcite, overlap_matches, score_tei, tei_paragraphs
from spacy_somd.labels import RELATIONS_ATTR, ensure_extensions
from tests.builders.documents import SOFTCITE_PARAGRAPHS, tei_corpus
from tests.builders.softcite import small_contexts


def mention(start, end, kind):
    return Mention(start, end, kind, "T")


def test_exact_and_overlapping_matches_per_field():
    scores = ArticleScores()
    sentence = ContextSentence("x" * 40, (mention(0, 4, "software"), mention(10, 13, "version"), mention(20, 25, "unknown")))
    # an exact software, a version that only overlaps, a publisher that is wrong, a
    # software on the unknown span (left out)
    scores.add(sentence, [(0, 4, "software"), (10, 12, "version"), (30, 33, "publisher"), (20, 25, "software")])
    result = scores.scores()
    assert result["software"]["exact"] == {"p": 1.0, "r": 1.0, "f": 1.0}
    assert result["version"]["exact"]["f"] == 0.0 and result["version"]["overlap"]["f"] == 1.0
    assert result["publisher"]["exact"]["p"] == 0.0 and result["publisher"]["gold"] == 0
    assert result["ignored_on_unknown"] == 1
    assert result["micro_exact"]["p"] == pytest.approx(1 / 3) and result["micro_exact"]["r"] == pytest.approx(1 / 2)
    assert result["micro_overlap"]["r"] == 1.0
    # macro over the fields with gold spans: software 1.0, version 0.0
    assert result["macro_exact"]["f"] == pytest.approx(0.5)


def test_false_mentions_per_1000_mention_free_sentences():
    scores = ArticleScores()
    for _ in range(3):
        scores.add(ContextSentence("nothing here", ()), [])
    scores.add(ContextSentence("MTOR here", ()), [(0, 4, "software"), (5, 9, "publisher")])
    scores.add(ContextSentence("SPSS", (mention(0, 4, "software"),)), [(0, 4, "software")])
    result = scores.scores()
    assert result["mention_free_sentences"] == 4 and result["false_per_1000_mention_free"] == 500.0


def test_overlap_matching_is_one_to_one():
    predicted, gold = overlap_matches([(0, 10), (2, 4)], [(0, 3), (3, 10)])
    assert predicted == {0, 1} and gold == {0, 1}
    assert overlap_matches([(0, 10)], [(0, 3), (3, 10)]) == ({0}, {1})


class SoftwareGate:
    """Says SOFTWARE where a sentence names SPSS (a stand-in for the trained categorizer)."""

    labels = ("SOFTWARE",)

    def __call__(self, doc):
        doc.cats["SOFTWARE"] = 1.0 if "SPSS" in doc.text else 0.0
        return doc


@Language.factory("test_software_gate")
def make_software_gate(nlp, name):
    return SoftwareGate()


def ruler_pipeline(gate: bool = True) -> Language:
    nlp = spacy.blank("en")
    ruler = nlp.add_pipe("entity_ruler")
    ruler.add_patterns(
        [
            {"label": "Application", "pattern": "SPSS"},
            {"label": "Version", "pattern": "22"},
            {"label": "Developer", "pattern": "IBM"},
            {"label": "Application", "pattern": "MTOR"},
            {"label": "Developer", "pattern": "Qiagen"},
        ]
    )
    if gate:
        nlp.add_pipe("test_software_gate")
    return nlp


def test_a_pipeline_on_the_test_articles_with_and_without_a_gate(tmp_path):
    results = evaluate_softcite(ruler_pipeline(), small_contexts(tmp_path / "c.json.gz"), "test", gates=(None, 0.5), progress=False)
    none, gated = results["none"], results["0.5"]
    assert none["articles"] == 2 and none["sentences"] == 6 and none["mention_free_sentences"] == 4
    # MTOR and Qiagen in the gene sentences, "22" (degrees) in the plain ones: six false
    # mentions in four free sentences
    assert none["false_per_1000_mention_free"] == 1500.0 and gated["false_per_1000_mention_free"] == 0.0
    assert none["software"]["exact"]["r"] == 1.0 and none["software"]["exact"]["p"] == 0.5
    assert gated["micro_exact"] == {"p": 1.0, "r": 1.0, "f": 1.0}
    with pytest.raises(ValueError, match="a sentence gate needs the SOFTWARE category"):
        evaluate_softcite(ruler_pipeline(gate=False), tmp_path / "c.json.gz", "test", gates=(None, 0.5), progress=False)
    with pytest.raises(ValueError, match=r"a SOFTWARE probability in \[0, 1\], not 2"):
        evaluate_softcite(ruler_pipeline(), tmp_path / "c.json.gz", "test", gates=(2.0,), progress=False)


def test_the_command_prints_the_table_and_saves_the_scores(tmp_path):
    model = tmp_path / "model"
    ruler_pipeline(gate=False).to_disk(model)
    contexts = small_contexts(tmp_path / "c.json.gz")
    result = CliRunner().invoke(app, ["evaluate-softcite", str(model), str(contexts), "--split", "dev", "--output", str(tmp_path / "s.json")])
    assert result.exit_code == 0, result.output
    assert "micro F1" in result.output and "2 dev articles, 6 sentences" in result.output
    assert json.loads((tmp_path / "s.json").read_text())["none"]["articles"] == 2
    bad = CliRunner().invoke(app, ["evaluate-softcite", str(model), str(contexts), "--split", "holdout"])
    assert bad.exit_code == 1 and "--split must be one of train, dev, test" in bad.output
    missing = CliRunner().invoke(app, ["evaluate-softcite", str(model), str(tmp_path / "none.json")])
    assert missing.exit_code == 1 and "none.json: no such file" in missing.output


class NearestSoftware:
    """Attaches every version, developer and URL to the nearest software entity before it
    (a stand-in for the relation extractor)."""

    def __call__(self, doc):
        relations, software = [], None
        for ent in doc.ents:
            if ent.label_ == "Application":
                software = ent
            elif software is not None:
                relations.append({"head": ent.start, "tail": software.start, "label": f"{ent.label_}_of"})
        doc._.set(RELATIONS_ATTR, relations)
        return doc


@Language.factory("test_nearest_software")
def make_nearest_software(nlp, name):
    return NearestSoftware()


def test_paragraphs_of_a_tei_corpus_are_scored_with_their_attachments(tmp_path):
    path = tmp_path / "softcite.tei.xml"
    path.write_text(tei_corpus(SOFTCITE_PARAGRAPHS), encoding="utf-8")
    paragraphs = tei_paragraphs(read_tei(path), "all")
    assert len(paragraphs) == 3
    excel, links = paragraphs[0]
    assert [(excel.text[m.start : m.end], m.type) for m in excel.mentions] == [("Excel", "software"), ("Microsoft", "publisher")]
    assert [(excel.text[a:b], field, excel.text[c:d]) for a, b, field, c, d in links] == [("Microsoft", "publisher", "Excel")]
    nlp = spacy.blank("en")
    ensure_extensions()
    ruler = nlp.add_pipe("entity_ruler")
    ruler.add_patterns(
        [{"label": "Application", "pattern": n} for n in ("Excel", "SAS", "Stata", "Fiji")]
        + [{"label": "Developer", "pattern": "Microsoft"}, {"label": "Version", "pattern": "9.1"}]
    )
    nlp.add_pipe("test_nearest_software")
    scores = score_tei(nlp, path, "all", progress=False)
    assert scores["paragraphs"] == 3 and scores["software"]["exact"]["f"] == 1.0
    assert scores["url"]["exact"]["r"] == 0.0  # the URL is not found, so neither is its link
    assert scores["attachment"] == {"p": 1.0, "r": 2 / 3, "f": pytest.approx(0.8), "predicted": 2, "gold": 3}


def test_links_match_one_to_one_on_overlapping_spans_of_the_same_field():
    counts = LinkCounts()
    gold = [(10, 14, "version", 0, 5)]
    counts.add([(10, 13, "version", 0, 5), (10, 14, "version", 1, 4), (10, 14, "publisher", 0, 5)], gold)
    assert counts.scores() == {"p": 1 / 3, "r": 1.0, "f": 0.5, "predicted": 3, "gold": 1}


def test_the_command_scores_the_tei_paragraphs(tmp_path):
    model, path = tmp_path / "model", tmp_path / "softcite.tei.xml"
    ruler_pipeline(gate=False).to_disk(model)
    path.write_text(tei_corpus(SOFTCITE_PARAGRAPHS), encoding="utf-8")
    result = CliRunner().invoke(app, ["evaluate-softcite", str(model), str(path), "--split", "all"])
    assert result.exit_code == 0, result.output
    assert "Attachment of versions, publishers and URLs" in result.output and "3 paragraphs" in result.output
    gated = CliRunner().invoke(app, ["evaluate-softcite", str(model), str(path), "--split", "all", "--gate", "0.5"])
    assert gated.exit_code == 1 and "--gate is for whole articles" in gated.output
