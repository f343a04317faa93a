"""``spacy_somd.SoftciteUsageCorpus.v1`` and the choice of thresholds on dev."""

import pytest
import spacy
from spacy.util import registry

import spacy_somd.training.usage  # noqa: F401  (registers the reader)
from spacy_somd.labels import USAGE_KEY
from spacy_somd.training.usage import best_threshold
from tests.builders.softcite import small_contexts


def test_the_reader_gives_one_split_with_the_gold_spans_on_both_docs(tmp_path):
    path = small_contexts(tmp_path / "c.json.gz")
    make = registry.readers.get("spacy_somd.SoftciteUsageCorpus.v1")
    nlp = spacy.blank("en")
    for split in ("train", "dev", "test"):
        examples = list(make(path, split)(nlp))
        assert len(examples) == 2  # one sentence with software in each of two articles
        for eg in examples:
            assert [(e.text, e.label_) for e in eg.predicted.ents] == [(e.text, e.label_) for e in eg.reference.ents] == [("SPSS", "Application")]
            assert [(s.text, s.label_) for s in eg.reference.spans[USAGE_KEY]] == [("SPSS", "used")]
            assert USAGE_KEY not in eg.predicted.spans
    assert len(list(make(path, "train", limit=1)(nlp))) == 1
    assert [e.label_ for eg in make(path, "dev", label="PlugIn")(nlp) for e in eg.reference.ents] == ["PlugIn", "PlugIn"]
    with pytest.raises(ValueError, match="split must be one of train, dev, test, not 'heldout'"):
        make(path, "heldout")


def test_best_threshold_maximises_f1():
    assert best_threshold([0.9, 0.8, 0.3, 0.2], [True, True, False, False]) == 0.8  # F1 1.0
    assert best_threshold([0.9, 0.8, 0.3, 0.2], [True, True, False, True]) == 0.2  # F1 6/7 at 0.2, 4/5 at 0.8
    assert best_threshold([0.9, 0.6, 0.6, 0.1], [True, False, True, False]) == 0.6
    assert best_threshold([0.4, 0.3], [False, False]) == 0.5


@pytest.mark.slow
def test_train_usage_saves_a_pipeline_per_seed_with_thresholds_chosen_on_dev(tmp_path):
    """configs/usage.cfg on a tiny contexts file: features once, two seeds, each saved
    with its thresholds in its config and its dev and test scores."""
    from pathlib import Path

    from spacy.tokens import Span

    from spacy_somd.training.usage import train_usage

    path = small_contexts(tmp_path / "c.json.gz")
    config = Path(__file__).resolve().parents[2] / "configs" / "usage.cfg"
    reports = train_usage(config, path, tmp_path / "out", seeds=(0, 1), max_epochs=2)
    assert [r["seed"] for r in reports] == [0, 1]
    for report in reports:
        assert report["scores"]["test"]["per_flag"]["used"]["f"] == 1.0  # every SPSS is used
        nlp = spacy.load(tmp_path / "out" / f"seed{report['seed']}")
        assert nlp.config["components"]["somd_software_usage"]["thresholds"] == report["thresholds"]
        doc = nlp.make_doc("We used SPSS.")
        doc.ents = [Span(doc, 2, 3, label="Application")]
        assert set(nlp(doc).ents[0]._.get(USAGE_KEY)) == {"used", "created", "shared"}
