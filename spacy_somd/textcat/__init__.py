"""The sentence categorization component: gold categories, models, scorer and pipe."""
from .gold import DEFAULT_MAPPING, gold_categories
from .model import build_bag_of_words_logits, build_sentence_logits
from .pipe import SentenceCategorizer, make_somd_textcat
from .scoring import make_textcat_scorer, score_textcat

__all__ = [
    "DEFAULT_MAPPING", "SentenceCategorizer", "build_bag_of_words_logits", "build_sentence_logits",
    "gold_categories", "make_somd_textcat", "make_textcat_scorer", "score_textcat",
]  # fmt: skip
