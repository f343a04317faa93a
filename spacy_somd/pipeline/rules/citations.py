"""Runs of pieces that make one bracketed citation: "[ 5 , 8 ]", "[ 3 - 5 ]", "[ 27 ]".

A citation run is a "[" and its "]" with numbers between them, joined by "," ";" "-" or
"–": what :func:`~spacy_somd.corpus.retokenization.tokenization_variant` joins back into one
token. Citations in one token ("[27]") are no run, and brackets around words ("[ UTRAD /
ICAL ]") neither.
"""

from typing import List, Sequence, Tuple

from spacy_somd.corpus.conventions import split_citation_end


def citation_runs(words: Sequence[str]) -> List[Tuple[int, int]]:
    """The citation runs (start, end) of ``words``, in order."""
    runs = []
    i = 0
    while i < len(words):
        end = split_citation_end(words, i) if words[i] == "[" else 0
        if end:
            runs.append((i, end))
        i = max(end, i + 1)
    return runs
