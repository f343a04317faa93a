"""The pictures of a training-dynamics audit: the data map (confidence against
variability) and the AUM histogram, with the fake-class threshold."""

from pathlib import Path
from typing import Sequence

import matplotlib
import numpy
from matplotlib.axes import Axes
from matplotlib.cm import ScalarMappable
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from spacy_somd.training.dynamics.analysis import GroupDynamics
from spacy_somd.training.plots import STYLE, _panels


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
        group.variability[kept], group.confidence[kept], c=colours.to_rgba(group.aum[kept]), s=size, alpha=0.8, linewidths=0, label="instance (colour: AUM)"
    )
    if (~regular).any():
        ax.scatter(
            group.variability[~regular], group.confidence[~regular], marker="x", color="0.45", s=size, linewidths=1, label="threshold sample (fake class)"
        )
    if flagged.any():
        ax.scatter(
            group.variability[flagged],
            group.confidence[flagged],
            c=colours.to_rgba(group.aum[flagged]),
            s=size,
            edgecolors="red",
            linewidths=edge,
            label=f"AUM < threshold {group.threshold:.3g}",
        )
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
    edges = numpy.histogram_bin_edges(group.aum, bins=bins).tolist()
    ax.hist(group.aum[regular], bins=edges, color="tab:blue", alpha=0.75, label="instances")
    if (~regular).any():
        ax.hist(group.aum[~regular], bins=edges, histtype="step", color="tab:orange", linewidth=2, label="threshold samples (fake class)")
    if group.threshold is not None:
        ax.axvline(group.threshold, color="red", linestyle="--", linewidth=1.5, label=f"AUM threshold {group.threshold:.3g}")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.margins(y=0.25)  # headroom for the legend
    ax.set_xlabel("AUM (mean margin over epochs)")
    ax.set_ylabel("instances")
    ax.set_title(f"AUM histogram: {group.name}\n{len(group.instances)} instances; {_threshold_text(group)}")
    ax.grid(alpha=0.3)
    ax.legend(loc="best", framealpha=0.9)
