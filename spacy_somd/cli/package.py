"""Commands that make installable pipelines: ``package`` (a trained pipeline as a wheel with
its held-out scores) and ``ensemble`` (several trainings of one config voting, as one
pipeline)."""

from pathlib import Path
from typing import List, Optional

import typer
from wasabi import msg

from spacy_somd.about import __version__
from spacy_somd.cli._util import app, fail, load_pipeline, read_json
from spacy_somd.evaluation.report import flatten_scores
from spacy_somd.pipeline.vote.pipe import assemble_ensemble
from spacy_somd.release.packaging import package_pipeline


@app.command()
def package(
    model: Path = typer.Argument(..., help="The trained pipeline folder (e.g. model-best)"),
    out_dir: Path = typer.Argument(..., help="Folder for meta.json, the package folder and the wheel"),
    metrics: Path = typer.Option(..., help="Its held-out scores: JSON of `spacy evaluate --per-component --output`"),
    gold_entities: Optional[Path] = typer.Option(None, help="JSON of `evaluate-gold-entities` on the same data"),
    held_out: Optional[str] = typer.Option(
        None,
        help="What the scores were measured on (default: the held-out fold of the pipeline's [somd] settings; required for a pipeline trained on every fold)",
    ),
    name: Optional[str] = typer.Option(None, help="Package name after the language prefix, en_NAME (default: the pipeline's [somd] package_name)"),
    version: str = typer.Option(__version__, help="Package version"),
    benchmark: Optional[Path] = typer.Option(None, help="Its speed and memory for the model card: JSON of spacy_somd.release.benchmark (`release` writes one)"),
) -> None:
    """Package a trained pipeline as a wheel.

    LANG_NAME-VERSION-py3-none-any.whl with its model card, sources, licenses and held-out
    scores in its meta (`spacy package`, then `pip wheel`)."""
    nlp = load_pipeline(str(model), -1)
    scores = flatten_scores(read_json(metrics))
    gold = None if gold_entities is None else read_json(gold_entities)
    measured = None if benchmark is None else read_json(benchmark)
    try:
        wheel = package_pipeline(nlp, model, out_dir, scores, gold, held_out, name, version, measured)
    except ValueError as err:
        fail(str(err))
    msg.good(f"Built {wheel}")


@app.command()
def ensemble(
    models: List[str] = typer.Argument(..., help="Two or more trained pipelines of one config (other seeds), folders or package names"),
    output: Path = typer.Option(..., help="Folder for the pipeline that holds them and votes"),
    name: Optional[str] = typer.Option(None, help="The ensemble's meta name (default: the first member's)"),
) -> None:
    """Write one pipeline in which several trained pipelines vote (``somd_vote``):
    entities token by token, relations by majority, categories by mean. It loads with
    ``spacy.load`` and scores with ``spacy evaluate`` like any pipeline; N members take
    about N times one pipeline's time."""
    if len(models) < 2:
        fail(f"an ensemble needs two or more pipelines, not {len(models)}")
    members = [load_pipeline(model, -1) for model in models]
    try:
        nlp = assemble_ensemble(members, name)
    except ValueError as err:
        fail(f"{err} ({', '.join(models)})")
    nlp.to_disk(output)
    msg.good(f"Wrote the vote of {len(members)} pipelines to {output}")
