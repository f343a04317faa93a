"""The spaCy component contracts of ``somd_relation_extractor`` and ``somd_textcat``, as
spaCy's own pipes keep them (labels, no resize, initialize, update, dropout,
serialization errors), and loading settings from the config and cfg."""

import re
import shutil
import warnings
from pathlib import Path
from typing import List, Tuple

import pytest
import spacy
import srsly
from spacy.language import Language
from spacy.tokens import Doc
from spacy.training import Example
from thinc.api import Config, Linear, chain

from spacy_somd.labels import RELATIONS_ATTR
from tests.builders import CONFIGS, run, somd_blank
from tests.builders.pipeline import TINY_TOK2VEC, gold_entity_examples, tiny_docs


@pytest.mark.slow
def test_loading_takes_the_settings_from_the_config_and_what_training_learned_from_cfg(default_pipeline):
    trained = spacy.load(default_pipeline)
    overrides = {
        "somd_relation_extractor": {"threshold": 0.9, "seen_type_pairs_only": False},  # the config: 0.5, true
        "somd_textcat": {"threshold": 0.7},
    }
    nlp = spacy.load(default_pipeline, config={"components": overrides})
    for name, settings in overrides.items():
        pipe, as_trained = nlp.get_pipe(name), trained.get_pipe(name)
        assert {key: pipe.cfg[key] for key in settings} == settings
        assert pipe.labels == as_trained.labels and len(pipe.labels) > 1
    relations = nlp.get_pipe("somd_relation_extractor")
    assert relations.cfg["type_pairs"] == trained.get_pipe("somd_relation_extractor").cfg["type_pairs"]
    assert relations.cfg["type_pairs"]
    doc = nlp("We used SPSS version 25 and R 3.6.1 [ 4 ] .")
    assert all(relation["score"] >= 0.9 for relation in doc._.somd_relations)


REL = "somd_relation_extractor"
CAT = "somd_textcat"


@spacy.registry.architectures("test_somd.BarePairClassifier.v1")
def bare_pair_classifier(tok2vec, nO=None):
    """The pair encoder and one linear layer, without the refs of RelationClassifier.v2."""
    from spacy_somd.pipeline.relations.model import build_pair_encoder

    return chain(build_pair_encoder(tok2vec, 8, 8, 8), Linear(nO=nO))


BARE_MODEL = {"@architectures": "test_somd.BarePairClassifier.v1", "tok2vec": TINY_TOK2VEC, "nO": None}


def relation_nlp(**config) -> Tuple[Language, List[Example]]:
    """A blank pipeline with the relation extractor and the tiny corpus' examples (with
    the gold entities predicted)."""
    nlp = somd_blank()
    nlp.add_pipe(REL, config=config)
    return nlp, gold_entity_examples(nlp, tiny_docs(nlp))


def output_width(pipe) -> int:
    return pipe.model.get_dim("nO")


@pytest.mark.parametrize("factory", [REL, CAT])
def test_labels_are_strings_in_the_string_store_and_keep_their_order(factory):
    nlp = somd_blank()
    pipe = nlp.add_pipe(factory)
    assert pipe.add_label("Version_of") == 1 and pipe.add_label("Hosted_by") == 1
    assert pipe.add_label("Version_of") == 0
    assert pipe.labels == ("Version_of", "Hosted_by") and pipe.label_data == ["Version_of", "Hosted_by"]
    assert "Hosted_by" in nlp.vocab.strings
    with pytest.raises(ValueError, match="string"):
        pipe.add_label(7)
    assert pipe.labels == ("Version_of", "Hosted_by")


@pytest.mark.parametrize("factory", [REL, CAT])
def test_no_resize(factory):
    """As spaCy's test_textcat.py::test_no_resize: once initialized, the output width is
    fixed and a new label is refused (the trained columns keep their labels)."""
    nlp = somd_blank()
    pipe = nlp.add_pipe(factory)
    pipe.add_label("Version_of")
    pipe.add_label("URL_of")
    nlp.initialize()
    labels, width = pipe.labels, output_width(pipe)
    assert width == len(labels) + (factory == REL)  # the relation classes add "no relation"
    with pytest.raises(ValueError, match=factory):
        pipe.add_label("Citation_of")
    assert pipe.labels == labels and output_width(pipe) == width


def test_initialize_takes_labels_from_label_data():
    nlp, examples = relation_nlp()
    nlp.initialize(lambda: examples)
    label_data = nlp.get_pipe(REL).label_data
    assert label_data == sorted({r["label"] for eg in examples for r in eg.reference._.get(RELATIONS_ATTR)})
    other, _ = relation_nlp()
    given = label_data[::-1]  # any order given is kept: output columns follow it
    other.get_pipe(REL).initialize(lambda: examples, nlp=other, labels=given)
    assert list(other.get_pipe(REL).labels) == given


@pytest.mark.slow
def test_spacy_init_labels_feeds_initialize(tiny_corpus_docbins, tmp_path):
    """`spacy init labels` writes both components' labels; a config that reads them back
    (`spacy.read_labels.v1`) initializes the same labels."""
    labels = tmp_path / "labels"
    config = CONFIGS / "fast.cfg"
    run(["spacy", "init", "labels", str(config), str(labels), "--paths.corpus", str(tiny_corpus_docbins)])
    for name in (REL, CAT):
        assert (labels / f"{name}.json").is_file(), sorted(p.name for p in labels.iterdir())
    overrides = {"paths.corpus": str(tiny_corpus_docbins)}
    for name in (REL, CAT):
        overrides[f"initialize.components.{name}"] = {"labels": {"@readers": "spacy.read_labels.v1", "path": str(labels / f"{name}.json")}}
    from spacy.training.initialize import init_nlp

    nlp = init_nlp(spacy.util.load_config(config, overrides=overrides))
    for name in (REL, CAT):
        assert nlp.get_pipe(name).label_data == srsly.read_json(labels / f"{name}.json")


@pytest.mark.parametrize("epsilon,n_losses", [(0.0, 1), (0.5, 2)])
def test_update_goes_through_get_loss_with_candidates_once(monkeypatch, epsilon, n_losses):
    """spaCy's pattern: the loss of an update is get_loss on the model's output (twice
    with adversarial training: clean and perturbed), candidates computed once per doc."""
    spacy.util.fix_random_seed(0)
    nlp, examples = relation_nlp(adversarial_epsilon=epsilon)
    rel = nlp.get_pipe(REL)
    nlp.initialize(lambda: examples)
    get_loss, get_candidates = rel.get_loss, rel.get_candidates
    losses, candidates = [], []
    monkeypatch.setattr(rel, "get_loss", lambda egs, pred: losses.append(get_loss(egs, pred)) or losses[-1])
    monkeypatch.setattr(rel, "get_candidates", lambda doc, pairs: candidates.append(doc) or get_candidates(doc, pairs))
    batch = [eg for eg in examples if eg.reference.ents][:4]
    total = rel.update(batch, drop=0.0)[REL]
    assert len(losses) == n_losses and len(candidates) == len(batch)
    assert total == pytest.approx(sum(loss for loss, _ in losses)) and total > 0


def test_a_model_without_the_adversarial_refs_trains_without_adversarial_training():
    nlp, examples = relation_nlp(model=BARE_MODEL, adversarial_epsilon=0.0)
    optimizer = nlp.initialize(lambda: examples)
    losses = [nlp.update(examples[:4], sgd=optimizer)[REL] for _ in range(5)]
    assert losses[-1] < losses[0], losses
    with pytest.raises(ValueError, match=r"adversarial_epsilon > 0 needs .*'encoder', 'classifier'"):
        relation_nlp(model=BARE_MODEL, adversarial_epsilon=0.02)


def test_gold_relations_of_unknown_labels_are_left_out_of_training():
    """A gold relation whose label the pipe lacks is neither trained as that label nor as
    "no relation": its pair adds no loss, and a warning says so once."""
    nlp, examples = relation_nlp(adversarial_epsilon=0.0)
    rel = nlp.get_pipe(REL)
    rel.initialize(lambda: examples, nlp=nlp, labels=["Version_of", "URL_of"])
    batch = [eg for eg in examples if any(r["label"] == "Developer_of" for r in eg.reference._.get(RELATIONS_ATTR))]
    without = []
    for eg in batch:
        reference = eg.reference.copy()
        reference._.set(RELATIONS_ATTR, [r for r in eg.reference._.get(RELATIONS_ATTR) if r["label"] != "Developer_of"])
        without.append(Example(eg.predicted, reference))
    with pytest.warns(UserWarning, match=r"\['Developer_of'\].*left out of training"):
        unknown_loss = rel.update(batch, drop=0.0)[REL]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert rel.update(batch, drop=0.0)[REL] == pytest.approx(unknown_loss)  # no second warning
    # the Developer_of pairs would add their "no relation" loss if they were trained as such
    assert unknown_loss < rel.update(without, drop=0.0)[REL]


def test_training_pairs_and_the_initialize_report_follow_the_predicted_sentences(capsys, monkeypatch):
    """As `spacy train` runs with the sentencizer among `annotating_components`: training
    pairs stay within the predicted docs' sentences, as in prediction, and the report at
    initialize counts the gold relation across a sentence boundary as missed."""
    nlp = somd_blank()
    nlp.add_pipe("somd_sentencizer", name="sentencizer")
    rel = nlp.add_pipe(REL, config={"adversarial_epsilon": 0.0})
    nlp.config["training"]["annotating_components"] = ["sentencizer"]
    words = "We used SPSS 22 . R 4.1 was used .".split()
    ents = ["O", "O", "B-Application", "B-Version", "O", "B-ProgrammingEnvironment", "B-Version", "O", "O", "O"]
    reference = Doc(nlp.vocab, words=words, ents=ents)
    relations = [(3, 2), (6, 5), (6, 2)]  # the last crosses the sentence boundary before "R"
    reference._.set(RELATIONS_ATTR, [{"head": h, "tail": t, "label": "Version_of"} for h, t in relations])
    examples = [Example(nlp.make_doc(reference.text), reference)]
    nlp.initialize(lambda: examples)
    assert "miss 1 of 3 gold relations" in " ".join(capsys.readouterr().out.split())
    seen = []
    encoder = rel.model.layers[0]
    forward = encoder._func
    monkeypatch.setattr(encoder, "_func", lambda model, X, is_train: seen.append(X[1]) or forward(model, X, is_train))
    nlp.update(examples, annotates=["sentencizer"])
    (pairs,) = seen[-1]
    assert {(h.text, t.text) for h, t in pairs} == {("SPSS", "22"), ("22", "SPSS"), ("R", "4.1"), ("4.1", "R")}


def test_config_dropout_is_the_training_dropout():
    """The component architectures take no dropout of their own (spaCy's
    `set_dropout_rate` would overwrite it): `[training] dropout` sets their dropout
    layers."""
    for name in ("default.cfg", "fast.cfg", "gpu.cfg"):
        components = Config().from_disk(CONFIGS / name, interpolate=False)["components"]
        for component in (REL, CAT):
            assert "dropout" not in components[component]["model"], (name, component)
        assert "sentencizer" in Config().from_disk(CONFIGS / name, interpolate=False)["training"]["annotating_components"]
    nlp, examples = relation_nlp()
    nlp.initialize(lambda: examples)
    rel = nlp.get_pipe(REL)
    rel.update(examples[:2], drop=0.3)
    rates = [node.attrs["dropout_rate"] for node in rel.model.get_ref("classifier").walk() if "dropout_rate" in node.attrs]
    assert rates == [0.3]


@pytest.mark.parametrize("factory", [REL, CAT])
def test_from_bytes_names_the_component_and_the_damaged_part(factory):
    nlp, examples = relation_nlp()
    nlp.add_pipe(CAT)
    optimizer = nlp.initialize(lambda: examples)
    nlp.update(examples[:4], sgd=optimizer)
    pipe = nlp.get_pipe(factory)
    data = srsly.msgpack_loads(pipe.to_bytes())

    def load(**changes):
        return relation_nlp()[0].add_pipe(factory, name=f"{factory}_copy").from_bytes(srsly.msgpack_dumps(dict(data, **changes)))

    with pytest.raises(ValueError, match=f"^{factory}_copy: cannot read its model bytes: "):
        load(model=data["model"][: len(data["model"]) // 2])
    cfg = srsly.json_loads(data["cfg"])
    with pytest.raises(ValueError, match=f"^{factory}_copy: its cfg and model bytes do not belong together"):
        load(cfg=srsly.json_dumps(dict(cfg, labels=cfg["labels"][:-1])))
    assert load().labels == pipe.labels


@pytest.fixture
def pipeline_copy(default_pipeline, tmp_path) -> Path:
    """A copy of the tiny trained default pipeline, to damage."""
    return Path(shutil.copytree(default_pipeline, tmp_path / "model"))


@pytest.mark.slow
@pytest.mark.parametrize("component", [REL, CAT])
def test_loading_a_truncated_model_file_names_the_component_and_file(pipeline_copy, component):
    model = pipeline_copy / component / "model"
    model.write_bytes(model.read_bytes()[: model.stat().st_size // 2])
    with pytest.raises(ValueError) as error:
        spacy.load(pipeline_copy)
    assert str(error.value).startswith(f"{component}: cannot read {model}: "), error.value


@pytest.mark.slow
@pytest.mark.parametrize("component", [REL, CAT])
def test_loading_refuses_a_missing_cfg_or_labels_that_do_not_fit_the_model(pipeline_copy, component):
    cfg = pipeline_copy / component / "cfg"
    settings = srsly.read_json(cfg)
    srsly.write_json(cfg, dict(settings, labels=settings["labels"][:-1]))
    with pytest.raises(ValueError) as error:
        spacy.load(pipeline_copy)
    message = str(error.value)
    assert message.startswith(f"{component}: {cfg} and {cfg.parent / 'model'} do not belong together"), message
    cfg.unlink()
    with pytest.raises(ValueError, match=f"^{component}: cannot read {re.escape(str(cfg))}: no such file"):
        spacy.load(pipeline_copy)
