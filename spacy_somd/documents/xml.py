"""What the XML readers share: streaming over the document elements of a file with lxml's
``iterparse`` (each document element freed once read, so memory is bounded by the largest
document), the root element's name without parsing, and an element's text with its inline
mentions as character offsets."""

import re
from pathlib import Path
from typing import Callable, Iterator, List, Optional, Tuple

from lxml import etree

from spacy_somd.documents.model import Annotation, Document, Read, Rejected, normalize

ROOT_TAG = re.compile(rb"<([A-Za-z_][\w.:-]*)")
HEAD_BYTES = 1 << 16
CHUNK = 1 << 16  # bytes fed to the parser at a time
# children after which a space goes into the text (block elements between inline text)
BLOCKS = {"p", "title", "label", "caption", "list-item", "item", "head", "figDesc", "def", "term", "td", "th", "row", "list", "lb", "br"}


def local(element: etree._Element) -> str:
    """An element's name without its namespace ('' for comments and processing instructions)."""
    tag = element.tag
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def root_name(path: Path) -> Optional[str]:
    """The name of a file's root element (without namespace prefix), from its first 64 KiB
    past the XML declaration, comments and doctype, or None where none is found."""
    with path.open("rb") as f:
        head = f.read(HEAD_BYTES)
    head = re.sub(rb"<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^>\[]*(\[.*?\])?\s*>", b"", head, flags=re.S)
    match = ROOT_TAG.search(head)
    return match.group(1).decode("ascii", "replace").split(":")[-1] if match else None


def position(path: Path, element: etree._Element) -> str:
    return f"{path}, line {element.sourceline}"


def flatten(element: etree._Element, skip: Tuple[str, ...] = (), mentions: str = "rs") -> Tuple[str, List[Annotation]]:
    """An element's text (white space made single spaces) without its ``skip`` children
    (at any depth) and its ``mentions`` elements (TEI ``<rs>``) as annotations whose
    offsets point into that text."""
    parts: List[str] = []
    found: List[Tuple[int, int, etree._Element]] = []
    length = 0

    def add(text: Optional[str]) -> None:
        nonlocal length
        if text:
            parts.append(text)
            length += len(text)

    def walk(node: etree._Element) -> None:
        add(node.text)
        for child in node:
            name = local(child)
            if name and name not in skip:
                start = length
                walk(child)
                if name == mentions:
                    found.append((start, length, child))
                if name in BLOCKS:
                    add(" ")
            add(child.tail)

    walk(element)
    text, spans = normalize("".join(parts), [(start, end) for start, end, _ in found])
    annotations = [
        Annotation(start, end, node.get("type", ""), node.get("{http://www.w3.org/XML/1998/namespace}id"), (node.get("corresp") or "").lstrip("#") or None)
        for (start, end), (_, _, node) in zip(spans, found)
    ]
    return text, annotations


def fatal(err: etree.XMLSyntaxError) -> bool:
    """Whether a parse error stopped the parse (malformed XML), rather than one libxml2
    reports at the end of a parse it completed (an ``xml:id`` value that is not an NCName,
    as GROBID writes DOIs)."""
    levels = [entry.level for entry in err.error_log if entry.type == err.code and entry.line == err.lineno]
    return not levels or max(levels) >= etree.ErrorLevels.FATAL


def iter_documents(path: Path, tag: str, build: Callable[[etree._Element, int], Document]) -> Iterator[Read]:
    """The documents of an XML file: ``build`` applied to each ``tag`` element (any
    namespace) as soon as it ends, which is then freed (the file is fed to lxml's pull
    parser a chunk at a time). Malformed XML is a :class:`Rejected` naming the file and
    line, after the documents that end before it; a document without a paragraph of text
    is a :class:`Rejected` too."""
    parser = etree.XMLPullParser(events=("end",), tag=(tag, f"{{*}}{tag}"), resolve_entities=False, no_network=True, load_dtd=False, huge_tree=True)
    number = 0
    error: Optional[etree.XMLSyntaxError] = None
    stopped = False
    with path.open("rb") as f:
        while error is None:
            data = f.read(CHUNK)
            try:
                parser.feed(data) if data else parser.close()
            except etree.XMLSyntaxError as err:
                error = err
                stopped = bool(data)  # before the end of the file: what follows is not read
            for _, element in parser.read_events():
                parent = element.getparent()
                if parent is not None and local(parent) == tag:
                    continue  # a nested one (a sub-article) belongs to its parent
                yield read_one(path, element, number, build)
                number += 1
                element.clear()
                while element.getprevious() is not None:
                    del element.getparent()[0]
            if not data:
                break
    if error is not None and (fatal(error) or stopped):
        after = f" (the {number} documents before it are read; none after it)" if number else ""
        yield Rejected(f"{path}, line {error.lineno or '?'}", f"malformed XML: {' '.join(str(error.msg).split())}{after}")
    elif number == 0:
        yield Rejected(str(path), f"empty document: no <{tag}> element")


def read_one(path: Path, element: etree._Element, number: int, build: Callable[[etree._Element, int], Document]) -> Read:
    """The document of one element, or why it is none."""
    where = position(path, element)
    try:
        document = build(element, number)
    except (ValueError, TypeError) as err:  # a document the reader cannot make sense of: the others go on
        return Rejected(where, f"cannot read this document ({err})")
    return document if document.paragraphs else Rejected(where, "empty document: no paragraph with text", document.id)
