"""The vote of several pipelines' annotations of the same tokens, fixed in advance (never
tuned on scored data):

- entities: each token takes the entity type most members give it (a tie goes to no
  entity); a run of tokens of one type starts a new entity where more than half of the
  members giving that type begin an entity;
- relations: a (head, tail, label) relation that more than half of the members predict,
  kept where its head and tail start voted entities, with the members' mean score;
- sentence categories: the members' mean probability;
- sentence starts: the first member's.
"""

from collections import Counter
from typing import Dict, List, Sequence, Tuple

from spacy.tokens import Doc, Span
from spacy.vocab import Vocab

from spacy_somd.labels import RELATIONS_ATTR, ensure_extensions

NO_ENTITY = ""
Relation = Dict[str, object]


def token_copy(vocab: Vocab, doc: Doc) -> Doc:
    """A fresh doc of ``doc``'s tokens (and spaces) in ``vocab``, with no annotation."""
    return Doc(vocab, words=[t.text for t in doc], spaces=[bool(t.whitespace_) for t in doc])


def check_same_tokens(doc: Doc, members: Sequence[Doc]) -> None:
    """Raise ``ValueError`` unless every member doc has the tokens of ``doc``."""
    words = [t.text for t in doc]
    for number, member in enumerate(members):
        if [t.text for t in member] != words:
            raise ValueError(f"vote: member {number} tokenized {doc.text[:60]!r} differently; the members must annotate the same tokens")


def token_votes(members: Sequence[Doc], i: int) -> Tuple[str, bool]:
    """The entity type of token ``i`` by plurality (a tie goes to no entity) and whether
    more than half of the members giving that type begin an entity there."""
    types = Counter(doc[i].ent_type_ for doc in members)
    best = max(types.values())
    winners = [t for t, n in types.items() if n == best]
    label = NO_ENTITY if len(winners) > 1 else winners[0]
    begins = sum(1 for doc in members if doc[i].ent_type_ == label and doc[i].ent_iob_ == "B")
    return label, begins * 2 > types[label]


def vote_entities(members: Sequence[Doc]) -> List[Tuple[int, int, str]]:
    """The voted entities as (start, end, label) token spans."""
    spans: List[Tuple[int, int, str]] = []
    for i in range(len(members[0])):
        label, begins = token_votes(members, i)
        if label == NO_ENTITY:
            continue
        if spans and spans[-1][1] == i and spans[-1][2] == label and not begins:
            spans[-1] = (spans[-1][0], i + 1, label)
        else:
            spans.append((i, i + 1, label))
    return spans


def vote_relations(members: Sequence[Doc], starts: Sequence[int]) -> List[Relation]:
    """The relations more than half of the members predict whose head and tail start voted
    entities, with the members' mean score."""
    counts: Counter = Counter()
    scores: Dict[Tuple[int, int, str], float] = {}
    for doc in members:
        for relation in doc._.get(RELATIONS_ATTR) or []:
            key = (relation["head"], relation["tail"], relation["label"])
            counts[key] += 1
            scores[key] = scores.get(key, 0.0) + float(relation.get("score", 1.0))
    starting = set(starts)
    return [
        {"head": head, "tail": tail, "label": label, "score": scores[(head, tail, label)] / len(members)}
        for (head, tail, label), n in sorted(counts.items())
        if n * 2 > len(members) and head in starting and tail in starting
    ]


def vote_categories(members: Sequence[Doc]) -> Dict[str, float]:
    """Each category's mean probability over the members (a member without it counts 0)."""
    labels = sorted({label for doc in members for label in doc.cats})
    return {label: sum(doc.cats.get(label, 0.0) for doc in members) / len(members) for label in labels}


def set_vote(doc: Doc, members: Sequence[Doc]) -> Doc:
    """``doc`` with the vote of ``members`` (docs of the same tokens) written on it: its
    entities, relations, categories and the first member's sentence starts replaced."""
    if not members:
        raise ValueError("vote: no member docs")
    check_same_tokens(doc, members)
    ensure_extensions()
    if members[0].has_annotation("SENT_START"):
        for token, member_token in zip(doc, members[0]):
            token.is_sent_start = member_token.is_sent_start
    entities = vote_entities(members)
    doc.ents = [Span(doc, start, end, label=label) for start, end, label in entities]
    doc._.set(RELATIONS_ATTR, vote_relations(members, [start for start, _, _ in entities]))
    doc.cats = vote_categories(members)
    return doc
