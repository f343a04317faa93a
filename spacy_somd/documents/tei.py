"""TEI documents as GROBID writes them, and corpora of them: one :class:`Document` per
``<TEI>`` element of a file, whether the file is one ``<TEI>`` or a ``<teiCorpus>`` of many
(the Softcite corpus file), streamed: each ``<TEI>`` is freed once read.

Public API (the Softcite benchmark builds on it)::

    from spacy_somd.documents.tei import read_tei

    for document in read_tei(Path("softcite_working.tei.xml")):
        if isinstance(document, Rejected):      # malformed XML, an empty <TEI>: position, reason
            continue
        document.id                             # fileDesc/@xml:id, else an idno (PMC, DOI, PMID), else FILE#N
        for paragraph in document.paragraphs:   # in reading order
            paragraph.text                      # white space runs made single spaces
            paragraph.kind, paragraph.section   # title/abstract/body/caption/footnote, the <div>'s <head>
            for a in paragraph.annotations:     # the inline <rs> mentions
                paragraph.text[a.start:a.end]   # the mention's text
                a.type, a.id, a.corresp         # software/version/publisher/person/url, xml:id, corresp without '#'

A version, publisher or URL points to its software by ``corresp`` (the software's ``id``).
In the Softcite corpus only the ``<p>`` of ``<body>`` were annotated: its title
(``teiHeader``) is a paragraph of kind ``title`` without annotations, so a benchmark on it
keeps the paragraphs of kind ``body``.
Paragraphs: the title (``teiHeader/fileDesc/titleStmt/title``, kind ``title``), the
abstract's paragraphs (``abstract``), the ``<p>`` of ``<text>`` (``body``; their section
the ``<head>`` of their ``<div>``), figure and table descriptions (``caption``: the
figure's ``<head>`` and ``<figDesc>``) and notes (``footnote``). Bibliographies and
formulas are not text to annotate."""

from pathlib import Path
from typing import Iterable, Iterator, List, Optional, Tuple

from lxml import etree

from spacy_somd.documents.model import Annotation, Document, Read
from spacy_somd.documents.xml import flatten, iter_documents, local, position

XML_ID = "{http://www.w3.org/XML/1998/namespace}id"
ID_ATTRIBUTES = ("PMC", "PMCID", "DOI", "PMID")
SKIP = ("listBibl", "formula", "table", "graphic", "biblStruct")


def read_tei(path: Path) -> Iterator[Read]:
    """The documents of a TEI file (one ``<TEI>``, or a ``<teiCorpus>`` of them), each a
    :class:`Document` with its paragraphs and their ``<rs>`` annotations, or a
    :class:`Rejected` saying where and why (malformed XML with its line: the documents
    before it are yielded)."""
    yield from iter_documents(path, "TEI", lambda element, number: build(path, element, number))


def child(element: Optional[etree._Element], *names: str) -> Optional[etree._Element]:
    """The first element at the path of local names ``names`` below ``element``."""
    for name in names:
        if element is None:
            return None
        element = next((c for c in element if local(c) == name), None)
    return element


def document_id(path: Path, element: etree._Element, number: int) -> str:
    file_desc = child(element, "teiHeader", "fileDesc")
    if file_desc is not None and file_desc.get(XML_ID):
        return str(file_desc.get(XML_ID))
    idnos = [e for e in (file_desc.iter() if file_desc is not None else []) if local(e) == "idno"]
    for name in ID_ATTRIBUTES:
        for idno in idnos:
            value = idno.get(name) or (idno.text if (idno.get("type") or "").upper() == name else None)
            if value and value.strip():
                return value.strip()
    return path.name if number == 0 else f"{path.name}#{number + 1}"


def build(path: Path, element: etree._Element, number: int) -> Document:
    header = child(element, "teiHeader")
    title_stmt = child(header, "fileDesc", "titleStmt")
    titles = [t for t in (title_stmt if title_stmt is not None else []) if local(t) == "title"]
    title_element = next((t for t in titles if t.get("level") == "a"), titles[0] if titles else None)
    title = flatten(title_element)[0] if title_element is not None else ""
    document = Document(document_id(path, element, number), title, str(path))
    if title_element is not None:
        text, annotations = flatten(title_element)
        document.add(text, "title", position=position(path, title_element), annotations=annotations)
    abstract = child(header, "profileDesc", "abstract")
    if abstract is not None:
        walk(path, document, abstract, "Abstract", "abstract")
    text_element = child(element, "text")
    if text_element is not None:
        walk(path, document, text_element, "", "body")
    return document


def walk(path: Path, document: Document, children: Iterable[etree._Element], section: str, kind: str) -> None:
    """Add the paragraphs of ``children`` and their descendants in document order."""
    for node in children:
        name = local(node)
        if not name or name in SKIP or name == "head":
            continue
        if name == "div":
            head = child(node, "head")
            walk(path, document, node, flatten(head)[0] if head is not None else section or (node.get("type") or "").capitalize(), kind)
        elif name in ("p", "ab"):
            text, annotations = flatten(node, SKIP + ("figure", "note"))
            document.add(text, kind, section, position=position(path, node), annotations=annotations)
            walk(path, document, [inner for inner in node if local(inner) in ("figure", "note")], section, kind)
        elif name == "figure":
            parts = [flatten(e) for e in node if local(e) in ("head", "label", "figDesc")]
            text, annotations = joined(parts)
            document.add(text, "caption", section, position=position(path, node), annotations=annotations)
        elif name == "note":
            text, annotations = flatten(node, SKIP)
            document.add(text, "footnote", section, position=position(path, node), annotations=annotations)
        else:
            walk(path, document, node, section, kind)


def joined(parts: List[Tuple[str, List[Annotation]]]) -> Tuple[str, List[Annotation]]:
    """Texts with their annotations joined by single spaces, the offsets moved along."""
    text = ""
    annotations: List[Annotation] = []
    for part_text, part_annotations in parts:
        if not part_text:
            continue
        offset = len(text) + (1 if text else 0)
        text = f"{text} {part_text}" if text else part_text
        for a in part_annotations:
            a.start, a.end = a.start + offset, a.end + offset
            annotations.append(a)
    return text, annotations
