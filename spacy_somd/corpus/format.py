"""The SOMD files: reading, validating and (in lenient mode) repairing the three
line-aligned files (tokens separated by single spaces, BIO labels, ``Type<TAB>i<TAB>j``
relation items joined by ``; ``) into :class:`Sentence` objects, with a :class:`Note` for
each repair and skip."""

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Sequence, Tuple

from spacy_somd.labels import ENTITY_TYPES, RELATION_TYPES

FILE_NAMES = {"texts": "train_texts.txt", "entities": "train_entities.txt", "relations": "train_relations.txt"}
# indices are ASCII digits only: \d (and int()) would take other scripts' digits too
_ITEM = re.compile(r"([A-Za-z_]+)\t(-?[0-9]+)\t(-?[0-9]+)")
_LOOSE_ITEM = re.compile(r"([A-Za-z_]+)\s+(-?[0-9]+)\s+(-?[0-9]+)")
MAX_INDEX_DIGITS = 9  # a longer index is out of range of any sentence (and int() refuses over 4300 digits)
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


def raw_lines(path: Path) -> Tuple[List[bytes], bool, bool]:
    """A file's lines as bytes (without ``\\n``), whether its last line ends with a
    newline and whether its line ends are CR-only (``\\r`` and no ``\\n`` in the file: its
    lines are then split on ``\\r`` and keep it, for :func:`decode_line` to note). A
    missing or empty file is an error."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: file not found")
    raw = path.read_bytes()
    if not raw:
        raise SomdFormatError(path, 1, "the file is empty")
    cr_only = b"\r" in raw and b"\n" not in raw
    lines = [line + b"\r" for line in raw.split(b"\r")] if cr_only else raw.split(b"\n")
    if cr_only:
        lines[-1] = lines[-1][:-1]
    final_newline = lines[-1] == b""
    if final_newline:
        lines.pop()
    return lines, final_newline, cr_only


def decode_line(path: Path, number: int, raw: bytes, last: bool, notes: Notes, cr_only: bool = False) -> str:
    """One line as text: undecodable UTF-8 is an error; a byte-order mark at the start of
    the file, a CRLF (or, with ``cr_only``, a CR-only) line end and a missing final newline
    are errors, repaired in lenient mode."""
    try:
        line = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise SomdFormatError(path, number, f"not valid UTF-8 (byte {err.start + 1} of the line)") from None
    if number == 1 and line.startswith("\ufeff"):
        _repair(notes, path, number, "the file starts with a byte-order mark (U+FEFF)", "removed it")
        line = line[1:]
    if line.endswith("\r"):
        if cr_only:
            _repair(notes, path, number, "the line ends with a carriage return without a newline (CR-only line ends)", "read it as the line end")
        else:
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
            _repair(notes, path, number, f"white space {where} item {item} {text!r} (a run of spaces, or one at an end of the line)", "removed it", item)
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
    not_integers = [f for f in fields[1:] if not re.fullmatch(r"-?[0-9]+", f)]
    if len(fields) == 3 and not_integers and re.fullmatch(r"-?\d+", not_integers[0]):
        _skip_item(notes, path, number, item, f"{text!r}: index {not_integers[0]!r} is not written in ASCII digits (0-9)")
    elif len(fields) == 3 and not_integers:
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


def parse_relations(path: Path, number: int, line: str, labels: Sequence[str], notes: Notes) -> List[Tuple[str, int, int]]:
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
            long = [(name, f) for name, f in (("head", head_field), ("tail", tail_field)) if len(f.lstrip("-")) > MAX_INDEX_DIGITS]
            if long:
                name, digits = long[0]
                _skip_item(
                    notes, path, number, item, f"{name} index of {len(digits.lstrip('-'))} digits is out of range (the sentence has {len(labels)} tokens)"
                )
                continue
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
            raise SomdFormatError(path, line, f"has {len(lines)} lines but {first.name} has {len(first_lines)}; line {line} has no counterpart")


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


def read_somd(texts: Path, entities: Optional[Path] = None, relations: Optional[Path] = None, lenient: bool = False) -> ReadResult:
    """Read and validate SOMD files. Strict mode raises on the first problem, naming the
    file, the 1-based line and the column or item. Lenient mode repairs what is
    unambiguous, leaves out the sentence (or the relation item) that is not, and notes
    each repair and skip; only a missing or empty file and files with different line
    counts stop it."""
    if relations is not None and entities is None:
        raise ValueError("relations need the entities file too")
    named = {key: Path(p) for key, p in (("texts", texts), ("entities", entities), ("relations", relations)) if p is not None}
    files = {path: raw_lines(path) for path in named.values()}
    _check_same_length({path: lines for path, (lines, _, _) in files.items()})
    notes: List[Note] = []
    sentences = []
    count = len(files[named["texts"]][0])
    for index in range(count):
        number = index + 1
        sentence_notes: Notes = [] if lenient else None
        try:
            decoded = {}
            for key, path in named.items():
                lines, final_newline, cr_only = files[path]
                last = index == count - 1 and not final_newline
                decoded[key] = (path, decode_line(path, number, lines[index], last, sentence_notes, cr_only))
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
