"""Recording training dynamics: per-instance logits appended during ``spacy train``.

A trainable component calls :meth:`DynamicsRecorder.record` from its ``update`` with the
logits of the instances it trained on. The recorder appends JSON lines to one file (several
components may share it); three record types, each a JSON object with a ``type``:

- ``{"type": "labels", "component", "kind", "labels": [str, ...]}``: the label columns of the
  logits that follow for this component and kind; written again when they change.
- ``{"type": "instance", "component", "kind", "id", "line", "text", "description"}``: written
  the first time an instance id is seen.
- ``{"type": "logits", "component", "kind", "ids": [str], "epochs": [int], "assigned": [int],
  "logits": [[float, ...], ...]}``: one per ``record`` call; ``epochs[i]`` is how many times
  ``ids[i]`` was recorded before, ``assigned[i]`` the index of its assigned (gold) label.

Threshold samples (Pleiss et al.'s fake class) are instances whose assigned label is
:data:`FAKE_LABEL`; components pick them with :func:`is_threshold_sample`.
"""

import hashlib
import json
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import numpy
from thinc.api import to_numpy

FAKE_LABEL = "__THRESHOLD_SAMPLE__"
LOGIT_DECIMALS = 4
RECORD_TYPES = ("labels", "instance", "logits")


@dataclass(frozen=True)
class Instance:
    """One training instance: a relation between two entities, or one category of a sentence."""

    id: str
    line: int
    text: str
    description: str


def is_threshold_sample(instance_id: str, fraction: float, seed: int) -> bool:
    """Whether an instance is a threshold sample: a hash of ``seed`` and the id, stable
    across processes and runs, is below ``fraction`` of its range."""
    if not 0.0 <= fraction <= 1.0:
        raise ValueError(f"fraction must be in [0, 1], not {fraction}")
    digest = hashlib.blake2b(f"{seed}:{instance_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") < fraction * 2**64


def _append(path: Path, lines: List[str]) -> None:
    """Append buffered lines to the file in one write and empty the buffer."""
    if lines:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as file:
            file.write("".join(lines))
        lines.clear()


class DynamicsRecorder:
    """Appends the logits of training instances to a JSONL file (see the module doc).

    ``path=None`` disables it: :meth:`record` returns at once. Components check
    :attr:`enabled` before building :class:`Instance` objects, call :meth:`reset` from
    ``initialize`` (it empties the file; harmless when several components share it, as all
    initialize before any update) and :meth:`record` from ``update``. Lines are buffered and
    written whole, when ``buffer_chars`` are pending, on :meth:`flush`, and when the recorder
    is garbage collected or the interpreter exits.
    """

    def __init__(self, path: Optional[Union[str, Path]], buffer_chars: int = 1 << 20) -> None:
        self.path = Path(path) if path is not None else None
        self.buffer_chars = buffer_chars
        self._lines: List[str] = []
        self._pending = 0
        self._seen: Dict[Tuple[str, str, str], int] = {}
        self._labels: Dict[Tuple[str, str], List[str]] = {}
        if self.path is not None:
            weakref.finalize(self, _append, self.path, self._lines)

    @property
    def enabled(self) -> bool:
        return self.path is not None

    def reset(self) -> None:
        """Start a new recording: empty the file and forget the instances seen."""
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text("", encoding="utf-8")
        self._lines.clear()
        self._pending = 0
        self._seen.clear()
        self._labels.clear()

    def record(self, component: str, kind: str, labels: Sequence[str], items: Sequence[Instance], logits: Any, assigned: Any) -> None:
        """Record one update's logits, shape ``(len(items), len(labels))``, and the index in
        ``labels`` of each item's assigned label (numpy or cupy arrays, or sequences)."""
        if self.path is None or len(items) == 0:
            return
        array = to_numpy(logits)
        if array.shape != (len(items), len(labels)) or len(assigned) != len(items):
            raise ValueError(
                f"{component}/{kind}: logits of shape {array.shape} and {len(assigned)} assigned labels for {len(items)} items and {len(labels)} labels"
            )
        group = (component, kind)
        if self._labels.get(group) != list(labels):
            self._labels[group] = list(labels)
            self._write({"type": "labels", "component": component, "kind": kind, "labels": list(labels)})
        epochs = []
        for item in items:
            key = (component, kind, item.id)
            seen = self._seen.get(key, 0)
            if seen == 0:
                self._write(
                    {
                        "type": "instance",
                        "component": component,
                        "kind": kind,
                        "id": item.id,
                        "line": item.line,
                        "text": item.text,
                        "description": item.description,
                    }
                )
            self._seen[key] = seen + 1
            epochs.append(seen)
        self._write(
            {
                "type": "logits",
                "component": component,
                "kind": kind,
                "ids": [item.id for item in items],
                "epochs": epochs,
                "assigned": numpy.asarray(to_numpy(assigned), dtype=numpy.int64).tolist(),
                "logits": numpy.round(array.astype(numpy.float64), LOGIT_DECIMALS).tolist(),
            }
        )

    def flush(self) -> None:
        """Write the buffered lines to the file."""
        if self.path is not None:
            _append(self.path, self._lines)
            self._pending = 0

    def _write(self, record: Dict[str, Any]) -> None:
        line = json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n"
        self._lines.append(line)
        self._pending += len(line)
        if self._pending >= self.buffer_chars:
            self.flush()
