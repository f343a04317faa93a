"""Documents the document tests read, built by the tests: a JATS article, a GROBID TEI
document, a Softcite-like teiCorpus with inline ``<rs>`` mentions, and PDFs written with
fpdf2 (two columns with a running head, page numbers and a word broken at a hyphen; an
encrypted one; one of an image without text)."""

from pathlib import Path
from typing import List, Optional, Sequence, Tuple

JATS = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE article PUBLIC "-//NLM//DTD JATS (Z39.96) Journal Archiving and Interchange DTD v1.2 20190208//EN" "JATS-archivearticle1.dtd">
<article xmlns:xlink="http://www.w3.org/1999/xlink" article-type="research-article">
  <front>
    <journal-meta><journal-title-group><journal-title>J Tests</journal-title></journal-title-group></journal-meta>
    <article-meta>
      <article-id pub-id-type="pmid">123</article-id>
      <article-id pub-id-type="pmc">4750616</article-id>
      <title-group><article-title>Counting cells with <italic>ImageJ</italic></article-title></title-group>
      <abstract><p>We counted cells with ImageJ and   SPSS.</p></abstract>
    </article-meta>
  </front>
  <body>
    <sec><title>Methods</title>
      <p>Images were processed with ImageJ 1.52 (<ext-link xlink:href="https://imagej.nih.gov">https://imagej.nih.gov</ext-link>) [<xref ref-type="bibr" rid="r1">1</xref>].
        <fig id="f1"><label>Figure 1</label><caption><p>Cells counted in ImageJ.</p></caption><graphic xlink:href="f1.jpg"/></fig></p>
      <sec><title>Statistics</title>
        <p>Statistics used SPSS version 22 (IBM).<disp-formula>x = y</disp-formula></p>
        <p/>
      </sec>
    </sec>
    <table-wrap id="t1"><caption><title>Table 1</title><p>Versions of the software.</p></caption>
      <table><tr><td>SPSS</td><td>22</td></tr></table>
      <table-wrap-foot><fn><p>Licensed by the university.</p></fn></table-wrap-foot></table-wrap>
  </body>
  <back>
    <ack><p>We thank the Stata users.</p></ack>
    <ref-list><ref id="r1"><mixed-citation>Schneider CA. NIH Image to ImageJ. 2012.</mixed-citation></ref></ref-list>
  </back>
</article>
"""

TEI_DOCUMENT = """<?xml version="1.0" encoding="UTF-8"?>
<TEI xmlns="http://www.tei-c.org/ns/1.0">
  <teiHeader>
    <fileDesc>
      <titleStmt><title level="a" type="main">Software in ecology</title></titleStmt>
      <sourceDesc><biblStruct><idno type="DOI">10.1/eco.1</idno></biblStruct></sourceDesc>
    </fileDesc>
    <profileDesc><abstract><div><p>We used R for everything.</p></div></abstract></profileDesc>
  </teiHeader>
  <text>
    <body>
      <div><head n="1">Introduction</head><p>Ecologists use R and <ref type="bibr">[3]</ref> QGIS.</p></div>
      <div><head n="2">Methods</head><p>Maps were drawn in QGIS 3.4.</p>
        <figure><head>Figure 1.</head><figDesc>A map drawn with QGIS.</figDesc></figure>
        <note place="foot" n="1">QGIS is free software.</note></div>
    </body>
    <back><listBibl><biblStruct><analytic><title>QGIS manual</title></analytic></biblStruct></listBibl></back>
  </text>
</TEI>
"""


def tei_corpus(documents: Sequence[Tuple[str, Sequence[str]]]) -> str:
    """A Softcite-like ``<teiCorpus>`` of ``<TEI>`` documents, each an (id, paragraphs)
    pair whose paragraphs are TEI markup (``<rs>`` elements inline)."""
    parts = ['<teiCorpus xmlns="http://www.tei-c.org/ns/1.0"><teiHeader><fileDesc><titleStmt><title>Corpus</title></titleStmt></fileDesc></teiHeader>']
    for doc_id, paragraphs in documents:
        body = "".join(f"<p>{p}</p>\n" for p in paragraphs)
        parts.append(
            f'<TEI xmlns="http://www.tei-c.org/ns/1.0">\n<teiHeader>\n<fileDesc xml:id="{doc_id}">\n<titleStmt><title>Title of {doc_id}</title></titleStmt>\n'
            f"</fileDesc>\n</teiHeader>\n<text><body>\n{body}</body></text>\n</TEI>\n"
        )
    return "\n".join(parts) + "</teiCorpus>\n"


SOFTCITE_PARAGRAPHS = [
    (
        "PMC1",
        [
            'Data were kept in an <rs type="software" xml:id="PMC1-software-0">Excel</rs> sheet '
            '(<rs corresp="#PMC1-software-0" type="publisher">Microsoft</rs>,\n   Redmond, WA).',
            'Analyses used <rs type="software" xml:id="PMC1-software-1">SAS</rs> (version <rs corresp="#PMC1-software-1" type="version">9.1</rs>).',
        ],
    ),
    (
        "PMC2",
        [
            'We used <rs type="software">Stata</rs> and <rs type="software" xml:id="PMC2-software-0">Fiji</rs> (<rs corresp="#PMC2-software-0" type="url">http://fiji.sc</rs>).'
        ],
    ),
]

LEFT = [
    "Methods",
    "We analysed the images with the ImageJ",
    "software and counted the cells in every",
    "field. The statistical analy-",
    "sis used SPSS version 22 throughout.",
]
RIGHT = ["Results", "Stata 15.1 gave the same estimates as", "SPSS did for all the models we fitted."]


def write_pdf(
    path: Path,
    pages: int = 2,
    title: Optional[str] = "Software in two columns",
    left: List[str] = LEFT,
    right: List[str] = RIGHT,
    user_password: Optional[str] = None,
    image_page: bool = False,
    footnote: Optional[str] = None,
) -> Path:
    """A two-column PDF of ``pages`` pages: a running head and a page number on each page,
    ``title`` in large type on page 1, the ``left`` lines in the left column and ``right``
    in the right one (each line a line of the PDF, a blank-like gap after the first: a
    heading). With ``user_password``, encrypted; with ``image_page``, a last page that is
    an image without text; with ``footnote``, a line of small type low on page 1."""
    from fpdf import FPDF

    pdf = FPDF(unit="pt", format="A4")
    pdf.set_auto_page_break(False)
    for number in range(1, pages + 1):
        pdf.add_page()
        pdf.set_font("helvetica", size=8)
        pdf.text(40, 30, "Journal of Software Tests 12 (2026) 1-9")
        pdf.text(290, 815, str(number))
        y = 80.0
        if number == 1 and title:
            pdf.set_font("helvetica", size=18)
            pdf.text(40, y, title)
            y += 40
        for lines, x in ((left, 40), (right, 310)):
            pdf.set_font("helvetica", size=10)
            line_y = y
            for i, line in enumerate(lines):
                pdf.text(x, line_y, line.replace("{page}", str(number)))
                line_y += 24 if i == 0 else 12
        if number == 1 and footnote:
            pdf.set_font("helvetica", size=7)
            pdf.text(40, 740, footnote)
    if image_page:
        pdf.add_page()
        pdf.image(make_image(), x=50, y=50, w=200)
    if user_password:
        pdf.set_encryption(owner_password="owner", user_password=user_password)
    pdf.output(str(path))
    return path


def write_image_pdf(path: Path) -> Path:
    """A PDF of one page holding an image and no text (a scan)."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.image(make_image(), x=10, y=10, w=100)
    pdf.output(str(path))
    return path


def make_image():  # type: ignore[no-untyped-def]
    """A small grey image (PIL) standing for a scanned page."""
    from PIL import Image

    return Image.new("RGB", (40, 60), (120, 120, 120))


NOTES_TEXT = "We used SPSS 22 (IBM).\nIt ran on Windows.\n\n\nImages went through ImageJ (NIH).\n"


def write_article_folder(folder: Path) -> Path:
    """A folder of mixed documents: a JATS article, a GROBID TEI document, a two-column
    PDF and a text file."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "a_jats.xml").write_text(JATS, encoding="utf-8")
    (folder / "b_grobid.tei.xml").write_text(TEI_DOCUMENT, encoding="utf-8")
    write_pdf(folder / "c_paper.pdf")
    (folder / "d_notes.txt").write_text(NOTES_TEXT, encoding="utf-8")
    return folder
