"""Figures drawn headless with matplotlib's Agg canvas (no pyplot, no global backend): the
panels every figure of the package uses, and the training curves of a training log (the
loss per component, and the scores on the development split or, without one, on a fixed
sample of training sentences)."""

import json
import math
from pathlib import Path
from typing import Any, Callable, Dict, List, Sequence, Tuple

import matplotlib
import numpy
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from spacy_somd.corpus.format import SomdFormatError

# matplotlib rc settings of every figure (Any: its stubs want a literal key type)
STYLE: Any = {"font.size": 12, "axes.titlesize": 13, "axes.labelsize": 12, "legend.fontsize": 10}
PANEL_SIZE = (7.0, 5.5)
DPI = 120


def _panels(count: int) -> Tuple[Figure, List[Axes]]:
    """A figure with ``count`` panels, two per row."""
    columns = min(count, 2)
    rows = math.ceil(count / columns)
    figure = Figure(figsize=(PANEL_SIZE[0] * columns, PANEL_SIZE[1] * rows), dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.subplots(rows, columns, squeeze=False).ravel().tolist()
    for extra in axes[count:]:
        extra.set_visible(False)
    return figure, axes[:count]


def read_training_log(path: Path) -> List[Dict[str, Any]]:
    """The records of a JSONL training log (spaCy's ``ConsoleLogger.v3`` ``output_file``:
    ``epoch``, ``step``, ``losses`` and ``scores`` per evaluation)."""
    records = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError as err:
            raise SomdFormatError(path, number, f"not valid JSON ({err})") from None
        missing = [key for key in ("epoch", "step", "losses", "scores") if key not in record]
        if missing:
            raise SomdFormatError(path, number, f"a training log record without {', '.join(missing)}")
        records.append(record)
    if not records:
        raise SomdFormatError(path, 1, "no training log records")
    return records


def plot_training_log(records: Sequence[Dict[str, Any]], path: Path) -> Figure:
    """Loss per component and the F and AUC scores against the training step (epochs on
    the top axis), as the seed notebooks plot loss and accuracy against epochs. The log
    holds scores as percentages (spaCy's console logger writes them x 100)."""
    steps = [r["step"] for r in records]
    with matplotlib.rc_context(STYLE):
        figure, (losses, scores) = _panels(2)
        for name in records[0]["losses"]:
            losses.plot(steps, [max(r["losses"][name], 1e-3) for r in records], marker="o", label=name)
        losses.set(yscale="log", xlabel="step", ylabel="training loss since the last evaluation", title="Training loss per component")
        curves = {}
        for name in records[0]["scores"]:
            values = [r["scores"].get(name) for r in records]
            if name.endswith(("_f", "_auc")) and all(isinstance(v, (int, float)) for v in values):
                curves[name] = values
        if any(any(values) for values in curves.values()):
            for name, values in curves.items():
                scores.plot(steps, values, marker="o", label=name)
        else:  # spaCy logs 0 for every score of an empty dev set
            scores.text(0.5, 0.5, "no scores in the log", ha="center", transform=scores.transAxes)
        scores.set(ylim=(0, 100), xlabel="step", ylabel="on the dev split or, without one, a training sample (%)", title="Scores (F, ROC AUC)")
        for ax in (losses, scores):
            ax.grid(alpha=0.3)
            if ax.get_legend_handles_labels()[0]:
                ax.legend()
            epochs = ax.secondary_xaxis("top", functions=_epoch_axis(records))
            epochs.set_xlabel("epoch")
        figure.savefig(path)
    return figure


def _epoch_axis(records: Sequence[Dict[str, Any]]) -> Tuple[Callable, Callable]:
    """Step -> epoch and epoch -> step, interpolated between the logged evaluations."""
    steps, epochs = [0] + [r["step"] for r in records], [0] + [r["epoch"] for r in records]
    return (lambda x: numpy.interp(x, steps, epochs)), (lambda x: numpy.interp(x, epochs, steps))
