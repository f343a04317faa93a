"""The training-dynamics audit of a dynamics file (see :mod:`spacy_somd.training.dynamics`): instances
ranked by AUM, a data map, an AUM histogram, the fake-class AUM threshold and, with a
percentile, the sieve of the lowest-AUM instances."""

import csv
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Dict, List, Optional, Sequence, Tuple, Union

from spacy_somd.training.dynamics.analysis import GroupDynamics, read_dynamics
from spacy_somd.training.dynamics.plots import plot_aum_histogram, plot_data_map

RANKING_CSV = "aum_ranking.csv"
DATA_MAP_PNG = "data_map.png"
HISTOGRAM_PNG = "aum_histogram.png"
THRESHOLD_JSON = "threshold.json"
SIEVE_JSON = "sieve.json"
CSV_COLUMNS = (
    "rank",
    "component",
    "kind",
    "id",
    "line",
    "text",
    "description",
    "assigned_label",
    "aum",
    "confidence",
    "variability",
    "epochs",
    "flagged",
    "is_threshold_sample",
)


@dataclass
class AuditResult:
    """What :func:`run_audit` found and wrote. ``sieved`` holds, per group, the indices of
    the instances the sieve removes (None without a percentile)."""

    dynamics_file: Path
    out_dir: Path
    groups: List[GroupDynamics]
    threshold_percentile: float
    percentile: Optional[float]
    sieved: Optional[List[List[int]]]

    HEADER: ClassVar[Tuple[str, ...]] = ("component", "kind", "instances", "threshold samples", "epochs", "AUM threshold", "flagged", "sieved")

    @property
    def files(self) -> List[Path]:
        names = [RANKING_CSV, DATA_MAP_PNG, HISTOGRAM_PNG, THRESHOLD_JSON]
        if self.sieved is not None:
            names.append(SIEVE_JSON)
        return [self.out_dir / name for name in names]

    def rows(self) -> List[Tuple[Any, ...]]:
        """One summary row per group, in the order of :attr:`HEADER`."""
        return [
            (
                g.component,
                g.kind,
                len(g.instances),
                int(g.is_threshold.sum()),
                int(g.epochs.max()),
                "-" if g.threshold is None else f"{g.threshold:.4g}",
                int(g.flagged.sum()),
                "-" if self.sieved is None else len(self.sieved[i]),
            )
            for i, g in enumerate(self.groups)
        ]


def run_audit(
    dynamics_file: Union[str, Path], out_dir: Union[str, Path], percentile: Optional[float] = None, threshold_percentile: float = 99.0
) -> AuditResult:
    """Audit a dynamics file into ``out_dir``: ``aum_ranking.csv``, ``data_map.png``,
    ``aum_histogram.png``, ``threshold.json`` and, when ``percentile`` is given, ``sieve.json``
    (the lowest-AUM ``percentile`` percent of each group's non-threshold instances; a stale
    ``sieve.json`` is removed otherwise). Raises DynamicsFormatError on a malformed file."""
    dynamics_file, out_dir = Path(dynamics_file), Path(out_dir)
    groups = read_dynamics(dynamics_file, threshold_percentile)
    sieved: Optional[List[List[int]]] = None
    sieve: Optional[Dict[str, Any]] = None
    if percentile is not None:
        sieved = [group.lowest(percentile) for group in groups]
        sieve = sieve_summary(dynamics_file, groups, sieved, percentile)
    out_dir.mkdir(parents=True, exist_ok=True)
    write_ranking(groups, out_dir / RANKING_CSV)
    plot_data_map(groups, out_dir / DATA_MAP_PNG)
    plot_aum_histogram(groups, out_dir / HISTOGRAM_PNG)
    _write_json(out_dir / THRESHOLD_JSON, threshold_summary(dynamics_file, groups, threshold_percentile))
    if sieve is None:
        (out_dir / SIEVE_JSON).unlink(missing_ok=True)
    else:
        _write_json(out_dir / SIEVE_JSON, sieve)
    return AuditResult(dynamics_file, out_dir, groups, threshold_percentile, percentile, sieved)


def write_ranking(groups: Sequence[GroupDynamics], path: Path) -> None:
    """The CSV of all instances, group by group, each ranked by ascending AUM."""
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(CSV_COLUMNS)
        for group in groups:
            flagged, is_threshold = group.flagged, group.is_threshold
            for rank, i in enumerate(group.ranking(), start=1):
                instance = group.instances[i]
                writer.writerow(
                    [
                        rank,
                        group.component,
                        group.kind,
                        instance.id,
                        instance.line,
                        instance.text,
                        instance.description,
                        group.assigned[i],
                        _number(group.aum[i]),
                        _number(group.confidence[i]),
                        _number(group.variability[i]),
                        int(group.epochs[i]),
                        bool(flagged[i]),
                        bool(is_threshold[i]),
                    ]
                )


def threshold_summary(dynamics_file: Path, groups: Sequence[GroupDynamics], threshold_percentile: float) -> Dict[str, Any]:
    """The content of ``threshold.json``: each group's threshold and flagged count."""
    return {
        "dynamics_file": str(dynamics_file),
        "threshold_percentile": threshold_percentile,
        "groups": [
            {
                "component": g.component,
                "kind": g.kind,
                "instances": len(g.instances),
                "threshold_samples": int(g.is_threshold.sum()),
                "max_epochs": int(g.epochs.max()),
                "threshold": g.threshold,
                "flagged": int(g.flagged.sum()),
            }
            for g in groups
        ],
    }


def sieve_summary(dynamics_file: Path, groups: Sequence[GroupDynamics], sieved: Sequence[List[int]], percentile: float) -> Dict[str, Any]:
    """The content of ``sieve.json``: the removed instances, their sentences' line numbers
    and the count removed per group."""
    removed = [
        {
            "component": g.component,
            "kind": g.kind,
            "id": g.instances[i].id,
            "line": g.instances[i].line,
            "description": g.instances[i].description,
            "aum": _number(g.aum[i]),
        }
        for g, indices in zip(groups, sieved)
        for i in indices
    ]
    return {
        "dynamics_file": str(dynamics_file),
        "percentile": percentile,
        "lines": sorted({item["line"] for item in removed}),
        "groups": [
            {"component": g.component, "kind": g.kind, "removed": len(indices), "of": int((~g.is_threshold).sum())} for g, indices in zip(groups, sieved)
        ],
        "removed": removed,
    }


def _number(value: float) -> float:
    return round(float(value), 6)


def _write_json(path: Path, content: Dict[str, Any]) -> None:
    path.write_text(json.dumps(content, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
