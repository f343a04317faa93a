"""JATS and TEI readers: structure (kinds, sections, ids), the Softcite corpus's inline
mentions with exact offsets, and malformed XML answered with file and line."""

from pathlib import Path

from spacy_somd.documents import Document, Rejected, read_documents
from spacy_somd.documents.tei import read_tei
from tests.builders.documents import JATS, TEI_DOCUMENT, tei_corpus


def paragraphs(document: Document):
    return [(p.kind, p.section, p.text) for p in document.paragraphs]


def test_a_jats_article_is_read_with_its_structure(tmp_path):
    path = tmp_path / "a.nxml"
    path.write_text(JATS, encoding="utf-8")
    (document,) = read_documents(path)
    assert isinstance(document, Document)
    assert (document.id, document.title) == ("PMC4750616", "Counting cells with ImageJ")
    assert paragraphs(document) == [
        ("title", "", "Counting cells with ImageJ"),
        ("abstract", "Abstract", "We counted cells with ImageJ and SPSS."),
        ("body", "Methods", "Images were processed with ImageJ 1.52 (https://imagej.nih.gov) [1]."),
        ("caption", "Methods", "Cells counted in ImageJ."),
        ("body", "Statistics", "Statistics used SPSS version 22 (IBM)."),
        ("caption", "", "Table 1 Versions of the software."),
        ("footnote", "", "Licensed by the university."),
        ("body", "Acknowledgements", "We thank the Stata users."),
    ]
    assert [p.index for p in document.paragraphs] == list(range(8))
    assert document.paragraphs[2].position == f"{path}, line 15"


def test_a_grobid_tei_document_is_read_with_its_structure(tmp_path):
    path = tmp_path / "b.tei.xml"
    path.write_text(TEI_DOCUMENT, encoding="utf-8")
    (document,) = read_documents(path)
    assert document.id == "10.1/eco.1"
    assert paragraphs(document) == [
        ("title", "", "Software in ecology"),
        ("abstract", "Abstract", "We used R for everything."),
        ("body", "Introduction", "Ecologists use R and [3] QGIS."),
        ("body", "Methods", "Maps were drawn in QGIS 3.4."),
        ("caption", "Methods", "Figure 1. A map drawn with QGIS."),
        ("footnote", "Methods", "QGIS is free software."),
    ]


def test_the_softcite_corpus_gives_a_document_per_tei_with_its_mentions(softcite_file):
    documents = list(read_tei(softcite_file))
    assert [d.id for d in documents] == ["PMC1", "PMC2"]
    first = documents[0].paragraphs[1]
    assert first.text == "Data were kept in an Excel sheet (Microsoft, Redmond, WA)."
    spans = [(first.text[a.start : a.end], a.type, a.id, a.corresp) for a in first.annotations]
    assert spans == [("Excel", "software", "PMC1-software-0", None), ("Microsoft", "publisher", None, "PMC1-software-0")]
    second = documents[1].paragraphs[1]
    spans = [(second.text[a.start : a.end], a.type, a.id, a.corresp) for a in second.annotations]
    assert spans == [("Stata", "software", None, None), ("Fiji", "software", "PMC2-software-0", None), ("http://fiji.sc", "url", None, "PMC2-software-0")]


def test_a_mention_across_a_line_break_keeps_exact_offsets(tmp_path):
    path = tmp_path / "c.xml"
    path.write_text(tei_corpus([("D", ['Run in  <rs type="software" xml:id="s">Graph\n   Pad  Prism</rs>\n (<rs corresp="#s" type="version">8</rs>).'])]))
    (document,) = read_tei(path)
    paragraph = document.paragraphs[1]
    assert paragraph.text == "Run in Graph Pad Prism (8)."
    assert [paragraph.text[a.start : a.end] for a in paragraph.annotations] == ["Graph Pad Prism", "8"]


def test_malformed_xml_keeps_the_documents_before_it_and_names_file_and_line(tmp_path):
    text = tei_corpus([("PMC1", ["Good text with SPSS."]), ("PMC2", ["Broken <rs type='software'>text</p>"])])
    path = tmp_path / "broken.xml"
    path.write_text(text, encoding="utf-8")
    read = list(read_documents(path))
    assert [d.id for d in read if isinstance(d, Document)] == ["PMC1"]
    (rejected,) = [d for d in read if isinstance(d, Rejected)]
    line = text[: text.index("Broken")].count("\n") + 1
    assert rejected.position == f"{path}, line {line}"
    assert rejected.reason.startswith("malformed XML: Opening and ending tag mismatch")


def test_an_xml_id_that_is_no_ncname_loses_nothing(tmp_path):
    path = tmp_path / "doi.xml"
    path.write_text(tei_corpus([("10.1%2Fabc", ["Text with R."]), ("PMC2", ["More text."])]), encoding="utf-8")
    assert [d.id for d in read_tei(path)] == ["10.1%2Fabc", "PMC2"]


def test_an_empty_article_and_an_unknown_xml_are_rejects(tmp_path):
    empty = tmp_path / "empty.xml"
    empty.write_text("<article><front><article-meta/></front><body><p> </p></body></article>", encoding="utf-8")
    other = tmp_path / "other.xml"
    other.write_text("<?xml version='1.0'?>\n<!-- a comment --><html><p>x</p></html>", encoding="utf-8")
    assert [(r.position, r.reason) for r in read_documents(empty)] == [(f"{empty}, line 1", "empty document: no paragraph with text")]
    assert [r.reason for r in read_documents(other)] == ["XML whose root element is <html>, neither JATS (<article>) nor TEI (<TEI>, <teiCorpus>)"]


def test_documents_are_freed_as_they_are_read(tmp_path):
    """The reader yields the first document before it has read the whole file."""
    path = tmp_path / "many.xml"
    path.write_text(tei_corpus([(f"D{i}", ["Text."]) for i in range(3)]) + "<broken", encoding="utf-8")
    read = read_tei(Path(path))
    assert next(read).id == "D0"
