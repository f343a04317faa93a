"""SOMD corpus I/O: the three line-aligned files <-> spaCy Docs, validation, folds.

A sentence's tokens are exactly the file's space-separated tokens. Gold entities become
``doc.ents``; gold relations are stored in ``doc._.somd_relations`` as a list of
``{"head": i, "tail": j, "label": "Version_of"}`` dicts, where ``head`` is the first token
of the attribute (or dependent software) and ``tail`` the first token of the software it
belongs to. ``doc._.somd_line`` keeps the 1-based line number of the sentence.
"""
import hashlib
import json
import random
import re
import shutil
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Collection, Dict, Iterable, Iterator, List, Optional, Sequence, Set, Tuple

from spacy.language import Language
from spacy.tokens import Doc, DocBin, Span
from spacy.training import Example
from spacy.util import registry
from spacy.vocab import Vocab

ENTITY_TYPES = (
    "Application", "PlugIn", "ProgrammingEnvironment", "OperatingSystem", "Version",
    "Developer", "URL", "Citation", "License", "Release", "Extension", "Abbreviation",
    "AlternativeName", "SoftwareCoreference",
)  # fmt: skip
RELATION_TYPES = (
    "Version_of", "Developer_of", "Citation_of", "URL_of", "PlugIn_of", "Release_of",
    "Abbreviation_of", "Specification_of", "Extension_of", "License_of",
    "AlternativeName_of",
)  # fmt: skip
RELATIONS_ATTR = "somd_relations"
LINE_ATTR = "somd_line"
FILE_NAMES = {
    "texts": "train_texts.txt",
    "entities": "train_entities.txt",
    "relations": "train_relations.txt",
}
_STRICT_ITEM = re.compile(r"^([A-Za-z_]+)\t(-?\d+)\t(-?\d+)$")
_LENIENT_ITEM = re.compile(r"([A-Za-z_]+)\s+(-?\d+)\s+(-?\d+)")


class SomdFormatError(ValueError):
    """Bad input (SOMD files, and the package's other line-based files): names the
    file, the 1-based line and the problem."""

    def __init__(self, path: Path, line: int, problem: str) -> None:
        self.path, self.line, self.problem = Path(path), line, problem
        super().__init__(f"{path}, line {line}: {problem}")


@dataclass(frozen=True)
class Repair:
    """One change the lenient reader made to its input."""

    path: Path
    line: int
    what: str

    def __str__(self) -> str:
        return f"{self.path}, line {self.line}: {self.what}"


@dataclass
class Sentence:
    """One corpus line: tokens, BIO labels and (label, head, tail) relations."""

    line: int
    words: List[str]
    labels: Optional[List[str]] = None
    relations: List[Tuple[str, int, int]] = field(default_factory=list)


def ensure_extensions() -> None:
    """Register the Doc extensions this package uses (idempotent)."""
    for name in (RELATIONS_ATTR, LINE_ATTR):
        if not Doc.has_extension(name):
            Doc.set_extension(name, default=None)


def read_lines(path: Path) -> List[str]:
    """Read a UTF-8 file as lines (without newlines); undecodable bytes are an error."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: file not found")
    raw = path.read_bytes()
    lines = raw.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    decoded = []
    for number, line in enumerate(lines, start=1):
        try:
            decoded.append(line.decode("utf-8"))
        except UnicodeDecodeError as err:
            raise SomdFormatError(
                path, number, f"not valid UTF-8 (byte {err.start + 1} of the line)"
            ) from None
    return decoded


def _fields(path: Path, number: int, line: str, what: str, repairs: Optional[List[Repair]]) -> List[str]:
    """Split a texts/entities line on single spaces; empty fields are an error (or repaired)."""
    if line.endswith("\r"):
        if repairs is None:
            raise SomdFormatError(path, number, "line ends with a carriage return (CRLF)")
        repairs.append(Repair(path, number, "removed a trailing carriage return"))
        line = line[:-1]
    if line == "":
        return []
    items = line.split(" ")
    if "" in items:
        if repairs is None:
            raise SomdFormatError(
                path, number, f"empty {what} (a leading, trailing or double space)"
            )
        repairs.append(Repair(path, number, f"ignored extra spaces between {what}s"))
        items = [item for item in items if item]
    return items


def parse_labels(path: Path, number: int, labels: List[str], repairs: Optional[List[Repair]]) -> List[str]:
    """Check a line of BIO labels; in lenient mode an orphan ``I-X`` becomes ``B-X``."""
    fixed = []
    previous = "O"
    for position, label in enumerate(labels):
        prefix, _, type_ = label.partition("-")
        if label != "O" and (prefix not in ("B", "I") or type_ not in ENTITY_TYPES):
            raise SomdFormatError(path, number, f"unknown label {label!r} at token {position}")
        if prefix == "I" and previous[2:] != type_:
            problem = f"{label} at token {position} does not continue a {type_} entity (previous label {previous})"
            if repairs is None:
                raise SomdFormatError(path, number, problem)
            repairs.append(Repair(path, number, f"{problem}: read as B-{type_}"))
            label = f"B-{type_}"
        fixed.append(label)
        previous = label
    return fixed


def parse_relations(
    path: Path, number: int, line: str, labels: Sequence[str], repairs: Optional[List[Repair]]
) -> List[Tuple[str, int, int]]:
    """Parse ``Type<TAB>i<TAB>j`` items joined by ``; `` and check them against the labels."""
    if line.strip() == "":
        if line and repairs is not None:
            repairs.append(Repair(path, number, "ignored a line of white space"))
        elif line:
            raise SomdFormatError(path, number, "line holds only white space")
        return []
    strict_items = line.split("; ")
    matches = [_STRICT_ITEM.match(item) for item in strict_items]
    if all(matches):
        items = [m.groups() for m in matches]  # type: ignore[union-attr]
    elif repairs is None:
        bad = strict_items[[m is None for m in matches].index(True)]
        raise SomdFormatError(
            path, number, f"relation item {bad!r} is not Type<TAB>int<TAB>int (items joined by '; ')"
        )
    else:
        items = _LENIENT_ITEM.findall(line)
        rest = _LENIENT_ITEM.sub("", line)
        if not items or rest.strip(" \t;"):
            raise SomdFormatError(path, number, f"cannot read relation items from {line!r}")
        repairs.append(Repair(path, number, f"read {len(items)} relation item(s) from irregular separators"))
    relations = []
    for label, head, tail in items:
        if label not in RELATION_TYPES:
            raise SomdFormatError(path, number, f"unknown relation type {label!r}")
        for index in (int(head), int(tail)):
            if not 0 <= index < len(labels):
                raise SomdFormatError(
                    path, number, f"{label} index {index} is out of range (sentence has {len(labels)} tokens)"
                )
            if not labels[index].startswith("B-"):
                raise SomdFormatError(
                    path, number, f"{label} index {index} is not at an entity's first token (label {labels[index]})"
                )
        relations.append((label, int(head), int(tail)))
    return relations


def _check_same_length(named: Dict[Path, List[str]]) -> None:
    """All files must have as many lines as the first one."""
    (first, first_lines), *others = named.items()
    for path, lines in others:
        if len(lines) != len(first_lines):
            line = min(len(lines), len(first_lines)) + 1
            raise SomdFormatError(
                path, line,
                f"has {len(lines)} lines but {first.name} has {len(first_lines)}; "
                f"line {line} has no counterpart",
            )


def read_somd(
    texts: Path,
    entities: Optional[Path] = None,
    relations: Optional[Path] = None,
    lenient: bool = False,
) -> Tuple[List[Sentence], List[Repair]]:
    """Read and validate SOMD files. Strict mode raises on the first problem; lenient
    mode repairs what it can and returns every repair it made."""
    repairs: Optional[List[Repair]] = [] if lenient else None
    named = {Path(p): read_lines(p) for p in (texts, entities, relations) if p is not None}
    _check_same_length(named)
    text_lines = named[Path(texts)]
    label_lines = named.get(Path(entities)) if entities else None
    relation_lines = named.get(Path(relations)) if relations else None
    sentences = []
    for index, text in enumerate(text_lines):
        number = index + 1
        words = _fields(Path(texts), number, text, "token", repairs)
        sentence = Sentence(line=number, words=words)
        if label_lines is not None:
            raw = _fields(Path(entities), number, label_lines[index], "label", repairs)
            if len(raw) != len(words):
                raise SomdFormatError(
                    Path(entities), number, f"{len(raw)} labels for {len(words)} tokens"
                )
            sentence.labels = parse_labels(Path(entities), number, raw, repairs)
        if relation_lines is not None:
            if sentence.labels is None:
                raise ValueError("relations need the entities file too")
            sentence.relations = parse_relations(
                Path(relations), number, relation_lines[index], sentence.labels, repairs
            )
        sentences.append(sentence)
    return sentences, repairs or []


def read_corpus_dir(corpus_dir: Path, lenient: bool = False) -> Tuple[List[Sentence], List[Repair]]:
    """Read the labelled training files of a SOMD corpus folder."""
    corpus_dir = Path(corpus_dir)
    paths = {key: corpus_dir / name for key, name in FILE_NAMES.items()}
    return read_somd(paths["texts"], paths["entities"], paths["relations"], lenient=lenient)


def bio_to_spans(labels: Sequence[str]) -> List[Tuple[int, int, str]]:
    """(start, end, type) spans of a valid BIO sequence."""
    spans: List[Tuple[int, int, str]] = []
    for position, label in enumerate(labels):
        if label.startswith("B-"):
            spans.append((position, position + 1, label[2:]))
        elif label.startswith("I-"):
            start, _, type_ = spans[-1]
            spans[-1] = (start, position + 1, type_)
    return spans


def doc_bio(doc: Doc) -> List[str]:
    """The BIO label of every token of a Doc (``O`` where no entity)."""
    return [f"{t.ent_iob_}-{t.ent_type_}" if t.ent_iob_ in ("B", "I") else "O" for t in doc]


def sentence_to_doc(vocab: Vocab, sentence: Sentence) -> Doc:
    """A Doc with the sentence's exact tokens, its entities and relations."""
    ensure_extensions()
    words = sentence.words
    doc = Doc(vocab, words=words, spaces=[True] * max(len(words) - 1, 0) + [False] * bool(words))
    if sentence.labels is not None:
        doc.ents = [Span(doc, s, e, label=t) for s, e, t in bio_to_spans(sentence.labels)]
        doc._.set(RELATIONS_ATTR, [
            {"head": head, "tail": tail, "label": label} for label, head, tail in sentence.relations
        ])
    doc._.set(LINE_ATTR, sentence.line)
    return doc


def fold_of(line: int, n_folds: int) -> int:
    """The seed's folds: the sentence at 0-based index i belongs to fold i % n_folds."""
    return (line - 1) % n_folds


@dataclass
class CorpusStats:
    """What a corpus holds, for the convert report."""

    sentences: int = 0
    tokens: int = 0
    entity_free: int = 0
    entities: Counter = field(default_factory=Counter)
    relations: Counter = field(default_factory=Counter)

    @classmethod
    def of(cls, sentences: Iterable[Sentence]) -> "CorpusStats":
        stats = cls()
        for sentence in sentences:
            stats.sentences += 1
            stats.tokens += len(sentence.words)
            spans = bio_to_spans(sentence.labels or [])
            stats.entity_free += not spans
            stats.entities.update(type_ for _, _, type_ in spans)
            stats.relations.update(label for label, _, _ in sentence.relations)
        return stats


def fold_docbins(vocab: Vocab, sentences: Iterable[Sentence], n_folds: int) -> List[DocBin]:
    """One DocBin per fold, holding that fold's sentences in line order."""
    bins = [DocBin(store_user_data=True) for _ in range(n_folds)]
    for sentence in sentences:
        bins[fold_of(sentence.line, n_folds)].add(sentence_to_doc(vocab, sentence))
    return bins


def fold_path(directory: Path, fold: int) -> Path:
    return Path(directory) / f"fold{fold}.spacy"


MANIFEST = "folds.json"
SPLITS = ("train", "dev", "heldout")


def check_fold_settings(fold: int, n_folds: int, negative_ratio: float = 0.0, dev_size: float = 0.1) -> None:
    """Refuse fold settings that cannot describe a split, naming the setting."""
    if n_folds < 2:
        raise ValueError(f"n_folds (somd.n_folds) must be at least 2, not {n_folds}")
    if not 0 <= fold < n_folds:
        raise ValueError(f"fold (somd.fold) must be in 0..{n_folds - 1} for n_folds {n_folds}, not {fold}")
    if not 0.0 <= negative_ratio <= 1.0:
        raise ValueError(f"negative_ratio (somd.negative_ratio) must be in [0, 1], not {negative_ratio}")
    if not 0.0 < dev_size < 1.0:
        raise ValueError(f"dev_size (somd.dev_size) must be between 0 and 1 (exclusive), not {dev_size}")


def fold_files(directory: Path, n_folds: int) -> List[Path]:
    """The fold DocBins of a folder, fold k at index k. The manifest ``folds.json`` that
    `convert` writes names them; without one, the folder must hold exactly ``fold0.spacy``
    .. ``fold{n_folds-1}.spacy``. A fold count other than ``n_folds`` or a missing file is
    an error (stale folds from another `convert` are never read)."""
    directory = Path(directory)
    manifest = directory / MANIFEST
    if manifest.is_file():
        try:
            data = json.loads(manifest.read_text(encoding="utf-8"))
            found, paths = data["n_folds"], [directory / name for name in data["files"]]
        except (ValueError, KeyError, TypeError) as err:
            raise ValueError(f"{manifest}: not a fold manifest ({err!r})") from None
        if found != n_folds or len(paths) != n_folds:
            raise ValueError(
                f"{manifest}: the corpus was converted into {found} folds but n_folds (somd.n_folds) is "
                f"{n_folds}; convert again with --n-folds {n_folds} or set somd.n_folds to {found}"
            )
    else:
        paths = sorted(directory.glob("fold*.spacy"))
        if not paths:
            raise FileNotFoundError(f"{directory}: no fold*.spacy files (run `python -m spacy_somd convert`)")
        expected = [fold_path(directory, k) for k in range(n_folds)]
        if sorted(paths) != sorted(expected):
            names = ", ".join(p.name for p in paths)
            raise ValueError(
                f"{directory}: holds {len(paths)} fold files ({names}) and no {MANIFEST}, but n_folds "
                f"(somd.n_folds) is {n_folds}; convert again with --n-folds {n_folds}"
            )
        paths = expected
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        raise FileNotFoundError(f"{manifest}: fold file(s) missing: {', '.join(missing)}")
    return paths


def read_fold_docs(directory: Path, vocab: Vocab, n_folds: int, folds: Iterable[int]) -> List[Doc]:
    """The Docs of the given folds of a folder's fold DocBins (only those files are
    read), sorted by line number."""
    ensure_extensions()
    paths = fold_files(directory, n_folds)
    docs = [doc for k in sorted(set(folds)) for doc in DocBin().from_disk(paths[k]).get_docs(vocab)]
    return sorted(docs, key=lambda doc: doc._.get(LINE_ATTR))


def folds_of_split(fold: int, n_folds: int, split: str) -> List[int]:
    """The folds a split is drawn from: ``heldout`` is fold ``fold``; ``train`` and ``dev``
    share the other folds."""
    if split not in SPLITS:
        raise ValueError(f"split must be one of {', '.join(SPLITS)}, not {split!r}")
    return [fold] if split == "heldout" else [k for k in range(n_folds) if k != fold]


def dev_lines(lines: Sequence[int], dev_size: float, dev_seed: int) -> Set[int]:
    """The development sentences: a ``dev_size`` share of ``lines`` drawn with ``dev_seed``."""
    size = round(len(lines) * dev_size)
    if not 0 < size < len(lines):
        raise ValueError(
            f"dev_size (somd.dev_size) {dev_size} of {len(lines)} training sentences leaves "
            f"{size} for development and {len(lines) - size} for training; both need at least one"
        )
    return set(random.Random(dev_seed).sample(sorted(lines), size))


def select_fold(
    docs: Sequence[Doc], fold: int, n_folds: int, split: str, negative_ratio: float,
    dev_size: float = 0.1, dev_seed: int = 0, exclude: Collection[int] = (),
) -> List[Doc]:
    """One split of the seed's folds (sentence i in fold i % n_folds). ``heldout`` is fold
    ``fold`` whole (what the reported scores are measured on). The other folds hold the
    development sentences, ``dev`` (a ``dev_size`` share drawn with ``dev_seed``; the
    checkpoint is chosen on these), and ``train``: the rest, keeping only the first
    ``negative_ratio`` (by line order) of its entity-free sentences, and none of the
    ``exclude`` lines."""
    check_fold_settings(fold, n_folds, negative_ratio, dev_size)
    wanted = set(folds_of_split(fold, n_folds, split))
    docs = [d for d in docs if fold_of(d._.get(LINE_ATTR), n_folds) in wanted]
    if split == "heldout":
        return docs
    development = dev_lines([d._.get(LINE_ATTR) for d in docs], dev_size, dev_seed)
    if split == "dev":
        return [d for d in docs if d._.get(LINE_ATTR) in development]
    docs = [d for d in docs if d._.get(LINE_ATTR) not in development]
    negatives = [d._.get(LINE_ATTR) for d in docs if not d.ents]
    dropped = set(negatives[int(len(negatives) * negative_ratio):]) | set(exclude)
    return [d for d in docs if d._.get(LINE_ATTR) not in dropped]


def sieved_lines(sieve: Optional[Path]) -> List[int]:
    """The sentence line numbers listed in an audit's ``sieve.json`` (none without one)."""
    if sieve is None:
        return []
    return json.loads(Path(sieve).read_text(encoding="utf-8"))["lines"]


def gold_tokenized_example(nlp: Language, reference: Doc) -> Example:
    """An Example whose predicted Doc has the reference's words and spaces (spaCy's
    ``gold_preproc`` regime): training sees the corpus tokens exactly as `predict` does."""
    words = [t.text for t in reference]
    spaces = [bool(t.whitespace_) for t in reference]
    return Example(Doc(nlp.vocab, words=words, spaces=spaces), reference)


Augmenter = Callable[[Language, Example], Iterable[Example]]


@registry.readers("spacy_somd.FoldCorpus.v1")
def create_fold_corpus(
    path: Path, fold: int, split: str, n_folds: int = 4, negative_ratio: float = 0.3, limit: int = 0,
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


def doc_to_lines(doc: Doc) -> Tuple[str, str, str]:
    """A Doc's texts, entities and relations lines in the SOMD format."""
    relations = doc._.get(RELATIONS_ATTR) or []
    return (
        " ".join(t.text for t in doc),
        " ".join(doc_bio(doc)),
        "; ".join(f"{r['label']}\t{r['head']}\t{r['tail']}" for r in relations),
    )


SOMD2025_URL = (
    "https://raw.githubusercontent.com/ekbanasolutions/somd-2025/"
    "425f02633f5dc3af74f00fcef38fb95d99cd9c1d/data/phase_1"
)
SOMD2025_SHA256 = {
    "train_texts.txt": "37fc5a7012b313d04aa6c73ee9eacbb3b4942d5a04ec00e4b328dcdabb3e9abf",
    "train_entities.txt": "561e748b5dcc74fc5be20b78ab28c4a0d8b7b906f3fcc845e483bda12ef79a5d",
    "train_relations.txt": "69d96e781a7d181228f1fea636cd5d5cb270cf3a99f728c3b1808f1f5b6f7857",
    "test_texts.txt": "450e788c184f126a231f58ade8ceb62871c9723edf58929b2137479db9ba1555",
}


def sha256_of(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def fetch_corpus(
    dest: Path, local: Optional[Path], url: str = SOMD2025_URL, checksums: Dict[str, str] = SOMD2025_SHA256
) -> List[str]:
    """Put the corpus files into ``dest``: copied from ``local`` when that folder exists,
    downloaded from ``url`` otherwise; every file's sha256 is checked. Returns what was done."""
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    done = []
    for name, checksum in checksums.items():
        target = dest / name
        if target.is_file() and sha256_of(target) == checksum:
            done.append(f"{name}: present")
            continue
        tmp = target.with_suffix(".part")
        if local is not None and Path(local).is_dir():
            shutil.copyfile(Path(local) / name, tmp)
            source = str(Path(local) / name)
        else:
            urllib.request.urlretrieve(f"{url}/{name}", tmp)
            source = f"{url}/{name}"
        if sha256_of(tmp) != checksum:
            tmp.unlink()
            raise ValueError(f"{source}: sha256 does not match {checksum}")
        tmp.replace(target)
        done.append(f"{name}: from {source}")
    return done
