"""``audit``: the training instances of a dynamics file ranked by AUM, with the data map,
the AUM histogram and, with a percentile, the sieve of the lowest."""

from pathlib import Path
from typing import Optional

import typer
from wasabi import msg

from spacy_somd.cli._util import app, fail, require_plots
from spacy_somd.training.dynamics.analysis import DynamicsFormatError


@app.command()
def audit(
    dynamics_file: Path = typer.Argument(..., help="JSONL training dynamics (a component's dynamics_path)"),
    out_dir: Path = typer.Argument(..., help="Folder for the ranking CSV, the PNGs and the JSON summaries"),
    percentile: Optional[float] = typer.Option(None, help="Also write sieve.json: the lowest-AUM PERCENTILE % of instances"),
    threshold_percentile: float = typer.Option(99.0, help="The AUM threshold: this percentile of the threshold samples' AUMs"),
) -> None:
    """Rank training instances by AUM.

    Draws the data map and the AUM histogram, finds the fake-class AUM threshold and
    optionally writes a sieve of the lowest-AUM instances."""
    require_plots()
    from spacy_somd.training.dynamics.audit import run_audit  # draws with matplotlib

    try:
        result = run_audit(dynamics_file, out_dir, percentile, threshold_percentile)
    except (DynamicsFormatError, FileNotFoundError, ValueError) as err:
        fail(str(err))
    msg.table(result.rows(), header=result.HEADER, divider=True, title="Training dynamics")
    for path in result.files:
        msg.good(f"Wrote {path}")
