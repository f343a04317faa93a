"""The dynamics recorder (``spacy_somd.pipeline.dynamics``): its JSONL, buffering, shared
files, shape checks, and the threshold samples."""

import gc
import json
from pathlib import Path
from typing import List

import numpy
import pytest

from spacy_somd.pipeline.dynamics import DynamicsRecorder, Instance, is_threshold_sample
from spacy_somd.training.dynamics.analysis import read_dynamics
from tests.builders.dynamics import BINARY, LN2, LN3, RELATION_LABELS


def instance(id_: str, line: int = 1) -> Instance:
    return Instance(id_, line, f"sentence of {id_}", f"description of {id_}")


def read_jsonl(path: Path) -> List[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


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
    assert [r["type"] for r in records] == ["labels", "instance", "instance", "logits", "instance", "logits", "logits", "logits"]
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
    assert [(r["ids"], r["epochs"]) for r in logits_records] == [(["a", "b"], [0, 0]), (["b", "c"], [1, 0]), (["c", "a"], [1, 1]), (["b"], [2])]
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
    assert [(g.component, g.kind, g.epochs.tolist()) for g in groups] == [("rel", "relation", [2]), ("cat", "category", [2])]
    assert [g.aum.tolist() for g in groups] == [[2.0], [1.0]]
    relations.reset()
    relations.record("rel", "relation", RELATION_LABELS, [instance("a")], numpy.array([[3.0, 1.0, 0.0]]), [0])
    relations.flush()
    assert read_jsonl(path)[-1]["epochs"] == [0]


def test_recorder_rejects_mismatched_shapes(tmp_path):
    recorder = DynamicsRecorder(tmp_path / "dynamics.jsonl")
    with pytest.raises(ValueError, match="shape"):
        recorder.record("rel", "relation", RELATION_LABELS, [instance("a")], numpy.zeros((1, 2)), [0])


def test_is_threshold_sample_is_deterministic_and_takes_the_fraction():
    ids = [f"{i}:7:3" for i in range(12)]
    # values computed in another process: the hash is not Python's salted hash()
    assert [is_threshold_sample(i, 0.5, 0) for i in ids] == [False, False, False, True, True, True, False, False, False, True, True, False]
    assert [is_threshold_sample(i, 0.5, 1) for i in ids] != [is_threshold_sample(i, 0.5, 0) for i in ids]
    many = [f"{line}:{head}:{tail}" for line in range(100) for head in range(10) for tail in range(10)]
    assert sum(is_threshold_sample(i, 0.1, 0) for i in many) / len(many) == pytest.approx(0.1, abs=0.01)
    assert not any(is_threshold_sample(i, 0.0, 0) for i in ids)
    assert all(is_threshold_sample(i, 1.0, 0) for i in ids)
    with pytest.raises(ValueError):
        is_threshold_sample("x", 1.5, 0)
