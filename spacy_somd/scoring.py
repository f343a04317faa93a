"""Scores: the seed notebook's token-level per-type PRF, beside spaCy's entity PRF."""
from collections import defaultdict
from typing import Any, Callable, Dict, Iterable, List, Set, Tuple

from spacy.scorer import get_ner_prf
from spacy.training import Example
from spacy.util import registry

from .corpus import doc_bio


class Counts:
    """True positives, false positives and false negatives of one type."""

    def __init__(self) -> None:
        self.tp = self.fp = self.fn = 0

    def __iadd__(self, other: "Counts") -> "Counts":
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


def token_counts(gold: Iterable[Tuple[Any, int, str]], pred: Iterable[Tuple[Any, int, str]]) -> Dict[str, Counts]:
    """The seed's matching of (doc, token, BIO label) triples, counted per type."""
    remaining: Set[Tuple[Any, int, str]] = set(gold)
    counts: Dict[str, Counts] = defaultdict(Counts)
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


def token_prf(examples: Iterable[Example]) -> Dict[str, Any]:
    """Token-level micro P/R/F (``token_p/r/f``) and per-type scores (``token_per_type``)."""
    gold, pred = [], []
    for index, eg in enumerate(examples):
        gold.extend((index, i, lab) for i, lab in enumerate(doc_bio(eg.reference)) if lab != "O")
        pred.extend((index, i, lab) for i, lab in enumerate(predicted_bio(eg)) if lab != "O")
    counts = token_counts(gold, pred)
    totals = Counts()
    for c in counts.values():
        totals += c
    p, r, f = totals.prf()
    per_type = {t: dict(zip("prf", c.prf())) for t, c in sorted(counts.items())}
    return {"token_p": p, "token_r": r, "token_f": f, "token_per_type": per_type}


def score_token_prf(examples: Iterable[Example], **kwargs: Any) -> Dict[str, Any]:
    """The NER scorer: spaCy's entity PRF and the seed's token-level PRF."""
    examples = list(examples)
    return {**get_ner_prf(examples), **token_prf(examples)}


@registry.scorers("spacy_somd.token_prf_scorer.v1")
def make_token_prf_scorer() -> Callable[..., Dict[str, Any]]:
    return score_token_prf
