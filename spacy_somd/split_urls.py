"""URL entities over URLs written in pieces: the ``somd_split_urls`` pipe.

Text tokenized at every punctuation mark (other releases of the task's data) writes
"https://github.com/ruolin/strawberry" as "https : / / github . com / ruolin / strawberry".
The NER finds such URLs but often not their ends: it cuts the last path segment, takes in a
bullet after the closing "/", or breaks a URL without a scheme into pieces of other types.
This pipe, after the NER, re-draws every predicted URL entity that overlaps a *piece run*
as the whole run, and drops the other entities inside the run.

A piece run is a maximal run of words and URL separators in turn (separators may repeat, as
in "://"; a word continues the run only after a separator, a title-case word only before
one), from its first word or from its scheme ("http :", "https :", "ftp :", "www .") where
it has one, without trailing separators other than "/". A ":" is a separator only before
"/" or a port number, so that "home page : http ..." does not join. URLs in one token
("http://fiji.sc") are no run and left as they are, so text in the corpus's own style keeps
the NER's entities. A re-drawn URL keeps the lowest entity confidence of the URL entities it
was drawn from, where ``somd_entity_confidence`` ran before this pipe.
"""
import re
from typing import List, Optional, Sequence, Tuple

from spacy.language import Language
from spacy.pipeline import Pipe
from spacy.tokens import Doc, Span

from .confidence import CONFIDENCE_ATTR

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
    """Whether ``words[i]`` continues a piece run that ends at ``words[i - 1]``. A word in
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


def piece_runs(words: Sequence[str]) -> List[Tuple[int, int]]:
    """The piece runs (start, end) of ``words`` with at least three tokens, in order."""
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


def redraw_split_urls(doc: Doc, label: str = "URL") -> int:
    """Re-draw the ``label`` entities of ``doc`` that overlap a piece run as the whole run
    (see the module's docstring); the number of runs re-drawn."""
    ents = list(doc.ents)
    if not any(ent.label_ == label for ent in ents):
        return 0  # most docs: no URL, no run to look for
    entity_at = [-1] * len(doc)
    for k, ent in enumerate(ents):
        entity_at[ent.start:ent.end] = [k] * len(ent)
    redrawn, dropped = [], set()
    for start, end in piece_runs([token.text for token in doc]):
        inside = {k for k in entity_at[start:end] if k >= 0}
        urls = [ents[k] for k in sorted(inside) if ents[k].label_ == label]
        if urls:
            redrawn.append((Span(doc, start, end, label=label), urls))
            dropped |= inside
    if redrawn:
        kept = [ent for k, ent in enumerate(ents) if k not in dropped]
        doc.ents = sorted(kept + [span for span, _ in redrawn], key=lambda span: span.start)
        if Span.has_extension(CONFIDENCE_ATTR):
            for span, urls in redrawn:
                span._.set(CONFIDENCE_ATTR, carried_confidence(urls))
    return len(redrawn)


def carried_confidence(urls: Sequence[Span]) -> Optional[float]:
    """A re-drawn URL's confidence: the lowest of the URL entities it was drawn from
    (``somd_entity_confidence`` ran before this pipe), else None."""
    values = [value for value in (url._.get(CONFIDENCE_ATTR) for url in urls) if value is not None]
    return min(values) if values else None


class SplitUrls(Pipe):
    """Re-draws URL entities over URLs written in pieces: :func:`redraw_split_urls`."""

    def __init__(self, name: str, label: str) -> None:
        self.name = name
        self.label = label

    def __call__(self, doc: Doc) -> Doc:
        redraw_split_urls(doc, self.label)
        return doc


@Language.factory("somd_split_urls", default_config={"label": "URL"}, requires=["doc.ents"], assigns=["doc.ents"])
def make_split_urls(nlp: Language, name: str, label: str) -> SplitUrls:
    return SplitUrls(name, label)
