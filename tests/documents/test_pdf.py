"""PDF reading: two columns in reading order, words broken at a hyphen made whole,
running heads and page numbers dropped, a page per paragraph; PDFs that cannot be read
(encrypted, images only) are rejects, a page of images in a PDF with text a rejected
paragraph while the others are kept."""

from spacy_somd.documents import Document, Rejected, read_documents
from spacy_somd.documents.pdf import clean_text
from tests.builders.documents import write_image_pdf, write_pdf


def test_two_columns_are_read_in_order_without_running_heads_or_page_numbers(tmp_path):
    path = write_pdf(tmp_path / "paper.pdf", pages=2)
    (document,) = read_documents(path)
    assert isinstance(document, Document)
    assert (document.id, document.title) == ("paper.pdf", "Software in two columns")
    methods = "We analysed the images with the ImageJ software and counted the cells in every field. The statistical analysis used SPSS version 22 throughout."
    results = "Stata 15.1 gave the same estimates as SPSS did for all the models we fitted."
    assert [(p.kind, p.section, p.page, p.text) for p in document.paragraphs] == [
        ("title", "", 1, "Software in two columns"),
        ("body", "Methods", 1, methods),
        ("body", "Results", 1, results),
        ("body", "Methods", 2, methods),
        ("body", "Results", 2, results),
    ]
    assert document.paragraphs[3].position == f"{path}, page 2"
    text = " ".join(p.text for p in document.paragraphs)
    assert "Journal" not in text and " 1 " not in f" {text} " and "analy-" not in text


def test_an_encrypted_pdf_is_a_reject(tmp_path):
    path = write_pdf(tmp_path / "locked.pdf", user_password="secret")
    assert [(r.position, r.reason) for r in read_documents(path)] == [(str(path), "encrypted PDF (it needs a password)")]


def test_a_pdf_without_text_layer_is_a_reject(tmp_path):
    path = write_image_pdf(tmp_path / "scan.pdf")
    (rejected,) = read_documents(path)
    assert isinstance(rejected, Rejected)
    assert rejected.reason == "no text layer (a scanned or image-only PDF? run OCR first)"


def test_a_page_without_text_is_a_rejected_paragraph_and_the_others_are_kept(tmp_path):
    path = write_pdf(tmp_path / "mixed.pdf", pages=2, image_page=True)
    (document,) = read_documents(path)
    assert len(document.paragraphs) == 5
    assert [(r.position, r.reason, r.index) for r in document.rejected] == [(f"{path}, page 3", "no text layer on this page (an image only: scanned?)", 0)]


def test_a_file_that_is_no_pdf_is_a_reject(tmp_path):
    path = tmp_path / "fake.pdf"
    path.write_bytes(b"%PDF-1.7\nnot really")
    (rejected,) = read_documents(path)
    assert rejected.reason.startswith("not a readable PDF")


def test_small_type_low_on_a_page_is_a_footnote(tmp_path):
    path = write_pdf(tmp_path / "notes.pdf", pages=1, footnote="1 The files are at https://github.com/x/y.")
    (document,) = read_documents(path)
    kinds = [(p.kind, p.section) for p in document.paragraphs]
    assert kinds == [("body", ""), ("title", ""), ("body", "Methods"), ("footnote", "Methods"), ("body", "Results")]  # one page: the head stays
    assert document.paragraphs[3].text == "1 The files are at https://github.com/x/y."


def test_ligatures_are_plain_and_soft_hyphens_dropped_but_at_a_line_end():
    assert clean_text("The \ufb01les of Image\x02J were analy\x02") == "The files of ImageJ were analy\x02"
