"""Sentence boundaries for multi-sentence input, so that relations stay within sentences.

spaCy's ``sentencizer`` ends a sentence after every period, which cuts corpus sentences at
"SPSS Inc . , Chicago" and "Pond et al . 2005"; this rule ends one only where a period,
question or exclamation mark is followed by a capitalised word and does not close an
abbreviation or an initial, and where neither side would be a single word ("Consult .
Sozialforschung . GmbH", "PhysiCell . MathCancer . org": names and split URLs, not sentences)."""

import re
from typing import Iterable, List, Sequence, cast

import numpy
from spacy.attrs import SENT_START
from spacy.language import Language
from spacy.pipeline import Pipe
from spacy.tokens import Doc
from thinc.types import Ints2d

INITIALS = re.compile(r"[A-Z](?:\.[A-Z])*")  # "L", "U.S", "B.V" (not "SPSS")

DEFAULT_CONFIG = {
    "end_punct": [".", "!", "?"],
    "non_final": ["Inc", "Corp", "Ltd", "Co", "al", "Fig", "Figs", "Dr", "No", "vs", "ca", "approx", "Eq", "St", "www"],
}


def sentence_starts(words: Sequence[str], end_punct: Iterable[str], non_final: Iterable[str]) -> List[bool]:
    """Whether each word starts a sentence. White-space words (raw text's extra spaces,
    line breaks, tabs) are passed over: they end the sentence before them."""
    end_punct, non_final = set(end_punct), set(non_final)
    starts = [i == 0 for i in range(len(words))]
    kept = [i for i, word in enumerate(words) if word.strip()]
    for k in range(2, len(kept)):
        before, end, i = kept[k - 2], kept[k - 1], kept[k]
        closes_abbreviation = words[before] in non_final or INITIALS.fullmatch(words[before]) is not None
        single_word = (k + 1 < len(kept) and words[kept[k + 1]] in end_punct) or (k >= 3 and words[kept[k - 3]] in end_punct)
        if words[end] in end_punct and words[i][:1].isupper() and not closes_abbreviation and not single_word:
            starts[i] = True
    return starts


class SentenceBoundaries(Pipe):
    """Sets ``Token.is_sent_start`` on every token by :func:`sentence_starts`, in one
    array (setting the tokens one by one takes time quadratic in the doc's length)."""

    def __init__(self, name: str, end_punct: List[str], non_final: List[str]) -> None:
        self.name = name
        self.end_punct = end_punct
        self.non_final = non_final

    def __call__(self, doc: Doc) -> Doc:
        starts = sentence_starts([t.text for t in doc], self.end_punct, self.non_final)
        values = numpy.array([1 if start else -1 for start in starts], dtype="int64").reshape((-1, 1))
        return doc.from_array([SENT_START], cast(Ints2d, values.astype("uint64")))


@Language.factory("somd_sentencizer", default_config=DEFAULT_CONFIG, assigns=["token.is_sent_start"])
def make_somd_sentencizer(nlp: Language, name: str, end_punct: List[str], non_final: List[str]) -> SentenceBoundaries:
    return SentenceBoundaries(name, end_punct, non_final)
