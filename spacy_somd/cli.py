"""The command line behind ``python -m spacy_somd``: thin wrappers over the modules."""
import json
import shutil
import tempfile
from pathlib import Path
from typing import Any, Dict, List, NoReturn

import spacy
import typer
from wasabi import msg

from .corpus import (
    ENTITY_TYPES,
    RELATION_TYPES,
    CorpusStats,
    SomdFormatError,
    fold_docbins,
    fold_path,
    fetch_corpus,
    read_corpus_dir,
)

def fail(message: str) -> NoReturn:
    """Print an error on stderr, unwrapped so that paths stay whole, and exit with 1."""
    typer.echo(f"✘ {message}", err=True)
    raise typer.Exit(1)


app = typer.Typer(help="spacy-somd: software mention detection with spaCy", no_args_is_help=True)


def print_stats(stats: CorpusStats) -> None:
    """Print what a corpus holds."""
    msg.info(
        f"{stats.sentences} sentences, {stats.tokens} tokens, "
        f"{sum(stats.entities.values())} entities, {sum(stats.relations.values())} relations, "
        f"{stats.entity_free} sentences without any entity"
    )
    msg.table(
        [(t, stats.entities[t]) for t in ENTITY_TYPES], header=("Entity type", "Count"), aligns=("l", "r")
    )
    msg.table(
        [(t, stats.relations[t]) for t in RELATION_TYPES], header=("Relation type", "Count"), aligns=("l", "r")
    )


@app.command()
def convert(
    corpus_dir: Path = typer.Argument(..., help="Folder with train_texts/entities/relations.txt"),
    out_dir: Path = typer.Argument(..., help="Folder to write fold0.spacy ... into"),
    n_folds: int = typer.Option(4, help="Sentence i goes to fold i % n_folds"),
    lenient: bool = typer.Option(False, "--lenient", help="Repair what can be repaired, and list each repair"),
) -> None:
    """Validate a SOMD corpus and write one DocBin per fold."""
    try:
        sentences, repairs = read_corpus_dir(corpus_dir, lenient=lenient)
    except (SomdFormatError, FileNotFoundError) as err:
        fail(str(err))
    for repair in repairs:
        typer.echo(f"repaired: {repair}")
    if lenient:
        msg.info(f"{len(repairs)} repair(s) made")
    print_stats(CorpusStats.of(sentences))
    bins = fold_docbins(spacy.blank("en").vocab, sentences, n_folds)
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out_dir) as tmp:
        for fold, docbin in enumerate(bins):
            docbin.to_disk(fold_path(Path(tmp), fold))
        for fold in range(n_folds):
            shutil.move(str(fold_path(Path(tmp), fold)), fold_path(out_dir, fold))
    sizes = ", ".join(f"fold{k}: {len(b)}" for k, b in enumerate(bins))
    msg.good(f"Wrote {n_folds} fold DocBins to {out_dir} ({sizes})")


@app.command("fetch-corpus")
def fetch_corpus_command(
    dest: Path = typer.Argument(..., help="Folder to put the four SOMD 2025 files into"),
    local: Path = typer.Option(None, help="A local copy to take the files from, where it exists"),
) -> None:
    """Copy (or download) the SOMD 2025 Phase I files and check their sha256."""
    try:
        for line in fetch_corpus(dest, local):
            msg.good(line)
    except (OSError, ValueError) as err:
        fail(str(err))


def flatten_scores(metrics: Dict[str, Any]) -> Dict[str, Any]:
    """One dict of scores from `spacy evaluate` output, with or without --per-component
    (which nests each component's scores under its name)."""
    flat: Dict[str, Any] = {}
    for key, value in metrics.items():
        if isinstance(value, dict) and not key.endswith("_per_type"):
            flat.update(value)
        else:
            flat[key] = value
    return flat


def score_rows(per_type: Dict[str, Dict[str, float]], order: List[str]) -> List[tuple]:
    """Table rows of per-type P/R/F, in a fixed type order then any other types."""
    types = [t for t in order if t in per_type] + sorted(set(per_type) - set(order))
    return [
        (t, f"{per_type[t]['p']:.3f}", f"{per_type[t]['r']:.3f}", f"{per_type[t]['f']:.3f}") for t in types
    ]


@app.command()
def report(
    metrics_file: Path = typer.Argument(..., help="JSON written by `spacy evaluate --per-component --output`"),
) -> None:
    """Print the token-level and entity-level scores of an evaluation as tables."""
    scores = flatten_scores(json.loads(metrics_file.read_text(encoding="utf-8")))
    for prefix, title in (("token", "Token-level (seed metric)"), ("ents", "Entity-level exact match")):
        if scores.get(f"{prefix}_f") is None:
            continue
        rows = score_rows(scores.get(f"{prefix}_per_type") or {}, list(ENTITY_TYPES))
        rows.append(("ALL (micro)", *(f"{scores[f'{prefix}_{k}']:.3f}" for k in "prf")))
        msg.table(rows, header=("Type", "P", "R", "F"), aligns=("l", "r", "r", "r"), title=title, divider=True)
