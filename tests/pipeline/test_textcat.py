"""The sentence categorizer: gold categories, loss, scorer, learning, serialization,
batches with empty docs, and its blocks in the project's configs."""

import math
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import pytest
import spacy
from spacy.language import Language
from spacy.tokens import Doc, Span
from spacy.training import Example
from spacy.training.initialize import init_nlp
from thinc.api import Adam, Config

from spacy_somd.pipeline.textcat.gold import DEFAULT_MAPPING, gold_categories
from spacy_somd.pipeline.textcat.scorer import score_textcat
from spacy_somd.training.reader import create_fold_corpus
from tests.builders import CONFIGS

LABELS = ["SOFTWARE", "APPLICATION", "PLUGIN", "PROGRAMMING_ENVIRONMENT", "OPERATING_SYSTEM"]
BOW_MODEL = {"@architectures": "spacy_somd.BagOfWordsLogits.v1", "ngram_size": 1, "length": 4096, "nO": None}
# (text, [(token index, entity label)]): one word per category, no word shared across them
TOY = [
    ("we used SPSS here", [(2, "Application")]),
    ("scripts written in Python", [(3, "ProgrammingEnvironment")]),
    ("the lme4 package was loaded", [(1, "PlugIn")]),
    ("machines running Linux only", [(2, "OperatingSystem")]),
    ("Stata with its xtmixed module", [(0, "Application"), (3, "PlugIn")]),
    ("mice were kept at night", []),
    ("consent was given by all", [(4, "Developer")]),
    ("", []),
]


def make_doc(nlp: Language, text: str, ents: List[Tuple[int, str]]) -> Doc:
    doc = nlp.make_doc(text)
    doc.ents = [Span(doc, i, i + 1, label=label) for i, label in ents]
    return doc


def expected(ents: List[Tuple[int, str]]) -> Dict[str, float]:
    """The default mapping worked by hand."""
    types = {label for _, label in ents}
    software = {"Application", "PlugIn", "ProgrammingEnvironment", "OperatingSystem"}
    return {
        "SOFTWARE": float(bool(types & software)),
        "APPLICATION": float("Application" in types),
        "PLUGIN": float("PlugIn" in types),
        "PROGRAMMING_ENVIRONMENT": float("ProgrammingEnvironment" in types),
        "OPERATING_SYSTEM": float("OperatingSystem" in types),
    }


def toy_examples(nlp: Language) -> List[Example]:
    return [Example(nlp.make_doc(text), make_doc(nlp, text, ents)) for text, ents in TOY]


def blank_textcat(model: Optional[dict] = None) -> Language:
    nlp = spacy.blank("en")
    nlp.add_pipe("somd_textcat", config={"model": model} if model else {})
    return nlp


def train_toy(model: Optional[dict], steps: int = 40) -> Language:
    spacy.util.fix_random_seed(0)
    nlp = blank_textcat(model)
    examples = toy_examples(nlp)
    nlp.initialize(lambda: examples)
    optimizer = Adam(0.01)
    for step in range(steps):
        batch = examples[step % 2 :: 2] + examples[-1:]  # every batch holds the empty doc
        nlp.update(batch, sgd=optimizer)
    return nlp


@pytest.fixture(scope="module", params=["cnn", "bow"])
def trained(request) -> Language:
    """The default CNN model and the bag-of-words model trained on the toy set."""
    return train_toy(None if request.param == "cnn" else BOW_MODEL)


def test_gold_categories_from_entities():
    nlp = spacy.blank("en")
    for text, ents in TOY:
        assert gold_categories(make_doc(nlp, text, ents), DEFAULT_MAPPING, LABELS) == expected(ents)
    doc = make_doc(nlp, "Stata with its xtmixed module", [(0, "Application"), (3, "PlugIn")])
    assert gold_categories(doc, DEFAULT_MAPPING, LABELS) == {
        "SOFTWARE": 1.0,
        "APPLICATION": 1.0,
        "PLUGIN": 1.0,
        "PROGRAMMING_ENVIRONMENT": 0.0,
        "OPERATING_SYSTEM": 0.0,
    }
    free = make_doc(nlp, "mice were kept at night", [])
    assert gold_categories(free, DEFAULT_MAPPING, LABELS) == dict.fromkeys(LABELS, 0.0)
    coreference = make_doc(nlp, "it was run", [(0, "SoftwareCoreference")])
    assert gold_categories(coreference, DEFAULT_MAPPING, LABELS)["SOFTWARE"] == 0.0
    assert gold_categories(coreference, {"SoftwareCoreference": ["SOFTWARE"]}, LABELS)["SOFTWARE"] == 1.0


def test_explicit_cats_win_and_missing_labels_are_masked():
    nlp = blank_textcat()
    pipe = nlp.get_pipe("somd_textcat")
    pipe.initialize(lambda: toy_examples(nlp))
    doc = make_doc(nlp, "we used SPSS here", [(2, "Application")])
    doc.cats = {"SOFTWARE": 0.0, "PLUGIN": 1.0}
    assert gold_categories(doc, DEFAULT_MAPPING, LABELS) == {"SOFTWARE": 0.0, "PLUGIN": 1.0}
    truths, mask = pipe.truths([Example(nlp.make_doc(doc.text), doc)])
    assert truths.tolist() == [[0.0, 0.0, 1.0, 0.0, 0.0]]
    assert mask.tolist() == [[1.0, 0.0, 1.0, 0.0, 0.0]]


def test_loss_is_binary_cross_entropy_on_logits():
    nlp = blank_textcat()
    pipe = nlp.get_pipe("somd_textcat")
    examples = toy_examples(nlp)
    pipe.initialize(lambda: examples)
    reference = make_doc(nlp, "we used SPSS here", [(2, "Application")])
    reference.cats = {"SOFTWARE": 1.0, "APPLICATION": 0.0, "PLUGIN": 1.0}  # the others are missing
    logits = pipe.model.ops.asarray2f([[0.0, 2.0, -1.0, 30.0, -30.0]])
    loss, gradient = pipe.get_loss([Example(nlp.make_doc(reference.text), reference)], logits)
    # -log(sigmoid(0)) + -log(1 - sigmoid(2)) + -log(sigmoid(-1)); the missing labels add nothing
    assert loss == pytest.approx(math.log(2) + math.log1p(math.exp(2)) + math.log1p(math.exp(1)), rel=1e-5)
    sigmoid = lambda x: 1 / (1 + math.exp(-x))  # noqa: E731
    assert gradient.tolist()[0] == pytest.approx([0.5 - 1, sigmoid(2), sigmoid(-1) - 1, 0.0, 0.0], abs=1e-6)


def test_scorer_on_hand_worked_examples():
    nlp = spacy.blank("en")
    rows = [  # (reference entities, explicit reference cats, predicted cats)
        ([(0, "Application")], {}, dict(SOFTWARE=0.9, APPLICATION=0.8, PLUGIN=0.1, OPERATING_SYSTEM=0.1)),
        ([], {}, dict(SOFTWARE=0.6)),
        ([(0, "PlugIn")], {}, dict(SOFTWARE=0.3, APPLICATION=0.1, PLUGIN=0.7)),
        ([(0, "Application")], {"OPERATING_SYSTEM": 1.0}, dict(SOFTWARE=0.9, OPERATING_SYSTEM=0.2)),
    ]
    examples = []
    for ents, cats, predicted_cats in rows:
        reference = make_doc(nlp, "a b c", ents)
        reference.cats = cats
        predicted = nlp.make_doc("a b c")
        predicted.cats = {label: predicted_cats.get(label, 0.0) for label in LABELS}
        examples.append(Example(predicted, reference))
    scores = score_textcat(examples, labels=LABELS, threshold=0.5)
    f = scores["cats_f_per_type"]
    assert f["SOFTWARE"] == pytest.approx({"p": 0.5, "r": 0.5, "f": 0.5})  # row 4: SOFTWARE missing
    assert f["APPLICATION"]["f"] == f["PLUGIN"]["f"] == 1.0
    assert f["PROGRAMMING_ENVIRONMENT"]["f"] == f["OPERATING_SYSTEM"]["f"] == 0.0
    assert scores["cats_macro_f"] == pytest.approx(0.5)
    assert scores["cats_micro_p"] == pytest.approx(0.75)  # tp 3, fp 1, fn 2
    assert scores["cats_micro_f"] == pytest.approx(2 / 3)
    assert scores["cats_auc_per_type"] == pytest.approx(
        {"SOFTWARE": 0.5, "APPLICATION": 1.0, "PLUGIN": 1.0, "PROGRAMMING_ENVIRONMENT": None, "OPERATING_SYSTEM": 1.0}
    )
    assert "cats_score" in scores
    assert [eg.reference.cats for eg in examples] == [{}, {}, {}, {"OPERATING_SYSTEM": 1.0}]  # left as they were
    lower = score_textcat(examples, labels=LABELS, threshold=0.25)["cats_f_per_type"]["SOFTWARE"]
    assert lower == pytest.approx({"p": 2 / 3, "r": 1.0, "f": 0.8})


def test_initialize_labels_and_sizes():
    nlp = blank_textcat()
    pipe = nlp.get_pipe("somd_textcat")
    examples = toy_examples(nlp)
    examples[0].reference.cats = {"SOFTWARE": 1.0, "HAS_URL": 0.0}
    nlp.initialize(lambda: examples)
    assert pipe.labels == (*LABELS, "HAS_URL")
    assert pipe.model.get_ref("output_layer").get_dim("nO") == 6
    with pytest.raises(ValueError):
        pipe.add_label("LICENSE")
    nlp = blank_textcat(BOW_MODEL)
    nlp.get_pipe("somd_textcat").initialize(lambda: examples, labels=["SOFTWARE", "PLUGIN"])
    assert nlp.get_pipe("somd_textcat").labels == ("SOFTWARE", "PLUGIN")
    assert nlp.get_pipe("somd_textcat").model.get_ref("output_layer").get_dim("nO") == 2


@pytest.mark.filterwarnings("error::RuntimeWarning")
def test_learns_toy_set_with_python_floats(trained):
    docs = list(trained.pipe(text for text, _ in TOY))
    for doc, (_, ents) in zip(docs, TOY):
        assert list(doc.cats) == LABELS
        assert all(type(p) is float and 0.0 <= p <= 1.0 for p in doc.cats.values())
        assert {label: float(p >= 0.5) for label, p in doc.cats.items()} == expected(ents), doc.text
    scores = trained.evaluate(toy_examples(trained))
    assert scores["cats_macro_f"] == 1.0 and scores["cats_micro_f"] == 1.0


def test_to_disk_round_trip_gives_identical_cats(trained, tmp_path):
    trained.to_disk(tmp_path / "nlp")
    loaded = spacy.load(tmp_path / "nlp")
    texts = [text for text, _ in TOY] + ["SPSS and Linux", "unseen words only"]
    assert [d.cats for d in loaded.pipe(texts)] == [d.cats for d in trained.pipe(texts)]
    assert loaded.get_pipe("somd_textcat").cfg == trained.get_pipe("somd_textcat").cfg


@pytest.mark.filterwarnings("error::RuntimeWarning")
def test_pipe_batches_with_empty_docs(trained):
    texts = ["", "we used SPSS here", "", "", "", "machines running Linux only", ""]
    docs = list(trained.pipe(texts, batch_size=2))  # batches [e, x], [e, e], [e, x], [e]
    assert [d.text for d in docs] == texts
    for doc in docs:
        assert list(doc.cats) == LABELS
        if not len(doc):
            assert doc.cats == dict.fromkeys(LABELS, 0.0)
    assert docs[1].cats["APPLICATION"] >= 0.5 and docs[5].cats["OPERATING_SYSTEM"] >= 0.5
    empty = Example(trained.make_doc(""), trained.make_doc(""))
    assert trained.get_pipe("somd_textcat").update([empty]) == {"somd_textcat": 0.0}


def config_nlp(name: str, corpus: Path, **overrides: str) -> Tuple[Language, Config]:
    config = spacy.util.load_config(CONFIGS / name, overrides={"paths.corpus": str(corpus), **overrides})
    return init_nlp(config), config


@pytest.mark.parametrize("name", ["fast.cfg", "default.cfg"])
def test_config_pipelines_train_and_score_cats(name, tiny_corpus_docbins, request):
    overrides = {"paths.backbone": str(request.getfixturevalue("tiny_bert"))} if name == "default.cfg" else {}
    spacy.util.fix_random_seed(0)
    nlp, config = config_nlp(name, tiny_corpus_docbins, **overrides)
    assert nlp.pipe_names[-1] == "somd_textcat" and "ner" in nlp.pipe_names
    weights = config["training"]["score_weights"]
    assert weights["cats_macro_f"] == 0.0 and weights["token_f"] > 0
    model = nlp.get_pipe("somd_textcat").model
    if name == "fast.cfg":
        assert model.get_ref("output_layer").name == "sparse_linear"
    else:
        assert model.get_ref("tok2vec").layers[0].name == "transformer-listener"
    train = list(create_fold_corpus(tiny_corpus_docbins, fold=2, split="train")(nlp))
    optimizer = Adam(0.001)
    losses = [nlp.update(train[:4], sgd=optimizer)["somd_textcat"] for _ in range(5)]
    assert losses[-1] < losses[0], losses
    dev = list(create_fold_corpus(tiny_corpus_docbins, fold=2, split="heldout")(nlp))
    scores = nlp.evaluate(dev)
    for key in ("cats_macro_f", "cats_micro_f", "cats_score", "cats_f_per_type", "cats_auc_per_type"):
        assert key in scores, key
    assert set(scores["cats_f_per_type"]) == set(LABELS)
    assert list(nlp("We used SPSS version 22 .").cats) == LABELS


def test_training_dynamics_record_each_sentence_label_per_epoch(tmp_path):
    from spacy_somd.training.dynamics.analysis import read_dynamics

    path = tmp_path / "dynamics.jsonl"
    nlp = spacy.blank("en")
    textcat = nlp.add_pipe("somd_textcat", config={"dynamics_path": str(path)})
    examples = toy_examples(nlp)
    for i, eg in enumerate(examples):
        eg.reference._.somd_line = i + 1
    optimizer = nlp.initialize(lambda: examples)
    for _ in range(3):
        nlp.update(examples, sgd=optimizer)
    textcat.recorder.flush()
    (group,) = read_dynamics(path)
    assert group.kind == "category" and len(group.instances) == len(examples) * len(textcat.labels)
    assert set(group.epochs) == {3}
    by_id = {instance.id: label for instance, label in zip(group.instances, group.assigned)}
    for i in range(len(examples)):
        gold = {label: bool(value) for label, value in expected(TOY[i][1]).items()}
        assert {label: by_id[f"{i + 1}:{label}"] == "present" for label in textcat.labels} == gold
