"""Runs of pieces that make one URL: "https : / / github . com / ruolin / strawberry".

A URL run is a maximal run of words and URL separators in turn (separators may repeat, as
in "://"; a word continues the run only after a separator, a title-case word only before
one), from its first word or from its scheme ("http :", "https :", "ftp :", "www .") where
it has one, without trailing separators other than "/". A ":" is a separator only before
"/" or a port number, so that "home page : http ..." does not join. URLs in one token
("http://fiji.sc") are no run, so text in the corpus's own style keeps the NER's entities.
"""

import re
from typing import List, Sequence, Tuple

# a word of a URL: letters, digits, "_", and dots inside ("mosaic.mpi")
URL_WORD = re.compile(r"\w(?:[\w.]*\w)?")
TITLE_CASE = re.compile(r"[A-Z][a-z]+")
SEPARATORS = frozenset({".", "/", ":", "-", "_", "~", "?", "=", "&", "#", "%", "+"})
SCHEMES = {"http": ":", "https": ":", "ftp": ":", "www": "."}
MIN_RUN = 3  # "fiji . sc"


def is_colon_separator(words: Sequence[str], i: int) -> bool:
    """Whether the ":" at ``i`` is a URL's ("https : /", "host : 8080"), not the text's."""
    after = words[i + 1] if i + 1 < len(words) else ""
    return after == "/" or after.isdigit()


def continues_run(words: Sequence[str], i: int) -> bool:
    """Whether ``words[i]`` continues a URL run that ends at ``words[i - 1]``. A word in
    title case ("The", "Download") continues one only where a separator follows it
    ("/ Tools / msa"): after a run's last "." or "/" it begins the text that goes on."""
    word = words[i]
    if word == ":":
        return is_colon_separator(words, i)
    if word in SEPARATORS:
        return True
    if URL_WORD.fullmatch(word) is None or words[i - 1] not in SEPARATORS:
        return False
    return TITLE_CASE.fullmatch(word) is None or (i + 1 < len(words) and words[i + 1] in SEPARATORS)


def run_start(words: Sequence[str], start: int, end: int) -> int:
    """Where the URL in ``words[start:end]`` begins: at its scheme if it has one."""
    for i in range(start, end - 1):
        if SCHEMES.get(words[i].lower()) == words[i + 1]:
            return i
    return start


def url_runs(words: Sequence[str]) -> List[Tuple[int, int]]:
    """The URL runs (start, end) of ``words`` with at least three tokens, in order."""
    runs = []
    i = 0
    while i < len(words):
        if URL_WORD.fullmatch(words[i]) is None:
            i += 1
            continue
        end = i + 1
        while end < len(words) and continues_run(words, end):
            end += 1
        start, stop = run_start(words, i, end), end
        while stop > start and words[stop - 1] in SEPARATORS and words[stop - 1] != "/":
            stop -= 1
        if stop - start >= MIN_RUN:
            runs.append((start, stop))
        i = end
    return runs
