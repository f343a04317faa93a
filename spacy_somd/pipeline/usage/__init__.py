"""The software usage component: what the article did with each software it mentions
(used, created, shared); gold, model, scorer and pipe."""

from spacy_somd.pipeline.usage.gold import gold_usage, software_entities
from spacy_somd.pipeline.usage.model import build_software_usage
from spacy_somd.pipeline.usage.pipe import SoftwareUsage, ensure_usage_extension, make_software_usage
from spacy_somd.pipeline.usage.scorer import make_usage_scorer, score_usage

__all__ = [
    "SoftwareUsage",
    "build_software_usage",
    "ensure_usage_extension",
    "gold_usage",
    "make_software_usage",
    "make_usage_scorer",
    "score_usage",
    "software_entities",
]
