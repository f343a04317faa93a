"""The relation component: training, serialization, batches without candidates, the
threshold and type-pair settings, dynamics, and `predict`/`visualize` on its output."""

import json
from typing import List

import numpy
import pytest
import spacy
from spacy.training import Example
from typer.testing import CliRunner

from spacy_somd.cli import app
from spacy_somd.corpus.format import read_somd
from spacy_somd.labels import PARTIAL_ATTR, RELATIONS_ATTR
from spacy_somd.pipeline.dynamics import FAKE_LABEL
from spacy_somd.pipeline.relations.candidates import entity_pairs
from spacy_somd.pipeline.relations.pipe import NO_RELATION, UNKNOWN
from spacy_somd.pipeline.scorers import relation_prf
from spacy_somd.training.dynamics.analysis import read_dynamics
from spacy_somd.training.reader import create_fold_corpus
from tests.builders import somd_blank
from tests.builders.pipeline import doc_with_entities, gold_entity_examples, tiny_docs, train_relations


def params(model) -> List[numpy.ndarray]:
    return [node.get_param(name).copy() for node in model.walk() for name in node.param_names if node.has_param(name)]


def test_adversarial_training_changes_the_update_loss():
    """With epsilon > 0 the update adds the loss on perturbed features."""
    losses = {}
    for epsilon in (0.0, 0.5):
        spacy.util.fix_random_seed(0)
        nlp = somd_blank()
        nlp.add_pipe("somd_relation_extractor", config={"adversarial_epsilon": epsilon})
        examples = gold_entity_examples(nlp, tiny_docs(nlp))
        nlp.initialize(lambda examples=examples: examples)
        losses[epsilon] = nlp.update(examples[:6], drop=0.0)["somd_relation_extractor"]
    assert losses[0.5] > losses[0.0] > 0


def test_trained_pipe_predicts_the_tiny_corpus_with_json_safe_scores(trained):
    nlp, _, docs = trained
    predicted = list(nlp.pipe(doc.text for doc in docs))
    scores = relation_prf(Example(p, d) for p, d in zip(predicted, docs))
    assert scores["rel_f"] > 0.9, scores
    relations = [r for doc in predicted for r in doc._.get(RELATIONS_ATTR)]
    assert relations and json.loads(json.dumps(relations)) == relations
    rel = nlp.get_pipe("somd_relation_extractor")
    for r in relations:
        assert set(r["scores"]) == set(rel.labels) and NO_RELATION not in r["scores"]
        assert r["score"] == r["scores"][r["label"]] >= rel.cfg["threshold"]


def test_pipe_handles_batches_without_candidate_pairs(trained):
    nlp, _, _ = trained
    texts = ["Nothing to see here .", "", "Only SPSS here ."]
    docs = list(nlp.pipe(texts, batch_size=3))
    assert [doc._.get(RELATIONS_ATTR) for doc in docs] == [[], [], []]


def test_serialization_round_trip_gives_identical_predictions(trained):
    nlp, path, docs = trained
    reloaded = spacy.load(path)
    texts = [doc.text for doc in docs]
    before = [doc._.get(RELATIONS_ATTR) for doc in nlp.pipe(texts)]
    after = [doc._.get(RELATIONS_ATTR) for doc in reloaded.pipe(texts)]
    assert before == after and any(before)
    assert reloaded.get_pipe("somd_relation_extractor").labels == nlp.get_pipe("somd_relation_extractor").labels


def test_joint_training_uses_gold_entities_and_updates_the_shared_tok2vec():
    """The predicted docs have no entities while NER trains: the relation loss must come
    from the gold entities (not silently zero), and on a batch without any entity pair
    the shared tok2vec must still be updated (the relation pipe is its last listener)."""
    spacy.util.fix_random_seed(0)
    nlp = somd_blank()
    nlp.add_pipe("tok2vec")
    nlp.add_pipe("ner")
    rel_config = {"model": {"tok2vec": {"@architectures": "spacy.Tok2VecListener.v1", "width": 96, "upstream": "tok2vec"}}}
    nlp.add_pipe("somd_relation_extractor", config=rel_config)
    docs = tiny_docs(nlp)
    examples = [Example(nlp.make_doc(doc.text), doc) for doc in docs]
    optimizer = nlp.initialize(lambda: examples)
    assert nlp.get_pipe("tok2vec").listeners[-1] is nlp.get_pipe("somd_relation_extractor").model.get_ref("tok2vec")
    losses = nlp.update([eg for eg in examples if eg.reference.ents][:4], sgd=optimizer)
    assert losses["somd_relation_extractor"] > 0
    entity_free = [eg for eg in examples if not eg.reference.ents]
    assert entity_free
    tok2vec = nlp.get_pipe("tok2vec").model
    before = params(tok2vec)
    nlp.update(entity_free, sgd=optimizer)
    assert any(not numpy.array_equal(b, a) for b, a in zip(before, params(tok2vec)))


def test_predict_writes_the_corpus_format_and_reads_back(trained, tmp_path):
    nlp, path, docs = trained
    lines = [doc.text for doc in docs[:6]]
    lines.insert(2, "")
    texts = tmp_path / "texts.txt"
    texts.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["predict", str(path), str(texts), str(out)])
    assert result.exit_code == 0, result.output
    entity_lines = (out / "entities.txt").read_text(encoding="utf-8").split("\n")
    assert len(entity_lines) == len(lines) + 1 and entity_lines[2] == "" and entity_lines[-1] == ""
    sentences, repairs = read_somd(out / "texts.txt", out / "entities.txt", out / "relations.txt")
    assert repairs == [] and [" ".join(s.words) for s in sentences] == lines
    expected = list(nlp.pipe(lines))
    for sentence, doc in zip(sentences, expected):
        assert sentence.labels == [f"{t.ent_iob_}-{t.ent_type_}" if t.ent_type_ else "O" for t in doc]
        assert sentence.relations == [(r["label"], r["head"], r["tail"]) for r in doc._.get(RELATIONS_ATTR)]
    assert any(s.relations for s in sentences)


def test_predict_reports_bad_input_with_file_and_line(trained, tmp_path):
    _, path, _ = trained
    texts = tmp_path / "texts.txt"
    texts.write_text("fine line\nbad  line\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["predict", str(path), str(texts), str(tmp_path / "out")])
    assert result.exit_code == 1
    assert f"{texts}, line 2" in result.output
    assert not (tmp_path / "out").exists()


def test_training_dynamics_of_gold_relations_with_threshold_samples(tmp_path, tiny_corpus_docbins):
    docbins = tiny_corpus_docbins
    path = tmp_path / "dynamics.jsonl"
    nlp = somd_blank()
    config = {"dynamics_path": str(path), "threshold_samples": 0.3, "threshold_seed": 1}
    rel = nlp.add_pipe("somd_relation_extractor", config=config)
    docs = tiny_docs(nlp)
    train_relations(nlp, gold_entity_examples(nlp, docs), epochs=3)
    assert rel.classes[-1] == FAKE_LABEL
    rel.recorder.flush()
    (group,) = read_dynamics(path)
    gold = {(doc._.somd_line, r["head"], r["tail"]) for doc in docs for r in doc._.somd_relations}
    assert group.kind == "relation" and len(group.instances) == len(gold) == 32
    assert {(i.line, *map(int, i.id.split(":")[1].split("-"))) for i in group.instances} == gold
    assert set(group.epochs) == {3}
    n_fake = int(group.is_threshold.sum())
    assert 0 < n_fake < 32 and group.threshold is not None
    predicted = [r["label"] for doc in nlp.pipe(doc.text for doc in docs) for r in doc._.somd_relations]
    assert FAKE_LABEL not in predicted
    result = CliRunner().invoke(app, ["audit", str(path), str(tmp_path / "audit"), "--percentile", "50"])
    assert result.exit_code == 0, result.output
    sieve = json.loads((tmp_path / "audit" / "sieve.json").read_text())
    assert len(sieve["removed"]) == int((32 - n_fake) * 0.5 + 0.5)
    lines = {
        sieve_path: {eg.reference._.somd_line for eg in create_fold_corpus(docbins, fold=2, split="train", sieve=sieve_path)(nlp)}
        for sieve_path in (None, tmp_path / "audit" / "sieve.json")
    }
    removed = set(sieve["lines"]) & lines[None]
    assert removed and lines[tmp_path / "audit" / "sieve.json"] == lines[None] - removed


def test_learn_rate_scale_scales_the_components_own_updates():
    changes = {}
    for scale in (1.0, 5.0):
        spacy.util.fix_random_seed(0)
        nlp = somd_blank()
        rel = nlp.add_pipe("somd_relation_extractor", config={"learn_rate_scale": scale, "adversarial_epsilon": 0.0})
        examples = gold_entity_examples(nlp, tiny_docs(nlp))
        optimizer = nlp.initialize(lambda examples=examples: examples)
        optimizer.L2 = 0.0
        before = params(rel.model)
        nlp.update(examples[:4], sgd=optimizer, drop=0.0)
        changes[scale] = sum(numpy.abs(a - b).sum() for a, b in zip(params(rel.model), before))
    assert changes[5.0] / changes[1.0] == pytest.approx(5.0, rel=0.01)


def test_visualize_writes_entities_and_relation_arcs(trained, tmp_path):
    _, path, docs = trained
    texts = tmp_path / "texts.txt"
    texts.write_text("".join(f"{doc.text}\n" for doc in docs[:3]), encoding="utf-8")
    result = CliRunner().invoke(app, ["visualize", str(path), str(texts), str(tmp_path / "out.html")])
    assert result.exit_code == 0, result.output
    html = (tmp_path / "out.html").read_text(encoding="utf-8")
    assert html.count("<hr>") == 3 and "Version_of" in html and "Application" in html


def test_seen_type_pairs_only_keeps_the_type_pairs_of_the_gold_relations():
    nlp = somd_blank()
    rel = nlp.add_pipe("somd_relation_extractor", config={"seen_type_pairs_only": True})
    docs = tiny_docs(nlp)
    nlp.initialize(lambda: gold_entity_examples(nlp, docs))
    seen = {tuple(pair) for pair in rel.cfg["type_pairs"]}
    assert ("Version", "Application") in seen and ("Application", "Version") not in seen
    for doc in docs:
        pairs = rel.candidates(doc)
        assert {(h.label_, t.label_) for h, t in pairs} <= seen
        assert {(r["head"], r["tail"]) for r in doc._.somd_relations} <= {(h.start, t.start) for h, t in pairs}
    assert sum(len(rel.candidates(d)) for d in docs) < sum(len(entity_pairs(d, 100)) for d in docs)


def test_set_annotations_keeps_pairs_whose_best_class_is_a_label_over_the_threshold(trained):
    """Hand-made probabilities over three docs (the middle one without pairs): only rows
    whose most probable class is a relation label at the threshold or above are kept,
    each on its own doc, in order."""
    nlp, _, _ = trained
    rel = nlp.get_pipe("somd_relation_extractor")
    n = len(rel.classes)
    first = doc_with_entities(["SPSS", "25", "and", "R", "3.6.1"], [(0, 1, "Application"), (1, 2, "Version"), (3, 4, "Application")])
    last = doc_with_entities(["Stata", "v", "13"], [(0, 1, "Application"), (2, 3, "Version")])
    empty = doc_with_entities(["Nothing", "."], [])
    version, spss, r_app = first.ents[1], first.ents[0], first.ents[2]
    pairs = [[(version, spss), (version, r_app), (spss, r_app)], [], [(last.ents[1], last.ents[0])]]

    def row(cls: int, p: float) -> List[float]:
        rest = (1.0 - p) / (n - 1)
        return [p if i == cls else rest for i in range(n)]

    threshold = rel.cfg["threshold"]
    probs = numpy.array(
        [
            row(1, threshold),  # a label at the threshold: kept
            row(2, threshold - 0.01),  # the best class, but below the threshold: dropped
            row(0, 0.9),  # "no relation": dropped
            row(n - 1, 0.95),  # the last label: kept
        ],
        dtype="f",
    )
    rel.set_annotations([first, empty, last], (pairs, rel.model.ops.asarray2f(probs)))
    labels = rel.classes
    assert [(r["head"], r["tail"], r["label"]) for r in first._.get(RELATIONS_ATTR)] == [(1, 0, labels[1])]
    assert empty._.get(RELATIONS_ATTR) == []
    (kept,) = last._.get(RELATIONS_ATTR)
    assert (kept["head"], kept["tail"], kept["label"]) == (2, 0, labels[n - 1])
    assert kept["score"] == pytest.approx(0.95) and set(kept["scores"]) == set(rel.labels)


def test_a_partially_annotated_doc_teaches_no_relation_and_no_absence_of_one():
    """A sentence of another corpus (``doc._.somd_partial``) has no relation annotation: its
    pairs are left out of the loss, not taken as "no relation"."""
    nlp = somd_blank()
    rel = nlp.add_pipe("somd_relation_extractor", config={"seen_type_pairs_only": False})
    docs = tiny_docs(nlp)
    nlp.initialize(lambda: gold_entity_examples(nlp, docs))
    examples = gold_entity_examples(nlp, docs)
    pairs = rel.training_pairs(examples)
    known = rel.gold_pairs(examples, pairs).classes
    assert len(known) > 0 and UNKNOWN not in known
    for eg in examples:
        eg.reference._.set(PARTIAL_ATTR, True)
    assert set(rel.gold_pairs(examples, pairs).classes) == {UNKNOWN}
