"""The relation component: candidates, adversarial step, scorer, training, serialization
and the SOMD-format prediction round trip."""

import json
import random
from typing import List

import numpy
import pytest
import spacy
from conftest import SHARED_CORPUS, somd_blank, tiny_rows
from spacy.language import Language
from spacy.tokens import Doc, Span
from spacy.training import Example
from thinc.api import NumpyOps
from typer.testing import CliRunner

from spacy_somd.cli import app
from spacy_somd.corpus.docs import sentence_to_doc
from spacy_somd.corpus.format import Sentence, read_corpus_dir, read_somd
from spacy_somd.labels import RELATIONS_ATTR
from spacy_somd.pipeline.dynamics import FAKE_LABEL
from spacy_somd.pipeline.relations.candidates import entity_pairs, make_entity_pairs, missed_gold_relations
from spacy_somd.pipeline.relations.model import adversarial_perturbation
from spacy_somd.pipeline.relations.pipe import NO_RELATION, softmax_loss
from spacy_somd.pipeline.scorers import relation_prf, score_relations, somd_scores
from spacy_somd.training.dynamics.analysis import read_dynamics
from spacy_somd.training.reader import create_fold_corpus


def tiny_docs(nlp: Language) -> List[Doc]:
    return [sentence_to_doc(nlp.vocab, Sentence(i + 1, words, labels, rels)) for i, (words, labels, rels) in enumerate(tiny_rows())]


def gold_entity_examples(nlp: Language, docs: List[Doc]) -> List[Example]:
    """Examples whose predicted docs carry the gold entities (no NER in the pipeline)."""
    examples = []
    for doc in docs:
        predicted = nlp.make_doc(doc.text)
        predicted.ents = [predicted.char_span(e.start_char, e.end_char, label=e.label_) for e in doc.ents]
        examples.append(Example(predicted, doc))
    return examples


def train(nlp: Language, examples: List[Example], epochs: int, seed: int = 0) -> None:
    optimizer = nlp.initialize(lambda: examples)
    rng = random.Random(seed)
    for _ in range(epochs):
        examples = rng.sample(examples, len(examples))
        for start in range(0, len(examples), 4):
            nlp.update(examples[start : start + 4], sgd=optimizer)


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
        train(nlp, examples, epochs=25)
    path = tmp_path_factory.mktemp("relation_model") / "model"
    nlp.to_disk(path)
    return nlp, path, docs


def params(model) -> List[numpy.ndarray]:
    return [node.get_param(name).copy() for node in model.walk() for name in node.param_names if node.has_param(name)]


def make_doc(words: List[str], ents: List[tuple]) -> Doc:
    doc = Doc(spacy.blank("en").vocab, words=words)
    doc.ents = [Span(doc, s, e, label=label) for s, e, label in ents]
    return doc


def test_entity_pairs_are_ordered_bounded_and_filtered():
    words = "SPSS version 22 by IBM and then many more words here and R".split()
    doc = make_doc(words, [(0, 1, "Application"), (2, 3, "Version"), (4, 5, "Developer"), (12, 13, "ProgrammingEnvironment")])
    pairs = [(h.text, t.text) for h, t in entity_pairs(doc, max_distance=100)]
    assert len(pairs) == 4 * 3 and ("22", "SPSS") in pairs and ("SPSS", "22") in pairs
    near = {(h.text, t.text) for h, t in entity_pairs(doc, max_distance=3)}
    assert ("22", "SPSS") in near and ("IBM", "SPSS") in near  # 3 tokens between IBM and SPSS
    assert not any("R" in pair for pair in near)
    only = entity_pairs(doc, 100, type_pairs={("Version", "Application")})
    assert [(h.text, t.text) for h, t in only] == [("22", "SPSS")]
    assert make_entity_pairs(max_distance=100)(doc) == entity_pairs(doc, 100)


def test_entity_pairs_stay_within_sentences():
    doc = make_doc("We used SPSS 22 . R was used .".split(), [(2, 3, "Application"), (3, 4, "Version"), (5, 6, "ProgrammingEnvironment")])
    assert len(entity_pairs(doc, 100)) == 6  # no sentence boundaries: one sentence
    for token in doc:
        token.is_sent_start = token.i in (0, 5)
    pairs = {(h.text, t.text) for h, t in entity_pairs(doc, 100)}
    assert pairs == {("SPSS", "22"), ("22", "SPSS")}


@pytest.mark.skipif(not SHARED_CORPUS.is_dir(), reason="needs ../shared/somd2025")
def test_default_candidates_cover_every_gold_relation_of_the_corpus():
    nlp = spacy.blank("en")
    sentences, _ = read_corpus_dir(SHARED_CORPUS)
    docs = [sentence_to_doc(nlp.vocab, s) for s in sentences]
    config = spacy.registry.resolve({"c": {"@misc": "spacy_somd.entity_pairs.v1"}})
    assert missed_gold_relations(docs, config["c"]) == (0, 2551)
    tight = make_entity_pairs(max_distance=10)
    missed, total = missed_gold_relations(docs, tight)
    assert total == 2551 and missed > 0


def test_adversarial_perturbation_has_norm_epsilon_per_instance():
    ops = NumpyOps()
    gradient = numpy.random.default_rng(0).normal(size=(5, 7)).astype("float32")
    gradient[3] = 0.0
    delta = adversarial_perturbation(ops, gradient, 0.02)
    norms = numpy.linalg.norm(delta, axis=1)
    assert numpy.allclose(norms[[0, 1, 2, 4]], 0.02, atol=1e-6)
    assert norms[3] == 0.0
    cosine = (delta[0] @ gradient[0]) / (norms[0] * numpy.linalg.norm(gradient[0]))
    assert cosine == pytest.approx(1.0, abs=1e-5)


def test_adversarial_perturbation_increases_the_loss(trained):
    nlp, _, _ = trained
    rel = nlp.get_pipe("somd_relation_extractor")
    _, classifier = rel.adversarial_layers()
    features = numpy.random.default_rng(1).normal(size=(6, classifier.get_dim("nI"))).astype("float32")
    gold = [1, 0, 2, 0, 3, 0]

    def loss_and_gradient(features):
        logits, backprop = classifier.begin_update(features)
        loss, d_logits = softmax_loss(rel.model.ops, logits, gold)
        return loss, backprop(d_logits)

    loss, d_features = loss_and_gradient(features)
    for epsilon in (0.02, 0.5):
        adversarial = loss_and_gradient(features + adversarial_perturbation(rel.model.ops, d_features, epsilon))[0]
        assert adversarial > loss
    random_direction = numpy.random.default_rng(2).normal(size=features.shape).astype("float32")
    assert loss_and_gradient(features + adversarial_perturbation(rel.model.ops, random_direction, 0.5))[0] < adversarial


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


def example_with_relations(gold_rels, pred_rels, pred_ents=None) -> Example:
    words = "SPSS version 22 ( IBM ) and R".split()
    gold_ents = [(0, 1, "Application"), (2, 3, "Version"), (4, 5, "Developer"), (7, 8, "ProgrammingEnvironment")]
    reference = make_doc(words, gold_ents)
    predicted = make_doc(words, gold_ents if pred_ents is None else pred_ents)
    reference._.set(RELATIONS_ATTR, [{"head": h, "tail": t, "label": label} for h, t, label in gold_rels])
    predicted._.set(RELATIONS_ATTR, [{"head": h, "tail": t, "label": label, "score": 0.9} for h, t, label in pred_rels])
    return Example(predicted, reference)


def test_relation_scorer_on_hand_worked_cases():
    gold = [(2, 0, "Version_of"), (4, 0, "Developer_of")]
    examples = [
        # one right, one with the wrong label: 1 TP Version_of, 1 FP Citation_of, 1 FN Developer_of
        example_with_relations(gold, [(2, 0, "Version_of"), (4, 0, "Citation_of")]),
        # entities missed, nothing predicted: both gold relations still count as FN
        example_with_relations(gold, [], pred_ents=[]),
        # a relation in a doc without gold relations: FP
        example_with_relations([], [(2, 7, "Version_of")]),
        # an empty doc
        Example(Doc(spacy.blank("en").vocab, words=[]), Doc(spacy.blank("en").vocab, words=[])),
    ]
    scores = relation_prf(examples)
    per_type = scores["rel_per_type"]
    assert per_type["Version_of"] == {"p": 0.5, "r": 0.5, "f": 0.5}  # tp 1, fp 1, fn 1
    assert per_type["Developer_of"] == {"p": 0.0, "r": 0.0, "f": 0.0}  # fn 2
    assert per_type["Citation_of"] == {"p": 0.0, "r": 0.0, "f": 0.0}  # fp 1
    # micro: tp 1, fp 2, fn 3
    assert scores["rel_p"] == pytest.approx(1 / 3)
    assert scores["rel_r"] == pytest.approx(1 / 4)
    assert scores["rel_f"] == pytest.approx(2 * (1 / 3) * (1 / 4) / (1 / 3 + 1 / 4))


def test_somd_score_averages_entity_and_relation_f():
    entities = {"ents_f": 0.8, "ents_per_type": {"A": {"f": 1.0}, "B": {"f": 0.5}}}
    relations = {"rel_f": 0.6, "rel_per_type": {"X_of": {"f": 0.2}, "Y_of": {"f": 0.4}, "Z_of": {"f": 0.6}}}
    scores = somd_scores(entities, relations)
    assert scores["somd_macro_f"] == pytest.approx((0.75 + 0.4) / 2)
    assert scores["somd_micro_f"] == pytest.approx(0.7)
    both = score_relations([example_with_relations([(2, 0, "Version_of")], [(2, 0, "Version_of")])])
    assert both["rel_f"] == 1.0 and both["somd_micro_f"] == 1.0 and both["somd_macro_f"] == 1.0


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
    train(nlp, gold_entity_examples(nlp, docs), epochs=3)
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
    first = make_doc(["SPSS", "25", "and", "R", "3.6.1"], [(0, 1, "Application"), (1, 2, "Version"), (3, 4, "Application")])
    last = make_doc(["Stata", "v", "13"], [(0, 1, "Application"), (2, 3, "Version")])
    empty = make_doc(["Nothing", "."], [])
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
