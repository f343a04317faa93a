"""Training dynamics: the recorder's JSONL, margins/AUM/confidence/variability on
hand-worked logits, the fake-class threshold, the sieve and the audit's outputs."""

import csv
import gc
import json
import math
import struct
from pathlib import Path
from typing import List, Sequence

import numpy
import pytest

from spacy_somd.pipeline.dynamics import FAKE_LABEL, DynamicsRecorder, Instance, is_threshold_sample
from spacy_somd.training.dynamics.analysis import (
    DynamicsFormatError,
    assigned_probabilities,
    aum_threshold,
    lowest_count,
    margins,
    mean_and_std,
    read_dynamics,
)
from spacy_somd.training.dynamics.audit import CSV_COLUMNS, run_audit

LN2, LN3, LN4 = math.log(2), math.log(3), math.log(4)
RELATION_LABELS = ["Version_of", "Developer_of", "NO_RELATION"]
BINARY = ["absent", "present"]


def instance(id_: str, line: int = 1) -> Instance:
    return Instance(id_, line, f"sentence of {id_}", f"description of {id_}")


def read_jsonl(path: Path) -> List[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_hand_worked_margins_probabilities_and_statistics():
    # Instance 0, assigned label 1, two epochs:
    #   [0, ln3, 0]:   margin ln3 - 0 = ln3;   p = 3 / (1 + 3 + 1) = 0.6
    #   [ln2, 0, ln2]: margin 0 - ln2 = -ln2;  p = 1 / (2 + 1 + 2) = 0.2
    #   AUM = (ln3 - ln2) / 2; confidence = 0.4; variability = sqrt((0.2² + 0.2²) / 2) = 0.2
    # Instance 1 (binary [absent=0, present=z]): assigned present with z = ln4, then absent:
    #   margins ln4 and -ln4 (AUM 0); p = 4/5 and 1/5 (confidence 0.5, variability 0.3)
    # Instance 2, a tie [2, 2, 1] with assigned label 0: margin 0, p = e²/(2e² + e)
    logits = numpy.array([[0, LN3, 0], [LN2, 0, LN2], [0, LN4, -50], [0, LN4, -50], [2, 2, 1]])
    assigned = numpy.array([1, 1, 1, 0, 0])
    owner = numpy.array([0, 0, 1, 1, 2])
    assert margins(logits, assigned) == pytest.approx([LN3, -LN2, LN4, -LN4, 0.0])
    tie = math.exp(2) / (2 * math.exp(2) + math.exp(1))
    assert assigned_probabilities(logits, assigned) == pytest.approx([0.6, 0.2, 0.8, 0.2, tie])
    aum, _ = mean_and_std(owner, margins(logits, assigned), 3)
    confidence, variability = mean_and_std(owner, assigned_probabilities(logits, assigned), 3)
    assert aum == pytest.approx([(LN3 - LN2) / 2, 0.0, 0.0])
    assert confidence == pytest.approx([0.4, 0.5, tie])
    assert variability == pytest.approx([0.2, 0.3, 0.0])  # population std, not sample std


def test_recorder_round_trip_counts_epochs(tmp_path):
    path = tmp_path / "sub" / "dynamics.jsonl"
    recorder = DynamicsRecorder(path)
    recorder.reset()
    a, b, c = instance("a", 3), instance("b", 5), instance("c", 5)
    calls = [
        ([a, b], [[0, LN3, 0], [1, 0, 0]], [1, 0]),
        ([b, c], [[0, 2, 0], [0, 0, 1]], [0, 2]),
        ([c, a], [[0, 0, 3], [LN2, 0, LN2]], [2, 1]),
        ([b], [[1, 0, 0]], [0]),
    ]
    for items, logits, assigned in calls:
        recorder.record("rel", "relation", RELATION_LABELS, items, numpy.array(logits, dtype="float32"), assigned)
    recorder.flush()
    records = read_jsonl(path)
    assert [r["type"] for r in records] == [
        "labels",
        "instance",
        "instance",
        "logits",
        "instance",
        "logits",
        "logits",
        "logits",
    ]
    assert records[0]["labels"] == RELATION_LABELS
    assert records[1] == {
        "type": "instance",
        "component": "rel",
        "kind": "relation",
        "id": "a",
        "line": 3,
        "text": "sentence of a",
        "description": "description of a",
    }
    logits_records = [r for r in records if r["type"] == "logits"]
    assert [(r["ids"], r["epochs"]) for r in logits_records] == [
        (["a", "b"], [0, 0]),
        (["b", "c"], [1, 0]),
        (["c", "a"], [1, 1]),
        (["b"], [2]),
    ]
    assert logits_records[0]["logits"][0] == [0.0, round(LN3, 4), 0.0]  # rounded to LOGIT_DECIMALS
    (group,) = read_dynamics(path)
    assert [i.id for i in group.instances] == ["a", "b", "c"]
    assert group.assigned == ["Developer_of", "Version_of", "NO_RELATION"]
    assert group.epochs.tolist() == [2, 3, 2]
    assert group.aum[0] == pytest.approx((LN3 - LN2) / 2, abs=1e-4)
    assert group.confidence[0] == pytest.approx(0.4, abs=1e-4)
    assert group.variability[0] == pytest.approx(0.2, abs=1e-4)
    assert group.aum[1] == pytest.approx((1 - 2 + 1) / 3, abs=1e-4)


def test_disabled_recorder_does_nothing(tmp_path):
    recorder = DynamicsRecorder(None)
    assert not recorder.enabled
    recorder.reset()
    recorder.record("rel", "relation", RELATION_LABELS, [instance("a")], "not even an array", [7])
    recorder.flush()
    assert list(tmp_path.iterdir()) == []


def test_recorder_buffers_and_flushes_when_collected(tmp_path):
    path = tmp_path / "dynamics.jsonl"
    recorder = DynamicsRecorder(path)
    recorder.reset()
    recorder.record("cat", "category", BINARY, [instance("a")], numpy.array([[0.0, 1.5]]), [1])
    assert path.read_text() == ""  # buffered
    del recorder
    gc.collect()
    assert [r["type"] for r in read_jsonl(path)] == ["labels", "instance", "logits"]
    small = DynamicsRecorder(path, buffer_chars=1)
    small.reset()
    small.record("cat", "category", BINARY, [instance("a")], numpy.array([[0.0, 1.5]]), [1])
    assert len(read_jsonl(path)) == 3  # written at once, after reset emptied the file


def test_recorders_share_a_file_and_reset_restarts_epochs(tmp_path):
    path = tmp_path / "dynamics.jsonl"
    path.write_text("stale content from an earlier run\n")
    relations, categories = DynamicsRecorder(path), DynamicsRecorder(path)
    for recorder in (relations, categories):
        recorder.reset()
    for _ in range(2):
        relations.record("rel", "relation", RELATION_LABELS, [instance("a")], numpy.array([[3.0, 1.0, 0.0]]), [0])
        relations.flush()
        categories.record("cat", "category", BINARY, [instance("a")], numpy.array([[0.0, -1.0]]), [0])
        categories.flush()
    groups = read_dynamics(path)
    assert [(g.component, g.kind, g.epochs.tolist()) for g in groups] == [
        ("rel", "relation", [2]),
        ("cat", "category", [2]),
    ]
    assert [g.aum.tolist() for g in groups] == [[2.0], [1.0]]
    relations.reset()
    relations.record("rel", "relation", RELATION_LABELS, [instance("a")], numpy.array([[3.0, 1.0, 0.0]]), [0])
    relations.flush()
    assert read_jsonl(path)[-1]["epochs"] == [0]


def test_recorder_rejects_mismatched_shapes(tmp_path):
    recorder = DynamicsRecorder(tmp_path / "dynamics.jsonl")
    with pytest.raises(ValueError, match="shape"):
        recorder.record("rel", "relation", RELATION_LABELS, [instance("a")], numpy.zeros((1, 2)), [0])


def test_aum_threshold_is_a_percentile_of_threshold_samples():
    threshold_aums = numpy.array([1.0, -3.0, 0.0, -1.0, -2.0])
    # sorted: -3 -2 -1 0 1; the 99th percentile sits at position 0.99 * 4 = 3.96: 0 + 0.96 * 1
    assert aum_threshold(threshold_aums, 99.0) == pytest.approx(0.96)
    assert aum_threshold(threshold_aums, 50.0) == pytest.approx(-1.0)
    assert aum_threshold(numpy.array([]), 99.0) is None
    with pytest.raises(ValueError):
        aum_threshold(threshold_aums, 101.0)


def write_margins(path: Path, groups: Sequence[tuple]) -> None:
    """Record instances whose logits are the margin at the assigned label and 0 elsewhere,
    so that each instance's AUM is the mean of its margins. ``groups`` holds
    ``(component, kind, labels, [(id, line, assigned index, [margin per epoch])])``."""
    recorder = DynamicsRecorder(path)
    recorder.reset()
    for component, kind, labels, rows in groups:
        for epoch in range(max(len(m) for *_, m in rows)):
            live = [row for row in rows if epoch < len(row[3])]
            logits = numpy.zeros((len(live), len(labels)))
            for k, (_, _, assigned, values) in enumerate(live):
                logits[k, assigned] = values[epoch]
            items = [Instance(id_, line, f"text {line}", f"{kind} {id_}") for id_, line, _, _ in live]
            recorder.record(component, kind, labels, items, logits, [row[2] for row in live])
    recorder.flush()


FAKE_RELATION_LABELS = RELATION_LABELS + [FAKE_LABEL]
# Threshold samples' AUMs -3, -2, -1, 0, 1 (threshold 0.96 at the 99th percentile);
# instances' AUMs -2, 0.5, 0.95, 0.97, 2, 3 (r4 seen in one epoch only).
RELATION_ROWS = [(f"t{k}", 10 + k, 3, [m, m]) for k, m in enumerate([-3, -2, -1, 0, 1])] + [
    ("r0", 1, 0, [-3, -1]),
    ("r1", 2, 1, [0.5, 0.5]),
    ("r2", 2, 2, [0.9, 1.0]),
    ("r3", 4, 0, [0.97, 0.97]),
    ("r4", 5, 1, [2]),
    ("r5", 6, 0, [3, 3]),
]
CATEGORY_ROWS = [("c0", 1, 1, [1, 2]), ("c1", 2, 0, [-1, -2]), ("c2", 3, 1, [4, 4])]


def test_fake_class_threshold_flags_instances_below_it(tmp_path):
    path = tmp_path / "dynamics.jsonl"
    write_margins(path, [("rel", "relation", FAKE_RELATION_LABELS, RELATION_ROWS)])
    (group,) = read_dynamics(path)
    assert group.threshold == pytest.approx(0.96)
    flagged = {group.instances[i].id for i in numpy.flatnonzero(group.flagged)}
    assert flagged == {"r0", "r1", "r2"}  # not t0..t4, though their AUMs are lower
    (half,) = read_dynamics(path, threshold_percentile=50.0)
    assert half.threshold == pytest.approx(-1.0)
    assert {half.instances[i].id for i in numpy.flatnonzero(half.flagged)} == {"r0"}


def test_sieve_removes_the_lowest_percent_of_non_threshold_instances(tmp_path):
    assert [lowest_count(10, p) for p in (0, 10, 20, 25, 100)] == [0, 1, 2, 3, 10]
    path = tmp_path / "dynamics.jsonl"
    write_margins(path, [("rel", "relation", FAKE_RELATION_LABELS, RELATION_ROWS)])
    (group,) = read_dynamics(path)
    assert [group.instances[i].id for i in group.lowest(50)] == ["r0", "r1", "r2"]  # 50% of 6
    assert group.lowest(0) == []


def test_is_threshold_sample_is_deterministic_and_takes_the_fraction():
    ids = [f"{i}:7:3" for i in range(12)]
    # values computed in another process: the hash is not Python's salted hash()
    assert [is_threshold_sample(i, 0.5, 0) for i in ids] == [
        False,
        False,
        False,
        True,
        True,
        True,
        False,
        False,
        False,
        True,
        True,
        False,
    ]
    assert [is_threshold_sample(i, 0.5, 1) for i in ids] != [is_threshold_sample(i, 0.5, 0) for i in ids]
    many = [f"{line}:{head}:{tail}" for line in range(100) for head in range(10) for tail in range(10)]
    assert sum(is_threshold_sample(i, 0.1, 0) for i in many) / len(many) == pytest.approx(0.1, abs=0.01)
    assert not any(is_threshold_sample(i, 0.0, 0) for i in ids)
    assert all(is_threshold_sample(i, 1.0, 0) for i in ids)
    with pytest.raises(ValueError):
        is_threshold_sample("x", 1.5, 0)


def png_size(path: Path) -> tuple:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def test_run_audit_writes_ranking_figures_and_threshold(tmp_path):
    path = tmp_path / "dynamics.jsonl"
    write_margins(
        path,
        [
            ("rel", "relation", FAKE_RELATION_LABELS, RELATION_ROWS),
            ("cat", "category", BINARY, CATEGORY_ROWS),
        ],
    )
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
    assert [(g["kind"], g["instances"], g["threshold_samples"], g["flagged"]) for g in threshold["groups"]] == [
        ("relation", 11, 5, 3),
        ("category", 3, 0, 0),
    ]
    assert threshold["groups"][0]["threshold"] == pytest.approx(0.96) and threshold["groups"][1]["threshold"] is None
    for name in ("data_map.png", "aum_histogram.png"):
        width, height = png_size(out / name)
        assert 1000 <= width <= 3000 and 400 <= height <= 2000  # two panels side by side
        assert (out / name).stat().st_size > 20_000
    assert result.rows() == [
        ("rel", "relation", 11, 5, 2, "0.96", 3, "-"),
        ("cat", "category", 3, 0, 2, "-", 0, "-"),
    ]


def test_run_audit_sieve_lists_ids_and_lines(tmp_path):
    path = tmp_path / "dynamics.jsonl"
    write_margins(
        path,
        [
            ("rel", "relation", FAKE_RELATION_LABELS, RELATION_ROWS),
            ("cat", "category", BINARY, CATEGORY_ROWS),
        ],
    )
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
    assert [f.name for f in result.files if f.is_file()] == [
        "aum_ranking.csv",
        "data_map.png",
        "aum_histogram.png",
        "threshold.json",
        "sieve.json",
    ]


GOOD = [
    '{"type": "labels", "component": "rel", "kind": "relation", "labels": ["A", "B"]}',
    '{"type": "instance", "component": "rel", "kind": "relation", "id": "x", "line": 1, "text": "t", "description": "d"}',
    '{"type": "logits", "component": "rel", "kind": "relation", "ids": ["x"], "epochs": [0], "assigned": [0], "logits": [[1.0, 0.0]]}',
]


@pytest.mark.parametrize(
    "bad, problem",
    [
        ('{"type": "logits", "component": "rel"', "not valid JSON"),
        ('{"type": "margins", "component": "rel", "kind": "relation"}', "unknown record type"),
        (GOOD[2].replace("[[1.0, 0.0]]", "[[1.0, 0.0, 2.0]]"), "logit rows of 2 values"),
        (GOOD[2].replace('"epochs": [0]', '"epochs": [2]'), "epoch 2 of 'x' follows 1 earlier"),
        (
            GOOD[2].replace('"epochs": [0], "assigned": [0]', '"epochs": [1], "assigned": [1]'),
            "assigned 'B' here but 'A' before",
        ),
        (GOOD[2].replace('"assigned": [0]', '"assigned": [5]'), "outside 0..1"),
        (GOOD[2].replace('["x"]', '["y"]'), "before its instance record"),
        (GOOD[2].replace("1.0", "NaN"), "not valid JSON"),
        (GOOD[1], "recorded twice"),
        (GOOD[0].replace('["A", "B"]', '["A"]'), "at least two labels"),
    ],
)
def test_malformed_dynamics_file_names_file_and_line(tmp_path, bad, problem):
    path = tmp_path / "dynamics.jsonl"
    path.write_text("\n".join(GOOD + [bad]) + "\n", encoding="utf-8")
    with pytest.raises(DynamicsFormatError, match=problem) as err:
        run_audit(path, tmp_path / "audit")
    assert err.value.line == 4 and str(err.value).startswith(f"{path}, line 4: ")


def test_aum_matches_the_aum_package():
    """The reference AUMCalculator (ASAPP's `aum`) gives the same AUMs on random logits."""
    torch = pytest.importorskip("torch")
    aum_package = pytest.importorskip("aum")
    rng = numpy.random.default_rng(0)
    logits, assigned = rng.normal(size=(40, 5)), rng.integers(0, 5, size=40)
    owner = numpy.repeat(numpy.arange(8), 5)
    ours, _ = mean_and_std(owner, margins(logits, assigned), 8)
    calculator = aum_package.AUMCalculator(save_dir="unused")
    records = calculator.update(torch.tensor(logits), torch.tensor(assigned), [int(i) for i in owner])
    assert ours == pytest.approx([records[i].aum for i in range(8)])
