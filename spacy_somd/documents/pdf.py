"""PDF articles through pdfium (``pypdfium2``): one :class:`Document` per file, its
paragraphs in reading order with their page.

A page's text segments are joined into lines, lines that span the middle of the page
(titles, one-column text) split it into regions, and within a region the left column is
read before the right one. Running heads and page numbers are dropped: a line in the top
or bottom 8% of a page that is a number (``12``, ``Page 3``, ``3 of 9``) or whose text,
digits aside, comes again in the margins of other pages. A new paragraph starts after a
baseline more than 1.4 line pitches below the last (the lower quartile of the
baseline distances: body text), at a change of font height, and at a column or
page change after a line that ends a sentence; a line broken at a hyphen (``analy-``
then ``sis``) is joined without it. A short line of larger type or numbered like a
heading (``2.1 Data analysis``) is a section title; the largest line of page 1 the
document's title; ``Abstract`` starts the abstract, ``Figure N``/``Table N`` a caption, a
paragraph of smaller type in the bottom third of a page a footnote. Ligatures are made
plain letters (NFKC).
A PDF without text (scanned, image only), an encrypted one and one pdfium cannot read
are rejects; a page of images without text in a PDF with text is a rejected paragraph."""

import ctypes
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from statistics import median
from typing import Any, Iterator, List, Tuple

from spacy_somd.documents.model import Document, Read, Rejected, normalize

MARGIN = 0.08  # of the page height: where running heads and page numbers are
FOOT = 0.35  # of the page height from its bottom: where a paragraph of small type is a footnote
PAGE_NUMBER = re.compile(r"^(page\s+)?\d{1,4}(\s*(of|/)\s*\d{1,4})?$", re.I)
SOFT_HYPHENS = ("\x02", "\ufffe", "\u00ad")
HEADING = re.compile(r"^(\d+(\.\d+)*\.?|[IVX]+\.)\s+\S.{0,80}$")
CAPTION = re.compile(r"^(fig\.?|figure|table|supplementary (fig\.?|figure|table))\s*[S]?\d+", re.I)
SECTION_NAMES = re.compile(
    r"^(introduction|background|(materials and |patients and )?methods|materials|results|discussion|conclusions?|"
    r"acknowledge?ments?|references|bibliography|funding|data availability|supplementary material)$",
    re.I,
)
SENTENCE_END = (".", "!", "?", ":")
IMAGE_OBJECT = 3  # FPDF_PAGEOBJ_IMAGE


@dataclass
class Line:
    x0: float
    y0: float
    x1: float
    y1: float
    text: str
    page: int
    size: float = 0.0  # the font size of its first character
    baseline: float = 0.0  # the baseline of its first character (as y0 and y1 once on the page: a fraction of its height)
    column: str = "full"

    @property
    def height(self) -> float:
        return self.y1 - self.y0


def read_pdf(path: Path) -> Iterator[Read]:
    """The document of a PDF file, or why it cannot be read."""
    try:
        import pypdfium2 as pdfium
    except ImportError:
        yield Rejected(str(path), "PDF input needs pypdfium2: pip install 'spacy-somd[documents]'")
        return
    try:
        pdf = pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as err:
        text = str(err)
        reason = "encrypted PDF (it needs a password)" if "password" in text.lower() else f"not a readable PDF ({' '.join(text.split())})"
        yield Rejected(str(path), reason)
        return
    document = Document(path.name, "", str(path))
    try:
        pages: List[List[Line]] = []
        for number in range(len(pdf)):
            try:
                lines, images = page_lines(pdf, number)
            except pdfium.PdfiumError as err:
                document.reject(f"{path}, page {number + 1}", f"cannot read the page ({err})")
                lines, images = [], False
            if not lines and images:
                document.reject(f"{path}, page {number + 1}", "no text layer on this page (an image only: scanned?)")
            pages.append(lines)
    finally:
        pdf.close()
    if not any(pages):
        yield Rejected(str(path), "no text layer (a scanned or image-only PDF? run OCR first)" if len(document.rejected) else "empty document: no text")
        return
    drop_running_lines(pages)
    build(path, document, [line for lines in pages for line in reading_order(lines)])
    yield document if document.paragraphs else Rejected(str(path), "empty document: no paragraph with text")


def page_lines(pdf: Any, number: int) -> Tuple[List[Line], bool]:
    """The text lines of page ``number`` (top down) and whether it holds images."""
    import pypdfium2.raw as pdfium_c

    page = pdf[number]
    try:
        width, _ = page.get_size()
        textpage = page.get_textpage()
        try:
            segments = []
            for i in range(textpage.count_rects()):
                x0, y0, x1, y1 = textpage.get_rect(i)
                text = clean_text(textpage.get_text_bounded(x0, y0, x1, y1))
                if text.strip():
                    index = textpage.get_index(x0 + 1, (y0 + y1) / 2, 2, 2)
                    size, baseline = y1 - y0, y0
                    if index >= 0:
                        size = pdfium_c.FPDFText_GetFontSize(textpage.raw, index)
                        x, y = ctypes.c_double(), ctypes.c_double()
                        if pdfium_c.FPDFText_GetCharOrigin(textpage.raw, index, ctypes.byref(x), ctypes.byref(y)):
                            baseline = y.value
                    segments.append(Line(x0, y0, x1, y1, text, number + 1, round(size, 1), baseline))
        finally:
            textpage.close()
        images = not segments and any(obj.type == IMAGE_OBJECT for obj in page.get_objects())
        height = page.get_size()[1]
    finally:
        page.close()
    lines = join_segments(segments)
    for line in lines:
        line.column = column(line, width)
        line.y0, line.y1, line.baseline = line.y0 / height, line.y1 / height, line.baseline / height  # as fractions of the page height
    return lines, images


def clean_text(text: str) -> str:
    """A segment's text with ligatures and other compatibility forms made plain (NFKC:
    "ﬁ" is "fi"), line ends made spaces, and soft hyphens dropped but at its end, where
    :func:`joined` looks for them."""
    text = unicodedata.normalize("NFKC", text.replace("\r", "").replace("\n", " "))
    body, end = text[:-1], text[-1:]
    for hyphen in SOFT_HYPHENS:
        body = body.replace(hyphen, "")
    return body + end


def join_segments(segments: List[Line]) -> List[Line]:
    """Segments on one baseline and near each other as lines, top down, left to right."""
    lines: List[Line] = []
    for segment in sorted(segments, key=lambda s: (-round(s.baseline, 0), s.x0)):
        last = lines[-1] if lines else None
        overlap = min(last.y1, segment.y1) - max(last.y0, segment.y0) if last else 0.0
        if last and overlap > 0.5 * min(last.height, segment.height) and 0 <= segment.x0 - last.x1 < 1.5 * max(segment.height, 1.0):
            space = "" if last.text.endswith(" ") or segment.x0 - last.x1 < 0.15 * segment.height else " "
            last.text, last.x1 = last.text + space + segment.text, segment.x1
            last.y0, last.y1 = min(last.y0, segment.y0), max(last.y1, segment.y1)
        else:
            lines.append(segment)
    return lines


def column(line: Line, width: float) -> str:
    middle = width / 2
    if line.x1 <= middle + 0.02 * width:
        return "left"
    if line.x0 >= middle - 0.02 * width:
        return "right"
    return "full"


def shape(text: str) -> str:
    """A margin line's text without its digits and white space, to find it on other pages."""
    return re.sub(r"[\d\s]+", "", text.lower())


def drop_running_lines(pages: List[List[Line]]) -> None:
    """Remove page numbers and the running heads and feet that repeat on other pages."""

    def in_margin(line: Line) -> bool:
        return line.y1 > 1 - MARGIN or line.y0 < MARGIN

    seen = Counter(key for lines in pages for key in {shape(line.text) for line in lines if in_margin(line)})
    for lines in pages:
        lines[:] = [
            line for line in lines if not (in_margin(line) and (PAGE_NUMBER.match(line.text.strip()) or (seen[shape(line.text)] > 1 and len(pages) > 1)))
        ]


def reading_order(lines: List[Line]) -> List[Line]:
    """A page's lines in reading order: regions between full-width lines, the left
    column of each before its right column."""
    ordered: List[Line] = []
    region: List[Line] = []
    for line in lines:  # top down
        if line.column == "full":
            ordered += [x for x in region if x.column == "left"] + [x for x in region if x.column == "right"]
            region = []
            ordered.append(line)
        else:
            region.append(line)
    return ordered + [x for x in region if x.column == "left"] + [x for x in region if x.column == "right"]


def joined(text: str, line: str) -> str:
    """Two lines of one paragraph joined; a word broken at a hyphen made whole."""
    text = text.rstrip()
    if text.endswith(SOFT_HYPHENS):
        return text[:-1] + line.lstrip()
    if re.search(r"[a-z]-$", text) and line[:1].islower():
        return text[:-1] + line.lstrip()
    return f"{text} {line.lstrip()}"


def build(path: Path, document: Document, lines: List[Line]) -> None:
    """Cut the ordered lines into paragraphs and add them to ``document``."""
    if not lines:
        return
    body_size = median(line.size for line in lines)
    pitches = [a.baseline - b.baseline for a, b in zip(lines, lines[1:]) if a.page == b.page and a.column == b.column and a.baseline > b.baseline]
    gap = 1.4 * sorted(pitches)[len(pitches) // 4] if pitches else 0.05  # the pitch of body lines: the lower quartile
    largest = max((line.size for line in lines if line.page == 1), default=0.0)
    paragraphs: List[List[Line]] = [[lines[0]]]
    for before, line in zip(lines, lines[1:]):
        moved = before.page != line.page or before.column != line.column
        new = (moved and before.text.rstrip().endswith(SENTENCE_END)) or (not moved and before.baseline - line.baseline > gap)
        new = new or abs(line.size - before.size) > 0.1 * body_size
        if new:
            paragraphs.append([line])
        else:
            paragraphs[-1].append(line)
    section, kind, title = "", "body", None
    for number, group in enumerate(paragraphs):
        text = group[0].text
        for line in group[1:]:
            text = joined(text, line.text)
        text = normalize(text)[0]
        page = group[0].page
        large = group[0].size > 1.15 * body_size
        if title is None and page == 1 and large and group[0].size >= largest and number < 3:
            title = document.title = text
            document.add(text, "title", page=page, position=f"{path}, page {page}")
            continue
        if text.lower().rstrip(".: ") == "abstract" or text.lower().startswith("abstract"):
            section, kind = "Abstract", "abstract"
            text = re.sub(r"^abstract[.:\s]*", "", text, flags=re.I)
        elif len(group) == 1 and len(text) < 90 and not text.endswith(".") and (large or HEADING.match(text) or SECTION_NAMES.match(text)):
            section, kind = text, "body"
            continue
        small = group[0].size < 0.85 * body_size and group[0].baseline < FOOT
        paragraph_kind = "caption" if CAPTION.match(text) else "footnote" if small else kind
        document.add(text, paragraph_kind, section, page=page, position=f"{path}, page {page}")
