"""The documents of a file or a folder of mixed files: the reader by the file's extension
(``.xml``/``.nxml`` by their root element: JATS ``<article>``/``<pmc-articleset>`` or TEI
``<TEI>``/``<teiCorpus>``; ``.tei``; ``.pdf``; ``.txt``/``.text``; ``.md``/``.markdown``),
a file without a known extension by its first bytes (``%PDF-``, or XML). A file that none
reads is a :class:`Rejected` with its reason; a folder's files are read in name order,
its hidden (``.``) and ``_`` files and its subfolders left out."""

import importlib
from pathlib import Path
from typing import Callable, Dict, Iterator, List

from spacy_somd.documents.model import Read, Rejected
from spacy_somd.documents.text import read_text

XML_SUFFIXES = (".xml", ".nxml", ".tei")
SUFFIXES = (*XML_SUFFIXES, ".pdf", ".txt", ".text", ".md", ".markdown")
JATS_ROOTS = ("article", "pmc-articleset", "articles")
TEI_ROOTS = ("TEI", "teiCorpus")
READERS: Dict[str, Callable[[Path], Iterator[Read]]] = {
    ".txt": read_text,
    ".text": read_text,
    ".md": lambda path: read_text(path, markdown=True),
    ".markdown": lambda path: read_text(path, markdown=True),
}


# the readers that need the ``documents`` extra (lxml, pypdfium2), imported when a file needs
# them, so that the plugin runs without them on records and text
EXTRA_READERS = {
    "jats": ("spacy_somd.documents.jats", "read_jats"),
    "tei": ("spacy_somd.documents.tei", "read_tei"),
    "pdf": ("spacy_somd.documents.pdf", "read_pdf"),
}
EXTRA_HINT = "pip install 'spacy-somd[documents]'"


class MissingExtra(ImportError):
    """A reader needs a library of the ``documents`` extra that is not installed."""


def extra_reader(kind: str) -> Callable[[Path], Iterator[Read]]:
    """The reader of ``jats``, ``tei`` or ``pdf`` files; :class:`MissingExtra` naming what to
    install when its library is missing."""
    module, name = EXTRA_READERS[kind]
    try:
        return getattr(importlib.import_module(module), name)
    except ImportError as err:
        raise MissingExtra(f"{kind.upper()} documents need {err.name or 'a library'} ({EXTRA_HINT})") from None


def document_files(path: Path) -> List[Path]:
    """The files of a document input: the file itself, or a folder's files (not its
    subfolders, hidden files or ``_`` files), in name order."""
    if path.is_dir():
        return sorted(p for p in path.iterdir() if p.is_file() and not p.name.startswith((".", "_")))
    return [path]


def kind_of(path: Path) -> str:
    """The reader a file needs: ``jats``, ``tei``, ``pdf``, ``text``, ``markdown``, or
    ``unknown: WHY``."""
    suffix = path.suffix.lower()
    with path.open("rb") as f:
        head = f.read(8)
    if suffix == ".pdf" or (suffix not in SUFFIXES and head.startswith(b"%PDF-")):
        return "pdf"
    if suffix in XML_SUFFIXES or (suffix not in SUFFIXES and head.lstrip().startswith(b"<")):
        from spacy_somd.documents.xml import root_name

        root = root_name(path)
        if root in JATS_ROOTS:
            return "jats"
        if root in TEI_ROOTS:
            return "tei"
        return (
            f"unknown: XML whose root element is <{root}>, neither JATS (<article>) nor TEI (<TEI>, <teiCorpus>)" if root else "unknown: no XML element found"
        )
    if suffix in (".txt", ".text"):
        return "text"
    if suffix in (".md", ".markdown"):
        return "markdown"
    return f"unknown: unknown extension {path.suffix or '(none)'!r}: documents are .xml (JATS, TEI), .tei, .pdf, .txt or .md"


def read_file(path: Path) -> Iterator[Read]:
    """The documents of one file, or one :class:`Rejected` saying why there are none."""
    try:
        kind = kind_of(path)
        reader = extra_reader(kind) if kind in EXTRA_READERS else READERS.get(".md" if kind == "markdown" else ".txt", read_text)
    except OSError as err:
        yield Rejected(str(path), f"cannot read the file ({err.strerror or err})")
        return
    except ImportError as err:
        if isinstance(err, MissingExtra):
            raise
        raise MissingExtra(f"XML documents need {err.name or 'a library'} ({EXTRA_HINT})") from None
    if kind.startswith("unknown: "):
        yield Rejected(str(path), kind.removeprefix("unknown: "))
        return
    try:
        yield from reader(path)
    except OSError as err:
        yield Rejected(str(path), f"cannot read the file ({err.strerror or err})")


def read_documents(path: Path) -> Iterator[Read]:
    """The documents of a file or a folder of files (see the module), each a
    :class:`Document` or a :class:`Rejected`."""
    for file in document_files(path):
        yield from read_file(file)
