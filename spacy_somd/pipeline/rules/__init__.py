"""Entities over mentions written in pieces: URLs and bracketed citations re-drawn whole.

Text tokenized at every punctuation mark (other releases of the task's data, many PDF
extractions) writes "https://github.com/ruolin/strawberry" as "https : / / github . com /
ruolin / strawberry" and "[5,8]" as "[ 5 , 8 ]". The NER finds such mentions but often not
their ends. A pipe after the NER finds the *runs* of pieces that make one mention
(:mod:`.urls`, :mod:`.citations`) and re-draws every predicted entity of its label that
overlaps a run as the whole run (:mod:`.redraw`): ``somd_split_urls`` and
``somd_split_citations`` (:mod:`.pipe`).
"""

from spacy_somd.pipeline.rules.citations import citation_runs
from spacy_somd.pipeline.rules.redraw import redraw_runs
from spacy_somd.pipeline.rules.split_pieces import SplitPieces, make_split_citations, make_split_urls
from spacy_somd.pipeline.rules.urls import url_runs

__all__ = ["SplitPieces", "citation_runs", "make_split_citations", "make_split_urls", "redraw_runs", "url_runs"]
