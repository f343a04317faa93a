"""JATS (PubMed Central) articles: one :class:`Document` per ``<article>`` of a file (an
``<article>`` or a ``<pmc-articleset>`` of them). Paragraphs: the article title (kind
``title``), the abstracts' paragraphs (``abstract``), the paragraphs of the body and of
the back matter's acknowledgements and appendices (``body``, their section the title of
the ``<sec>`` they are in), figure and table captions (``caption``) and footnotes
(``footnote``). References, tables' cells and display formulas are not text to annotate."""

from pathlib import Path
from typing import Iterable, Iterator, Optional

from lxml import etree

from spacy_somd.documents.model import Document, Read
from spacy_somd.documents.xml import flatten, iter_documents, local, position

ID_TYPES = ("pmc", "pmcid", "pmid", "doi", "publisher-id")
SKIP = ("ref-list", "table", "disp-formula", "alternatives", "graphic", "media", "object-id", "tex-math", "math")
IN_PARAGRAPH = ("fig", "table-wrap", "disp-formula", "boxed-text", "table", "fig-group")
SECTIONS = {"sec": "", "ack": "Acknowledgements", "app": "Appendix", "glossary": "Glossary", "notes": "Notes"}


def read_jats(path: Path) -> Iterator[Read]:
    """The articles of a JATS file, streamed."""
    yield from iter_documents(path, "article", lambda element, number: build(path, element, number))


def first(element: etree._Element, *names: str) -> Optional[etree._Element]:
    """The first descendant named by the path of local names ``names``."""
    found = [element]
    for name in names:
        found = [child for parent in found for child in parent if local(child) == name]
        if not found:
            return None
    return found[0]


def article_id(path: Path, element: etree._Element, number: int) -> str:
    meta = first(element, "front", "article-meta")
    ids = {} if meta is None else {child.get("pub-id-type"): (child.text or "").strip() for child in meta if local(child) == "article-id"}
    for kind in ID_TYPES:
        if ids.get(kind):
            return ids[kind] if kind != "pmc" or ids[kind].upper().startswith("PMC") else f"PMC{ids[kind]}"
    return path.name if number == 0 else f"{path.name}#{number + 1}"


def build(path: Path, element: etree._Element, number: int) -> Document:
    title_element = first(element, "front", "article-meta", "title-group", "article-title")
    title = flatten(title_element)[0] if title_element is not None else ""
    document = Document(article_id(path, element, number), title, str(path))
    if title_element is not None:
        document.add(title, "title", position=position(path, title_element))
    meta = first(element, "front", "article-meta")
    for abstract in meta if meta is not None else []:
        if local(abstract) in ("abstract", "trans-abstract"):
            walk(path, document, abstract, "Abstract", "abstract")
    for part in element:
        if local(part) in ("body", "back"):
            walk(path, document, part, "", "body")
    return document


def walk(path: Path, document: Document, children: Iterable[etree._Element], section: str, kind: str) -> None:
    """Add the paragraphs of ``children`` and their descendants in document order."""
    for child in children:
        name = local(child)
        if not name or name in SKIP or name in ("title", "label"):
            continue
        if name in SECTIONS:
            heading = first(child, "title")
            walk(path, document, child, flatten(heading)[0] if heading is not None else SECTIONS[name] or section, kind)
        elif name == "p":
            document.add(flatten(child, SKIP + IN_PARAGRAPH, mentions="")[0], kind, section, position=position(path, child))
            walk(path, document, [inner for inner in child if local(inner) in IN_PARAGRAPH], section, kind)
        elif name in ("caption", "fn"):
            document.add(flatten(child, SKIP, mentions="")[0], "caption" if name == "caption" else "footnote", section, position=position(path, child))
        else:
            walk(path, document, child, section, kind)
