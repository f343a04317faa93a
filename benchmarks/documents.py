"""Speed of the document input of `annotate` (run from the project folder):

    python benchmarks/documents.py [MODEL] --documents 20 --paragraphs 12 --readme benchmarks/README.md

writes DOCUMENTS generated articles of PARAGRAPHS body paragraphs each (sentences about
software drawn from a fixed set, with a title, an abstract and sections) as JATS XML
files, one TEI corpus file (a ``<teiCorpus>`` of ``<TEI>``) and two-column PDFs (fpdf2),
then measures for each format the extraction alone (``read_documents``: documents and
paragraphs per second) and, with MODEL, the annotation alone (the pipeline loaded once,
over the extracted paragraphs) and a whole ``annotate`` run (``annotate_input``: loading,
extraction, annotation and the passes over the output). Prints a markdown table and, with
``--readme``, writes it into that file's "Documents" section with the date, the machine
and the command."""

import argparse
import os
import platform
import random
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any, List, Optional, Tuple

SENTENCES = [
    "Images were analysed in ImageJ (version 1.52) and Fiji.",
    "Statistics used SPSS 22 (IBM, Armonk, NY).",
    "Models were fitted with the lme4 package in R 4.0.3.",
    "Maps were drawn in QGIS 3.4 and exported to PDF.",
    "All participants gave written informed consent.",
    "Samples were stored at -80 degrees until analysis.",
    "Reads were aligned with Bowtie2 and counted with HTSeq.",
    "The differences were tested with a two-sided t test.",
    "Figures were prepared with GraphPad Prism 8 (GraphPad Software).",
    "The code is available at https://github.com/example/tool.",
]
COLUMNS = (
    "format",
    "documents",
    "paragraphs",
    "extract s",
    "extract documents/s",
    "extract paragraphs/s",
    "annotate s",
    "annotate paragraphs/s",
    "run paragraphs/s",
)


def paragraphs(rng: random.Random, n: int) -> List[str]:
    return [" ".join(rng.choice(SENTENCES) for _ in range(rng.randint(3, 6))) for _ in range(n)]


def write_jats(folder: Path, n_documents: int, n_paragraphs: int, rng: random.Random) -> None:
    for d in range(n_documents):
        body = "".join(f"<sec><title>Section {s}</title>" + "".join(f"<p>{p}</p>" for p in paragraphs(rng, n_paragraphs // 3)) + "</sec>" for s in range(3))
        front = f'<front><article-meta><article-id pub-id-type="pmc">{d}</article-id><title-group><article-title>Article {d}</article-title></title-group>'
        front += f"<abstract><p>{paragraphs(rng, 1)[0]}</p></abstract></article-meta></front>"
        (folder / f"article{d:04d}.xml").write_text(f"<article>{front}<body>{body}</body></article>", encoding="utf-8")


def write_tei(folder: Path, n_documents: int, n_paragraphs: int, rng: random.Random) -> None:
    with (folder / "corpus.tei.xml").open("w", encoding="utf-8") as f:
        f.write('<teiCorpus xmlns="http://www.tei-c.org/ns/1.0">')
        for d in range(n_documents):
            text = "".join(f"<div><head>Section {s}</head>" + "".join(f"<p>{p}</p>" for p in paragraphs(rng, n_paragraphs // 3)) + "</div>" for s in range(3))
            f.write(f'<TEI><teiHeader><fileDesc xml:id="D{d}"><titleStmt><title>Article {d}</title></titleStmt></fileDesc></teiHeader>')
            f.write(f"<text><body>{text}</body></text></TEI>")
        f.write("</teiCorpus>")


def write_pdfs(folder: Path, n_documents: int, n_paragraphs: int, rng: random.Random) -> None:
    from fpdf import FPDF

    for d in range(n_documents):
        pdf = FPDF(unit="pt", format="A4")
        pdf.set_auto_page_break(False)
        pdf.add_page()
        pdf.set_font("helvetica", size=16)
        pdf.text(40, 60, f"Article {d}")
        pdf.set_font("helvetica", size=9)
        x, y = 40.0, 90.0
        for text in paragraphs(rng, n_paragraphs):
            pdf.set_xy(x, y)
            pdf.multi_cell(250, 11, text)
            y = pdf.get_y() + 8
            if y > 760:
                x, y = (310.0, 90.0) if x == 40.0 else (40.0, 90.0)
                if x == 40.0:
                    pdf.add_page()
                    pdf.set_font("helvetica", size=9)
        pdf.output(str(folder / f"paper{d:04d}.pdf"))


def measure(folder: Path, model: Optional[str], annotator: Any, work: Path) -> Tuple[int, int, float, Optional[float], Optional[float]]:
    """Documents and paragraphs read, the extraction's seconds, the annotation's (the
    loaded ``annotator`` over the paragraphs) and a whole run's (loading included)."""
    from spacy_somd.annotate.inputs import Record
    from spacy_somd.annotate.run import Settings, annotate_input
    from spacy_somd.documents import Document, read_documents

    start = time.perf_counter()
    documents = [d for d in read_documents(folder) if isinstance(d, Document)]
    extract = time.perf_counter() - start
    records = [Record(i, p.position, f"{d.id}#{p.index}", p.text) for i, (d, p) in enumerate((d, p) for d in documents for p in d.paragraphs)]
    annotate = run = None
    if model:
        start = time.perf_counter()
        assert len(list(annotator.annotate(records))) == len(records)
        annotate = time.perf_counter() - start
        start = time.perf_counter()
        annotate_input(model, folder, work / f"{folder.name}.jsonl", Settings(), lambda *args: None)
        run = time.perf_counter() - start
    return len(documents), len(records), extract, annotate, run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("model", nargs="?", help="A trained pipeline (a folder or a package): also time annotate runs")
    parser.add_argument("--documents", type=int, default=20)
    parser.add_argument("--paragraphs", type=int, default=12)
    parser.add_argument("--readme", type=Path, help="Write the table into this file's Documents section")
    args = parser.parse_args()
    rng = random.Random(0)
    rows: List[Tuple[object, ...]] = []
    annotator, load = None, None
    if args.model:
        from spacy_somd.annotate.annotator import Annotator

        start = time.perf_counter()
        annotator = Annotator(args.model, [])
        load = time.perf_counter() - start
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for name, write in (("JATS", write_jats), ("TEI", write_tei), ("PDF", write_pdfs)):
            folder = work / name.lower()
            folder.mkdir()
            write(folder, args.documents, args.paragraphs, rng)
            n_docs, n_paras, extract, annotate, run = measure(folder, args.model, annotator, work)
            rows.append(
                (
                    name,
                    n_docs,
                    n_paras,
                    f"{extract:.2f}",
                    f"{n_docs / extract:.1f}",
                    f"{n_paras / extract:.0f}",
                    f"{annotate:.1f}" if annotate is not None else "",
                    f"{n_paras / annotate:.1f}" if annotate else "",
                    f"{n_paras / run:.1f}" if run else "",
                )
            )
    table = table_lines(rows)
    print("\n".join(table))
    if args.readme:
        write_section(args.readme, table, args, load)


def table_lines(rows: List[Tuple[object, ...]]) -> List[str]:
    lines = ["| " + " | ".join(COLUMNS) + " |", "| --- |" + " ---: |" * (len(COLUMNS) - 1)]
    return lines + ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]


def write_section(readme: Path, table: List[str], args: argparse.Namespace, load: Optional[float]) -> None:
    """Replace (or add) the README's "## Documents" section."""
    command = "python benchmarks/documents.py " + " ".join(sys.argv[1:])
    machine = f"{platform.machine()}, {os.cpu_count()} cores, {platform.python_implementation()} {platform.python_version()}"
    loaded = (
        f" Annotate is the loaded pipeline over the extracted paragraphs (it loads in {load:.1f} s); run is a whole `annotate` run, loading included."
        if load is not None
        else ""
    )
    section = [
        "## Documents",
        "",
        f"`{command}` on {date.today().isoformat()} ({machine}; a shared machine: other work ran beside it).",
        f"Generated articles: {args.documents} per format of {args.paragraphs} body paragraphs of 3-6 sentences about software; "
        f"extraction is `read_documents`.{loaded}",
        "",
        *table,
        "",
    ]
    text = readme.read_text(encoding="utf-8") if readme.is_file() else "# Benchmarks\n"
    lines = text.splitlines()
    if "## Documents" in lines:
        start = lines.index("## Documents")
        end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
        lines[start:end] = section
    else:
        lines += ["", *section]
    readme.write_text("\n".join(lines).rstrip("\n") + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
