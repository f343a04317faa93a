"""Fixtures of the document tests: the documents of tests/builders/documents.py written
into a folder of the test."""

from pathlib import Path

import pytest

from tests.builders.documents import JATS, SOFTCITE_PARAGRAPHS, TEI_DOCUMENT, tei_corpus, write_pdf


@pytest.fixture
def article_folder(tmp_path) -> Path:
    """A folder of mixed documents: a JATS article, a GROBID TEI document, a two-column
    PDF and a text file."""
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "a_jats.xml").write_text(JATS, encoding="utf-8")
    (folder / "b_grobid.tei.xml").write_text(TEI_DOCUMENT, encoding="utf-8")
    write_pdf(folder / "c_paper.pdf")
    (folder / "d_notes.txt").write_text("We used SPSS 22 (IBM).\nIt ran on Windows.\n\n\nImages went through ImageJ.\n", encoding="utf-8")
    return folder


@pytest.fixture
def softcite_file(tmp_path) -> Path:
    path = tmp_path / "softcite.tei.xml"
    path.write_text(tei_corpus(SOFTCITE_PARAGRAPHS), encoding="utf-8")
    return path
