"""The relation extraction component: candidates, model and pipe; typed records of the
relations it predicts."""

from spacy_somd.pipeline.relations.candidates import entity_pairs, make_entity_pairs, missed_gold_relations
from spacy_somd.pipeline.relations.model import adversarial_perturbation, build_relation_classifier
from spacy_somd.pipeline.relations.pipe import NO_RELATION, RelationExtractor, make_relation_extractor
from spacy_somd.pipeline.relations.records import Relation, ensure_relation_extensions, relation_records

__all__ = [
    "NO_RELATION",
    "Relation",
    "RelationExtractor",
    "adversarial_perturbation",
    "build_relation_classifier",
    "ensure_relation_extensions",
    "entity_pairs",
    "make_entity_pairs",
    "make_relation_extractor",
    "missed_gold_relations",
    "relation_records",
]
