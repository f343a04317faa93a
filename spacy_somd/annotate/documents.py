"""Documents as the input of ``annotate``: the document files (JATS, TEI, PDF, text,
Markdown; :mod:`spacy_somd.documents`) are read once into ``OUTPUT/_paragraphs.jsonl``, a
JSONL line for each paragraph (its id ``DOCUMENT#INDEX``, its text, document, section,
paragraph index, kind, page and position in its file) and for each document or paragraph
that could not be read (its reason), in input order. The runs, partitions, engines and
resuming then read that file as they read JSONL records: a reject line is a counted
reject with its position in the document file. ``_documents.json`` beside it holds the
counts of documents read. Both are written whole (through a temporary and a rename)
before any annotation, and a resumed run of the same input (the manifest fingerprints the
document files) reads them again instead of the documents."""

import json
from dataclasses import asdict, dataclass
from itertools import islice
from pathlib import Path
from typing import Any, Dict, Iterator, List

from spacy_somd.annotate.inputs import Partition, is_parquet, read_raw
from spacy_somd.documents import Document, Rejected, document_files, read_file
from spacy_somd.documents.read import SUFFIXES
from spacy_somd.io import staged_path, write_atomic

PARAGRAPHS = "_paragraphs.jsonl"
DOCUMENTS = "_documents.json"
RECORD_SUFFIXES = (".jsonl", ".json", ".ndjson")
REJECT = "_reject"  # a staged line's reason where it is a reject
SOURCE = "_source"  # a staged line's position in its document file
LEVEL = "_level"  # a reject's level: document or paragraph
FIELDS = ("document", "section", "paragraph", "kind", "page")  # what an output record gets from its paragraph


@dataclass
class DocumentCounts:
    """Documents read (each a document, or a file or document that could not be read),
    the reject lines of whole documents, the paragraphs read (good and rejected)."""

    documents: int = 0
    document_rejects: int = 0
    paragraphs: int = 0


def is_document_input(path: Path) -> bool:
    """Whether an input is documents: a folder without Parquet files, or a file that is
    neither Parquet nor JSONL (``.jsonl``, ``.json``, ``.ndjson``, or a file without a
    document extension whose first character is ``{``)."""
    if path.is_dir():
        return not any(is_parquet(p) and p.is_file() and not p.name.startswith((".", "_")) for p in path.iterdir())
    if not path.is_file() or is_parquet(path) or path.suffix.lower() in RECORD_SUFFIXES:
        return False
    if path.suffix.lower() in SUFFIXES:
        return True
    with path.open("rb") as f:
        return not f.read(1024).lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{")


def staged_lines(files: List[Path], counts: DocumentCounts) -> Iterator[Dict[str, Any]]:
    """The staged lines of the documents of ``files``, counting them into ``counts``."""
    for file in files:
        for read in read_file(file):
            counts.documents += 1
            if isinstance(read, Rejected):
                counts.document_rejects += 1
                yield {"id": read.document, REJECT: read.reason, SOURCE: read.position, LEVEL: "document"}
                continue
            yield from document_lines(read, counts)


def document_lines(document: Document, counts: DocumentCounts) -> Iterator[Dict[str, Any]]:
    """A document's paragraphs and rejected paragraphs as staged lines, in their order."""
    rejected = {r.index: r for r in document.rejected}
    paragraphs = iter(document.paragraphs)
    for index in range(len(document.paragraphs) + len(document.rejected)):
        counts.paragraphs += 1
        if index in rejected:
            reject = rejected[index]
            yield {"id": f"{document.id}#{index}", REJECT: reject.reason, SOURCE: reject.position, LEVEL: "paragraph"}
            continue
        p = next(paragraphs)
        fields = {"document": document.id, "section": p.section, "paragraph": p.index, "kind": p.kind, "page": p.page}
        yield {"id": f"{document.id}#{p.index}", "text": p.text, **fields, SOURCE: p.position}


def stage_documents(input_path: Path, folder: Path) -> List[Path]:
    """Read the documents of ``input_path`` into ``folder``'s staged paragraphs (unless a
    run of the same input wrote them) and return the staged file, the input of the run."""
    path = folder / PARAGRAPHS
    if path.is_file() and (folder / DOCUMENTS).is_file():
        return [path]
    counts = DocumentCounts()
    with staged_path(path) as tmp, tmp.open("w", encoding="utf-8") as out:
        for line in staged_lines(document_files(input_path), counts):
            out.write(json.dumps(line, ensure_ascii=False) + "\n")
    write_atomic(folder / DOCUMENTS, json.dumps(asdict(counts)).encode("utf-8"))
    return [path]


def read_counts(folder: Path) -> DocumentCounts:
    """The document counts staged in ``folder``."""
    return DocumentCounts(**json.loads((folder / DOCUMENTS).read_text(encoding="utf-8")))


def paragraph_fields(files: List[Path], partition: Partition) -> List[Dict[str, Any]]:
    """The fields (document, section, paragraph, kind, page) of a partition's good records,
    in order, read again from the staged paragraphs."""
    rejected = {r.index for r in partition.rejects}
    out = []
    for raw in islice(read_raw(files, partition.start, partition.first), partition.size):
        if raw.index not in rejected:
            out.append({name: raw.value.get(name) for name in FIELDS})
    return out


def staged_texts(files: List[Path]) -> Iterator[Dict[str, Any]]:
    """The staged paragraph lines (id, text, document...) in order, rejects left out."""
    for raw in read_raw(files):
        if isinstance(raw.value, dict) and REJECT not in raw.value:
            yield raw.value
