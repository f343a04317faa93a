"""Sentences of real articles in training: the registered ``spacy_somd.softcite_sentences.v1``
(``[corpora.train.articles]``) reads the training articles of Softcite's contexts file
(never its ``dev`` or ``test`` articles, see :func:`spacy_somd.corpus.softcite.article_split`)
and gives the reader

- negatives: mention-free sentences, every token gold ``O``: what an ordinary sentence of an
  article looks like, which SOMD's sentences, nearly all about software, never show;
- positives: sentences that mention software, partially annotated (their versions,
  publishers and URLs typed, their untyped software spans missing; see
  :func:`spacy_somd.corpus.softcite.positive_doc`)."""

import random
from pathlib import Path
from typing import Callable, List, Optional

from spacy.language import Language
from spacy.tokens import Doc
from spacy.util import registry
from wasabi import msg

from spacy_somd.corpus.softcite import (
    NEGATIVE_SELECTIONS,
    mention_free_sentences,
    mention_sentences,
    negative_docs,
    positive_doc,
    read_contexts,
    select_negatives,
)
from spacy_somd.labels import LINE_ATTR

ArticleDocs = Callable[[Language, int], List[Doc]]


@registry.misc("spacy_somd.softcite_sentences.v1")
def create_softcite_sentences(path: Optional[Path], negatives: int, selection: str = "random", positives: int = 0, seed: int = 0) -> Optional[ArticleDocs]:
    """Sentences of the training articles of the Softcite contexts file ``path`` (the file
    or its folder; None: none): ``negatives`` mention-free ones chosen by ``selection``
    (``random``, or ``lookalike``: half of them those that look most like sentences that
    mention software) and ``positives`` that mention software (at random; -1: all), with
    ``seed``. The Docs are numbered on from the line the reader gives, so that line numbers
    stay unique."""
    if selection not in NEGATIVE_SELECTIONS:
        raise ValueError(f"selection (softcite_sentences) must be one of {', '.join(NEGATIVE_SELECTIONS)}, not {selection!r}")
    if negatives < 0:
        raise ValueError(f"negatives (softcite_sentences) must be 0 or more, not {negatives}")
    if positives < -1:
        raise ValueError(f"positives (softcite_sentences) must be 0 or more, or -1 (all), not {positives}")
    if path is None or negatives == positives == 0:
        return None

    def docs(nlp: Language, first_line: int) -> List[Doc]:
        articles = list(read_contexts(path, splits=("train",)))
        candidates = mention_free_sentences(articles)
        chosen = select_negatives(candidates, negatives, selection, seed)
        found = negative_docs(nlp, chosen, first_line)
        annotated = mention_sentences(articles)
        if 0 <= positives < len(annotated):
            annotated = [annotated[i] for i in sorted(random.Random(seed).sample(range(len(annotated)), positives))]
        misaligned = 0
        for line, (_, _, sentence) in enumerate(annotated, first_line + len(found)):
            doc, lost = positive_doc(nlp, sentence)
            doc._.set(LINE_ATTR, line)
            misaligned += lost
            found.append(doc)
        msg.info(
            f"Real articles ({path}, {len(articles)} training articles): {len(chosen)} of {len(candidates)} mention-free sentences "
            f"({selection}), {len(annotated)} sentences that mention software ({misaligned} typed spans off token boundaries left missing)"
        )
        return found

    return docs
