"""Corpus statistics (``spacy_somd.corpus.stats``): they count what was read."""

from spacy_somd.corpus.format import read_corpus_dir
from spacy_somd.corpus.stats import CorpusStats
from tests.builders.corpus import write_lines


def test_stats_count_what_was_read(tmp_path):
    sentences, _ = read_corpus_dir(write_lines(tmp_path))
    stats = CorpusStats.of(sentences)
    assert (stats.sentences, stats.tokens, stats.entity_free) == (5, 32, 2)
    assert stats.entities["Version"] == 2 and stats.entities["Application"] == 2
    assert sum(stats.relations.values()) == 6
