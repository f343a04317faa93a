"""The dynamics audit (``spacy_somd.training.dynamics.audit``): ranking, figures,
threshold and the sieve's ids and lines."""

import csv
import json
import math
import struct
from pathlib import Path

import pytest

from spacy_somd.pipeline.dynamics import FAKE_LABEL
from spacy_somd.training.dynamics.audit import CSV_COLUMNS, run_audit
from tests.builders.dynamics import BINARY, FAKE_RELATION_LABELS, RELATION_ROWS, write_margins

CATEGORY_ROWS = [("c0", 1, 1, [1, 2]), ("c1", 2, 0, [-1, -2]), ("c2", 3, 1, [4, 4])]


def png_size(path: Path) -> tuple:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def test_run_audit_writes_ranking_figures_and_threshold(tmp_path):
    path = tmp_path / "dynamics.jsonl"
    write_margins(path, [("rel", "relation", FAKE_RELATION_LABELS, RELATION_ROWS), ("cat", "category", BINARY, CATEGORY_ROWS)])
    out = tmp_path / "audit"
    out.mkdir()
    (out / "sieve.json").write_text("{}")  # stale, from an earlier audit with a percentile
    result = run_audit(path, out)
    assert not (out / "sieve.json").exists() and result.sieved is None
    with (out / "aum_ranking.csv").open(encoding="utf-8", newline="") as file:
        rows = list(csv.DictReader(file))
    assert tuple(rows[0]) == CSV_COLUMNS
    relation_order = ["t0", "r0", "t1", "t2", "t3", "r1", "r2", "r3", "t4", "r4", "r5"]  # r0 and t1 tie: by id
    assert [(r["kind"], r["id"], r["rank"]) for r in rows] == [("relation", i, str(rank)) for rank, i in enumerate(relation_order, 1)] + [
        ("category", "c1", "1"),
        ("category", "c0", "2"),
        ("category", "c2", "3"),
    ]
    by_id = {r["id"]: r for r in rows}
    assert float(by_id["r0"]["aum"]) == -2.0 and by_id["r0"]["line"] == "1"
    assert by_id["r0"]["assigned_label"] == "Version_of" and by_id["t0"]["assigned_label"] == FAKE_LABEL
    assert by_id["r0"]["text"] == "text 1" and by_id["r0"]["description"] == "relation r0"
    assert by_id["r4"]["epochs"] == "1" and by_id["r5"]["epochs"] == "2"
    assert [r["id"] for r in rows if r["flagged"] == "True"] == ["r0", "r1", "r2"]
    assert [r["id"] for r in rows if r["is_threshold_sample"] == "True"] == ["t0", "t1", "t2", "t3", "t4"]
    for column in ("aum", "confidence", "variability"):
        assert all(math.isfinite(float(r[column])) for r in rows)
    threshold = json.loads((out / "threshold.json").read_text())
    assert threshold["threshold_percentile"] == 99.0
    assert [(g["kind"], g["instances"], g["threshold_samples"], g["flagged"]) for g in threshold["groups"]] == [("relation", 11, 5, 3), ("category", 3, 0, 0)]
    assert threshold["groups"][0]["threshold"] == pytest.approx(0.96) and threshold["groups"][1]["threshold"] is None
    for name in ("data_map.png", "aum_histogram.png"):
        width, height = png_size(out / name)
        assert 1000 <= width <= 3000 and 400 <= height <= 2000  # two panels side by side
        assert (out / name).stat().st_size > 20_000
    assert result.rows() == [("rel", "relation", 11, 5, 2, "0.96", 3, "-"), ("cat", "category", 3, 0, 2, "-", 0, "-")]


def test_run_audit_sieve_lists_ids_and_lines(tmp_path):
    path = tmp_path / "dynamics.jsonl"
    write_margins(path, [("rel", "relation", FAKE_RELATION_LABELS, RELATION_ROWS), ("cat", "category", BINARY, CATEGORY_ROWS)])
    result = run_audit(path, tmp_path / "audit", percentile=50)
    sieve = json.loads((tmp_path / "audit" / "sieve.json").read_text())
    assert sieve["percentile"] == 50
    assert [(r["kind"], r["id"], r["line"]) for r in sieve["removed"]] == [
        ("relation", "r0", 1),
        ("relation", "r1", 2),
        ("relation", "r2", 2),
        ("category", "c1", 2),
        ("category", "c0", 1),
    ]
    assert sieve["lines"] == [1, 2]
    assert [(g["removed"], g["of"]) for g in sieve["groups"]] == [(3, 6), (2, 3)]  # 1.5 rounds up to 2
    assert [row[-1] for row in result.rows()] == [3, 2]
    assert [f.name for f in result.files if f.is_file()] == ["aum_ranking.csv", "data_map.png", "aum_histogram.png", "threshold.json", "sieve.json"]
