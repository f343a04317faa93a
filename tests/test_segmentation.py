"""Raw text: the tokenizer splits like the corpus, sentence boundaries keep relations
within sentences."""

import pytest
import spacy
from conftest import SHARED_CORPUS, somd_blank

from spacy_somd.corpus.format import read_corpus_dir
from spacy_somd.pipeline.sentencizer import DEFAULT_CONFIG, sentence_starts

RAW = "We used SPSS version 22 (IBM) and R 4.0.3 with the lme4 package [12], see http://www.r-project.org."


def words(text: str) -> list:
    return [t.text for t in somd_blank()(text)]


def test_raw_text_is_split_like_the_corpus():
    assert words(RAW) == ("We used SPSS version 22 ( IBM ) and R 4.0.3 with the lme4 package [12] , see http://www.r-project.org .").split(" ")
    assert words("SPSS Inc., Chicago; e.g. v. 2.0 and ver. 3 (Pond et al. 2005) [3-5] [9,10]") == (
        "SPSS Inc . , Chicago ; e.g. v. 2.0 and ver. 3 ( Pond et al . 2005 ) [3-5] [9,10]"
    ).split(" ")
    assert words("95% of 4GB ran R/Bioconductor state-of-the-art") == ("95 % of 4GB ran R / Bioconductor state - of - the - art").split(" ")


def test_tokenizer_rules_survive_serialization(tmp_path):
    nlp = somd_blank()
    nlp.to_disk(tmp_path / "nlp")
    assert [t.text for t in spacy.load(tmp_path / "nlp")(RAW)] == words(RAW)


@pytest.mark.skipif(not SHARED_CORPUS.is_dir(), reason="needs ../shared/somd2025")
def test_corpus_text_keeps_its_tokens():
    """Corpus lines (tokens joined by spaces) come out as their own tokens: training and
    `spacy evaluate` tokenize the reference text."""
    nlp = somd_blank()
    sentences, _ = read_corpus_dir(SHARED_CORPUS)
    same = sum([t.text for t in nlp(" ".join(s.words))] == s.words for s in sentences)
    assert same >= 1145, f"{same} of {len(sentences)} sentences keep their tokens"


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
