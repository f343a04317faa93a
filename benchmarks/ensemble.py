"""Several trained pipelines voting, scored beside each member (run from the project folder):

    python benchmarks/ensemble.py training/a/model-best training/b/model-best training/c/model-best \
        --data corpus/fold2.spacy --data training/robustness/fold2-tokenization.spacy \
        --data training/robustness/fold2-unseen-names.spacy

Each pipeline annotates the DocBins (as `spacy evaluate` reads them: the reference texts
through the pipeline's tokenizer, so all members see the same tokens); then, fixed in
advance and never tuned on the scored data:

- entities: each token takes the entity type most members give it (a tie goes to no
  entity); a run of tokens of one type starts a new entity where more than half of the
  members voting for that type begin an entity;
- relations: a (head, tail, label) relation that more than half of the members predict,
  kept when its head and tail start entities of the vote;
- sentence categories: the members' mean probability.

The vote is scored with the first member's registered scorers (`spacy evaluate`'s scores),
and each member alone; the table gives token F, entity and end-to-end relation macro F and
SOMD macro F of the first DocBin, token F of the others, and words/s of the first DocBin's
annotation (the vote's: the members' times added up, on one machine, one after another).
"""
import argparse
import importlib.util
import time
from collections import Counter
from pathlib import Path
from typing import Any, Dict, List, Sequence, Tuple

import spacy
from spacy.language import Language
from spacy.scorer import Scorer
from spacy.tokens import Doc, Span
from spacy.training import Corpus, Example

from spacy_somd.corpus.docs import RELATIONS_ATTR
from spacy_somd.reporting import flatten_scores

_spec = importlib.util.spec_from_file_location("robustness", Path(__file__).with_name("robustness.py"))
robustness = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(robustness)

NO_ENTITY = ""


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


def vote_relations(members: Sequence[Doc], starts: Sequence[int]) -> List[Dict[str, object]]:
    """The relations more than half of the members predict whose head and tail start voted
    entities, with the members' mean score."""
    counts: Counter = Counter()
    scores: Dict[Tuple[int, int, str], float] = {}
    for doc in members:
        for relation in doc._.get(RELATIONS_ATTR) or []:
            key = (relation["head"], relation["tail"], relation["label"])
            counts[key] += 1
            scores[key] = scores.get(key, 0.0) + relation["score"]
    starting = set(starts)
    return [
        {"head": head, "tail": tail, "label": label, "score": scores[(head, tail, label)] / len(members)}
        for (head, tail, label), n in sorted(counts.items())
        if n * 2 > len(members) and head in starting and tail in starting
    ]


def vote(members: Sequence[Doc]) -> Doc:
    """One doc holding the members' vote (the members annotated the same tokens)."""
    first = members[0]
    if any([t.text for t in doc] != [t.text for t in first] for doc in members[1:]):
        raise ValueError(f"ensemble: the members tokenized {first.text[:60]!r} differently; they must share a tokenizer")
    doc = Doc(first.vocab, words=[t.text for t in first], spaces=[bool(t.whitespace_) for t in first],
              sent_starts=[bool(t.is_sent_start) for t in first])  # fmt: skip
    entities = vote_entities(members)
    doc.ents = [Span(doc, start, end, label=label) for start, end, label in entities]
    doc._.set(RELATIONS_ATTR, vote_relations(members, [s for s, _, _ in entities]))
    doc.cats = {cat: sum(m.cats[cat] for m in members) / len(members) for cat in first.cats}
    return doc


def annotate(nlp: Language, path: Path) -> Tuple[List[Example], float]:
    """A DocBin's examples annotated by ``nlp`` and the seconds it took."""
    examples = list(Corpus(str(path))(nlp))
    start = time.perf_counter()
    docs = list(nlp.pipe([eg.predicted for eg in examples]))
    seconds = time.perf_counter() - start
    return [Example(doc, eg.reference) for doc, eg in zip(docs, examples)], seconds


def score(nlp: Language, examples: List[Example]) -> Dict[str, Any]:
    """``spacy evaluate``'s scores of annotated examples with ``nlp``'s scorers."""
    return flatten_scores(Scorer(nlp).score(examples))


def row(name: str, scores: List[Dict[str, Any]], words_per_second: float) -> str:
    values = robustness.score_values(scores[0], scores[1:])
    return "| " + " | ".join([name, *(f"{v:.3f}" for v in values), f"{words_per_second:,.0f}"]) + " |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("models", type=Path, nargs="+")
    parser.add_argument("--data", type=Path, action="append", required=True, help="DocBins to score on (first: the main one)")
    args = parser.parse_args()
    if len(args.models) < 2:
        parser.error("an ensemble needs two or more models")
    pipelines = [spacy.load(model) for model in args.models]
    annotated = [[annotate(nlp, path) for path in args.data] for nlp in pipelines]
    words = sum(len(eg.reference) for eg in annotated[0][0][0])
    header = ["model", "token F", "entity macro F", "relation macro F (end to end)", "SOMD macro F",
              *(f"token F, {path.stem}" for path in args.data[1:]), "words/s"]  # fmt: skip
    lines = ["| " + " | ".join(header) + " |", "| --- |" + " ---: |" * (len(header) - 1)]
    for model, nlp, member in zip(args.models, pipelines, annotated):
        lines.append(row(str(model), [score(nlp, examples) for examples, _ in member], words / member[0][1]))
    voted = []
    for d in range(len(args.data)):
        per_member = [member[d][0] for member in annotated]
        voted.append([Example(vote([m[k].predicted for m in per_member]), eg.reference) for k, eg in enumerate(per_member[0])])
    seconds = sum(member[0][1] for member in annotated)
    lines.append(row(f"vote of the {len(args.models)}", [score(pipelines[0], examples) for examples in voted], words / seconds))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
