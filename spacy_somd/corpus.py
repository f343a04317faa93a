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
_ITEM = re.compile(r"([A-Za-z_]+)\t(-?\d+)\t(-?\d+)")
_LOOSE_ITEM = re.compile(r"([A-Za-z_]+)\s+(-?\d+)\s+(-?\d+)")
_WHITESPACE_NAMES = {"\t": "a tab", "\r": "a carriage return", "\u00a0": "a no-break space"}


class SomdFormatError(ValueError):
    """Bad input (SOMD files, and the package's other line-based files): names the
    file, the 1-based line and the problem."""

    def __init__(self, path: Path, line: int, problem: str) -> None:
        self.path, self.line, self.problem = Path(path), line, problem
        super().__init__(f"{path}, line {line}: {problem}")


@dataclass(frozen=True)
class Note:
    """One line the lenient reader changed (``repaired``) or left out (``skipped``):
    the whole sentence, or only its relation item ``item`` (1-based) when that is set."""

    path: Path
    line: int
    action: str
    reason: str
    item: Optional[int] = None

    def __str__(self) -> str:
        what = self.action if self.item is None else f"{self.action} relation item {self.item}"
        return f"{self.path}, line {self.line}: {what}: {self.reason}"

    def row(self) -> Dict[str, object]:
        """The note as a row of the report file."""
        return {"file": str(self.path), "line": self.line, "action": self.action, "item": self.item, "reason": self.reason}


@dataclass
class Sentence:
    """One corpus line: tokens, BIO labels and (label, head, tail) relations."""

    line: int
    words: List[str]
    labels: Optional[List[str]] = None
    relations: List[Tuple[str, int, int]] = field(default_factory=list)


@dataclass
class ReadResult:
    """What :func:`read_somd` read. Every line of the files is one sentence, counted in
    exactly one bucket: ``read == kept + repaired + skipped``, where ``kept`` sentences
    were taken as written, ``repaired`` ones were taken with a change (a repair, or a
    relation item left out) and ``skipped`` ones were left out. Unpacks as
    ``(sentences, notes)``."""

    sentences: List[Sentence]
    notes: List[Note]
    read: int

    def __iter__(self) -> Iterator:
        return iter((self.sentences, self.notes))

    @property
    def skipped(self) -> int:
        return len({n.line for n in self.notes if n.action == "skipped" and n.item is None})

    @property
    def repaired(self) -> int:
        changed = {n.line for n in self.notes}
        return sum(s.line in changed for s in self.sentences)

    @property
    def kept(self) -> int:
        changed = {n.line for n in self.notes}
        return sum(s.line not in changed for s in self.sentences)

    @property
    def items_skipped(self) -> int:
        return sum(n.action == "skipped" and n.item is not None for n in self.notes)

    def summary(self) -> str:
        return (
            f"read {self.read} sentences = {self.kept} kept + {self.repaired} repaired + {self.skipped} skipped "
            f"({len(self.notes)} notes, {self.items_skipped} relation items left out)"
        )


def ensure_extensions() -> None:
    """Register the Doc extensions this package uses (idempotent)."""
    for name in (RELATIONS_ATTR, LINE_ATTR):
        if not Doc.has_extension(name):
            Doc.set_extension(name, default=None)


Notes = Optional[List[Note]]  # None: strict mode (every problem raises)


def _repair(notes: Notes, path: Path, number: int, problem: str, repair: str, item: Optional[int] = None) -> None:
    """A problem lenient mode can repair: an error in strict mode (``notes`` is None)."""
    if notes is None:
        raise SomdFormatError(path, number, problem)
    notes.append(Note(path, number, "repaired", f"{problem}: {repair}", item))


def _skip_item(notes: Notes, path: Path, number: int, item: int, problem: str) -> None:
    """A bad relation item: an error in strict mode, left out in lenient mode."""
    if notes is None:
        raise SomdFormatError(path, number, f"relation item {item}: {problem}")
    notes.append(Note(path, number, "skipped", problem, item))


def raw_lines(path: Path) -> Tuple[List[bytes], bool]:
    """A file's lines as bytes (without ``\\n``) and whether its last line ends with a
    newline. A missing or empty file is an error."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: file not found")
    raw = path.read_bytes()
    if not raw:
        raise SomdFormatError(path, 1, "the file is empty")
    lines = raw.split(b"\n")
    final_newline = lines[-1] == b""
    if final_newline:
        lines.pop()
    return lines, final_newline


def decode_line(path: Path, number: int, raw: bytes, last: bool, notes: Notes) -> str:
    """One line as text: undecodable UTF-8 is an error; a byte-order mark at the start of
    the file, a CRLF line end and a missing final newline are errors, repaired in lenient mode."""
    try:
        line = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise SomdFormatError(path, number, f"not valid UTF-8 (byte {err.start + 1} of the line)") from None
    if number == 1 and line.startswith("\ufeff"):
        _repair(notes, path, number, "the file starts with a byte-order mark (U+FEFF)", "removed it")
        line = line[1:]
    if line.endswith("\r"):
        _repair(notes, path, number, "the line ends with a carriage return (CRLF)", "removed it")
        line = line[:-1]
    if last:
        _repair(notes, path, number, "no newline at the end of the file (truncated?)", "read the line as it is")
    return line


def _describe_whitespace(line: str, column: int) -> str:
    """Which white space is at a 1-based column of a line, and in which (0-based) token."""
    char = line[column - 1]
    name = _WHITESPACE_NAMES.get(char, "white space")
    token = line[: column - 1].count(" ")
    return f"{name} (U+{ord(char):04X}) at column {column}, in token {token} {line.split(' ')[token]!r}"


def split_fields(path: Path, number: int, line: str, what: str, notes: Notes) -> List[str]:
    """Split a texts/entities line on single spaces. White space other than a space (tab,
    no-break space, carriage return...) is an error; lenient mode removes it at the ends
    of the line and skips the sentence where it is inside. Leading, trailing or double
    spaces (empty fields) are an error; lenient mode ignores them."""
    odd = [column for column, char in enumerate(line, start=1) if char.isspace() and char != " "]
    if odd:
        start, end = len(line) - len(line.lstrip()), len(line.rstrip())
        inside = [column for column in odd if start < column <= end]
        if notes is not None and inside:
            raise SomdFormatError(path, number, _describe_whitespace(line, inside[0]))
        _repair(notes, path, number, _describe_whitespace(line, odd[0]), "removed the white space at the ends of the line")
        line = line.strip()
    if line == "":
        return []
    extra = re.search(r"^ | $|  ", line)
    if extra:
        problem = f"a leading, trailing or double space at column {extra.start() + 1} (an empty {what})"
        _repair(notes, path, number, problem, f"ignored the extra spaces between {what}s")
        return line.split()
    return line.split(" ")


def parse_labels(path: Path, number: int, labels: List[str], notes: Notes) -> List[str]:
    """Check a line of BIO labels; in lenient mode an orphan ``I-X`` becomes ``B-X``."""
    fixed = []
    previous = "O"
    for position, label in enumerate(labels):
        prefix, _, type_ = label.partition("-")
        if label != "O" and (prefix not in ("B", "I") or type_ not in ENTITY_TYPES):
            raise SomdFormatError(path, number, f"unknown label {label!r} at token {position}")
        if prefix == "I" and previous[2:] != type_:
            problem = f"{label} at token {position} does not continue a {type_} entity (previous label {previous})"
            _repair(notes, path, number, problem, f"read as B-{type_}")
            label = f"B-{type_}"
        fixed.append(label)
        previous = label
    return fixed


def _item_texts(path: Path, number: int, line: str, notes: Notes) -> List[Tuple[int, str]]:
    """The (1-based number, text) of every relation item of a line. Items are joined by
    ``"; "``: an empty item (``;;``), a trailing ``;``, a missing space after ``;``, runs
    of spaces and white space at the ends are errors, ignored in lenient mode."""
    chunks = line.split(";")
    items = []
    for item, chunk in enumerate(chunks, start=1):
        if chunk.strip() == "":
            problem = "a trailing ';'" if item == len(chunks) else f"item {item} is empty (';;')"
            _repair(notes, path, number, problem, "ignored it", item)
            continue
        text = chunk
        if item > 1:
            if chunk.startswith(" "):
                text = chunk[1:]
            else:
                _repair(notes, path, number, f"no space after the ';' before item {item}", "read it all the same", item)
        if text != text.strip():
            where = "before" if text[0].isspace() else "after"
            _repair(notes, path, number, f"white space {where} item {item} {text!r} (a run of spaces, or one at an end of the line)",
                    "removed it", item)  # fmt: skip
            text = text.strip()
        items.append((item, text))
    return items


def _parse_item(path: Path, number: int, item: int, text: str, notes: Notes) -> List[Tuple[str, str, str]]:
    """The (type, head, tail) fields of one item ``Type<TAB>int<TAB>int``: other separators
    are repaired in lenient mode, anything else leaves the item out."""
    match = _ITEM.fullmatch(text)
    if match:
        return [(match[1], match[2], match[3])]
    loose = _LOOSE_ITEM.findall(text)
    if loose and not _LOOSE_ITEM.sub("", text).strip():
        what = "other separators" if len(loose) == 1 else f"{len(loose)} items not joined by '; '"
        _repair(notes, path, number, f"item {item} {text!r} is not Type<TAB>int<TAB>int: {what}", f"read {len(loose)} item(s)", item)
        return loose
    fields = text.split()
    not_integers = [f for f in fields[1:] if not re.fullmatch(r"-?\d+", f)]
    if len(fields) == 3 and not_integers:
        _skip_item(notes, path, number, item, f"{text!r}: index {not_integers[0]!r} is not an integer")
    else:
        _skip_item(notes, path, number, item, f"{text!r} is not Type<TAB>int<TAB>int (items joined by '; ')")
    return []


def _item_problem(label: str, head: int, tail: int, labels: Sequence[str]) -> Optional[str]:
    """What is wrong with a relation item in its sentence, if anything."""
    if label not in RELATION_TYPES:
        return f"unknown relation type {label!r}"
    for name, index in (("head", head), ("tail", tail)):
        if index < 0:
            return f"{name} index {index} is negative"
        if index >= len(labels):
            return f"{name} index {index} is out of range (the sentence has {len(labels)} tokens)"
        if labels[index] == "O":
            return f"{name} index {index} is on an O token, not in an entity"
        if not labels[index].startswith("B-"):
            return f"{name} index {index} is not at an entity's first token (label {labels[index]})"
    if head == tail:
        return f"a self-relation: head and tail are the same token {head}"
    return None


def parse_relations(
    path: Path, number: int, line: str, labels: Sequence[str], notes: Notes
) -> List[Tuple[str, int, int]]:
    """Parse ``Type<TAB>i<TAB>j`` items joined by ``; `` and check them against the
    labels: each index at an entity's first token, no self-relation, no pair of entities
    twice. Lenient mode drops a repeated item and leaves out bad or conflicting items."""
    if line.strip() == "":
        if line:
            _repair(notes, path, number, "the line holds only white space", "read as no relations")
        return []
    checked: List[Tuple[int, str, int, int]] = []
    for item, text in _item_texts(path, number, line, notes):
        for label, head_field, tail_field in _parse_item(path, number, item, text, notes):
            problem = _item_problem(label, int(head_field), int(tail_field), labels)
            if problem:
                _skip_item(notes, path, number, item, f"{text!r}: {problem}")
            else:
                checked.append((item, label, int(head_field), int(tail_field)))
    first: Dict[Tuple[int, int], int] = {}
    conflicting = set()
    for position, (item, label, head, tail) in enumerate(checked):
        if first.setdefault((head, tail), position) == position:
            continue
        seen = checked[first[head, tail]]
        if seen[1] == label:
            _repair(notes, path, number, f"item {item} repeats item {seen[0]} ({label} {head} {tail})", "dropped the repeat", item)
        else:
            problem = f"item {item} ({label} {head} {tail}) conflicts with item {seen[0]} ({seen[1]}): one pair, two labels"
            _skip_item(notes, path, number, item, problem)
            conflicting.add((head, tail))
    relations = [checked[position] for position in first.values()]
    for item, label, head, tail in relations:
        if (head, tail) in conflicting:
            _skip_item(notes, path, number, item, f"({label} {head} {tail}) conflicts with another item of the same pair")
    return [(label, head, tail) for _, label, head, tail in relations if (head, tail) not in conflicting]


def _check_same_length(named: Dict[Path, List[bytes]]) -> None:
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


def read_sentence(number: int, lines: Dict[str, Tuple[Path, str]], notes: Notes) -> Sentence:
    """One sentence from its decoded ``texts`` (and ``entities``, ``relations``) lines."""
    path, text = lines["texts"]
    sentence = Sentence(line=number, words=split_fields(path, number, text, "token", notes))
    if "entities" in lines:
        path, text = lines["entities"]
        labels = split_fields(path, number, text, "label", notes)
        if len(labels) != len(sentence.words):
            raise SomdFormatError(path, number, f"{len(labels)} labels for {len(sentence.words)} tokens")
        sentence.labels = parse_labels(path, number, labels, notes)
    if "relations" in lines:
        path, text = lines["relations"]
        sentence.relations = parse_relations(path, number, text, sentence.labels or [], notes)
    return sentence


def read_somd(
    texts: Path,
    entities: Optional[Path] = None,
    relations: Optional[Path] = None,
    lenient: bool = False,
) -> ReadResult:
    """Read and validate SOMD files. Strict mode raises on the first problem, naming the
    file, the 1-based line and the column or item. Lenient mode repairs what is
    unambiguous, leaves out the sentence (or the relation item) that is not, and notes
    each repair and skip; only a missing or empty file and files with different line
    counts stop it."""
    if relations is not None and entities is None:
        raise ValueError("relations need the entities file too")
    named = {key: Path(p) for key, p in (("texts", texts), ("entities", entities), ("relations", relations)) if p is not None}
    files = {path: raw_lines(path) for path in named.values()}
    _check_same_length({path: lines for path, (lines, _) in files.items()})
    notes: List[Note] = []
    sentences = []
    count = len(files[named["texts"]][0])
    for index in range(count):
        number = index + 1
        sentence_notes: Notes = [] if lenient else None
        try:
            decoded = {}
            for key, path in named.items():
                lines, final_newline = files[path]
                last = index == count - 1 and not final_newline
                decoded[key] = (path, decode_line(path, number, lines[index], last, sentence_notes))
            sentences.append(read_sentence(number, decoded, sentence_notes))
        except SomdFormatError as err:
            if not lenient:
                raise
            notes.append(Note(err.path, number, "skipped", err.problem))
            continue
        notes.extend(sentence_notes or [])
    return ReadResult(sentences, notes, count)


def read_corpus_dir(corpus_dir: Path, lenient: bool = False) -> ReadResult:
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
    manifest = directory / FOLD_MANIFEST
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
                f"{directory}: holds {len(paths)} fold files ({names}) and no {FOLD_MANIFEST}, but n_folds "
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
