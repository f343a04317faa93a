"""The scorers (``spacy_somd.pipeline.scorers``): the token-level PRF and the relation PRF
on hand-worked cases, spaCy's entity PRF beside them, the SOMD score."""

import pytest
import spacy
from spacy.tokens import Doc
from spacy.training import Example

from spacy_somd.labels import RELATIONS_ATTR
from spacy_somd.pipeline.scorers import make_token_prf_scorer, relation_prf, score_relations, somd_scores, token_counts, token_prf
from tests.builders.pipeline import doc_with_entities


def example_with_relations(gold_rels, pred_rels, pred_ents=None) -> Example:
    words = "SPSS version 22 ( IBM ) and R".split()
    gold_ents = [(0, 1, "Application"), (2, 3, "Version"), (4, 5, "Developer"), (7, 8, "ProgrammingEnvironment")]
    reference = doc_with_entities(words, gold_ents)
    predicted = doc_with_entities(words, gold_ents if pred_ents is None else pred_ents)
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


VOCAB = spacy.blank("en").vocab


def example(words, gold, pred, pred_words=None) -> Example:
    predicted = Doc(VOCAB, words=pred_words or words, ents=pred)
    return Example(predicted, Doc(VOCAB, words=words, ents=gold))


# Doc A: one right B, one wrong I, one right Version, a missed two-token Developer and a
# URL that gold does not have.
DOC_A = example(
    ["SPSS", "version", "22", ".", "IBM", "Corp"],
    ["B-Application", "O", "B-Version", "O", "B-Developer", "I-Developer"],
    ["B-Application", "I-Application", "B-Version", "O", "O", "B-URL"],
)
# Doc B: a B/I confusion: gold "v 3.10" is B-Version I-Version, the prediction marks only
# "3.10", as B-Version: one FP (B-Version at 1) and two FN for Version.
DOC_B = example(["v", "3.10"], ["B-Version", "I-Version"], ["O", "B-Version"])
EMPTY = example([], [], [])


def test_hand_worked_counts_per_type():
    scores = token_prf([DOC_A])
    per_type = scores["token_per_type"]
    assert per_type["Application"] == pytest.approx({"p": 0.5, "r": 1.0, "f": 2 / 3})
    assert per_type["Version"] == pytest.approx({"p": 1.0, "r": 1.0, "f": 1.0})
    assert per_type["Developer"] == {"p": 0.0, "r": 0.0, "f": 0.0}  # only in gold
    assert per_type["URL"] == {"p": 0.0, "r": 0.0, "f": 0.0}  # only in predictions
    assert (scores["token_p"], scores["token_r"], scores["token_f"]) == pytest.approx((0.5, 0.5, 0.5))


def test_b_i_confusion_is_one_fp_and_one_fn():
    counts = token_counts(gold=[(0, 0, "B-Version"), (0, 1, "I-Version")], pred=[(0, 1, "B-Version")])
    assert (counts["Version"].tp, counts["Version"].fp, counts["Version"].fn) == (0, 1, 2)


def test_micro_average_over_docs_and_empty_docs():
    scores = token_prf([DOC_A, DOC_B, EMPTY])
    # Version: tp 1, fp 1, fn 2; totals: tp 2, fp 3, fn 4
    assert scores["token_per_type"]["Version"] == pytest.approx({"p": 0.5, "r": 1 / 3, "f": 0.4})
    assert scores["token_p"] == pytest.approx(0.4)
    assert scores["token_r"] == pytest.approx(1 / 3)
    assert scores["token_f"] == pytest.approx(2 * 0.4 / 3 / (0.4 + 1 / 3))


def test_nothing_to_score_gives_zeros():
    assert token_prf([EMPTY]) == {
        "token_p": 0.0,
        "token_r": 0.0,
        "token_f": 0.0,
        "token_per_type": {},
        "token_software_merged_p": 0.0,
        "token_software_merged_r": 0.0,
        "token_software_merged_f": 0.0,
    }


def test_same_token_in_two_docs_is_two_items():
    scores = token_prf([DOC_B, DOC_B])
    assert scores["token_per_type"]["Version"]["p"] == 0.0
    counts = token_counts([(0, 0, "B-X"), (1, 0, "B-X")], [(0, 0, "B-X")])
    assert (counts["X"].tp, counts["X"].fn) == (1, 1)


def test_software_types_merged_count_a_name_of_the_wrong_software_type_as_found():
    eg = example(
        ["R", "3.1", "on", "Linux", "by", "IBM"],
        ["B-ProgrammingEnvironment", "B-Version", "O", "B-OperatingSystem", "O", "B-Developer"],
        ["B-Application", "B-Version", "O", "B-PlugIn", "O", "B-Application"],
    )
    scores = token_prf([eg])
    # typed: only the Version is right (tp 1, fp 3, fn 3); merged: R and Linux are software
    # names found, IBM is a Developer taken for software (tp 3, fp 1, fn 1)
    assert scores["token_f"] == pytest.approx(0.25)
    assert scores["token_software_merged_p"] == pytest.approx(0.75)
    assert scores["token_software_merged_r"] == pytest.approx(0.75)
    assert scores["token_software_merged_f"] == pytest.approx(0.75)
    assert token_prf([DOC_A])["token_software_merged_f"] == pytest.approx(token_prf([DOC_A])["token_f"])


def test_predictions_are_mapped_onto_reference_tokens():
    eg = example(["SPSS", "v22"], ["B-Application", "B-Version"], ["B-Application", "B-Version", "I-Version"], pred_words=["SPSS", "v", "22"])
    assert token_prf([eg])["token_f"] == 1.0


def test_registered_scorer_reports_token_and_entity_scores():
    scorer = spacy.registry.scorers.get("spacy_somd.token_prf_scorer.v1")()
    scores = scorer([DOC_A, DOC_B, EMPTY])
    assert scores["token_f"] == pytest.approx(token_prf([DOC_A, DOC_B])["token_f"])
    # entities: only Version(2,3) in doc A is exact: tp 1, fp 3, fn 3
    assert (scores["ents_p"], scores["ents_r"], scores["ents_f"]) == pytest.approx((0.25, 0.25, 0.25))
    assert set(scores["ents_per_type"]) == {"Application", "Version", "Developer", "URL"}
    assert make_token_prf_scorer()([DOC_A])["token_f"] == pytest.approx(0.5)
