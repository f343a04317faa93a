"""Fixtures of the document tests: the documents of tests/builders/documents.py written
into a folder of the test."""

from pathlib import Path

import pytest

from tests.builders.documents import SOFTCITE_PARAGRAPHS, tei_corpus, write_article_folder


@pytest.fixture
def article_folder(tmp_path) -> Path:
    """A folder of mixed documents: a JATS article, a GROBID TEI document, a two-column
    PDF and a text file."""
    return write_article_folder(tmp_path / "articles")


@pytest.fixture
def softcite_file(tmp_path) -> Path:
    path = tmp_path / "softcite.tei.xml"
    path.write_text(tei_corpus(SOFTCITE_PARAGRAPHS), encoding="utf-8")
    return path
