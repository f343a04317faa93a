"""The seed's folds (sentence i in fold i % n_folds): the fold DocBins and their manifest,
and the train, dev and held-out splits with negative sampling."""

import json
import random
import warnings
from pathlib import Path
from typing import Collection, Dict, Iterable, List, Optional, Sequence, Set

from spacy.tokens import Doc, DocBin
from spacy.vocab import Vocab

from spacy_somd.corpus.docs import sentence_to_doc
from spacy_somd.corpus.format import Sentence
from spacy_somd.labels import LINE_ATTR, ensure_extensions


def fold_of(line: int, n_folds: int) -> int:
    """The seed's folds: the sentence at 0-based index i belongs to fold i % n_folds."""
    return (line - 1) % n_folds


def fold_docbins(vocab: Vocab, sentences: Iterable[Sentence], n_folds: int) -> List[DocBin]:
    """One DocBin per fold, holding that fold's sentences in line order."""
    bins = [DocBin(store_user_data=True) for _ in range(n_folds)]
    for sentence in sentences:
        bins[fold_of(sentence.line, n_folds)].add(sentence_to_doc(vocab, sentence))
    return bins


def fold_path(directory: Path, fold: int) -> Path:
    return Path(directory) / f"fold{fold}.spacy"


FOLD_MANIFEST = "folds.json"


def fold_manifest(bins: Sequence[DocBin]) -> Dict[str, object]:
    """What `convert` wrote into a folder (its ``folds.json``): the number of folds, of
    sentences, and the fold files with their sizes."""
    return {
        "n_folds": len(bins),
        "sentences": sum(len(b) for b in bins),
        "files": [fold_path(Path(), fold).name for fold in range(len(bins))],
        "sizes": [len(b) for b in bins],
    }


SPLITS = ("train", "dev", "heldout")


def check_fold_settings(fold: Optional[int], n_folds: int, negative_ratio: float = 0.0, dev_size: float = 0.1) -> None:
    """Refuse fold settings that cannot describe a split, naming the setting. ``fold``
    None holds no fold out: every fold trains (a release pipeline)."""
    for name, value in (("n_folds", n_folds), ("fold", fold)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            none = " or null (every fold trains)" if name == "fold" else ""
            raise ValueError(f"{name} (somd.{name}) must be a whole number{none}, not {value!r}")
    for name, share in (("negative_ratio", negative_ratio), ("dev_size", dev_size)):
        if isinstance(share, bool) or not isinstance(share, (int, float)):
            raise ValueError(f"{name} (somd.{name}) must be a number, not {share!r}")
    if n_folds < 2:
        raise ValueError(f"n_folds (somd.n_folds) must be at least 2, not {n_folds}")
    if fold is not None and not 0 <= fold < n_folds:
        raise ValueError(f"fold (somd.fold) must be in 0..{n_folds - 1} for n_folds {n_folds}, not {fold}")
    if not 0.0 <= negative_ratio <= 1.0:
        raise ValueError(f"negative_ratio (somd.negative_ratio) must be in [0, 1], not {negative_ratio}")
    if not 0.0 <= dev_size < 1.0:
        raise ValueError(f"dev_size (somd.dev_size) must be in [0, 1) (0: no development split), not {dev_size}")


def fold_files(directory: Path, n_folds: Optional[int] = None) -> List[Path]:
    """The fold DocBins of a folder, fold k at index k. The manifest ``folds.json`` that
    `convert` writes names them; without one, the folder must hold exactly ``fold0.spacy``
    .. ``fold{n_folds-1}.spacy``. A fold count other than ``n_folds`` (None: whatever count
    the folder was converted into) or a missing file is an error (stale folds from another
    `convert` are never read)."""
    directory = Path(directory)
    manifest = directory / FOLD_MANIFEST
    if manifest.is_file():
        try:
            data = json.loads(manifest.read_text(encoding="utf-8"))
            found, paths = data["n_folds"], [directory / name for name in data["files"]]
        except (ValueError, KeyError, TypeError) as err:
            raise ValueError(f"{manifest}: not a fold manifest ({err!r})") from None
        n_folds = found if n_folds is None else n_folds
        if found != n_folds or len(paths) != n_folds:
            raise ValueError(
                f"{manifest}: the corpus was converted into {found} folds but n_folds (somd.n_folds) is "
                f"{n_folds}; convert again with --n-folds {n_folds} or set somd.n_folds to {found}"
            )
    else:
        paths = sorted(directory.glob("fold*.spacy"))
        if not paths:
            raise FileNotFoundError(f"{directory}: no fold*.spacy files (run `python -m spacy_somd convert`)")
        n_folds = len(paths) if n_folds is None else n_folds
        expected = [fold_path(directory, k) for k in range(n_folds)]
        if sorted(paths) != sorted(expected):
            names = ", ".join(p.name for p in paths)
            raise ValueError(
                f"{directory}: holds {len(paths)} fold files ({names}) and no {FOLD_MANIFEST}, but n_folds "
                f"(somd.n_folds) is {n_folds}; convert again with --n-folds {n_folds}"
            )
        paths = expected
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        raise FileNotFoundError(f"{manifest}: fold file(s) missing: {', '.join(missing)}")
    return paths


def check_folds_filled(n_sentences: int, n_folds: int) -> None:
    """Refuse more folds than the corpus has sentences (lines): folds ``n_sentences`` ..
    ``n_folds - 1`` would be empty. (A fold whose every sentence lenient mode skips is
    refused by ``convert`` too, as skipped sentences do not move the others.)"""
    if n_folds > n_sentences:
        empty = f"fold {n_sentences}" if n_folds == n_sentences + 1 else f"fold {n_sentences}..{n_folds - 1}"
        raise ValueError(f"--n-folds {n_folds} but the corpus has {n_sentences} sentences: {empty} would be empty")


def check_heldout_fold(directory: Path, paths: Sequence[Path], fold: int) -> None:
    """Refuse to hold out a fold without docs (the size its ``folds.json`` lists, or else
    the count of its DocBin), naming it."""
    manifest = Path(directory) / FOLD_MANIFEST
    size = None
    if manifest.is_file():
        sizes = json.loads(manifest.read_text(encoding="utf-8")).get("sizes")
        if isinstance(sizes, list) and len(sizes) == len(paths) and isinstance(sizes[fold], int):
            size = sizes[fold]
    if size is None:
        size = len(DocBin().from_disk(paths[fold]))
    if size == 0:
        raise ValueError(f"{paths[fold]}: the held-out fold (somd.fold) {fold} holds 0 docs; convert again with fewer --n-folds or hold out another fold")


def read_fold_docs(directory: Path, vocab: Vocab, n_folds: int, folds: Iterable[int]) -> List[Doc]:
    """The Docs of the given folds of a folder's fold DocBins (only those files are
    read), sorted by line number."""
    ensure_extensions()
    paths = fold_files(directory, n_folds)
    docs = [doc for k in sorted(set(folds)) for doc in DocBin().from_disk(paths[k]).get_docs(vocab)]
    return sorted(docs, key=lambda doc: doc._.get(LINE_ATTR))


def folds_of_split(fold: Optional[int], n_folds: int, split: str) -> List[int]:
    """The folds a split is drawn from: ``heldout`` is fold ``fold``; ``train`` and ``dev``
    share the other folds (all of them when ``fold`` is None)."""
    if split not in SPLITS:
        raise ValueError(f"split must be one of {', '.join(SPLITS)}, not {split!r}")
    if split != "heldout":
        return [k for k in range(n_folds) if k != fold]
    if fold is None:
        raise ValueError("the heldout split needs a held-out fold, but fold (somd.fold) is null: every fold trains")
    return [fold]


def dev_lines(lines: Sequence[int], dev_size: float, dev_seed: int) -> Set[int]:
    """The development sentences: a ``dev_size`` share of ``lines`` drawn with ``dev_seed``
    (none for ``dev_size`` 0)."""
    if dev_size == 0.0:
        return set()
    size = round(len(lines) * dev_size)
    if not 0 < size < len(lines):
        raise ValueError(
            f"dev_size (somd.dev_size) {dev_size} of {len(lines)} training sentences leaves "
            f"{size} for development and {len(lines) - size} for training; both need at least one"
        )
    return set(random.Random(dev_seed).sample(sorted(lines), size))


def select_fold(
    docs: Sequence[Doc],
    fold: Optional[int],
    n_folds: int,
    split: str,
    negative_ratio: float,
    dev_size: float = 0.1,
    dev_seed: int = 0,
    exclude: Collection[int] = (),
) -> List[Doc]:
    """One split of the seed's folds (sentence i in fold i % n_folds). ``heldout`` is fold
    ``fold`` whole (what the reported scores are measured on). The other folds hold the
    development sentences, ``dev`` (a ``dev_size`` share drawn with ``dev_seed``; the
    checkpoint is chosen on these), and ``train``: the rest,
    keeping only the first ``negative_ratio`` (by line order) of its entity-free sentences,
    and none of the ``exclude`` lines. With ``dev_size`` 0 every sentence of the other folds
    trains, and ``dev`` is a fixed sample of the training sentences (see
    :func:`training_sample`): scores of how well training fits, never of held-out data."""
    check_fold_settings(fold, n_folds, negative_ratio, dev_size)
    wanted = set(folds_of_split(fold, n_folds, split))
    docs = [d for d in docs if fold_of(d._.get(LINE_ATTR), n_folds) in wanted]
    if split == "heldout":
        return docs
    development = dev_lines([d._.get(LINE_ATTR) for d in docs], dev_size, dev_seed)
    if split == "dev" and not development:
        return training_sample(entity_free_share(docs, negative_ratio, exclude), dev_seed)
    if split == "dev":
        return [d for d in docs if d._.get(LINE_ATTR) in development]
    docs = [d for d in docs if d._.get(LINE_ATTR) not in development]
    return entity_free_share(docs, negative_ratio, exclude)


TRAINING_SAMPLE_SIZE = 200


def training_sample(docs: Sequence[Doc], seed: int, size: int = TRAINING_SAMPLE_SIZE) -> List[Doc]:
    """``size`` of the training docs (all if fewer), drawn with ``seed``, in line order: what
    training scores at each evaluation when there is no development split, so that the
    scores show it learning (they measure the fit, not how well it generalises)."""
    if len(docs) <= size:
        return list(docs)
    chosen = set(random.Random(seed).sample(range(len(docs)), size))
    return [doc for i, doc in enumerate(docs) if i in chosen]


def entity_free_share(docs: Sequence[Doc], negative_ratio: float, exclude: Collection[int] = ()) -> List[Doc]:
    """The docs with entities and the first ``negative_ratio`` (by line order) of those
    without, none of the ``exclude`` lines."""
    negatives = [d._.get(LINE_ATTR) for d in docs if not d.ents]
    dropped = set(negatives[int(len(negatives) * negative_ratio) :]) | set(exclude)
    return [d for d in docs if d._.get(LINE_ATTR) not in dropped]


def sieved_lines(sieve: Optional[Path]) -> List[int]:
    """The sentence line numbers listed in an audit's ``sieve.json`` (none without one)."""
    if sieve is None:
        return []
    return json.loads(Path(sieve).read_text(encoding="utf-8"))["lines"]


def check_extra_corpus(extra: Path) -> int:
    """The number of folds of an extra corpus folder (``paths.extra_corpus``), after
    checking that `convert` wrote it."""
    if not Path(extra).is_dir():
        raise FileNotFoundError(f"extra_corpus (paths.extra_corpus) {extra}: no such folder (a folder that `convert` wrote)")
    return len(fold_files(extra))


def extra_training_docs(extra: Path, vocab: Vocab, corpus: Sequence[Doc], held_out: Sequence[Doc]) -> List[Doc]:
    """Every sentence of ``extra`` (a folder that `convert` wrote: other annotated data,
    silver labels), its line n numbered on as line N + n after the last line N of the
    ``corpus`` docs, so that line numbers (sieves, training dynamics) stay unique. A
    sentence that is also in ``held_out`` (the same text, spaces aside) is left out with a
    warning naming the lines: the held-out scores must not come from seen text."""
    n_folds = check_extra_corpus(extra)
    docs = read_fold_docs(extra, vocab, n_folds, range(n_folds))
    seen = {_letters(doc): doc._.get(LINE_ATTR) for doc in held_out}
    leaked = {doc._.get(LINE_ATTR): seen[_letters(doc)] for doc in docs if _letters(doc) in seen}
    if leaked:
        pairs = ", ".join(f"its line {line} is line {held} of the corpus" for line, held in sorted(leaked.items()))
        warnings.warn(
            f"extra_corpus (paths.extra_corpus) {extra}: left out {len(leaked)} of its {len(docs)} sentences, "
            f"held-out sentences ({pairs}): the held-out fold must not be scored on text seen in training",
            stacklevel=2,
        )
    offset = max((doc._.get(LINE_ATTR) for doc in corpus), default=0)
    docs = [doc for doc in docs if doc._.get(LINE_ATTR) not in leaked]
    for doc in docs:
        doc._.set(LINE_ATTR, offset + doc._.get(LINE_ATTR))
    return docs


def _letters(doc: Doc) -> str:
    """A doc's text without its white space: one key for every tokenization of a sentence."""
    return "".join(doc.text.split())
