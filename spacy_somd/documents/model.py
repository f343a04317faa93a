"""What the document readers yield: a :class:`Document` of :class:`Paragraph` objects, each
with its text, where it is (section, index, kind, page) and, for TEI with inline ``<rs>``
mentions, its :class:`Annotation` spans; and a :class:`Rejected` for what cannot be read
(a whole file or document, or one paragraph of a document), with its position and reason."""

import re
from dataclasses import dataclass, field
from typing import List, Optional, Tuple, Union

KINDS = ("title", "abstract", "body", "caption", "footnote")
WHITE_SPACE = re.compile(r"\s+")


@dataclass
class Annotation:
    """An inline mention (TEI ``<rs>``): ``text[start:end]`` of its paragraph, its ``type``
    (software, version, publisher, person, url...), its ``xml:id`` and its ``corresp``
    (the ``xml:id`` of the software it belongs to, without the ``#``)."""

    start: int
    end: int
    type: str
    id: Optional[str] = None
    corresp: Optional[str] = None


@dataclass
class Paragraph:
    """A paragraph: its ``text`` (white space runs made single spaces), its ``index`` in
    its document (0-based, in reading order, over the rejected paragraphs too), its
    ``kind`` (one of ``KINDS``), the title of the section it is in, its page (PDF, 1-based)
    and where it is in its file (``position``: ``file, line N`` or ``file, page N``)."""

    text: str
    index: int
    kind: str = "body"
    section: str = ""
    page: Optional[int] = None
    position: str = ""
    annotations: List[Annotation] = field(default_factory=list)


@dataclass
class Rejected:
    """What could not be read: a file or a document (``index`` None) or one paragraph of a
    document (its ``index``), with where it is and why."""

    position: str
    reason: str
    document: Optional[str] = None
    index: Optional[int] = None


@dataclass
class Document:
    """A document: its id (unique in its file), title, the file it comes from, its
    paragraphs in reading order and the paragraphs that could not be read."""

    id: str
    title: str
    source: str
    paragraphs: List[Paragraph] = field(default_factory=list)
    rejected: List[Rejected] = field(default_factory=list)

    def add(
        self, text: str, kind: str, section: str = "", page: Optional[int] = None, position: str = "", annotations: Optional[List[Annotation]] = None
    ) -> None:
        """Add a paragraph, numbered after those added or rejected so far; a paragraph
        without text is left out."""
        if text.strip():
            index = len(self.paragraphs) + len(self.rejected)
            self.paragraphs.append(Paragraph(text, index, kind, section, page, position, annotations or []))

    def reject(self, position: str, reason: str) -> None:
        """Count a paragraph that could not be read in its place."""
        self.rejected.append(Rejected(position, reason, self.id, len(self.paragraphs) + len(self.rejected)))


Read = Union[Document, Rejected]


def normalize(text: str, spans: Optional[List[Tuple[int, int]]] = None) -> Tuple[str, List[Tuple[int, int]]]:
    """``text`` with its white space runs made single spaces and stripped, and ``spans``
    (character offsets into ``text``) moved to the same characters of the new text."""
    pieces: List[str] = []
    where = [0] * (len(text) + 1)  # where[i]: the new offset of old offset i
    n = pos = 0
    for match in WHITE_SPACE.finditer(text):
        where[pos : match.start()] = range(n, n + match.start() - pos)
        pieces.append(text[pos : match.start()])
        n += match.start() - pos
        where[match.start() : match.end()] = [n] * (match.end() - match.start())
        if match.start() > 0 and match.end() < len(text):  # inside the text: one space
            pieces.append(" ")
            n += 1
        pos = match.end()
    where[pos : len(text)] = range(n, n + len(text) - pos)
    pieces.append(text[pos:])
    where[len(text)] = n + len(text) - pos
    new = "".join(pieces)
    moved = []
    for start, end in spans or []:
        a, b = where[start], where[end]
        while a < b and new[a] == " ":
            a += 1
        while b > a and new[b - 1] == " ":
            b -= 1
        moved.append((a, b))
    return new, moved
