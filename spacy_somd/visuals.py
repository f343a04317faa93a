"""Pictures: figures drawn headless with matplotlib's Agg canvas (no pyplot, no global
backend), and displaCy HTML of entities and relations."""
import html
import json
import math
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, List, Sequence, Tuple

import matplotlib
import numpy
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.cm import ScalarMappable
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator
from spacy import displacy
from spacy.tokens import Doc

from .corpus.docs import RELATIONS_ATTR
from .corpus.format import SomdFormatError
from .dynamics.analysis import GroupDynamics

STYLE = {"font.size": 12, "axes.titlesize": 13, "axes.labelsize": 12, "legend.fontsize": 10}
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


def _threshold_text(group: GroupDynamics) -> str:
    if group.threshold is None:
        return "no threshold samples, no threshold"
    return f"AUM threshold {group.threshold:.3g}: {int(group.flagged.sum())} flagged"


def plot_data_map(groups: Sequence[GroupDynamics], path: Path) -> None:
    """Confidence against variability per instance, coloured by AUM, one panel per group."""
    with matplotlib.rc_context(STYLE):
        figure, axes = _panels(len(groups))
        for ax, group in zip(axes, groups):
            _data_map_panel(figure, ax, group)
        figure.savefig(path)


def plot_aum_histogram(groups: Sequence[GroupDynamics], path: Path) -> None:
    """The AUM histogram of each group, one panel per group."""
    with matplotlib.rc_context(STYLE):
        figure, axes = _panels(len(groups))
        for ax, group in zip(axes, groups):
            _histogram_panel(ax, group)
        figure.savefig(path)


def _data_map_panel(figure: Figure, ax: Axes, group: GroupDynamics) -> None:
    """One data map: instances coloured by AUM, those below the AUM threshold with a red
    edge (their colour still shows), threshold samples as grey crosses."""
    regular, flagged = ~group.is_threshold, group.flagged
    size, edge = (36, 1.3) if len(group.instances) < 2000 else (16, 0.8)
    shown = group.aum[regular] if regular.any() else group.aum
    colours = ScalarMappable(Normalize(shown.min(), shown.max()), "viridis")
    kept = regular & ~flagged
    ax.scatter(
        group.variability[kept], group.confidence[kept], c=colours.to_rgba(group.aum[kept]), s=size,
        alpha=0.8, linewidths=0, label="instance (colour: AUM)",
    )  # fmt: skip
    if (~regular).any():
        ax.scatter(
            group.variability[~regular], group.confidence[~regular], marker="x", color="0.45",
            s=size, linewidths=1, label="threshold sample (fake class)",
        )  # fmt: skip
    if flagged.any():
        ax.scatter(
            group.variability[flagged], group.confidence[flagged], c=colours.to_rgba(group.aum[flagged]),
            s=size, edgecolors="red", linewidths=edge, label=f"AUM < threshold {group.threshold:.3g}",
        )  # fmt: skip
    figure.colorbar(colours, ax=ax, label="AUM (mean margin)")
    ax.set_ylim(-0.03, 1.03)
    ax.set_xlabel("variability (std of p(assigned label) over epochs)")
    ax.set_ylabel("confidence (mean p(assigned label))")
    ax.set_title(f"Data map: {group.name}\n{len(group.instances)} instances; {_threshold_text(group)}")
    ax.grid(alpha=0.3)
    ax.legend(loc="best", framealpha=0.9)


def _histogram_panel(ax: Axes, group: GroupDynamics, bins: int = 40) -> None:
    """One AUM histogram: instances filled, threshold samples outlined (so neither hides the
    other), the threshold a dashed red line."""
    regular = ~group.is_threshold
    edges = numpy.histogram_bin_edges(group.aum, bins=bins)
    ax.hist(group.aum[regular], bins=edges, color="tab:blue", alpha=0.75, label="instances")
    if (~regular).any():
        ax.hist(
            group.aum[~regular], bins=edges, histtype="step", color="tab:orange", linewidth=2,
            label="threshold samples (fake class)",
        )  # fmt: skip
    if group.threshold is not None:
        ax.axvline(
            group.threshold, color="red", linestyle="--", linewidth=1.5, label=f"AUM threshold {group.threshold:.3g}"
        )
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.margins(y=0.25)  # headroom for the legend
    ax.set_xlabel("AUM (mean margin over epochs)")
    ax.set_ylabel("instances")
    ax.set_title(f"AUM histogram: {group.name}\n{len(group.instances)} instances; {_threshold_text(group)}")
    ax.grid(alpha=0.3)
    ax.legend(loc="best", framealpha=0.9)


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
    """Loss per component and the dev F and AUC scores against the training step (epochs
    on the top axis), as the seed notebooks plot loss and accuracy against epochs. The
    log holds scores as percentages (spaCy's console logger writes them x 100)."""
    steps = [r["step"] for r in records]
    with matplotlib.rc_context(STYLE):
        figure, (losses, scores) = _panels(2)
        for name in records[0]["losses"]:
            losses.plot(steps, [max(r["losses"][name], 1e-3) for r in records], marker="o", label=name)
        losses.set(yscale="log", xlabel="step", ylabel="training loss since the last evaluation",
                   title="Training loss per component")  # fmt: skip
        curves = {}
        for name in records[0]["scores"]:
            values = [r["scores"].get(name) for r in records]
            if name.endswith(("_f", "_auc")) and all(isinstance(v, (int, float)) for v in values):
                curves[name] = values
        if any(any(values) for values in curves.values()):
            for name, values in curves.items():
                scores.plot(steps, values, marker="o", label=name)
        else:  # spaCy logs 0 for every score of an empty dev set
            scores.text(0.5, 0.5, "no dev scores (no development split)", ha="center", transform=scores.transAxes)
        scores.set(ylim=(0, 100), xlabel="step", ylabel="score on the dev set (%)", title="Dev scores (F, ROC AUC)")
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


# software in blues and greens, their attributes in warm colours
ENTITY_COLORS = {
    "Application": "#7aecec", "PlugIn": "#9cc9cc", "ProgrammingEnvironment": "#aa9cfc",
    "OperatingSystem": "#bfe1d9", "SoftwareCoreference": "#c7e9b4", "Version": "#feca74",
    "Developer": "#ff9561", "URL": "#f0d0ff", "Citation": "#e4e7d2", "License": "#ffeb80",
    "Release": "#fdd8b5", "Extension": "#ddd", "Abbreviation": "#ffb3c7", "AlternativeName": "#f9c5a4",
}  # fmt: skip


def relation_arcs(doc: Doc) -> Dict[str, Any]:
    """displaCy's manual dependency data: one word per entity (its label as the tag) or
    other token, and one arc per relation, pointing from the attribute to the software."""
    words, index = [], {}
    i = 0
    while i < len(doc):
        span = next((e for e in doc.ents if e.start == i), None)
        end = span.end if span is not None else i + 1
        index[i] = len(words)
        words.append({"text": doc[i:end].text, "tag": span.label_ if span is not None else ""})
        i = end
    arcs = []
    for rel in doc._.get(RELATIONS_ATTR) or []:
        head, tail = index[rel["head"]], index[rel["tail"]]
        arcs.append({
            "start": min(head, tail), "end": max(head, tail), "label": rel["label"],
            "dir": "right" if tail > head else "left",
        })  # fmt: skip
    return {"words": words, "arcs": arcs}


def render_relations(docs: Iterable[Doc]) -> str:
    """An HTML page: per sentence, displaCy's entities and, below, the relations as
    labelled arcs from each attribute to its software."""
    parts = []
    for doc in docs:
        if doc.ents:
            parts.append(displacy.render(doc, style="ent", page=False, options={"colors": ENTITY_COLORS}))
        else:
            parts.append(f'<div class="entities" style="line-height: 2.5">{html.escape(doc.text)}</div>')
        if doc._.get(RELATIONS_ATTR):
            arcs = displacy.render(relation_arcs(doc), style="dep", manual=True, page=False,
                                   options={"compact": True, "distance": 110})  # fmt: skip
            parts.append(f'<div style="overflow-x: auto">{arcs}</div>')
        parts.append("<hr>")
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>spacy-somd</title></head>'
        '<body style="font-family: sans-serif; margin: 2em">' + "\n".join(parts) + "</body></html>"
    )
