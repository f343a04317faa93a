"""Evaluation that runs a pipeline: relation scores with the gold entities given."""
from typing import Any, Dict, Iterable, List

from spacy.language import Language
from spacy.training import Example

from .corpus import RELATIONS_ATTR
from .scoring import relation_prf


def entity_setters(nlp: Language) -> List[str]:
    """The pipes that assign ``doc.ents`` (they are skipped to keep the gold entities)."""
    return [name for name in nlp.pipe_names if "doc.ents" in nlp.get_pipe_meta(name).assigns]


def relation_scores_on_gold_entities(
    nlp: Language, examples: Iterable[Example], batch_size: int = 64
) -> Dict[str, Any]:
    """Relation P/R/F when the relation component gets the reference entities: the
    classification quality, apart from entity recognition errors."""
    setters = entity_setters(nlp)
    relaters = [name for name in nlp.pipe_names if name not in setters and f"doc._.{RELATIONS_ATTR}" in nlp.get_pipe_meta(name).assigns]
    if not relaters:
        raise ValueError(
            f"no component of the pipeline ({', '.join(nlp.pipe_names)}) predicts relations without also setting the entities: "
            "relations cannot be scored on gold entities (a vote's members set both)"
        )
    examples = list(examples)
    docs = []
    for eg in examples:
        doc = nlp.make_doc(eg.reference.text)
        doc.ents = Example(doc, eg.reference).get_aligned_spans_y2x(eg.reference.ents)
        docs.append(doc)
    with nlp.select_pipes(disable=setters):
        predicted = list(nlp.pipe(docs, batch_size=batch_size))
    return relation_prf(Example(doc, eg.reference) for doc, eg in zip(predicted, examples))
