"""`annotate` on documents: a folder of a JATS article, a GROBID TEI document, a PDF and a
text file gives a record per paragraph with where it is and exact offsets; bad documents
are counted rejects; documents are fingerprinted for resuming."""

import json
from pathlib import Path
from typing import Any, Dict, List

import pytest
from typer.testing import CliRunner

from spacy_somd.annotate.documents import is_document_input
from spacy_somd.annotate.outputs import read_output
from spacy_somd.annotate.run import Settings, annotate_input
from spacy_somd.cli import app
from spacy_somd.documents import Document, read_documents
from tests.builders.documents import write_article_folder, write_pdf


def paragraphs_by_id(folder: Path) -> Dict[str, Any]:
    return {f"{d.id}#{p.index}": p for d in read_documents(folder) if isinstance(d, Document) for p in d.paragraphs}


def summary_of(output: Path) -> Dict[str, Any]:
    return json.loads(output.with_suffix(".summary.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("suffix", [".jsonl", ".parquet"])
def test_a_folder_of_four_kinds_of_documents_is_annotated_paragraph_by_paragraph(document_pipeline, tmp_path, suffix):
    if suffix == ".parquet":
        pytest.importorskip("pyarrow")
    folder = write_article_folder(tmp_path / "articles")
    output = tmp_path / f"out{suffix}"
    result = CliRunner().invoke(app, ["annotate", str(document_pipeline), str(folder), str(output), "--partition-size", "4"])
    assert result.exit_code == 0, result.output
    records = read_output(output)
    expected = paragraphs_by_id(folder)
    assert [r["id"] for r in records] == list(expected)
    assert {r["document"] for r in records} == {"PMC4750616", "10.1/eco.1", "c_paper.pdf", "d_notes.txt"}
    for record in records:
        paragraph = expected[record["id"]]
        assert (record["section"], record["paragraph"], record["kind"], record["page"]) == (paragraph.section, paragraph.index, paragraph.kind, paragraph.page)
        for entity in record["entities"]:
            assert paragraph.text[entity["start"] : entity["end"]] == entity["text"]
    pdf = [r for r in records if r["document"] == "c_paper.pdf"]
    assert [r["page"] for r in pdf] == [1, 1, 1, 2, 2]
    found = {(r["document"], e["text"]) for r in records for e in r["entities"]}
    assert {("PMC4750616", "SPSS"), ("10.1/eco.1", "QGIS"), ("c_paper.pdf", "Stata"), ("d_notes.txt", "ImageJ")} <= found
    summary = summary_of(output)
    assert summary["documents"] == {"read": 4, "annotated": 4, "rejected": 0}
    assert summary["paragraphs"] == {"read": len(expected), "annotated": len(expected), "rejected": 0}
    assert "consistency" not in summary and not any("propagated" in e for r in records for e in r["entities"])
    assert "documents: read 4 = annotated 4 + rejected 0" in result.output


def test_bad_documents_are_counted_rejects_and_the_good_ones_annotated(document_pipeline, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "good.txt").write_text("We used SPSS.\n", encoding="utf-8")
    write_pdf(folder / "locked.pdf", user_password="secret")
    write_pdf(folder / "scanned.pdf", pages=1, image_page=True)
    (folder / "latin.txt").write_bytes("caf\xe9 SPSS".encode("latin-1"))
    (folder / "paper.docx").write_bytes(b"PK")
    (folder / "broken.xml").write_text("<article>\n<body><p>SPSS</b></body></article>", encoding="utf-8")
    output = tmp_path / "out.jsonl"
    run_counts, total = annotate_input(str(document_pipeline), folder, output, Settings(), lambda *args: None)
    rejects = [json.loads(line) for line in output.with_suffix(".rejects.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [(r["position"], r["reason"]) for r in rejects] == [
        (f"{folder / 'broken.xml'}, line 2", "malformed XML: Opening and ending tag mismatch: p line 2 and b, line 2, column 18"),
        (str(folder / "latin.txt"), "not UTF-8 (invalid continuation byte at byte 4, line 1); convert it to UTF-8 first"),
        (str(folder / "locked.pdf"), "encrypted PDF (it needs a password)"),
        (str(folder / "paper.docx"), "unknown extension '.docx': documents are .xml (JATS, TEI), .tei, .pdf, .txt or .md"),
        (f"{folder / 'scanned.pdf'}, page 2", "no text layer on this page (an image only: scanned?)"),
    ]
    summary = summary_of(output)
    assert summary["documents"] == {"read": 6, "annotated": 2, "rejected": 4}
    paragraphs = summary["paragraphs"]
    assert paragraphs["read"] == paragraphs["annotated"] + paragraphs["rejected"] and paragraphs["rejected"] == 1
    assert summary["read"] == summary["annotated"] + summary["rejected"] == total.read
    (scanned,) = read_documents(folder / "scanned.pdf")
    assert [r["document"] for r in read_output(output)] == ["good.txt"] + ["scanned.pdf"] * len(scanned.paragraphs)


def test_a_run_of_rejects_only_exits_non_zero(document_pipeline, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "empty.txt").write_text("\n\n", encoding="utf-8")
    (folder / "sentences.csv").write_text("a,b\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["annotate", str(document_pipeline), str(folder), str(tmp_path / "out.jsonl")])
    assert result.exit_code == 1
    assert "nothing annotated: 2 records read, 2 rejected" in result.output


def test_a_text_file_is_read_as_a_document(document_pipeline, tmp_path):
    source = tmp_path / "sentences.txt"
    source.write_text("Images were analysed in ImageJ (NIH).\nWe used SPSS 22 throughout.\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["annotate", str(document_pipeline), str(source), str(tmp_path / "out.jsonl")])
    assert result.exit_code == 0, result.output
    (record,) = read_output(tmp_path / "out.jsonl")
    assert [e["text"] for e in record["entities"]] == ["ImageJ", "SPSS", "22"]


def test_a_rerun_resumes_and_an_edited_document_is_refused(document_pipeline, tmp_path):
    folder = write_article_folder(tmp_path / "articles")
    output = tmp_path / "out.jsonl"
    settings = Settings(partition_size=3)
    annotate_input(str(document_pipeline), folder, output, settings, lambda *args: None)
    whole = sorted((p.name, p.read_bytes()) for p in output.iterdir() if p.name.startswith("part-"))
    last = max(output.glob("_part-*.json"))
    last.unlink()
    (output / last.name[1:].replace(".json", ".jsonl")).unlink()
    (output / "_paragraphs.jsonl").rename(tmp_path / "staged")  # read again from the documents
    (output / "_documents.json").unlink()
    annotate_input(str(document_pipeline), folder, output, settings, lambda *args: None)
    assert sorted((p.name, p.read_bytes()) for p in output.iterdir() if p.name.startswith("part-")) == whole
    assert (output / "_paragraphs.jsonl").read_bytes() == (tmp_path / "staged").read_bytes()
    (folder / "d_notes.txt").write_text("Edited: we used Stata.\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["annotate", str(document_pipeline), str(folder), str(output), "--partition-size", "3"])
    assert result.exit_code == 1
    assert "the input's files (edited d_notes.txt)" in result.output


def entities_of(records: List[Dict[str, Any]], document: str):
    return [(r["paragraph"], e["text"], e.get("propagated", False)) for r in records if r["document"] == document for e in r["entities"]]


def test_consistency_propagates_names_and_drops_one_off_common_words(document_pipeline, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    text = "Stata was used for the models.\n\nThe image came from a camera, then we compared Stata output.\n\nNothing here.\n"
    (folder / "paper.txt").write_text(text, encoding="utf-8")
    plain = tmp_path / "plain.jsonl"
    annotate_input(str(document_pipeline), folder, plain, Settings(), lambda *args: None)
    assert entities_of(read_output(plain), "paper.txt") == [(0, "Stata", False), (1, "image", False)]
    output = tmp_path / "consistent.jsonl"
    annotate_input(str(document_pipeline), folder, output, Settings(consistency=True, partition_size=1), lambda *args: None)
    records = read_output(output)
    assert entities_of(records, "paper.txt") == [(0, "Stata", False), (1, "Stata", True)]
    assert [d["text"] for d in records[1]["dropped"]] == ["image"]
    propagated = records[1]["entities"][0]
    assert text.split("\n\n")[1][propagated["start"] : propagated["end"]] == "Stata"
    assert propagated["canonical"] == "Stata"
    summary = summary_of(output)
    assert summary["consistency"] == {"propagated": 1, "dropped": 1}
    assert summary["entities"] == {"Application": 2}
    before = [p.read_bytes() for p in sorted(output.glob("part-*"))]
    annotate_input(str(document_pipeline), folder, output, Settings(consistency=True, partition_size=1), lambda *args: None)
    assert [p.read_bytes() for p in sorted(output.glob("part-*"))] == before


def test_records_without_a_jsonl_extension_are_still_records(tmp_path):
    (tmp_path / "records").write_text('{"id": "a", "text": "SPSS"}\n', encoding="utf-8")
    (tmp_path / "notes.txt").write_text('{"id": "a", "text": "SPSS"}\n', encoding="utf-8")
    (tmp_path / "paper").write_text("We used SPSS.\n", encoding="utf-8")
    assert [is_document_input(tmp_path / name) for name in ("records", "notes.txt", "paper")] == [False, True, True]
    assert not is_document_input(tmp_path / "missing.jsonl")


def test_documents_on_ray_as_on_the_local_engine(document_pipeline, tmp_path, ray_cluster):
    folder = write_article_folder(tmp_path / "articles")
    write_pdf(folder / "e_locked.pdf", user_password="secret")
    _, local = annotate_input(str(document_pipeline), folder, tmp_path / "local.jsonl", Settings(partition_size=5, consistency=True), lambda *args: None)
    _, ray = annotate_input(
        str(document_pipeline), folder, tmp_path / "ray.jsonl", Settings(partition_size=5, consistency=True, engine="ray"), lambda *args: None
    )
    assert ray.to_dict() == local.to_dict() and ray.extra == local.extra and ray.rejected == 1
    assert read_output(tmp_path / "ray.jsonl") == read_output(tmp_path / "local.jsonl") != []
    for name in ("rejects.jsonl", "identities.tsv", "document-software.tsv"):
        assert (tmp_path / f"ray.{name}").read_text(encoding="utf-8") == (tmp_path / f"local.{name}").read_text(encoding="utf-8")


def test_consistency_is_refused_for_records(document_pipeline, tmp_path):
    source = tmp_path / "in.jsonl"
    source.write_text('{"id": "a", "text": "We used SPSS."}\n', encoding="utf-8")
    result = CliRunner().invoke(app, ["annotate", str(document_pipeline), str(source), str(tmp_path / "out.jsonl"), "--consistency"])
    assert result.exit_code == 1 and "--consistency is for documents" in result.output
    assert not (tmp_path / "out.jsonl").exists()
