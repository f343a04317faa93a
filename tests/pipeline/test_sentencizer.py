"""Sentence boundaries (``spacy_somd.pipeline.sentencizer``): the sentence starts, white
space words, the corpus's boundaries, the component, one pass on long input."""

import pytest
import spacy
from spacy.tokens import Doc

from spacy_somd.corpus.format import read_corpus_dir
from spacy_somd.pipeline.sentencizer import DEFAULT_CONFIG, sentence_starts
from tests.builders import SHARED_CORPUS, somd_blank


def test_sentencizer_sets_the_boundaries_of_sentence_starts_in_one_pass():
    nlp = spacy.blank("en")
    sentencizer = nlp.add_pipe("somd_sentencizer")
    words = "We used SPSS Inc . , Chicago . Then R was used . see Fig . 2 ! And so on".split()
    doc = sentencizer(Doc(nlp.vocab, words=words))
    expected = sentence_starts(words, sentencizer.end_punct, sentencizer.non_final)
    assert [token.is_sent_start for token in doc] == expected
    # "2 !" alone would be a one-word sentence: no boundary before "And"
    assert [sent.text for sent in doc.sents] == ["We used SPSS Inc . , Chicago .", "Then R was used . see Fig . 2 ! And so on"]
    assert len(list(sentencizer(Doc(nlp.vocab, words=[])).sents)) == 0


def starts(text: str) -> list:
    tokens = text.split(" ")
    return [tokens[i] for i, start in enumerate(sentence_starts(tokens, **DEFAULT_CONFIG)) if start]


def test_sentence_starts():
    assert starts("We used SPSS . R was used too ! Then Stata ?") == ["We", "R", "Then"]
    assert starts("SPSS Inc . , Chicago , IL . Data were") == ["SPSS", "Data"]
    assert starts("( Pond et al . 2005 ) and SPSS Inc . Spatial analysis") == ["("]
    assert starts("by L . Smith and U.S . Army") == ["by"]
    assert sentence_starts([], **DEFAULT_CONFIG) == []


def test_sentence_starts_pass_over_white_space_words():
    """Raw text's extra spaces and line breaks are words of their own; they end the
    sentence before them and hide neither its period nor an abbreviation."""
    words = ["We", "used", "SPSS", ".", " ", "R", "too", ".", "\n", "Then", "Inc", ".", "\n\n", "Chicago"]
    assert [w for w, start in zip(words, sentence_starts(words, **DEFAULT_CONFIG)) if start] == ["We", "R", "Then"]


@pytest.mark.skipif(not SHARED_CORPUS.is_dir(), reason="needs ../shared/somd2025")
def test_sentence_boundaries_on_the_corpus():
    """Corpus lines are rarely split (some lines hold two sentences), and two lines
    joined are split between them most of the time."""
    sentences, _ = read_corpus_dir(SHARED_CORPUS)
    split = sum(sum(sentence_starts(s.words, **DEFAULT_CONFIG)) > 1 for s in sentences)
    joined = sum(sentence_starts(a.words + b.words, **DEFAULT_CONFIG)[len(a.words)] for a, b in zip(sentences, sentences[1:]))
    assert split <= 10 and joined >= 0.9 * (len(sentences) - 1)


def test_sentencizer_component_sets_sentences():
    nlp = somd_blank()
    nlp.add_pipe("somd_sentencizer")
    doc = nlp("We used SPSS Inc., Chicago. R was used (Pond et al. 2005).")
    assert [s.text for s in doc.sents] == ["We used SPSS Inc., Chicago.", "R was used (Pond et al. 2005)."]
