"""The dispatch over a folder of mixed files, plain text and Markdown, and the files that
are answered with a reject: unknown extension, empty document, text that is not UTF-8."""

from spacy_somd.documents import Document, Rejected, read_documents


def test_a_folder_of_mixed_files_gives_each_its_reader(article_folder):
    (article_folder / ".hidden.txt").write_text("left out", encoding="utf-8")
    (article_folder / "sub").mkdir()
    read = list(read_documents(article_folder))
    assert all(isinstance(d, Document) for d in read)
    assert [d.id for d in read] == ["PMC4750616", "10.1/eco.1", "c_paper.pdf", "d_notes.txt"]
    notes = read[3]
    assert [(p.index, p.kind, p.text, p.position) for p in notes.paragraphs] == [
        (0, "body", "We used SPSS 22 (IBM). It ran on Windows.", f"{article_folder / 'd_notes.txt'}, line 1"),
        (1, "body", "Images went through ImageJ (NIH).", f"{article_folder / 'd_notes.txt'}, line 5"),
    ]


def test_markdown_headings_are_sections_and_code_is_left_out(tmp_path):
    path = tmp_path / "readme.md"
    path.write_text(
        "# Our tool\n\nIt wraps **SciPy**.\n\n## Install\n\n```\npip install x\n```\n\nSee [the docs](https://x.org) and `numpy`.\n", encoding="utf-8"
    )
    (document,) = read_documents(path)
    assert [(p.kind, p.section, p.text) for p in document.paragraphs] == [
        ("title", "", "Our tool"),
        ("body", "", "It wraps SciPy."),
        ("body", "Install", "See the docs (https://x.org) and numpy."),
    ]


def test_bad_files_are_rejects_with_their_reason(tmp_path):
    (tmp_path / "a.docx").write_bytes(b"PK\x03\x04")
    (tmp_path / "b.txt").write_text(" \n\n \t\n", encoding="utf-8")
    (tmp_path / "c.txt").write_bytes("line one\nline two caf\xe9\n".encode("latin-1"))
    (tmp_path / "d.md").write_bytes(b"")
    read = list(read_documents(tmp_path))
    assert all(isinstance(r, Rejected) for r in read)
    assert [(r.position, r.reason) for r in read] == [
        (str(tmp_path / "a.docx"), "unknown extension '.docx': documents are .xml (JATS, TEI), .tei, .pdf, .txt or .md"),
        (str(tmp_path / "b.txt"), "empty document: no text"),
        (str(tmp_path / "c.txt"), "not UTF-8 (invalid continuation byte at byte 22, line 2); convert it to UTF-8 first"),
        (str(tmp_path / "d.md"), "empty document: no text"),
    ]


def test_a_pdf_without_its_extension_is_found_by_its_first_bytes(tmp_path, article_folder):
    source = (article_folder / "c_paper.pdf").read_bytes()
    (tmp_path / "paper").write_bytes(source)
    (document,) = read_documents(tmp_path / "paper")
    assert document.title == "Software in two columns"


def test_without_the_documents_extra_the_plugin_imports_and_an_xml_file_names_what_to_install(tmp_path):
    """lxml and pypdfium2 are an extra: the command line and text documents work without
    them, and an XML document says what to install (a subprocess without lxml)."""
    import subprocess
    import sys

    (tmp_path / "a.xml").write_text("<article><body><p>x</p></body></article>", encoding="utf-8")
    (tmp_path / "b.txt").write_text("We used SPSS.", encoding="utf-8")
    code = f"""
import sys
sys.modules["lxml"] = None
import spacy_somd.cli
from spacy_somd.documents.read import MissingExtra, read_file
from pathlib import Path
print(len(list(read_file(Path({str(tmp_path / "b.txt")!r})))))
try:
    list(read_file(Path({str(tmp_path / "a.xml")!r})))
except MissingExtra as err:
    print(err)
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["1", "XML documents need lxml (pip install 'spacy-somd[documents]')"]
