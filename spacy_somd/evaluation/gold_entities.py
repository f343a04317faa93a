"""Evaluation that runs a pipeline: relation scores with the gold entities given."""

from pathlib import Path
from typing import Any, Dict, Iterable, List

from spacy.language import Language
from spacy.tokens import DocBin
from spacy.training import Example

from spacy_somd.labels import RELATIONS_ATTR, ensure_extensions
from spacy_somd.pipeline.scorers import has_gold_relations, relation_prf
from spacy_somd.training.reader import gold_tokenized_example


def entity_setters(nlp: Language) -> List[str]:
    """The pipes that assign ``doc.ents`` (they are skipped to keep the gold entities)."""
    return [name for name in nlp.pipe_names if "doc.ents" in nlp.get_pipe_meta(name).assigns]


def relation_scores_on_gold_entities(nlp: Language, examples: Iterable[Example], batch_size: int = 64) -> Dict[str, Any]:
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


def score_docbin_on_gold_entities(nlp: Language, data_path: Path, batch_size: int = 64) -> Dict[str, Any]:
    """:func:`relation_scores_on_gold_entities` of the docs of a DocBin that `convert`
    wrote, read with the corpus tokens. Raises FileNotFoundError or ValueError (not a
    DocBin, no gold relations, no relation component) with one line."""
    if not Path(data_path).is_file():
        raise FileNotFoundError(f"{data_path}: file not found")
    ensure_extensions()
    try:
        docbin = DocBin().from_disk(data_path)
    except ValueError:
        raise ValueError(f"{data_path}: not a DocBin (.spacy file; `python -m spacy_somd convert` writes them)") from None
    examples = [gold_tokenized_example(nlp, doc) for doc in docbin.get_docs(nlp.vocab)]
    if not any(has_gold_relations(eg.reference) for eg in examples):
        raise ValueError(f"{data_path}: no doc holds gold relation data (doc._.{RELATIONS_ATTR} is unset): nothing to score")
    return relation_scores_on_gold_entities(nlp, examples, batch_size)
