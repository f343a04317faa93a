"""The tokenizer of the configs: raw text split like the corpus, the rules kept through
serialization, the corpus text kept as its tokens."""

import pytest
import spacy

from spacy_somd.corpus.format import read_corpus_dir
from tests.builders import SHARED_CORPUS, somd_blank

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
