"""Several trained pipelines voting, scored beside each member (run from the project folder):

    python benchmarks/ensemble.py training/a/model-best training/b/model-best training/c/model-best \
        --data corpus/fold2.spacy --data training/robustness/fold2-tokenization.spacy \
        --data training/robustness/fold2-unseen-names.spacy

Each pipeline annotates the DocBins (as `spacy evaluate` reads them: the reference texts
through the pipeline's tokenizer, so all members see the same tokens); then they vote as
the `somd_vote` component does (`spacy_somd.pipeline.vote.majority`, fixed in advance and never
tuned on the scored data). `python -m spacy_somd ensemble` writes the same vote as one
pipeline.

The vote is scored with the first member's registered scorers (`spacy evaluate`'s scores),
and each member alone; the table gives token F, entity and end-to-end relation macro F and
SOMD macro F of the first DocBin, token F of the others, and words/s of the first DocBin's
annotation (the vote's: the members' times added up, on one machine, one after another).
"""

import argparse
import importlib.util
import time
from pathlib import Path
from typing import Any, Dict, List, Sequence, Tuple

import spacy
from spacy.language import Language
from spacy.scorer import Scorer
from spacy.tokens import Doc
from spacy.training import Corpus, Example

from spacy_somd.evaluation.report import flatten_scores
from spacy_somd.pipeline.vote.majority import set_vote, token_copy

_spec = importlib.util.spec_from_file_location("robustness", Path(__file__).with_name("robustness.py"))
robustness = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(robustness)


def vote(members: Sequence[Doc]) -> Doc:
    """One doc holding the members' vote (the members annotated the same tokens)."""
    return set_vote(token_copy(members[0].vocab, members[0]), members)


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
    header = [
        "model",
        "token F",
        "entity macro F",
        "relation macro F (end to end)",
        "SOMD macro F",
        *(f"token F, {path.stem}" for path in args.data[1:]),
        "words/s",
    ]
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
