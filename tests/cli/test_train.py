"""End-to-end training through the project's real config files, offline and fast: tiny
random transformer backbones (see conftest.py), a tiny corpus and a few steps.

`spacy train` and `spacy evaluate` run as subprocesses WITHOUT `--code`, so the
project's registered functions must come from its entry points."""

import json
from pathlib import Path

import pytest
import spacy
from spacy.tokens import Span

from spacy_somd.labels import ENTITY_TYPES
from spacy_somd.training.reader import create_fold_corpus
from tests.builders import CONFIGS, DEV_FOLD, EVAL_FREQUENCY, MAX_STEPS, run, spacy_train

pytestmark = pytest.mark.slow  # subprocess trainings

TEXT = "We used SPSS version 22 ."
SCORE_KEYS = ("token_f", "token_p", "token_r", "token_per_type", "ents_f")
RELATION_SCORE_KEYS = ("rel_f", "rel_p", "rel_r", "rel_per_type", "somd_macro_f", "somd_micro_f")
CATS_SCORE_KEYS = ("cats_macro_f", "cats_micro_f", "cats_f_per_type", "cats_auc_per_type")
CATEGORIES = ["SOFTWARE", "APPLICATION", "PLUGIN", "PROGRAMMING_ENVIRONMENT", "OPERATING_SYSTEM"]


def check_pipeline(model: Path, docbins: Path) -> spacy.language.Language:
    """The trained pipeline loads, keeps the corpus tokens and scores the dev fold."""
    nlp = spacy.load(model)
    assert {"ner", "somd_relation_extractor"} <= set(nlp.pipe_names)
    doc = nlp(TEXT)
    assert [t.text for t in doc] == TEXT.split(" ")
    assert all(ent.label_ in ENTITY_TYPES for ent in doc.ents)
    dev = list(create_fold_corpus(docbins, fold=DEV_FOLD, split="heldout")(nlp))
    assert len(dev) == 5
    scores = nlp.evaluate(dev)
    for key in SCORE_KEYS + RELATION_SCORE_KEYS + CATS_SCORE_KEYS:
        assert key in scores, f"{key} missing from {sorted(scores)}"
    assert list(doc.cats) == CATEGORIES and all(type(p) is float for p in doc.cats.values())
    assert isinstance(scores["token_per_type"], dict) and scores["token_per_type"]
    assert set(scores["token_per_type"]) <= set(ENTITY_TYPES)
    check_relations(nlp)
    return nlp


def check_relations(nlp: spacy.language.Language) -> None:
    """The relation extractor on hand-set entities (NER off), without a threshold: with
    only seen type pairs, only the Version -> Application order is a candidate, else both
    orders are; the relations set are exactly the pairs whose most probable class is one
    of the pipe's labels, between the entities' starts, with that class's probability."""
    rel = nlp.get_pipe("somd_relation_extractor")
    rel.cfg["threshold"] = 0.0
    doc = nlp.make_doc(TEXT)
    doc.ents = [Span(doc, 2, 3, label="Application"), Span(doc, 4, 5, label="Version")]
    rel.cfg["seen_type_pairs_only"] = True
    (pairs,), _ = rel.predict([doc])
    assert [(head.start, tail.start) for head, tail in pairs] == [(4, 2)]
    rel.cfg["seen_type_pairs_only"] = False
    with nlp.select_pipes(disable=["ner"]):
        doc = nlp(doc)
    (pairs,), probs = rel.predict([doc])
    assert [(head.start, tail.start) for head, tail in pairs] == [(2, 4), (4, 2)]
    expected = []
    for (head, tail), row in zip(pairs, rel.model.ops.to_numpy(probs)):
        best = rel.classes[int(row.argmax())]
        if best in rel.labels:
            expected.append((head.start, tail.start, best, pytest.approx(float(row.max()))))
    assert [(r["head"], r["tail"], r["label"], r["score"]) for r in doc._.somd_relations] == expected


def check_alignment(nlp: spacy.language.Language) -> None:
    """Every token of the probe text is aligned to at least one word piece."""
    doc = nlp(TEXT)
    lengths = doc._.trf_data.align.lengths
    assert len(lengths) == len(doc)
    assert all(n > 0 for n in lengths), list(zip([t.text for t in doc], lengths))


def test_default_cfg_trains_with_tiny_bert(default_pipeline, tiny_corpus_docbins):
    nlp = check_pipeline(default_pipeline, tiny_corpus_docbins)
    assert nlp.pipe_names[:9] == [
        "sentencizer",
        "transformer",
        "ner",
        "somd_split_urls",
        "somd_split_citations",
        "somd_long_names",
        "somd_name_forms",
        "somd_relation_extractor",
        "somd_name_form_relations",
    ]
    assert nlp.get_pipe("transformer").model.tokenizer.is_fast
    check_alignment(nlp)


def test_gpu_cfg_trains_with_tiny_deberta_slow_tokenizer(tmp_path, tiny_corpus_docbins, tiny_deberta):
    # gradient scaling (mixed precision) needs a CUDA GPU: thinc raises on CPU
    model = spacy_train(
        "gpu.cfg", tmp_path / "out", tiny_corpus_docbins, "--paths.backbone", str(tiny_deberta), "--components.transformer.model.mixed_precision", "false"
    )
    nlp = check_pipeline(model, tiny_corpus_docbins)
    assert nlp.pipe_names[:9] == [
        "sentencizer",
        "transformer",
        "ner",
        "somd_split_urls",
        "somd_split_citations",
        "somd_long_names",
        "somd_name_forms",
        "somd_relation_extractor",
        "somd_name_form_relations",
    ]
    tokenizer = nlp.get_pipe("transformer").model.tokenizer
    assert not tokenizer.is_fast
    assert type(tokenizer).__name__ == "DebertaV2Tokenizer"
    check_alignment(nlp)


def test_fast_cfg_trains(tmp_path, tiny_corpus_docbins):
    model = spacy_train("fast.cfg", tmp_path / "out", tiny_corpus_docbins)
    nlp = check_pipeline(model, tiny_corpus_docbins)
    assert nlp.pipe_names[:9] == [
        "sentencizer",
        "tok2vec",
        "ner",
        "somd_split_urls",
        "somd_split_citations",
        "somd_long_names",
        "somd_name_forms",
        "somd_relation_extractor",
        "somd_name_form_relations",
    ]


def test_spacy_evaluate_and_report(default_pipeline, tiny_corpus_docbins, tmp_path):
    metrics = tmp_path / "m.json"
    run(["spacy", "evaluate", str(default_pipeline), str(tiny_corpus_docbins / f"fold{DEV_FOLD}.spacy"), "--per-component", "--output", str(metrics)])
    scores = json.loads(metrics.read_text(encoding="utf-8"))
    assert "ner" in scores
    for key in SCORE_KEYS:
        assert key in scores["ner"], f"{key} missing from {sorted(scores['ner'])}"
    for key in RELATION_SCORE_KEYS:
        assert key in scores["somd_relation_extractor"], f"{key} missing"
    for key in CATS_SCORE_KEYS:
        assert key in scores["somd_textcat"], f"{key} missing"
    gold_entities = tmp_path / "gold.json"
    run(["spacy_somd", "evaluate-gold-entities", str(default_pipeline), str(tiny_corpus_docbins / f"fold{DEV_FOLD}.spacy"), "--output", str(gold_entities)])
    assert {"rel_p", "rel_r", "rel_f", "rel_per_type"} <= set(json.loads(gold_entities.read_text()))
    result = run(["spacy_somd", "report", str(metrics), "--gold-entities", str(gold_entities)])
    for title in ("Token-level", "Entity-level", "Relations, end to end", "Relations with gold entities", "SOMD score", "Sentence categories"):
        assert title in result.stdout
    ner = scores["ner"]
    micro = next(line.split() for line in result.stdout.splitlines() if line.startswith("ALL (micro)"))
    assert micro[2:] == [f"{100 * ner[f'token_{k}']:.2f}" for k in "prf"]  # percent, as spaCy prints


def test_plot_the_training_log(default_pipeline, tmp_path):
    log = default_pipeline.parent / "log.jsonl"
    records = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    assert [r["step"] for r in records] == list(range(0, MAX_STEPS + 1, EVAL_FREQUENCY))
    assert {"ner", "somd_relation_extractor", "somd_textcat"} <= set(records[0]["losses"])
    png = tmp_path / "curves.png"
    result = run(["spacy_somd", "plot", str(log), str(png)])
    assert "Plotted 3 evaluations" in result.stdout
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 20_000


def test_a_release_pipeline_trains_on_every_fold(tmp_path, tiny_corpus_docbins):
    """`train --fold none`: ``somd.fold`` is null in the trained pipeline's config, and the
    training split it names is every sentence of every fold."""
    command = [
        "spacy_somd",
        "train",
        str(CONFIGS / "fast.cfg"),
        str(tmp_path / "out"),
        "--paths.corpus",
        str(tiny_corpus_docbins),
        "--somd.fold",
        "null",
        "--somd.negative_ratio",
        "1.0",
        "--training.max_steps",
        str(MAX_STEPS),
        "--training.eval_frequency",
        str(EVAL_FREQUENCY),
    ]
    run(command)
    nlp = spacy.load(tmp_path / "out" / "model-last")
    somd = nlp.config["somd"]
    assert somd["fold"] is None and somd["dev_size"] == 0.0
    read = create_fold_corpus(tiny_corpus_docbins, somd["fold"], "train", somd["n_folds"], somd["negative_ratio"], dev_size=0.0)
    assert sorted(eg.reference._.somd_line for eg in read(nlp)) == list(range(1, 21))
    assert [t.text for t in nlp(TEXT)] == TEXT.split(" ")


def test_no_development_split_trains_on_all_other_folds(tmp_path, tiny_corpus_docbins):
    """``somd.dev_size = 0``: nothing is held out for development, the dev scores stay
    empty and every evaluation counts as the best, so with ``eval_frequency`` dividing
    ``max_steps`` model-best is model-last."""
    model = spacy_train("fast.cfg", tmp_path / "out", tiny_corpus_docbins, "--somd.dev_size", "0")
    check_pipeline(model, tiny_corpus_docbins)
    best = model.parent / "model-best"
    for part in ("ner/model", "somd_relation_extractor/model", "tok2vec/model"):
        assert (best / part).read_bytes() == (model / part).read_bytes(), part
