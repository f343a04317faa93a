"""Input records for ``annotate``: JSONL (one ``{"id": ..., "text": ...}`` object a line) or
Parquet (one file or a folder of ``*.parquet`` or ``*.pq`` files, any case, with ``id`` and
``text`` columns).

Records are numbered in input order. A partition is the records ``[k * size, (k + 1) * size)``;
:func:`scan` checks every record once (bad ones are kept with their position and reason) and
remembers where each partition starts, so that :func:`records_of` can read a partition again
(on another machine too) without reading what comes before it."""

import hashlib
import json
import re
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import IO, Any, Dict, Iterator, List, NamedTuple, Optional, Tuple

PARQUET_SUFFIXES = (".parquet", ".pq")  # matched whatever their case
COLUMNS = ("id", "text")
UTF8_BOM = b"\xef\xbb\xbf"
# the byte-order marks of other encodings, UTF-32 first (its little-endian mark starts as UTF-16's)
OTHER_BOMS = ((b"\xff\xfe\x00\x00", "UTF-32"), (b"\x00\x00\xfe\xff", "UTF-32"), (b"\xff\xfe", "UTF-16"), (b"\xfe\xff", "UTF-16"))
LINE_END = re.compile(rb"\r\n|\n|\r")
CHUNK = 1 << 16


class InputError(ValueError):
    """Input that cannot be read, or a bad record under ``--on-error fail``."""


Start = Tuple[int, int, int]  # file number, byte offset (JSONL) or row (Parquet), 0-based line or row


class Raw(NamedTuple):
    """A record as read: its number in input order, where it is, where it starts and the
    parsed value (a dict, or why there is none)."""

    index: int  # type: ignore[assignment]  # the record's number; shadows tuple.index, unused here
    position: str
    start: Start
    value: Any


class Record(NamedTuple):
    """A record that passed the checks."""

    index: int  # type: ignore[assignment]  # as in Raw
    position: str
    id: str
    text: str


@dataclass
class Reject:
    index: int
    position: str
    id: Optional[str]
    reason: str

    def to_dict(self) -> Dict[str, Any]:
        return {"position": self.position, "id": self.id, "reason": self.reason}


@dataclass
class Partition:
    """Partition ``number``: ``size`` records from record ``first`` (which starts at
    ``start``), ``rejects`` among them."""

    number: int
    first: int
    start: Start
    size: int = 0
    rejects: List[Reject] = field(default_factory=list)

    @property
    def n_valid(self) -> int:
        return self.size - len(self.rejects)

    def to_json(self) -> str:
        rejects = [[r.index, r.position, r.id, r.reason] for r in self.rejects]
        fields = {"number": self.number, "first": self.first, "start": self.start, "size": self.size}
        return json.dumps({**fields, "rejects": rejects})

    @classmethod
    def from_json(cls, text: str) -> "Partition":
        data = json.loads(text)
        rejects = [Reject(*r) for r in data["rejects"]]
        return cls(data["number"], data["first"], tuple(data["start"]), data["size"], rejects)


def input_files(path: Path) -> List[Path]:
    """The files of an input: a JSONL file, a Parquet file or a folder of Parquet files.
    The folder's subfolders are not read, so that an output of ``annotate`` inside it (a
    folder ``*.parquet``) is never read back as input."""
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if is_parquet(p) and p.is_file() and not p.name.startswith((".", "_")))
        if not files:
            raise InputError(f"{path}: a folder input must hold *.parquet (or *.pq) files (its subfolders are not read), and holds none")
        return files
    if not path.is_file():
        raise InputError(f"{path}: no such file or folder")
    return [path]


def is_parquet(path: Path) -> bool:
    """Whether a file is Parquet by its suffix (``.parquet`` or ``.pq``, any case)."""
    return path.suffix.lower() in PARQUET_SUFFIXES


def parquet_module() -> Any:
    """pyarrow.parquet, or a clear error where pyarrow is missing."""
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise InputError("Parquet input and output need pyarrow: pip install 'spacy-somd[parquet]'") from None
    return pq


def check_jsonl(files: List[Path]) -> None:
    """Refuse a JSONL file that is not UTF-8 by its first KiB: a UTF-16 or UTF-32
    byte-order mark, or NUL bytes (which no UTF-8 JSON line holds)."""
    for path in files:
        if is_parquet(path):
            continue
        with path.open("rb") as f:
            head = f.read(1024)
        encoding = next((name for bom, name in OTHER_BOMS if head.startswith(bom)), None)
        if encoding:
            raise InputError(f"{path} is {encoding} (it starts with a {encoding} byte-order mark); annotate reads UTF-8 JSONL")
        if b"\x00" in head:
            raise InputError(f"{path} holds NUL bytes in its first KiB (UTF-16 or UTF-32 without a byte-order mark?); annotate reads UTF-8 JSONL")


def split_lines(f: IO[bytes]) -> Iterator[bytes]:
    """The lines of a binary file with their ends, which are ``\\r\\n``, ``\\n`` or a lone
    ``\\r``, read a chunk at a time."""
    buffer, searched = bytearray(), 0
    while True:
        data = f.read(CHUNK)
        buffer += data
        start = 0
        for match in LINE_END.finditer(buffer, searched):
            if data and match.end() == len(buffer) and match.group() == b"\r":
                break  # the \n of a \r\n may start the next chunk
            yield bytes(buffer[start : match.end()])
            start = match.end()
        del buffer[:start]
        searched = max(len(buffer) - 1, 0)  # a long line is searched once, not again with each chunk
        if not data:
            if buffer:
                yield bytes(buffer)
            return


def read_jsonl(path: Path, number: int, offset: int, line: int, first: int) -> Iterator[Raw]:
    """The lines of a JSONL file from byte ``offset`` (0-based ``line``, record number
    ``first``) on; a UTF-8 byte-order mark at the start of the file is ignored."""
    with path.open("rb") as f:
        f.seek(offset)
        for index, data in enumerate(split_lines(f), start=first):
            text = data[len(UTF8_BOM) :] if offset == 0 and data.startswith(UTF8_BOM) else data
            yield Raw(index, f"{path}, line {line + 1}", (number, offset, line), parse_line(text))
            offset += len(data)
            line += 1


def parse_line(line: bytes) -> Any:
    """A JSONL line's object, or a string saying why it is none."""
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError as err:
        return f"not UTF-8 ({err.reason} at byte {err.start})"
    if not text.strip():
        return "blank line"
    try:
        value = json.loads(text)
    except json.JSONDecodeError as err:
        return f"not JSON ({err.msg}, column {err.colno})"
    except ValueError as err:  # a number of more digits than Python converts
        return f"not JSON ({' '.join(str(err).split(':')[0].split())})"
    except RecursionError:
        return "not JSON (nested too deeply)"
    return value if isinstance(value, dict) else f"not a JSON object but {type(value).__name__}"


def open_parquet(path: Path) -> Any:
    """A ``pyarrow.parquet.ParquetFile``; a file that is not Parquet is one line naming it."""
    pq = parquet_module()
    try:
        return pq.ParquetFile(path)
    except (OSError, ValueError) as err:
        raise InputError(f"{path}: not a readable Parquet file ({' '.join(str(err).split())})") from None


def check_parquet(files: List[Path]) -> None:
    """Open every Parquet file of an input once, so that an unreadable one, or one without
    the ``id`` and ``text`` columns, stops the run before any work."""
    for path in files:
        if is_parquet(path):
            names = open_parquet(path).schema_arrow.names
            if not set(COLUMNS) <= set(names):
                raise InputError(f"{path}: a Parquet input needs the columns id and text; its columns are {', '.join(names) or 'none'}")


def read_parquet(path: Path, number: int, row: int, _line: int, first: int) -> Iterator[Raw]:
    """The rows of a Parquet file from ``row`` (record number ``first``) on, a row group at
    a time; a file that cannot be read is one line naming it."""
    try:
        yield from parquet_rows(open_parquet(path), path, number, row, first)
    except InputError:
        raise
    except (OSError, ValueError) as err:
        raise InputError(f"{path}: not a readable Parquet file ({' '.join(str(err).split())})") from None


def parquet_rows(parquet_file: Any, path: Path, number: int, row: int, first: int) -> Iterator[Raw]:
    """The rows of an open Parquet file, as :func:`read_parquet` yields them."""
    columns = [c for c in COLUMNS if c in parquet_file.schema_arrow.names]
    metadata = parquet_file.metadata
    group, group_start = 0, 0
    while group < metadata.num_row_groups and group_start + metadata.row_group(group).num_rows <= row:
        group_start += metadata.row_group(group).num_rows
        group += 1
    if group >= metadata.num_row_groups:
        return
    index, current = first, group_start
    for batch in parquet_file.iter_batches(row_groups=range(group, metadata.num_row_groups), columns=columns):
        for value in batch.to_pylist():
            if current >= row:
                yield Raw(index, f"{path}, row {current + 1}", (number, current, current), value)
                index += 1
            current += 1


def read_raw(files: List[Path], start: Start = (0, 0, 0), first: int = 0) -> Iterator[Raw]:
    """The records of ``files`` in order from ``start``, the record numbered ``first``."""
    number, offset, line = start
    index = first
    for current in range(number, len(files)):
        path = files[current]
        read = read_parquet if is_parquet(path) else read_jsonl
        here = (offset, line) if current == number else (0, 0)
        for raw in read(path, current, *here, index):
            yield raw
            index = raw.index + 1


def not_unicode(text: str) -> Optional[str]:
    """What makes a string unwritable as UTF-8 (a lone surrogate from a JSON escape such
    as ``"\\ud800"``), or None."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as err:
        return f"not valid Unicode (a lone surrogate {text[err.start]!a} at character {err.start + 1})"
    return None


def record_id(value: Dict[str, Any]) -> Tuple[Optional[str], Optional[str]]:
    """A record's id as a string and what is wrong with it (None when nothing is)."""
    if value.get("id") in (None, ""):
        return None, "missing id"
    raw = value["id"]
    if isinstance(raw, bool) or not isinstance(raw, (str, int)):
        return None, f"id must be a string or an integer, not {type(raw).__name__}"
    wrong = not_unicode(raw) if isinstance(raw, str) else None
    if wrong:
        return None, f"id {wrong}"
    return str(raw), None


def problem(value: Any) -> Tuple[Optional[str], Optional[str]]:
    """A raw value's id and what is wrong with it, duplicates aside."""
    if isinstance(value, str):
        return None, value
    id_, wrong = record_id(value)
    if wrong:
        return id_, wrong
    text = value.get("text")
    if text is None:
        return id_, "missing text"
    if not isinstance(text, str):
        return id_, f"text must be a string, not {type(text).__name__}"
    if not text.strip():
        return id_, "empty text"
    wrong = not_unicode(text)
    if wrong:
        return id_, f"text {wrong}"
    return id_, None


def scan(files: List[Path], size: int, fail: bool, staged: bool = False) -> Iterator[Partition]:
    """Check every record and yield each partition once all its records are read. A bad
    record raises :class:`InputError` with ``fail``; else it goes into its partition's
    rejects. A duplicate id is bad where it comes again (ids are remembered as 8-byte
    digests: memory grows by about 100 bytes a record). With ``staged`` (the paragraphs
    of documents), a line's ``_source`` is its position and a ``_reject`` line a reject."""
    first_seen: Dict[bytes, int] = {}
    partition = Partition(0, 0, (0, 0, 0))
    for raw in read_raw(files):
        number = raw.index // size
        if number != partition.number:
            yield partition
            partition = Partition(number, raw.index, raw.start)
        partition.size += 1
        position = raw.position
        if staged and isinstance(raw.value, dict):
            position = raw.value.get("_source", position)
            id_, wrong = (raw.value.get("id"), raw.value["_reject"]) if "_reject" in raw.value else problem(raw.value)
        else:
            id_, wrong = problem(raw.value)
        if not wrong and id_ is not None:
            digest = hashlib.blake2b(id_.encode("utf-8"), digest_size=8).digest()
            earlier = first_seen.setdefault(digest, raw.index)
            if earlier != raw.index:
                wrong = f"duplicate id {id_!r} (first as record {earlier + 1})"
        if wrong and fail:
            raise InputError(f"{position}: {wrong}")
        if wrong:
            partition.rejects.append(Reject(raw.index, position, id_, wrong))
    if partition.size:
        yield partition


def records_of(files: List[Path], partition: Partition) -> Iterator[Record]:
    """The good records of a scanned partition, read again from where it starts."""
    rejected = {r.index for r in partition.rejects}
    for raw in islice(read_raw(files, partition.start, partition.first), partition.size):
        if raw.index not in rejected:
            yield Record(raw.index, raw.value.get("_source", raw.position), str(raw.value["id"]), raw.value["text"])
