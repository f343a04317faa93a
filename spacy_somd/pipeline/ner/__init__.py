"""The entity recognizer: spaCy's transition-based NER with a batched greedy decoder."""

from spacy_somd.pipeline.ner.decoder import greedy_biluo, move_table
from spacy_somd.pipeline.ner.pipe import BatchEntities, SomdEntityRecognizer, make_somd_ner

__all__ = ["BatchEntities", "SomdEntityRecognizer", "greedy_biluo", "make_somd_ner", "move_table"]
