"""Analysing training dynamics: read a dynamics file (see :mod:`.recording`) and compute
each instance's area under the margin (AUM, Pleiss et al. 2020) and its data-map confidence
and variability (Swayamdipta et al. 2020), and the fake-class threshold.

The ``aum`` package's ``AUMCalculator`` computes the same AUMs (the tests check this), but
it is not used here: it needs torch tensors, loops over samples in Python, fails on a batch
of one sample, and has no confidence, variability, threshold or sieve; the recorder has to
keep the logits for the data map anyway.
"""

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Tuple, Union

import numpy

from spacy_somd.corpus.format import SomdFormatError
from spacy_somd.pipeline.dynamics import FAKE_LABEL, RECORD_TYPES, Instance


def margins(logits: numpy.ndarray, assigned: numpy.ndarray) -> numpy.ndarray:
    """Per row: the assigned label's logit minus the largest other logit."""
    rows = numpy.arange(len(logits))
    others = numpy.array(logits, dtype=numpy.float64)
    others[rows, assigned] = -numpy.inf
    return logits[rows, assigned] - others.max(axis=1)


def assigned_probabilities(logits: numpy.ndarray, assigned: numpy.ndarray) -> numpy.ndarray:
    """Per row: the softmax probability of the assigned label."""
    exp = numpy.exp(logits - logits.max(axis=1, keepdims=True))
    return exp[numpy.arange(len(logits)), assigned] / exp.sum(axis=1)


def mean_and_std(owner: numpy.ndarray, values: numpy.ndarray, n: int) -> Tuple[numpy.ndarray, numpy.ndarray]:
    """Per owner index ``0..n-1``: the mean and the population standard deviation of its values."""
    counts = numpy.bincount(owner, minlength=n)
    mean = numpy.bincount(owner, values, minlength=n) / counts
    var = numpy.bincount(owner, (values - mean[owner]) ** 2, minlength=n) / counts
    return mean, numpy.sqrt(var)


def aum_threshold(threshold_aums: numpy.ndarray, percentile: float = 99.0) -> Optional[float]:
    """The AUM threshold of Pleiss et al.: the ``percentile`` of the threshold samples' AUMs
    (linear interpolation); None without threshold samples."""
    _check_percentile(percentile)
    return float(numpy.percentile(threshold_aums, percentile)) if len(threshold_aums) else None


def lowest_count(n: int, percentile: float) -> int:
    """How many of ``n`` instances make up the lowest ``percentile`` percent (rounded half up)."""
    _check_percentile(percentile)
    return math.floor(n * percentile / 100 + 0.5)


def _check_percentile(percentile: float) -> None:
    if not 0.0 <= percentile <= 100.0:
        raise ValueError(f"percentile must be in [0, 100], not {percentile}")


@dataclass
class GroupDynamics:
    """The instances one component recorded under one kind, with their statistics:
    ``aum`` (mean margin), ``confidence`` and ``variability`` (mean and population std of
    the assigned label's probability), ``epochs`` (times recorded), the fake-class
    ``threshold`` (None without threshold samples) and ``flagged`` (non-threshold instances
    with AUM below it). Arrays are indexed like ``instances``."""

    component: str
    kind: str
    instances: List[Instance]
    assigned: List[str]
    aum: numpy.ndarray
    confidence: numpy.ndarray
    variability: numpy.ndarray
    epochs: numpy.ndarray
    threshold: Optional[float]

    @property
    def name(self) -> str:
        return f"{self.kind} ({self.component})"

    @property
    def is_threshold(self) -> numpy.ndarray:
        return numpy.array([label == FAKE_LABEL for label in self.assigned], dtype=bool)

    @property
    def flagged(self) -> numpy.ndarray:
        if self.threshold is None:
            return numpy.zeros(len(self.instances), dtype=bool)
        return ~self.is_threshold & (self.aum < self.threshold)

    def ranking(self) -> List[int]:
        """Instance indices by ascending AUM (ties by id)."""
        return sorted(range(len(self.instances)), key=lambda i: (self.aum[i], self.instances[i].id))

    def lowest(self, percentile: float) -> List[int]:
        """The non-threshold instances with the lowest AUMs, ``percentile`` percent of them."""
        is_threshold = self.is_threshold
        pool = [i for i in self.ranking() if not is_threshold[i]]
        return pool[: lowest_count(len(pool), percentile)]


class DynamicsFormatError(SomdFormatError):
    """A malformed dynamics file: names the file, the 1-based line and the problem."""


class _Bad(Exception):
    """A problem with the record being read; becomes a DynamicsFormatError."""


def _get(record: Dict[str, Any], name: str, kind: type) -> Any:
    value = record.get(name)
    if not isinstance(value, kind) or isinstance(value, bool):
        raise _Bad(f"field {name!r} is missing or not of type {kind.__name__}")
    return value


def _list_of(record: Dict[str, Any], name: str, kind: type) -> List[Any]:
    value = _get(record, name, list)
    if not all(isinstance(item, kind) and not isinstance(item, bool) for item in value):
        raise _Bad(f"field {name!r} must be a list of {kind.__name__} values")
    return value


class _Trace:
    """What one component recorded under one kind: instances and per-row statistics."""

    def __init__(self) -> None:
        self.labels: Optional[List[str]] = None
        self.index: Dict[str, int] = {}
        self.instances: List[Instance] = []
        self.assigned: List[Optional[str]] = []
        self.seen: List[int] = []
        self.owner: List[numpy.ndarray] = []
        self.margin: List[numpy.ndarray] = []
        self.probability: List[numpy.ndarray] = []

    def add_instance(self, record: Dict[str, Any]) -> None:
        instance = Instance(_get(record, "id", str), _get(record, "line", int), _get(record, "text", str), _get(record, "description", str))
        if instance.id in self.index:
            raise _Bad(f"instance {instance.id!r} is recorded twice")
        self.index[instance.id] = len(self.instances)
        self.instances.append(instance)
        self.assigned.append(None)
        self.seen.append(0)

    def add_logits(self, record: Dict[str, Any]) -> None:
        if self.labels is None:
            raise _Bad("logits before any labels record of this component and kind")
        ids = _list_of(record, "ids", str)
        epochs, assigned = _list_of(record, "epochs", int), _list_of(record, "assigned", int)
        try:
            logits = numpy.array(_get(record, "logits", list), dtype=numpy.float64)
        except (TypeError, ValueError):
            raise _Bad("'logits' must be rows of numbers") from None
        assigned_array = numpy.array(assigned, dtype=numpy.int64)
        if logits.shape != (len(ids), len(self.labels)) or len(epochs) != len(ids) or len(assigned) != len(ids):
            raise _Bad(f"expected {len(ids)} epochs, assigned labels and logit rows of {len(self.labels)} values")
        if not numpy.isfinite(logits).all():
            raise _Bad("a logit is not a finite number")
        if ((assigned_array < 0) | (assigned_array >= len(self.labels))).any():
            raise _Bad(f"an assigned label index is outside 0..{len(self.labels) - 1}")
        owner = numpy.array([self._check_row(*row) for row in zip(ids, epochs, assigned)], dtype=numpy.int64)
        self.owner.append(owner)
        self.margin.append(margins(logits, assigned_array))
        self.probability.append(assigned_probabilities(logits, assigned_array))

    def _check_row(self, id_: str, epoch: int, assigned: int) -> int:
        """Check one instance's row against what came before; return its instance index."""
        if id_ not in self.index:
            raise _Bad(f"logits of {id_!r} before its instance record")
        index = self.index[id_]
        if epoch != self.seen[index]:
            raise _Bad(f"epoch {epoch} of {id_!r} follows {self.seen[index]} earlier epoch(s)")
        label = self.labels[assigned]  # type: ignore[index]
        if self.assigned[index] not in (None, label):
            raise _Bad(f"{id_!r} is assigned {label!r} here but {self.assigned[index]!r} before")
        self.assigned[index] = label
        self.seen[index] += 1
        return index

    def summarise(self, component: str, kind: str, threshold_percentile: float) -> GroupDynamics:
        """The per-instance statistics of the instances that have logits."""
        keep = [i for i, seen in enumerate(self.seen) if seen]
        renumber = numpy.full(len(self.instances), -1, dtype=numpy.int64)
        renumber[keep] = numpy.arange(len(keep))
        owner = renumber[numpy.concatenate(self.owner)]
        aum, _ = mean_and_std(owner, numpy.concatenate(self.margin), len(keep))
        confidence, variability = mean_and_std(owner, numpy.concatenate(self.probability), len(keep))
        assigned = [self.assigned[i] or "" for i in keep]
        is_threshold = numpy.array([label == FAKE_LABEL for label in assigned], dtype=bool)
        return GroupDynamics(
            component,
            kind,
            [self.instances[i] for i in keep],
            assigned,
            aum,
            confidence,
            variability,
            numpy.array([self.seen[i] for i in keep]),
            aum_threshold(aum[is_threshold], threshold_percentile),
        )


def _records(path: Path) -> Iterator[Tuple[int, Dict[str, Any]]]:
    """The JSON objects of a JSONL file with their 1-based line numbers (blank lines skipped)."""

    def reject(constant: str) -> None:
        raise ValueError(f"{constant} is not a number")

    with path.open(encoding="utf-8") as file:
        for number, line in enumerate(file, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line, parse_constant=reject)
            except ValueError as err:
                raise DynamicsFormatError(path, number, f"not valid JSON ({err})") from None
            if not isinstance(record, dict):
                raise DynamicsFormatError(path, number, "a record must be a JSON object")
            yield number, record


def read_dynamics(path: Union[str, Path], threshold_percentile: float = 99.0) -> List[GroupDynamics]:
    """Stream a dynamics file and compute each component's and kind's instance statistics,
    with the AUM threshold at ``threshold_percentile`` of its threshold samples."""
    path = Path(path)
    _check_percentile(threshold_percentile)
    traces: Dict[Tuple[str, str], _Trace] = {}
    for number, record in _records(path):
        try:
            type_ = record.get("type")
            if type_ not in RECORD_TYPES:
                raise _Bad(f"unknown record type {type_!r} (expected one of {', '.join(RECORD_TYPES)})")
            trace = traces.setdefault((_get(record, "component", str), _get(record, "kind", str)), _Trace())
            if type_ == "labels":
                labels = _list_of(record, "labels", str)
                if len(labels) < 2:
                    raise _Bad("a margin needs at least two labels")
                trace.labels = labels
            elif type_ == "instance":
                trace.add_instance(record)
            else:
                trace.add_logits(record)
        except _Bad as err:
            raise DynamicsFormatError(path, number, str(err)) from None
    groups = [trace.summarise(component, kind, threshold_percentile) for (component, kind), trace in traces.items() if trace.owner]
    if not groups:
        raise ValueError(f"{path}: no logits recorded")
    return groups
