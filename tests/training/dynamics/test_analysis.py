"""Training-dynamics analysis (``spacy_somd.training.dynamics.analysis``): margins, AUM,
confidence and variability on hand-worked logits, the fake-class threshold, the sieve,
malformed files, agreement with the aum package."""

import math

import numpy
import pytest

from spacy_somd.training.dynamics.analysis import DynamicsFormatError, assigned_probabilities, aum_threshold, lowest_count, margins, mean_and_std, read_dynamics
from spacy_somd.training.dynamics.audit import run_audit
from tests.builders.dynamics import FAKE_RELATION_LABELS, LN2, LN3, LN4, RELATION_ROWS, write_margins


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


def test_aum_threshold_is_a_percentile_of_threshold_samples():
    threshold_aums = numpy.array([1.0, -3.0, 0.0, -1.0, -2.0])
    # sorted: -3 -2 -1 0 1; the 99th percentile sits at position 0.99 * 4 = 3.96: 0 + 0.96 * 1
    assert aum_threshold(threshold_aums, 99.0) == pytest.approx(0.96)
    assert aum_threshold(threshold_aums, 50.0) == pytest.approx(-1.0)
    assert aum_threshold(numpy.array([]), 99.0) is None
    with pytest.raises(ValueError):
        aum_threshold(threshold_aums, 101.0)


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
        (GOOD[2].replace('"epochs": [0], "assigned": [0]', '"epochs": [1], "assigned": [1]'), "assigned 'B' here but 'A' before"),
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
