"""Scores: the seed notebook's token-level per-type PRF beside spaCy's entity PRF, the
relation PRF and the SOMD shared task's combined score."""

import warnings
from collections import defaultdict
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Set, Tuple

from spacy.scorer import get_ner_prf
from spacy.training import Example
from spacy.util import registry

from spacy_somd.corpus.docs import doc_bio
from spacy_somd.labels import RELATIONS_ATTR, SOFTWARE_TYPES

Triple = Tuple[int, int, str]


class PRFCounts:
    """True positives, false positives and false negatives of one type."""

    def __init__(self) -> None:
        self.tp = self.fp = self.fn = 0

    def __iadd__(self, other: "PRFCounts") -> "PRFCounts":
        self.tp, self.fp, self.fn = self.tp + other.tp, self.fp + other.fp, self.fn + other.fn
        return self

    def prf(self) -> Tuple[float, float, float]:
        p = self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0
        r = self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0
        f = 2 * p * r / (p + r) if p + r else 0.0
        return p, r, f


def predicted_bio(example: Example) -> List[str]:
    """The predicted BIO labels on the reference's tokens (predicted entities are
    mapped through the alignment when the two tokenizations differ)."""
    reference = example.reference
    spans = example.get_aligned_spans_x2y(example.predicted.ents)
    labels = ["O"] * len(reference)
    for span in spans:
        labels[span.start] = f"B-{span.label_}"
        for i in range(span.start + 1, span.end):
            labels[i] = f"I-{span.label_}"
    return labels


def token_counts(gold: Iterable[Tuple[Any, int, str]], pred: Iterable[Tuple[Any, int, str]]) -> Dict[str, PRFCounts]:
    """The seed's matching of (doc, token, BIO label) triples, counted per type."""
    remaining: Set[Tuple[Any, int, str]] = set(gold)
    counts: Dict[str, PRFCounts] = defaultdict(PRFCounts)
    for item in set(pred):
        type_ = item[2][2:]
        if item in remaining:
            counts[type_].tp += 1
            remaining.remove(item)
        else:
            counts[type_].fp += 1
    for _, _, label in remaining:
        counts[label[2:]].fn += 1
    return counts


def bio_items(examples: Iterable[Example]) -> Tuple[List[Triple], List[Triple]]:
    """The gold and predicted (example index, token, BIO label) items, ``O`` left out."""
    gold: List[Triple] = []
    pred: List[Triple] = []
    for index, eg in enumerate(examples):
        gold.extend((index, i, lab) for i, lab in enumerate(doc_bio(eg.reference)) if lab != "O")
        pred.extend((index, i, lab) for i, lab in enumerate(predicted_bio(eg)) if lab != "O")
    return gold, pred


def as_software(items: Iterable[Triple]) -> List[Triple]:
    """The items with the four software types' labels as ``Software``'s (``B-PlugIn`` ->
    ``B-Software``); other labels unchanged."""
    return [(doc, i, f"{label[:2]}Software" if label[2:] in SOFTWARE_TYPES else label) for doc, i, label in items]


def token_prf(examples: Iterable[Example]) -> Dict[str, Any]:
    """Token-level micro P/R/F (``token_p/r/f``), per-type scores (``token_per_type``), and
    the micro P/R/F with the four software types as one (``token_software_merged_p/r/f``:
    a software name found with the wrong software type counts as found)."""
    gold, pred = bio_items(examples)
    merged = micro_prf("token_software_merged", token_counts(as_software(gold), as_software(pred)))
    return {**prf_scores("token", token_counts(gold, pred)), **merged}


def micro_prf(prefix: str, counts: Mapping[str, PRFCounts]) -> Dict[str, float]:
    """Micro-averaged ``PREFIX_p/r/f`` from per-type counts."""
    totals = PRFCounts()
    for c in counts.values():
        totals += c
    return dict(zip((f"{prefix}_p", f"{prefix}_r", f"{prefix}_f"), totals.prf()))


def prf_scores(prefix: str, counts: Mapping[str, PRFCounts]) -> Dict[str, Any]:
    """Micro-averaged ``PREFIX_p/r/f`` and ``PREFIX_per_type`` from per-type counts."""
    per_type = {t: dict(zip("prf", c.prf())) for t, c in sorted(counts.items())}
    return {**micro_prf(prefix, counts), f"{prefix}_per_type": per_type}


def score_token_prf(examples: Iterable[Example], **kwargs: Any) -> Dict[str, Any]:
    """The NER scorer: spaCy's entity PRF and the seed's token-level PRF."""
    examples = list(examples)
    return {**get_ner_prf(examples), **token_prf(examples)}


@registry.scorers("spacy_somd.token_prf_scorer.v1")
def make_token_prf_scorer() -> Callable[..., Dict[str, Any]]:
    return score_token_prf


def relation_triples(example: Example) -> Tuple[Set[Triple], Set[Triple]]:
    """Gold and predicted (head token, tail token, label) triples on the reference's
    tokens; a predicted relation whose tokens do not map onto the reference stays
    unmatched (it counts as a false positive)."""
    by_char = {token.idx: token.i for token in example.reference}
    predicted = example.predicted

    def on_reference(i: int) -> int:
        return by_char.get(predicted[i].idx, -1 - i)

    gold = {(r["head"], r["tail"], r["label"]) for r in example.reference._.get(RELATIONS_ATTR) or []}
    pred = {(on_reference(r["head"]), on_reference(r["tail"]), r["label"]) for r in predicted._.get(RELATIONS_ATTR) or []}
    return gold, pred


def has_gold_relations(doc: Any) -> bool:
    """Whether a reference doc holds gold relation data: ``doc._.somd_relations`` is a
    list (empty when the sentence has no relation), not None (no data)."""
    return doc._.get(RELATIONS_ATTR) is not None


def relation_prf(examples: Iterable[Example]) -> Dict[str, Any]:
    """Micro P/R/F over (head, tail, label) triples (``rel_p/r/f``) and per label
    (``rel_per_type``). Every gold relation counts, also those whose entities were
    missed. Examples whose reference holds no gold relation data are left out with a
    warning; without any such data every score is None (not scored), not 0."""
    examples = list(examples)
    scored = [eg for eg in examples if has_gold_relations(eg.reference)]
    if len(scored) < len(examples):
        warnings.warn(
            f"{len(examples) - len(scored)} of {len(examples)} reference docs hold no gold relation data "
            f"(doc._.{RELATIONS_ATTR} is None): relations are scored on the other {len(scored)} only",
            stacklevel=2,
        )
    if not scored:
        return {"rel_p": None, "rel_r": None, "rel_f": None, "rel_per_type": None}
    counts: Dict[str, PRFCounts] = defaultdict(PRFCounts)
    for eg in scored:
        gold, pred = relation_triples(eg)
        for triple in gold | pred:
            c = counts[triple[2]]
            c.tp += triple in gold and triple in pred
            c.fp += triple in pred and triple not in gold
            c.fn += triple in gold and triple not in pred
    return prf_scores("rel", counts)


def macro_f(per_type: Mapping[str, Mapping[str, float]]) -> float:
    """The unweighted mean F over types (0 without types)."""
    return sum(t["f"] for t in per_type.values()) / len(per_type) if per_type else 0.0


def somd_scores(entities: Mapping[str, Any], relations: Mapping[str, Any]) -> Dict[str, Optional[float]]:
    """The SOMD 2025 combined score: the mean of the macro-averaged entity-level F1 and
    the macro-averaged relation F1 (``somd_macro_f``); and the same with micro averages
    (``somd_micro_f``). None when the relations were not scored."""
    if relations["rel_f"] is None:
        return {"somd_macro_f": None, "somd_micro_f": None}
    return {
        "somd_macro_f": (macro_f(entities["ents_per_type"] or {}) + macro_f(relations["rel_per_type"])) / 2,
        "somd_micro_f": ((entities["ents_f"] or 0.0) + relations["rel_f"]) / 2,
    }


def score_relations(examples: Iterable[Example], **kwargs: Any) -> Dict[str, Any]:
    """The relation scorer: relation PRF and, from the same docs' entities, the SOMD
    score."""
    examples = list(examples)
    relations = relation_prf(examples)
    return {**relations, **somd_scores(get_ner_prf(examples), relations)}


@registry.scorers("spacy_somd.relation_scorer.v1")
def make_relation_scorer() -> Callable[..., Dict[str, Any]]:
    return score_relations
