"""Inputs of `annotate` that are odd or broken: Parquet files by any suffix case, poison
records (each a counted reject with its reason), unreadable files (one line naming them)."""

import io
import json
import re
from pathlib import Path
from typing import Any, Dict, List

import pytest
from typer.testing import CliRunner

from spacy_somd.annotate import inputs
from spacy_somd.annotate.inputs import InputError, input_files
from spacy_somd.annotate.outputs import read_output
from spacy_somd.annotate.run import Settings, annotate_input
from spacy_somd.cli import app
from tests.builders.annotate import good_rows, write_jsonl

pa = pytest.importorskip("pyarrow", reason="Parquet needs pyarrow")
pq = pytest.importorskip("pyarrow.parquet", reason="Parquet needs pyarrow")


def annotate(model: Path, source: Path, output: Path, **settings: Any):
    return annotate_input(str(model), source, output, Settings(**settings), lambda partition, counts, notes: None)


def write_parquet(path: Path, rows: List[Dict[str, Any]]) -> Path:
    pq.write_table(pa.Table.from_pylist(rows), path)
    return path


def test_parquet_files_are_read_by_suffix_whatever_its_case(rule_pipeline, tmp_path):
    rows = good_rows(6)
    folder = tmp_path / "in"
    folder.mkdir()
    for name, part in (("a.PARQUET", rows[:2]), ("b.parquet", rows[2:4]), ("c.pq", rows[4:])):
        write_parquet(folder / name, part)
    (folder / "notes.txt").write_text("not an input file", encoding="utf-8")
    assert [p.name for p in input_files(folder)] == ["a.PARQUET", "b.parquet", "c.pq"]
    _, total = annotate(rule_pipeline, folder, tmp_path / "out.jsonl")
    assert (total.read, total.annotated) == (6, 6)
    assert [r["id"] for r in read_output(tmp_path / "out.jsonl")] == [r["id"] for r in rows]
    _, total = annotate(rule_pipeline, folder / "c.pq", tmp_path / "one.jsonl")
    assert [r["id"] for r in read_output(tmp_path / "one.jsonl")] == ["doc4", "doc5"]


POISON = [
    ({"id": "lone", "text": "We used SPSS \ud800 22."}, "lone", "text not valid Unicode (a lone surrogate '\\ud800' at character 14)"),
    ({"id": "id\ud800", "text": "We used SPSS 22."}, None, "id not valid Unicode (a lone surrogate '\\ud800' at character 3)"),
    ('{"id": ' + "7" * 5000 + ', "text": "We used SPSS 22."}', None, "not JSON (Exceeds the limit (4300 digits) for integer string conversion)"),
    ('{"id": "deep", "text": ' + "[" * 100_000 + "]" * 100_000 + "}", None, "not JSON (nested too deeply)"),
]


@pytest.mark.parametrize("poison,id_,reason", POISON, ids=["surrogate-text", "surrogate-id", "5000-digit-id", "nested"])
def test_a_poison_record_is_a_counted_reject_and_the_others_are_annotated(rule_pipeline, tmp_path, poison, id_, reason):
    rows = [*good_rows(2), poison, *good_rows(4)[2:]]
    source = write_jsonl(tmp_path / "in.jsonl", rows)
    notes: List[str] = []
    _, total = annotate_input(str(rule_pipeline), source, tmp_path / "out.jsonl", Settings(partition_size=2), lambda p, c, lines: notes.extend(lines))
    assert (total.read, total.annotated, total.rejected) == (5, 4, 1)
    assert [r["id"] for r in read_output(tmp_path / "out.jsonl")] == ["doc0", "doc1", "doc2", "doc3"]
    (reject,) = [json.loads(line) for line in (tmp_path / "out.rejects.jsonl").read_text(encoding="utf-8").splitlines()]
    assert reject == {"position": f"{source}, line 3", "id": id_, "reason": reason}
    assert notes == [f"rejected: {source}, line 3: {reason}"]


def test_an_unreadable_parquet_file_is_one_line_naming_it(rule_pipeline, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    write_parquet(folder / "a.parquet", good_rows(2))
    (folder / "b.parquet").write_bytes(b"PAR1 and then not Parquet at all")
    with pytest.raises(InputError, match=r"^\S*b.parquet: not a readable Parquet file \(Parquet magic bytes not found"):
        annotate(rule_pipeline, folder, tmp_path / "out.jsonl")
    result = CliRunner().invoke(app, ["annotate", str(rule_pipeline), str(folder), str(tmp_path / "out.jsonl")])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.stderr.strip().splitlines() == [
        f"✘ {folder / 'b.parquet'}: not a readable Parquet file (Parquet magic bytes not found in footer. Either the file is corrupted or this is not a parquet file.)"
    ]


def test_poison_records_are_rejects_on_ray_as_on_the_local_engine(rule_pipeline, tmp_path, ray_cluster):
    rows = [*good_rows(2), *(poison for poison, _, _ in POISON), *good_rows(4)[2:]]
    source = write_jsonl(tmp_path / "in.jsonl", rows)
    _, local = annotate(rule_pipeline, source, tmp_path / "local.jsonl", partition_size=3)
    _, ray = annotate(rule_pipeline, source, tmp_path / "ray.jsonl", partition_size=3, engine="ray")
    assert ray.to_dict() == local.to_dict() and (ray.annotated, ray.rejected) == (4, 4)
    assert read_output(tmp_path / "ray.jsonl") == read_output(tmp_path / "local.jsonl") != []
    assert (tmp_path / "ray.rejects.jsonl").read_text(encoding="utf-8") == (tmp_path / "local.rejects.jsonl").read_text(encoding="utf-8")


def test_a_run_that_annotates_nothing_exits_non_zero(rule_pipeline, tmp_path):
    source = write_jsonl(tmp_path / "in.jsonl", [{"id": "a"}, {"text": "no id"}, "not json"])
    output = tmp_path / "out.jsonl"
    result = CliRunner().invoke(app, ["annotate", str(rule_pipeline), str(source), str(output)])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "read 3 records = annotated 0 + rejected 3" in result.stdout
    assert result.stderr.strip().splitlines() == [
        f"✘ {source}: nothing annotated: 3 records read, 3 rejected (their reasons in {tmp_path / 'out'}.rejects.jsonl)"
    ]
    assert len((tmp_path / "out.rejects.jsonl").read_text(encoding="utf-8").splitlines()) == 3


def test_a_parquet_file_without_the_columns_is_one_line_naming_them(rule_pipeline, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    write_parquet(folder / "a.parquet", good_rows(2))
    write_parquet(folder / "b.parquet", [{"doc_id": "x", "body": "We used SPSS."}] * 3)
    output = tmp_path / "out.jsonl"
    result = CliRunner().invoke(app, ["annotate", str(rule_pipeline), str(folder), str(output)])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.stderr.strip().splitlines() == [f"✘ {folder / 'b.parquet'}: a Parquet input needs the columns id and text; its columns are doc_id, body"]
    assert not output.exists() and not (tmp_path / "out.rejects.jsonl").exists()


def write_encoded(path: Path, rows: List[Dict[str, Any]], encoding: str, ending: str = "\n", bom: bytes = b"") -> Path:
    path.write_bytes(bom + "".join(json.dumps(r, ensure_ascii=False) + ending for r in rows).encode(encoding))
    return path


@pytest.mark.parametrize("encoding,name", [("utf-16", "UTF-16"), ("utf-16-be", "UTF-16"), ("utf-32", "UTF-32"), ("utf-16-le", "NUL bytes")])
def test_a_utf16_or_utf32_jsonl_file_is_refused_with_one_line_naming_it(rule_pipeline, tmp_path, encoding, name):
    bom = b"\xfe\xff" if encoding == "utf-16-be" else b""  # Python writes the BOM of "utf-16" and "utf-32" itself
    source = write_encoded(tmp_path / "in.jsonl", good_rows(3), encoding, bom=bom)
    output = tmp_path / "out.jsonl"
    with pytest.raises(InputError, match=f"^{re.escape(str(source))} (is|holds) {name}"):
        annotate(rule_pipeline, source, output)
    result = CliRunner().invoke(app, ["annotate", str(rule_pipeline), str(source), str(output)])
    assert result.exit_code == 1 and "Traceback" not in result.output
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(f"✘ {source} ") and line.endswith("annotate reads UTF-8 JSONL"), line
    assert not output.exists()


def test_a_utf8_byte_order_mark_does_not_cost_the_first_record(rule_pipeline, tmp_path):
    source = write_encoded(tmp_path / "in.jsonl", good_rows(3), "utf-8", bom=b"\xef\xbb\xbf")
    _, total = annotate(rule_pipeline, source, tmp_path / "out.jsonl", partition_size=2)
    assert (total.read, total.annotated, total.rejected) == (3, 3, 0)
    assert [r["id"] for r in read_output(tmp_path / "out.jsonl")] == ["doc0", "doc1", "doc2"]


@pytest.mark.parametrize("ending", ["\r", "\r\n", "mixed"])
def test_each_record_counts_whatever_its_line_end(rule_pipeline, tmp_path, ending):
    rows = good_rows(5)
    if ending == "mixed":
        data = "".join(json.dumps(r) + end for r, end in zip(rows, ["\r", "\n", "\r\n", "\r", ""]))
        source = tmp_path / "in.jsonl"
        source.write_bytes(data.encode("utf-8"))
    else:
        source = write_encoded(tmp_path / "in.jsonl", rows, "utf-8", ending=ending)
    _, total = annotate(rule_pipeline, source, tmp_path / "out.jsonl", partition_size=2)
    assert (total.read, total.annotated, total.rejected) == (5, 5, 0)
    assert [r["id"] for r in read_output(tmp_path / "out.jsonl")] == [r["id"] for r in rows]


def test_line_ends_split_across_chunks_are_found(monkeypatch):
    monkeypatch.setattr(inputs, "CHUNK", 3)
    data = b'{"a": 1}\r\n{"b": 2}\r{"c": 3}\n\r\n{"d": 4}\r'
    assert list(inputs.split_lines(io.BytesIO(data))) == [b'{"a": 1}\r\n', b'{"b": 2}\r', b'{"c": 3}\n', b"\r\n", b'{"d": 4}\r']
    assert list(inputs.split_lines(io.BytesIO(b"no end"))) == [b"no end"]
