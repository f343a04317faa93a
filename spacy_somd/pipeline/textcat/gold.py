"""The gold sentence categories: ``doc.cats`` where a reference doc has any, otherwise
derived from its gold entities through a mapping (entity label -> categories)."""

from typing import Dict, Iterable, List, Mapping, Sequence

from spacy.tokens import Doc

CategoryMapping = Mapping[str, Sequence[str]]
DEFAULT_MAPPING: Dict[str, List[str]] = {
    "Application": ["SOFTWARE", "APPLICATION"],
    "PlugIn": ["SOFTWARE", "PLUGIN"],
    "ProgrammingEnvironment": ["SOFTWARE", "PROGRAMMING_ENVIRONMENT"],
    "OperatingSystem": ["SOFTWARE", "OPERATING_SYSTEM"],
}


def mapped_labels(mapping: CategoryMapping) -> List[str]:
    """The categories a mapping gives, in order of first appearance."""
    return list(dict.fromkeys(cat for cats in mapping.values() for cat in cats))


def gold_categories(doc: Doc, mapping: CategoryMapping, labels: Iterable[str]) -> Dict[str, float]:
    """A reference doc's gold categories over ``labels``. Non-empty ``doc.cats`` win (labels
    they lack are missing: no loss, not scored); otherwise a label is 1.0 when one of the
    doc's entities maps to it (``mapping``: entity label -> categories), else 0.0."""
    if doc.cats:
        return {label: float(doc.cats[label]) for label in labels if label in doc.cats}
    found = {cat for ent in doc.ents for cat in mapping.get(ent.label_, ())}
    return {label: float(label in found) for label in labels}
