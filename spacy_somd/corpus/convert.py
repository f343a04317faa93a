"""``convert``: a SOMD corpus folder validated and written as one DocBin per fold, with the
fold manifest and, in lenient mode, the report of every repair and skip."""

import json
from pathlib import Path
from typing import Callable, Iterable, List, Tuple

import spacy
from spacy.tokens import DocBin

from spacy_somd.corpus.folds import FOLD_MANIFEST, check_folds_filled, fold_docbins, fold_manifest, fold_of, fold_path
from spacy_somd.corpus.format import ReadResult, Sentence, read_corpus_dir
from spacy_somd.io import write_all

CONVERT_REPORT = "convert-report.jsonl"


class EmptyCorpusError(ValueError):
    """Reading left no sentence to convert; ``result`` says what was skipped and why."""

    def __init__(self, message: str, result: ReadResult) -> None:
        super().__init__(message)
        self.result = result


class EmptyFoldError(EmptyCorpusError):
    """Lenient mode skipped every sentence of a fold: the fold would be written empty."""


def check_no_fold_emptied(result: ReadResult, n_folds: int) -> None:
    """Refuse, as the ``--n-folds`` check does, folds whose every sentence lenient mode
    skipped (a skipped sentence does not move the others, so its fold would be empty):
    one line naming the folds and their lines."""
    filled = {fold_of(sentence.line, n_folds) for sentence in result.sentences}
    empty = [fold for fold in range(min(n_folds, result.read)) if fold not in filled]
    if not empty:
        return
    lines = [line for line in range(1, result.read + 1) if fold_of(line, n_folds) in empty]
    shown = ", ".join(map(str, lines[:10])) + (f", ... ({len(lines)} lines)" if len(lines) > 10 else "")
    folds = f"fold {empty[0]}" if len(empty) == 1 else f"folds {', '.join(map(str, empty))}"
    raise EmptyFoldError(f"--n-folds {n_folds} but every sentence of {folds} was skipped (line {shown}): {folds} would be empty", result)


def convert_corpus(
    corpus_dir: Path, out_dir: Path, n_folds: int = 4, lenient: bool = False, progress: Callable[[List[Sentence]], Iterable[Sentence]] = iter
) -> Tuple[ReadResult, List[DocBin]]:
    """Read ``corpus_dir`` (strictly, or repairing what is unambiguous with ``lenient``) and
    write sentence i into ``out_dir/fold{i % n_folds}.spacy``, with ``folds.json`` (and
    ``convert-report.jsonl`` with ``lenient``). The folder's older fold files are replaced
    as a whole. Raises ``SomdFormatError`` or ``FileNotFoundError`` for bad input,
    ``ValueError`` for bad settings (a fold left empty too), :class:`EmptyCorpusError` where nothing is left to convert
    (:class:`EmptyFoldError` where lenient mode skipped every sentence of a fold), ``OSError`` where it cannot write."""
    if n_folds < 1:
        raise ValueError(f"--n-folds must be at least 1, not {n_folds}")
    result = read_corpus_dir(corpus_dir, lenient=lenient)
    if not result.sentences:
        raise EmptyCorpusError(f"{corpus_dir}: no sentences to convert ({result.summary()})", result)
    check_folds_filled(result.read, n_folds)
    check_no_fold_emptied(result, n_folds)
    bins = fold_docbins(spacy.blank("en").vocab, progress(result.sentences), n_folds)
    files = {fold_path(Path(), fold).name: docbin.to_bytes() for fold, docbin in enumerate(bins)}
    if lenient:
        files[CONVERT_REPORT] = "".join(json.dumps(note.row()) + "\n" for note in result.notes).encode("utf-8")
    files[FOLD_MANIFEST] = (json.dumps(fold_manifest(bins), indent=2) + "\n").encode("utf-8")
    write_all(out_dir, files, replaces=(FOLD_MANIFEST, "fold*.spacy", CONVERT_REPORT))
    return result, bins
