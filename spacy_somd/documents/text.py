"""Plain text and Markdown files: one :class:`Document` per file (its id the file name),
paragraphs split on blank lines, each one's lines joined by single spaces. In Markdown,
``#`` headings are section titles (the first level-1 heading the document's title), fenced
code blocks are left out, and emphasis and code marks (``**``, backticks) are removed; a
link ``[text](url)`` is read ``text (url)``. A file that is not UTF-8 is a reject naming
its line."""

import re
from pathlib import Path
from typing import Iterator, List, Tuple

from spacy_somd.documents.model import Document, Read, Rejected, normalize

BLANK = re.compile(r"^\s*$")
HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
FENCE = re.compile(r"^\s{0,3}(```|~~~)")
LINK = re.compile(r"!?\[([^\]]*)\]\(([^)\s]+)[^)]*\)")
MARKS = re.compile(r"\*\*|__|`")


def decode(path: Path, data: bytes) -> Tuple[str, str]:
    """The text of a file's bytes (UTF-8, a byte-order mark allowed), and '' or why not."""
    try:
        return data.decode("utf-8-sig"), ""
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        return "", f"not UTF-8 ({err.reason} at byte {err.start + 1}, line {line}); convert it to UTF-8 first"


def blocks(lines: List[str]) -> Iterator[Tuple[int, List[str]]]:
    """Runs of non-blank lines with the 1-based number of their first line."""
    block: List[str] = []
    start = 0
    for number, line in enumerate(lines, start=1):
        if BLANK.match(line):
            if block:
                yield start, block
            block = []
        else:
            if not block:
                start = number
            block.append(line)
    if block:
        yield start, block


def read_text(path: Path, markdown: bool = False) -> Iterator[Read]:
    """The document of a text (or, with ``markdown``, Markdown) file."""
    text, wrong = decode(path, path.read_bytes())
    if wrong:
        yield Rejected(str(path), wrong)
        return
    if "\x00" in text:
        yield Rejected(str(path), "holds NUL bytes (UTF-16 or a binary file?); annotate reads UTF-8 text")
        return
    document = Document(path.name, "", str(path))
    lines = text.splitlines()
    if markdown:
        lines = without_code(lines)
    section = ""
    for start, block in blocks(lines):
        where = f"{path}, line {start}"
        if markdown:
            for offset, line in enumerate(block):
                heading = HEADING.match(line)
                if heading:
                    title = clean(heading.group(2))
                    if len(heading.group(1)) == 1 and not document.title:
                        document.title = title
                        document.add(title, "title", position=f"{path}, line {start + offset}")
                    else:
                        section = title
            block = [line for line in block if not HEADING.match(line)]
            document.add(clean(" ".join(block)), "body", section, position=where)
        else:
            document.add(normalize(" ".join(block))[0], "body", position=where)
    yield document if document.paragraphs else Rejected(str(path), "empty document: no text")


def without_code(lines: List[str]) -> List[str]:
    """Markdown lines with the fenced code blocks made blank (line numbers kept)."""
    out, fenced = [], False
    for line in lines:
        if FENCE.match(line):
            fenced = not fenced
            out.append("")
        else:
            out.append("" if fenced else line)
    return out


def clean(text: str) -> str:
    """Markdown inline marks removed, links read as ``text (url)``."""
    return normalize(MARKS.sub("", LINK.sub(lambda m: f"{m.group(1)} ({m.group(2)})", text)))[0]
