"""The relation extraction component: candidates, model and pipe."""
from .candidates import entity_pairs, make_entity_pairs, missed_gold_relations
from .model import adversarial_perturbation, build_relation_classifier
from .pipe import NO_RELATION, RelationExtractor, make_relation_extractor

__all__ = [
    "NO_RELATION", "RelationExtractor", "adversarial_perturbation", "build_relation_classifier",
    "entity_pairs", "make_entity_pairs", "make_relation_extractor", "missed_gold_relations",
]  # fmt: skip
