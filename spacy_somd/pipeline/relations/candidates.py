"""Candidate entity pairs for relation extraction, generated from a doc's entities."""

from typing import Callable, Collection, Iterable, List, Optional, Sequence, Tuple

from spacy.tokens import Doc, Span
from spacy.util import registry

from spacy_somd.labels import RELATIONS_ATTR

Pair = Tuple[Span, Span]
TypePairs = Optional[Collection[Tuple[str, str]]]
GetCandidates = Callable[[Doc, TypePairs], List[Pair]]


def span_gap(a: Span, b: Span) -> int:
    """The number of tokens strictly between two non-overlapping spans."""
    return max(a.start, b.start) - min(a.end, b.end)


def sentence_ids(doc: Doc) -> List[int]:
    """Each token's sentence number; all 0 when the doc has no sentence boundaries."""
    ids = [0] * len(doc)
    if doc.has_annotation("SENT_START"):
        for number, sent in enumerate(doc.sents):
            ids[sent.start : sent.end] = [number] * len(sent)
    return ids


def entities_by_sentence(doc: Doc) -> List[List[Span]]:
    """The doc's entities grouped by the sentence of their first token, in document order."""
    sentence = sentence_ids(doc)
    groups: List[List[Span]] = []
    previous = -1
    for ent in doc.ents:
        if sentence[ent.start] != previous:
            groups.append([])
            previous = sentence[ent.start]
        groups[-1].append(ent)
    return groups


def neighbours(ents: Sequence[Span], i: int, max_distance: int) -> range:
    """The index range of the entities (``ents`` in document order) at most
    ``max_distance`` tokens from ``ents[i]``, ``i`` included: the gap grows with the
    distance in the list, so the scan stops at the first entity too far away."""
    lo, hi = i, i + 1
    while lo > 0 and span_gap(ents[lo - 1], ents[i]) <= max_distance:
        lo -= 1
    while hi < len(ents) and span_gap(ents[i], ents[hi]) <= max_distance:
        hi += 1
    return range(lo, hi)


def entity_pairs(doc: Doc, max_distance: int, type_pairs: TypePairs = None) -> List[Pair]:
    """Ordered pairs (head, tail) of different entities in the same sentence and at most
    ``max_distance`` tokens apart, in document order of the head then the tail; with
    ``type_pairs``, only pairs whose (head label, tail label) is in it. Time linear in the
    doc's tokens plus the pairs: entities are paired within their sentence, and only with
    their neighbours within ``max_distance``."""
    pairs = []
    for ents in entities_by_sentence(doc):
        for i, head in enumerate(ents):
            for j in neighbours(ents, i, max_distance):
                tail = ents[j]
                if j != i and (type_pairs is None or (head.label_, tail.label_) in type_pairs):
                    pairs.append((head, tail))
    return pairs


@registry.misc("spacy_somd.entity_pairs.v1")
def make_entity_pairs(max_distance: int = 100) -> GetCandidates:
    """The candidate generator: every ordered pair of entities of one sentence within
    ``max_distance`` tokens."""

    def get_candidates(doc: Doc, type_pairs: TypePairs = None) -> List[Pair]:
        return entity_pairs(doc, max_distance, type_pairs)

    return get_candidates


def missed_gold_relations(docs: Iterable[Doc], candidates: Callable[[Doc], List[Pair]]) -> Tuple[int, int]:
    """How many gold relations (``doc._.somd_relations`` between the gold ``doc.ents``)
    are not among the candidate pairs, and how many there are."""
    missed = total = 0
    for doc in docs:
        pairs = {(head.start, tail.start) for head, tail in candidates(doc)}
        for rel in doc._.get(RELATIONS_ATTR) or []:
            total += 1
            missed += (rel["head"], rel["tail"]) not in pairs
    return missed, total
