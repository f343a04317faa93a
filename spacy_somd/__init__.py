"""spacy-somd: software mention detection components for spaCy."""

import importlib
from typing import TYPE_CHECKING, Any

from spacy_somd.about import __version__

if TYPE_CHECKING:
    from spacy_somd.pipeline.confidence import entity_confidences
    from spacy_somd.pipeline.relations.records import Relation, ensure_relation_extensions, relation_records

# The Python API, imported on first use: importing the package itself stays light (no spaCy).
_API = {
    "Relation": ".pipeline.relations.records",
    "relation_records": ".pipeline.relations.records",
    "ensure_relation_extensions": ".pipeline.relations.records",
    "entity_confidences": ".pipeline.confidence",
}

__all__ = ["Relation", "__version__", "ensure_relation_extensions", "entity_confidences", "relation_records"]


def __getattr__(name: str) -> Any:
    if name in _API:
        return getattr(importlib.import_module(_API[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
