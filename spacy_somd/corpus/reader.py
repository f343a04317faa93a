"""The registered reader ``spacy_somd.FoldCorpus.v1``: Examples of one split of the fold
DocBins, tokenized as the corpus is."""
from pathlib import Path
from typing import Callable, Iterable, Iterator, Optional

from spacy.language import Language
from spacy.tokens import Doc
from spacy.training import Example
from spacy.util import registry

from .folds import check_fold_settings, folds_of_split, read_fold_docs, select_fold, sieved_lines


def gold_tokenized_example(nlp: Language, reference: Doc) -> Example:
    """An Example whose predicted Doc has the reference's words and spaces (spaCy's
    ``gold_preproc`` regime): training sees the corpus tokens exactly as `predict` does."""
    words = [t.text for t in reference]
    spaces = [bool(t.whitespace_) for t in reference]
    return Example(Doc(nlp.vocab, words=words, spaces=spaces), reference)


Augmenter = Callable[[Language, Example], Iterable[Example]]


@registry.readers("spacy_somd.FoldCorpus.v1")
def create_fold_corpus(
    path: Path, fold: Optional[int], split: str, n_folds: int = 4, negative_ratio: float = 0.3, limit: int = 0,
    sieve: Optional[Path] = None, dev_size: float = 0.1, dev_seed: int = 0,
    augmenter: Optional[Augmenter] = None,
) -> Callable[[Language], Iterator[Example]]:
    """Examples of one split (``train``, ``dev`` or ``heldout``, see :func:`select_fold`),
    read from the fold DocBins that `convert` writes (only the folds the split needs).
    ``limit`` > 0 keeps only the first ``limit`` examples (for quick runs); ``sieve`` (an
    audit's sieve.json) removes its sentences from the training split; ``augmenter``
    (``[corpora.train.augmenter]``) turns each example into its augmented ones."""
    check_fold_settings(fold, n_folds, negative_ratio, dev_size)
    folds = folds_of_split(fold, n_folds, split)
    exclude = sieved_lines(sieve)

    def read(nlp: Language) -> Iterator[Example]:
        docs = read_fold_docs(path, nlp.vocab, n_folds, folds)
        docs = select_fold(docs, fold, n_folds, split, negative_ratio, dev_size, dev_seed, exclude)
        for doc in docs[: limit or None]:
            example = gold_tokenized_example(nlp, doc)
            yield from ([example] if augmenter is None else augmenter(nlp, example))

    return read
