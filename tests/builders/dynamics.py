"""Training-dynamics builders: labels, hand-worked margins and recorded JSONL files."""

import math
from pathlib import Path
from typing import Sequence

import numpy

from spacy_somd.pipeline.dynamics import FAKE_LABEL, DynamicsRecorder, Instance

LN2, LN3, LN4 = math.log(2), math.log(3), math.log(4)
RELATION_LABELS = ["Version_of", "Developer_of", "NO_RELATION"]
BINARY = ["absent", "present"]


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
