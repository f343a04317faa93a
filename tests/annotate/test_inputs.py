"""Inputs of `annotate` that are odd or broken: Parquet files by any suffix case, poison
records (each a counted reject with its reason), unreadable files (one line naming them)."""

from pathlib import Path
from typing import Any, Dict, List

import pytest

from spacy_somd.annotate.inputs import input_files
from spacy_somd.annotate.outputs import read_output
from spacy_somd.annotate.run import Settings, annotate_input
from tests.builders.annotate import good_rows

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
