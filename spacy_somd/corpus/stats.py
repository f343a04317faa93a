"""What a corpus holds: counts for the convert report."""

from collections import Counter
from dataclasses import dataclass, field
from typing import Iterable

from spacy_somd.corpus.format import Sentence, bio_to_spans


@dataclass
class CorpusStats:
    """What a corpus holds, for the convert report."""

    sentences: int = 0
    tokens: int = 0
    entity_free: int = 0
    entities: Counter = field(default_factory=Counter)
    relations: Counter = field(default_factory=Counter)

    @classmethod
    def of(cls, sentences: Iterable[Sentence]) -> "CorpusStats":
        stats = cls()
        for sentence in sentences:
            stats.sentences += 1
            stats.tokens += len(sentence.words)
            spans = bio_to_spans(sentence.labels or [])
            stats.entity_free += not spans
            stats.entities.update(type_ for _, _, type_ in spans)
            stats.relations.update(label for label, _, _ in sentence.relations)
        return stats
