"""The software usage component: labels, sizes inferred at initialize, the masked loss,
learning a separable toy signal, serialization, the gold representation and the scorer."""

from typing import List, Sequence, Tuple

import pytest
import spacy
from spacy.language import Language
from spacy.tokens import Doc, Span
from spacy.training import Example
from thinc.api import Adam

import spacy_somd.pipeline.usage  # noqa: F401  (registers the factory, architecture and scorer)
from spacy_somd.corpus.softcite_usage import set_usage_gold
from spacy_somd.labels import USAGE_FLAGS, USAGE_KEY
from spacy_somd.pipeline.usage.gold import gold_usage
from spacy_somd.pipeline.usage.scorer import score_usage
from tests.builders.pipeline import TINY_TOK2VEC

# (text, [(token index, entity label, flags)]): the verb before a name says what was done
# with it ("used", "wrote", "released"), a separable signal the model must learn
TOY = [
    ("we used SPSS here", [(2, "Application", ["used"])]),
    ("we wrote Fiji here", [(2, "Application", ["created"])]),
    ("we released Stata here", [(2, "Application", ["shared"])]),
    ("they used Excel today", [(2, "Application", ["used"])]),
    ("they wrote lme4 today", [(2, "PlugIn", ["created"])]),
    ("they released Python today", [(2, "ProgrammingEnvironment", ["shared"])]),
    ("we wrote and released Gromacs", [(4, "Application", ["created", "shared"])]),
    ("Linux was there", [(0, "OperatingSystem", [])]),
    ("version 2 of it", [(1, "Version", [])]),
]
SMALL_MODEL = {"@architectures": "spacy_somd.SoftwareUsage.v1", "hidden_width": 32, "window": 2, "nO": None, "tok2vec": {**TINY_TOK2VEC, "maxout_pieces": 2}}


def reference(nlp: Language, text: str, ents: Sequence[Tuple[int, str, List[str]]], gold: bool = True) -> Doc:
    doc = nlp.make_doc(text)
    doc.ents = [Span(doc, i, i + 1, label=label) for i, label, _ in ents]
    if gold:
        software = [(span, flags) for span, (_, label, flags) in zip(doc.ents, ents) if label != "Version"]
        set_usage_gold(doc, [s for s, _ in software], [f for _, f in software])
    return doc


def toy_examples(nlp: Language) -> List[Example]:
    examples = []
    for text, ents in TOY:
        ref = reference(nlp, text, ents)
        predicted = nlp.make_doc(text)
        predicted.ents = [Span(predicted, e.start, e.end, label=e.label_) for e in ref.ents]
        examples.append(Example(predicted, ref))
    return examples


def blank_usage(config=None) -> Language:
    nlp = spacy.blank("en")
    nlp.add_pipe("somd_software_usage", config={"model": SMALL_MODEL, **(config or {})})
    return nlp


def trained(steps: int = 60) -> Tuple[Language, List[Example]]:
    nlp = blank_usage()
    examples = toy_examples(nlp)
    nlp.initialize(lambda: examples)
    optimizer = Adam(0.01)
    for _ in range(steps):
        nlp.update(examples, sgd=optimizer, drop=0.0)
    return nlp, examples


def test_add_label_takes_strings_in_order_and_refuses_after_initialize():
    nlp = blank_usage()
    pipe = nlp.get_pipe("somd_software_usage")
    with pytest.raises(ValueError, match="must be a string"):
        pipe.add_label(1)  # type: ignore[arg-type]
    assert pipe.add_label("used") == 1 and pipe.add_label("used") == 0
    nlp.initialize(lambda: toy_examples(nlp))
    assert pipe.labels == USAGE_FLAGS
    assert pipe.label_data == list(USAGE_FLAGS)
    with pytest.raises(ValueError, match="cannot take another label"):
        pipe.add_label("cited")


def test_initialize_infers_the_sizes():
    nlp = blank_usage()
    nlp.initialize(lambda: toy_examples(nlp))
    model = nlp.get_pipe("somd_software_usage").model
    assert model.get_ref("output_layer").get_dim("nO") == 3
    assert model.get_ref("output_layer").get_dim("nI") == 32
    assert model.layers[1].get_dim("nI") == 4 * 32  # the mention's mean beside the window's before and after and the sentence's
    narrow = blank_usage({"model": {**SMALL_MODEL, "window": 0}})
    narrow.initialize(lambda: toy_examples(narrow))
    assert narrow.get_pipe("somd_software_usage").model.layers[1].get_dim("nI") == 2 * 32
    with pytest.raises(ValueError, match="window must be 0 or more"):
        blank_usage({"model": {**SMALL_MODEL, "window": -1}})


def test_initialize_with_labels_and_without_software_is_refused():
    nlp = blank_usage()
    pipe = nlp.get_pipe("somd_software_usage")
    pipe.initialize(lambda: toy_examples(nlp), nlp=nlp, labels=["created", "used"])
    assert pipe.labels == ("created", "used")
    other = blank_usage()
    plain = [Example(other.make_doc("nothing here"), other.make_doc("nothing here"))]
    with pytest.raises(ValueError, match="at least one example with a software entity"):
        other.get_pipe("somd_software_usage").initialize(lambda: plain, nlp=other)


def test_loss_is_masked_where_the_reference_has_no_gold():
    nlp = blank_usage()
    examples = toy_examples(nlp)
    nlp.initialize(lambda: examples)
    pipe = nlp.get_pipe("somd_software_usage")
    no_gold = [Example(eg.predicted, reference(nlp, eg.reference.text, TOY[i][1], gold=False)) for i, eg in enumerate(examples)]
    inputs, _, _ = pipe.training_inputs(no_gold)
    logits = pipe.model.predict(inputs)
    loss, d_logits = pipe.get_loss(no_gold, logits)
    assert loss == 0.0 and float(abs(d_logits).sum()) == 0.0
    assert pipe.update(no_gold, sgd=Adam(0.01)) == {"somd_software_usage": 0.0}
    loss, d_logits = pipe.get_loss(examples, logits)
    assert loss > 0.0 and d_logits.shape == (8, 3)  # the Version entity is not software


def test_learns_a_separable_signal_and_sets_the_extension_and_the_group():
    nlp, examples = trained()
    for text, ents in TOY:
        doc = nlp.make_doc(text)
        doc.ents = [Span(doc, i, i + 1, label=label) for i, label, _ in ents]
        doc = nlp.get_pipe("somd_software_usage")(doc)
        for ent, (_, label, flags) in zip(doc.ents, ents):
            if label == "Version":
                assert ent._.get(USAGE_KEY) is None
                continue
            probs = ent._.get(USAGE_KEY)
            assert set(probs) == set(USAGE_FLAGS)
            assert {flag for flag, p in probs.items() if p >= 0.5} == set(flags), (text, probs)
        predicted = {(s.start, s.label_) for s in doc.spans[USAGE_KEY]}
        assert predicted == {(i, flag) for i, label, flags in ents for flag in flags}
    scores = score_usage([Example(nlp(eg.predicted), eg.reference) for eg in toy_examples(nlp)])
    assert scores["usage_macro_f"] == 1.0 and scores["usage_used_auc"] == 1.0


def test_thresholds_decide_the_flags():
    nlp, examples = trained(30)
    nlp.get_pipe("somd_software_usage").cfg["thresholds"] = {"used": 1.01, "created": 0.0, "shared": 0.5}
    doc = nlp(examples[0].predicted)
    assert {s.label_ for s in doc.spans[USAGE_KEY]} == {"created"}


def test_to_and_from_disk_predict_the_same(tmp_path):
    nlp, examples = trained(10)
    nlp.to_disk(tmp_path / "p")
    loaded = spacy.load(tmp_path / "p")
    pipe, other = nlp.get_pipe("somd_software_usage"), loaded.get_pipe("somd_software_usage")
    assert other.labels == pipe.labels
    docs = [eg.predicted for eg in examples]
    assert (pipe.model.ops.to_numpy(pipe.predict(docs)) == other.model.ops.to_numpy(other.predict(docs))).all()
    assert loaded.get_pipe("somd_software_usage").from_bytes(pipe.to_bytes()).labels == pipe.labels


def test_a_damaged_model_file_names_the_component_and_the_file(tmp_path):
    nlp, _ = trained(1)
    nlp.to_disk(tmp_path / "p")
    (tmp_path / "p" / "somd_software_usage" / "model").write_bytes(b"\x00\x01")
    with pytest.raises(ValueError, match=r"somd_software_usage: cannot read .*somd_software_usage/model"):
        spacy.load(tmp_path / "p")


def test_docs_without_software_get_an_empty_group():
    nlp, _ = trained(1)
    docs = list(nlp.pipe(["nothing to see", ""]))
    assert all(list(doc.spans[USAGE_KEY]) == [] for doc in docs)


def test_gold_representation():
    nlp = spacy.blank("en")
    doc = reference(nlp, "we wrote and released Gromacs", [(4, "Application", ["created", "shared"])])
    assert gold_usage(doc, ["Application"]) == {(22, 29): {"created", "shared"}}
    assert gold_usage(reference(nlp, "we used R", [(2, "Application", [])], gold=False), ["Application"]) is None
    stray = nlp.make_doc("we used R")
    doc.spans[USAGE_KEY] = [Span(doc, 0, 1, label="used")]
    with pytest.raises(ValueError, match="'we' .* is not a software entity"):
        gold_usage(doc, ["Application"])
    with pytest.raises(ValueError, match="usage flags must be among"):
        set_usage_gold(stray, [stray[2:3]], [["cited"]])


def test_scorer_counts_pairs_and_auc():
    nlp = spacy.blank("en")
    golds = [("we used R", [(2, "Application", ["used"])]), ("we wrote X", [(2, "Application", ["created"])])]
    examples = []
    for (text, ents), (pred_flags, probs) in zip(golds, [(["used", "shared"], 0.9), ([], 0.2)]):
        ref = reference(nlp, text, ents)
        pred = reference(nlp, text, [(2, "Application", pred_flags)])
        pred.ents[0]._.set(USAGE_KEY, {"used": probs, "created": 1 - probs, "shared": 0.5})
        examples.append(Example(pred, ref))
    scores = score_usage(examples)
    assert (scores["usage_used_p"], scores["usage_used_r"]) == (1.0, 1.0)
    assert (scores["usage_shared_p"], scores["usage_created_r"]) == (0.0, 0.0)
    assert scores["usage_used_auc"] == 1.0 and scores["usage_created_auc"] == 1.0
    assert scores["usage_shared_auc"] is None  # no gold positive
    assert scores["usage_macro_f"] == pytest.approx((1.0 + 0.0 + 0.0) / 3)


def test_the_averaged_rows_stay_in_the_mention_s_sentence():
    from spacy_somd.pipeline.usage.model import segments

    nlp = spacy.blank("en")
    first = nlp.make_doc("a b c .")
    doc = Doc(nlp.vocab, words="a b c . d X e f g .".split(), sent_starts=[True, False, False, False, True, False, False, False, False, False])
    # rows of the second doc follow the first's 4 tokens: mention, 2 before (1 in its sentence), 2 after, sentence
    assert segments([first, doc], [[], [(5, 6)]], window=2) == [(9, 10), (8, 9), (10, 12), (8, 14)]
    assert segments([doc], [[(0, 1)]], window=2) == [(0, 1), (0, 0), (1, 3), (0, 4)]
    assert segments([nlp.make_doc("x y z")], [[(1, 2)]]) == [(1, 2), (0, 3)]  # no sentences: the whole doc
    with pytest.raises(ValueError, match="not a token span"):
        segments([first], [[(3, 9)]])
