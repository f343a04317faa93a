"""spaCy CLI extension, loaded by ``spacy`` through the ``spacy_cli`` entry point.

``spacy evaluate`` prints a fixed set of scores (tokens, tags, ``ents_*``, ``cats_*``,
...) and would not show this package's token-level, relation and SOMD scores. Its
per-type step, ``handle_scores_per_type``, is given every score; the hook installed here
prints the missing families after it."""
from importlib import import_module
from typing import Any, Callable, Dict

from .reporting import print_scores

HandleScores = Callable[..., Dict[str, Any]]
spacy_evaluate = import_module("spacy.cli.evaluate")  # the module; spacy.cli.evaluate is the function


def with_somd_tables(handle: HandleScores) -> HandleScores:
    """``handle_scores_per_type`` that also prints the families spaCy does not print:
    token-level P/R/F, relations end to end and the SOMD score."""

    def handle_scores_per_type(scores: Dict[str, Any], *args: Any, silent: bool = False, **kwargs: Any) -> Dict[str, Any]:
        result = handle(scores, *args, silent=silent, **kwargs)
        if not silent:
            print_scores(scores, families=("token", "rel", "somd"))
        return result

    handle_scores_per_type.somd_tables = True  # type: ignore[attr-defined]
    return handle_scores_per_type


def install_evaluate_tables() -> HandleScores:
    """Install the hook once (loading the entry point again leaves it as it is)."""
    if not getattr(spacy_evaluate.handle_scores_per_type, "somd_tables", False):
        spacy_evaluate.handle_scores_per_type = with_somd_tables(spacy_evaluate.handle_scores_per_type)
    return spacy_evaluate.handle_scores_per_type


evaluate_tables = install_evaluate_tables()
