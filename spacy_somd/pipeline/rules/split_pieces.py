"""The pipes that re-draw entities over mentions in pieces: ``somd_split_urls``,
``somd_split_citations``."""

from typing import Callable, List, Sequence, Tuple

from spacy.language import Language
from spacy.pipeline import Pipe
from spacy.tokens import Doc

from spacy_somd.pipeline.rules.citations import citation_runs
from spacy_somd.pipeline.rules.redraw import redraw_runs
from spacy_somd.pipeline.rules.urls import url_runs

RunFinder = Callable[[Sequence[str]], List[Tuple[int, int]]]


class SplitPieces(Pipe):
    """Re-draws the ``label`` entities that overlap a run ``find_runs`` finds in a doc's
    words as the whole run (:func:`~.redraw.redraw_runs`)."""

    def __init__(self, name: str, label: str, find_runs: RunFinder) -> None:
        self.name = name
        self.label = label
        self.find_runs = find_runs

    def __call__(self, doc: Doc) -> Doc:
        if any(ent.label_ == self.label for ent in doc.ents):  # most docs: nothing to re-draw
            redraw_runs(doc, self.find_runs([token.text for token in doc]), self.label)
        return doc


@Language.factory("somd_split_urls", default_config={"label": "URL"}, requires=["doc.ents"], assigns=["doc.ents"])
def make_split_urls(nlp: Language, name: str, label: str) -> SplitPieces:
    """URL entities over URLs in pieces ("https : / / x . org") re-drawn whole."""
    return SplitPieces(name, label, url_runs)


@Language.factory("somd_split_citations", default_config={"label": "Citation"}, requires=["doc.ents"], assigns=["doc.ents"])
def make_split_citations(nlp: Language, name: str, label: str) -> SplitPieces:
    """Citation entities over citations in pieces ("[ 5 , 8 ]") re-drawn whole."""
    return SplitPieces(name, label, citation_runs)
