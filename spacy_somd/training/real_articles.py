"""Mention-free sentences of real articles as training negatives: the registered
``spacy_somd.softcite_negatives.v1`` (``[corpora.train.negatives]``) reads the training
articles of Softcite's contexts file (never its ``dev`` or ``test`` articles, see
:func:`spacy_somd.corpus.softcite.article_split`) and gives the reader Docs whose every token
is gold ``O``: what an ordinary sentence of an article looks like, which SOMD's sentences,
nearly all about software, never show."""

from pathlib import Path
from typing import Callable, List, Optional

from spacy.language import Language
from spacy.tokens import Doc
from spacy.util import registry
from wasabi import msg

from spacy_somd.corpus.softcite import NEGATIVE_SELECTIONS, mention_free_sentences, negative_docs, read_contexts, select_negatives

NegativeDocs = Callable[[Language, int], List[Doc]]


@registry.misc("spacy_somd.softcite_negatives.v1")
def create_softcite_negatives(path: Optional[Path], count: int, selection: str = "random", seed: int = 0) -> Optional[NegativeDocs]:
    """``count`` mention-free sentences of the training articles of the Softcite contexts
    file ``path`` (the file or its folder; None: no negatives), chosen by ``selection``
    (``random``, or ``lookalike``: half of them the sentences that look most like ones that
    mention software), with ``seed``. The Docs are numbered on from the line the reader
    gives, so that line numbers stay unique."""
    if selection not in NEGATIVE_SELECTIONS:
        raise ValueError(f"selection (softcite_negatives) must be one of {', '.join(NEGATIVE_SELECTIONS)}, not {selection!r}")
    if count < 0:
        raise ValueError(f"count (softcite_negatives) must be 0 or more, not {count}")
    if path is None or count == 0:
        return None

    def docs(nlp: Language, first_line: int) -> List[Doc]:
        candidates = mention_free_sentences(read_contexts(path, splits=("train",)))
        chosen = select_negatives(candidates, count, selection, seed)
        articles = len({article for article, _, _ in chosen})
        msg.info(f"Negatives: {len(chosen)} mention-free sentences ({selection}) of {articles} training articles of {path}, of {len(candidates)}")
        return negative_docs(nlp, chosen, first_line)

    return docs
