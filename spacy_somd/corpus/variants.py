"""Evaluation variants of a SOMD corpus (or of one of its folds): the same sentences
re-tokenized in the other style, or with their software names replaced by unseen ones."""

from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, List, Optional

import spacy
from spacy.tokens import DocBin

from spacy_somd.corpus.docs import doc_to_lines, sentence_to_doc
from spacy_somd.corpus.folds import check_fold_settings, fold_of
from spacy_somd.corpus.format import FILE_NAMES, Sentence, read_corpus_dir
from spacy_somd.corpus.retokenization import tokenization_variant
from spacy_somd.corpus.unseen_names import unseen_names_variant
from spacy_somd.io import write_all

KINDS: Dict[str, Callable[[List[Sentence], List[Sentence], int], List[Sentence]]] = {
    "tokenization": lambda chosen, corpus, seed: [tokenization_variant(s) for s in chosen],
    "unseen-names": lambda chosen, corpus, seed: unseen_names_variant(chosen, {word.lower() for s in corpus for word in s.words}, seed),
}


def fold_sentences(sentences: List[Sentence], fold: Optional[int], n_folds: int) -> List[Sentence]:
    """Fold ``fold``'s sentences (all when ``fold`` is None)."""
    return sentences if fold is None else [s for s in sentences if fold_of(s.line, n_folds) == fold]


def corpus_variant(sentences: List[Sentence], kind: str, fold: Optional[int], n_folds: int, seed: int) -> List[Sentence]:
    """The ``kind`` variant of fold ``fold``'s sentences (all sentences when ``fold`` is
    None). Generated names are never a word of the whole corpus."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}, not {kind!r}")
    return KINDS[kind](fold_sentences(sentences, fold, n_folds), sentences, seed)


@dataclass
class WrittenVariant:
    sentences: int
    changed: int
    tokens_before: int
    tokens_after: int


def write_variant(
    corpus_dir: Path, out_dir: Path, kind: str, fold: Optional[int] = None, n_folds: int = 4, seed: int = 0, docbin: Optional[Path] = None
) -> WrittenVariant:
    """Write the ``kind`` variant of a corpus (or of one fold) into ``out_dir`` in the corpus
    format, read it back strictly (so that what is written is a valid corpus) and, with
    ``docbin``, also write it as one DocBin for `spacy evaluate`."""
    if fold is not None:
        check_fold_settings(fold, n_folds)
    sentences, _ = read_corpus_dir(corpus_dir)
    variants = corpus_variant(sentences, kind, fold, n_folds, seed)
    vocab = spacy.blank("en").vocab
    lines = [doc_to_lines(sentence_to_doc(vocab, s)) for s in variants]
    columns = {FILE_NAMES[key]: "".join(f"{line[column]}\n" for line in lines) for column, key in enumerate(("texts", "entities", "relations"))}
    write_all(out_dir, {name: text.encode("utf-8") for name, text in columns.items()})
    written, _ = read_corpus_dir(out_dir)
    if docbin is not None:
        docbin.parent.mkdir(parents=True, exist_ok=True)
        DocBin(docs=[sentence_to_doc(vocab, s) for s in written], store_user_data=True).to_disk(docbin)
    originals = fold_sentences(sentences, fold, n_folds)
    changed = sum(a.words != b.words for a, b in zip(originals, written))
    return WrittenVariant(len(written), changed, sum(len(s.words) for s in originals), sum(len(s.words) for s in written))
