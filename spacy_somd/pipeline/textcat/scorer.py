"""The scorer of ``somd_textcat`` and its registered maker ``spacy_somd.textcat_scorer.v1``."""

from typing import Any, Callable, Dict, Iterable

from spacy.scorer import Scorer
from spacy.training import Example
from spacy.util import registry

from spacy_somd.pipeline.textcat.gold import DEFAULT_MAPPING, gold_categories, mapped_labels


def score_textcat(examples: Iterable[Example], **kwargs: Any) -> Dict[str, Any]:
    """spaCy's multi-label category scores (``cats_macro_f``, ``cats_micro_f``,
    ``cats_f_per_type``, ``cats_auc_per_type``, ...) against the same gold as training:
    each reference scored through :func:`gold_categories`. Takes the pipe's ``labels``,
    ``mapping`` and ``threshold`` settings."""
    mapping = kwargs.get("mapping") or DEFAULT_MAPPING
    labels = list(kwargs.get("labels") or mapped_labels(mapping))
    scored = []
    for eg in examples:
        reference = eg.reference.copy()
        reference.cats = gold_categories(eg.reference, mapping, labels)
        scored.append(Example(eg.predicted, reference))
    return Scorer.score_cats(scored, "cats", labels=labels, multi_label=True, threshold=kwargs.get("threshold"))


@registry.scorers("spacy_somd.textcat_scorer.v1")
def make_textcat_scorer() -> Callable[..., Dict[str, Any]]:
    return score_textcat
