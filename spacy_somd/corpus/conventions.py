"""How the SOMD corpus writes what it keeps whole or splits, defined once for the tokenizer,
the rule pipes and the re-tokenized variants: versions ("2.2.1") and citations ("[5,8]")
are one token, URLs are one token, and the abbreviations below are written with their
period apart ("et al .", "SPSS Inc .")."""

import re
from typing import Sequence

VERSION = re.compile(r"[vV]?\d+(?:\.\w+)+")  # 2.2.1, 1.1.6r, v3.10
# the numbers of a bracketed citation after its "[" (a space may follow a separator in raw text)
CITATION_AFTER_BRACKET = r"\d+(?:\s?[,;–-]\s?\d+)*\]"
CITATION = re.compile(rf"\[{CITATION_AFTER_BRACKET}")  # [27], [3-5], [5,8], [9, 10]
CITATION_PIECE = re.compile(r"\d+|[,;–-]")  # a piece of a split citation "[ 5 , 8 ]"
URL = re.compile(r"(?:https?://|www\.)\S+|\S+\.(?:com|org|net|edu|gov)(?:/\S*)?")
ABBREVIATIONS = ("al", "Inc", "Corp", "Ltd", "Co")  # written "al ." in the corpus


def split_citation_end(words: Sequence[str], start: int) -> int:
    """The end of a split citation "[ 5 , 8 ]" starting at ``start`` (0 if none)."""
    end = start + 1
    while end < len(words) and CITATION_PIECE.fullmatch(words[end]):
        end += 1
    return end + 1 if CITATION.fullmatch("".join(words[start : end + 1])) else 0
