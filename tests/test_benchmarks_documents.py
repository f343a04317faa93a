"""benchmarks/documents.py: its generated JATS, TEI and PDF articles are read whole, and
its table replaces the README's Documents section, the other sections kept."""

import argparse
import importlib.util
import random

from spacy_somd.documents import Document, read_documents
from tests.builders import ROOT


def load():
    spec = importlib.util.spec_from_file_location("documents_benchmark", ROOT / "benchmarks" / "documents.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_generated_articles_are_read_whole(tmp_path):
    bench = load()
    counts = {}
    for name, write in (("jats", bench.write_jats), ("tei", bench.write_tei), ("pdf", bench.write_pdfs)):
        folder = tmp_path / name
        folder.mkdir()
        write(folder, 2, 6, random.Random(0))
        documents = list(read_documents(folder))
        assert all(isinstance(d, Document) for d in documents) and len(documents) == 2
        counts[name] = [len(d.paragraphs) for d in documents]
    assert counts["jats"] == [8, 8] and counts["tei"] == [7, 7]  # title, abstract (JATS), 3 sections of 2
    assert counts["pdf"] == [7, 7]  # the title and 6 paragraphs


def test_the_table_replaces_the_readme_section(tmp_path):
    bench = load()
    readme = tmp_path / "README.md"
    readme.write_text("# Benchmarks\n\n## Documents\n\nold\n\n## Annotate\n\nkept\n", encoding="utf-8")
    args = argparse.Namespace(documents=2, paragraphs=6)
    bench.write_section(readme, bench.table_lines([("JATS", 2, 16, "0.01", "200.0", "1600", "", "", "")]), args, None)
    text = readme.read_text(encoding="utf-8")
    assert "old" not in text and "## Annotate\n\nkept\n" in text and "| JATS | 2 | 16 |" in text
