"""The sentence categorization component: gold categories, models, scorer and pipe."""

from spacy_somd.pipeline.textcat.gold import DEFAULT_MAPPING, gold_categories
from spacy_somd.pipeline.textcat.model import build_bag_of_words_logits, build_sentence_logits
from spacy_somd.pipeline.textcat.pipe import SentenceCategorizer, make_somd_textcat
from spacy_somd.pipeline.textcat.scorer import make_textcat_scorer, score_textcat

__all__ = [
    "DEFAULT_MAPPING",
    "SentenceCategorizer",
    "build_bag_of_words_logits",
    "build_sentence_logits",
    "gold_categories",
    "make_somd_textcat",
    "make_textcat_scorer",
    "score_textcat",
]
