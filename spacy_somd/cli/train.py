"""Training commands: ``train`` (``spacy train`` with its overrides and fold settings
checked first) and ``plot`` (the training curves of a training log)."""

from pathlib import Path

import typer
from spacy.cli._util import parse_config_overrides  # `spacy train`'s own parser of --section.key value
from wasabi import msg

from spacy_somd.cli._util import GPU_HELP, app, fail, require_plots, use_gpu
from spacy_somd.corpus.format import SomdFormatError
from spacy_somd.training.overrides import train as train_pipeline


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def train(
    ctx: typer.Context,
    config: Path = typer.Argument(..., help="The config file (e.g. configs/default.cfg)"),
    output: Path = typer.Argument(..., help="Folder for model-best and model-last"),
    gpu_id: int = typer.Option(-1, help=GPU_HELP),
) -> None:
    """Train a config, as `spacy train` does, after checking the run.

    Settings follow as overrides (--paths.corpus corpus --somd.fold 2 --system.seed 1); an
    override the config does not have, fold settings that do not fit together or a corpus
    folder without the fold DocBins stop it with one line before any work starts."""
    use_gpu(gpu_id)
    try:
        overrides = parse_config_overrides(ctx.args)
    except SystemExit:  # spaCy's parser has printed what is wrong
        raise typer.Exit(1) from None
    try:
        train_pipeline(config, output, overrides, gpu_id)
    except (ValueError, FileNotFoundError) as err:
        fail(str(err))


@app.command()
def plot(
    training_log: Path = typer.Argument(..., help="JSONL training log (spaCy's ConsoleLogger.v3 output_file)"),
    out_png: Path = typer.Argument(..., help="PNG to draw the loss and score curves into"),
) -> None:
    """Plot the training loss and the scores.

    The loss per component and the scores (on the development split or, without one, on a
    fixed sample of training sentences) against steps and epochs."""
    require_plots()
    from spacy_somd.training.plots import plot_training_log, read_training_log

    try:
        records = read_training_log(training_log)
    except (SomdFormatError, FileNotFoundError) as err:
        fail(str(err))
    out_png.parent.mkdir(parents=True, exist_ok=True)
    plot_training_log(records, out_png)
    msg.good(f"Plotted {len(records)} evaluations to {out_png}")
