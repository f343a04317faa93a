"""Evaluation variants of a SOMD corpus (or of one of its folds): the same sentences
re-tokenized in the other style, or with their software names replaced by unseen ones."""
from typing import Callable, Dict, List, Optional

from .corpus.folds import fold_of
from .corpus.format import Sentence
from .names import unseen_names_variant
from .retokenization import tokenization_variant

KINDS: Dict[str, Callable[[List[Sentence], List[Sentence], int], List[Sentence]]] = {
    "tokenization": lambda chosen, corpus, seed: [tokenization_variant(s) for s in chosen],
    "unseen-names": lambda chosen, corpus, seed: unseen_names_variant(
        chosen, {word.lower() for s in corpus for word in s.words}, seed
    ),
}


def fold_sentences(sentences: List[Sentence], fold: Optional[int], n_folds: int) -> List[Sentence]:
    """Fold ``fold``'s sentences (all when ``fold`` is None)."""
    return sentences if fold is None else [s for s in sentences if fold_of(s.line, n_folds) == fold]


def corpus_variant(
    sentences: List[Sentence], kind: str, fold: Optional[int], n_folds: int, seed: int
) -> List[Sentence]:
    """The ``kind`` variant of fold ``fold``'s sentences (all sentences when ``fold`` is
    None). Generated names are never a word of the whole corpus."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}, not {kind!r}")
    return KINDS[kind](fold_sentences(sentences, fold, n_folds), sentences, seed)
