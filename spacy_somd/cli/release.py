"""Commands of a release: ``release`` (cross-validate, train on every fold and package the
shipped configs, with checksums and the release manifest), ``publish`` (check a release
build and upload it, or print the uploads with ``--dry-run``) and ``download`` (install a
released pipeline, as ``spacy download`` does)."""

import json
from pathlib import Path
from typing import List, Optional

import typer
from wasabi import msg

from spacy_somd.cli._util import app, fail
from spacy_somd.release.download import DEFAULT_NAME, URL_ENV, DownloadError, download
from spacy_somd.release.publish import PublishError, publish


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def release(
    ctx: typer.Context,
    configs: List[str] = typer.Argument(..., help="The configs to ship (configs/default.cfg configs/fast.cfg), then any `--section.key value` overrides"),
    out: Path = typer.Option(Path("releases"), help="Folder for the trainings and dist/, the files to publish"),
    corpus: Path = typer.Option(Path("corpus"), help="The fold DocBins of `convert`"),
    texts: Path = typer.Option(Path("assets/somd2025/test_texts.txt"), help="Text lines the speed and memory of each pipeline are measured on"),
    base_url: str = typer.Option("", help="URL the wheels will be downloaded from (the GitHub release's download folder); empty: relative to the table"),
    previous: Optional[Path] = typer.Option(
        None, help="The last release's compatibility.json, extended with this release (none: a table of this release only)"
    ),
    n_folds: int = typer.Option(4, help="Folds of the cross-validation"),
    gpu_id: int = typer.Option(-1, help="GPU to train on (-1: CPU)"),
) -> None:
    """Build a release: for each config, N-fold cross-validation (its scores), the pipeline
    trained on every fold, its speed and memory, and its wheel with the model card; then the
    spacy-somd wheel, SHA256SUMS, release.json and compatibility.json in OUT/dist. Extra
    `--section.key value` options override every training's config."""
    from spacy_somd.release.build import build_release

    items = [*configs, *ctx.args]  # the overrides after the configs land in CONFIGS
    first = next((i for i, item in enumerate(items) if item.startswith("--")), len(items))
    paths, overrides = [Path(item) for item in items[:first]], items[first:]
    missing = [str(path) for path in [*paths, corpus / "fold0.spacy", texts] if not path.exists()]
    if missing:
        fail(f"not found: {', '.join(missing)} (run `spacy project run convert` first)")
    table = None if previous is None or not previous.exists() else json.loads(previous.read_text(encoding="utf-8"))
    files = build_release(paths, corpus, texts, out, Path.cwd(), base_url, table, n_folds, gpu_id, overrides)
    msg.good(f"Release in {out / 'dist'}: {', '.join(f.name for f in files)}")


@app.command(name="publish")
def publish_cli(
    dist: Path = typer.Argument(..., help="The release build's dist folder (releases/dist)"),
    tag: str = typer.Option(..., help="The release's tag, vVERSION"),
    hub_org: str = typer.Option("", help="Hugging Face organisation to push the pipelines to (empty: the token's user)"),
    dry_run: bool = typer.Option(False, "--dry-run", help="Check everything and print the uploads, upload nothing"),
    hub_python: str = typer.Option(
        "python", help="The Python that has spaCy and spacy-huggingface-hub (which needs a typer older than spacy-somd's: give it a virtualenv of its own)"
    ),
) -> None:
    """Check a release build (SHA256SUMS and release.json against the wheels, a model card
    in each pipeline) and upload it: every file to the GitHub release of TAG (`gh release
    upload`), each pipeline to the Hugging Face Hub (`python -m spacy huggingface-hub push`)."""
    try:
        publish(dist, tag, hub_org, dry_run, hub_python, echo=typer.echo)
    except PublishError as err:
        fail(str(err))


@app.command(name="download", context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def download_cli(
    ctx: typer.Context,
    name: str = typer.Argument(DEFAULT_NAME, help="The pipeline (en_somd, en_somd_fast)"),
    version: Optional[str] = typer.Option(None, "--version", "-v", help="That release, not the newest compatible one"),
    url: Optional[str] = typer.Option(None, "--url", help=f"The compatibility table's URL (default: ${URL_ENV}, else the latest GitHub release's)"),
) -> None:
    """Install a released pipeline as `spacy download` does: the newest release of NAME that
    works with the installed spacy-somd and spaCy, from the compatibility table; its wheel's
    SHA-256 is checked before pip installs it. Extra options go to `pip install`."""
    try:
        entry = download(name, version, url, ctx.args)
    except DownloadError as err:
        fail(str(err))
    msg.good(f"Installed {entry['name']} {entry['version']}: spacy.load({entry['name']!r})")
