"""The registered reader ``spacy_somd.FoldCorpus.v1``: Examples of one split of the fold
DocBins, tokenized as the corpus is."""

from pathlib import Path
from typing import Callable, Iterable, Iterator, List, Optional

from spacy.language import Language
from spacy.tokens import Doc
from spacy.training import Example
from spacy.util import registry
from wasabi import msg

from spacy_somd.corpus.folds import (
    TRAINING_SAMPLE_SIZE,
    check_fold_settings,
    entity_free_share,
    extra_training_docs,
    fold_of,
    folds_of_split,
    read_fold_docs,
    select_fold,
    sieved_lines,
)
from spacy_somd.labels import LINE_ATTR


def gold_tokenized_example(nlp: Language, reference: Doc) -> Example:
    """An Example whose predicted Doc has the reference's words and spaces (spaCy's
    ``gold_preproc`` regime): training sees the corpus tokens exactly as `predict` does."""
    words = [t.text for t in reference]
    spaces = [bool(t.whitespace_) for t in reference]
    return Example(Doc(nlp.vocab, words=words, spaces=spaces), reference)


Augmenter = Callable[[Language, Example], Iterable[Example]]


@registry.readers("spacy_somd.FoldCorpus.v1")
def create_fold_corpus(
    path: Path,
    fold: Optional[int],
    split: str,
    n_folds: int = 4,
    negative_ratio: float = 0.3,
    limit: int = 0,
    sieve: Optional[Path] = None,
    dev_size: float = 0.1,
    dev_seed: int = 0,
    augmenter: Optional[Augmenter] = None,
    extra: Optional[Path] = None,
    articles: Optional[Callable[[Language, int], List[Doc]]] = None,
) -> Callable[[Language], Iterator[Example]]:
    """Examples of one split (``train``, ``dev`` or ``heldout``, see :func:`select_fold`),
    read from the fold DocBins that `convert` writes (only the folds the split needs).
    ``limit`` > 0 keeps only the first ``limit`` examples (for quick runs); ``sieve`` (an
    audit's sieve.json) removes its sentences from the training split; ``extra`` (a
    folder that `convert` wrote) adds all its sentences to the training split, after the
    same share of entity-free ones (see :func:`extra_training_docs`); ``augmenter``
    (``[corpora.train.augmenter]``) turns each example into its augmented ones;
    ``articles`` (``[corpora.train.articles]``, e.g. ``spacy_somd.softcite_sentences.v1``)
    adds sentences of real articles to the training split, as they are (not augmented)."""
    check_fold_settings(fold, n_folds, negative_ratio, dev_size)
    folds = folds_of_split(fold, n_folds, split)
    exclude = sieved_lines(sieve)
    for name, value in (("extra (paths.extra_corpus)", extra), ("articles", articles)):
        if value is not None and split != "train":
            raise ValueError(f"{name} only adds training sentences, not to the {split} split")

    if split == "dev" and dev_size == 0.0:
        msg.info(
            f"No development split (somd.dev_size = 0): the scores during training are on a fixed sample of "
            f"{TRAINING_SAMPLE_SIZE} training sentences, a check that training fits, not a held-out score"
        )

    def read(nlp: Language) -> Iterator[Example]:
        corpus = read_fold_docs(path, nlp.vocab, n_folds, folds if extra is None else range(n_folds))
        docs = select_fold(corpus, fold, n_folds, split, negative_ratio, dev_size, dev_seed, exclude)
        if extra is not None:
            held_out = [d for d in corpus if fold_of(d._.get(LINE_ATTR), n_folds) == fold]
            docs += entity_free_share(extra_training_docs(extra, nlp.vocab, corpus, held_out), negative_ratio, exclude)
        for doc in docs[: limit or None]:
            example = gold_tokenized_example(nlp, doc)
            yield from ([example] if augmenter is None else augmenter(nlp, example))
        if articles is not None:
            first_line = max((d._.get(LINE_ATTR) for d in corpus), default=0) + 1
            yield from (gold_tokenized_example(nlp, doc) for doc in articles(nlp, first_line))

    return read
