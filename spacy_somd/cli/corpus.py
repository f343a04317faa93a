"""Corpus commands: ``convert`` (a SOMD corpus into fold DocBins) and ``variant`` (the
re-tokenized or renamed evaluation variants of a corpus or fold)."""

from pathlib import Path
from typing import Optional

import typer
from tqdm import tqdm
from wasabi import msg

from spacy_somd.cli._util import app, fail
from spacy_somd.corpus.convert import CONVERT_REPORT, EmptyCorpusError, convert_corpus
from spacy_somd.corpus.folds import FOLD_MANIFEST
from spacy_somd.corpus.format import ReadResult, SomdFormatError
from spacy_somd.corpus.stats import CorpusStats
from spacy_somd.corpus.variants import KINDS, write_variant
from spacy_somd.labels import ENTITY_TYPES, RELATION_TYPES

SHOWN_NOTES = 10


def print_stats(stats: CorpusStats) -> None:
    """Print what a corpus holds."""
    msg.info(
        f"{stats.sentences} sentences, {stats.tokens} tokens, "
        f"{sum(stats.entities.values())} entities, {sum(stats.relations.values())} relations, "
        f"{stats.entity_free} sentences without any entity"
    )
    msg.table([(t, stats.entities[t]) for t in ENTITY_TYPES], header=("Entity type", "Count"), aligns=("l", "r"))
    msg.table([(t, stats.relations[t]) for t in RELATION_TYPES], header=("Relation type", "Count"), aligns=("l", "r"))


def print_notes(result: ReadResult) -> None:
    """Print what lenient reading repaired and skipped: the first notes, and the counts."""
    for note in result.notes[:SHOWN_NOTES]:
        typer.echo(str(note))
    if len(result.notes) > SHOWN_NOTES:
        typer.echo(f"... and {len(result.notes) - SHOWN_NOTES} more")
    msg.info(result.summary())


@app.command()
def convert(
    corpus_dir: Path = typer.Argument(..., help="Folder with train_texts/entities/relations.txt"),
    out_dir: Path = typer.Argument(..., help="Folder to write fold0.spacy ... and folds.json into"),
    n_folds: int = typer.Option(4, help="Sentence i goes to fold i % n_folds"),
    lenient: bool = typer.Option(False, "--lenient", help=f"Repair what is unambiguous, skip what is not, list both in OUT_DIR/{CONVERT_REPORT}"),
) -> None:
    """Validate a SOMD corpus; one DocBin per fold.

    Sentence i goes to fold i % N_FOLDS; the folder's fold DocBins and its manifest
    folds.json are replaced as a whole; the counts of entities and relations are printed."""

    def progress(sentences):
        return tqdm(sentences, desc="convert", unit=" sentences", leave=False)

    try:
        result, bins = convert_corpus(corpus_dir, out_dir, n_folds, lenient, progress)
    except EmptyCorpusError as err:
        if lenient:
            print_notes(err.result)
        fail(str(err))
    except (SomdFormatError, FileNotFoundError, ValueError) as err:
        fail(str(err))
    except OSError as err:
        fail(f"{out_dir}: cannot write the fold DocBins ({err})")
    if lenient:
        print_notes(result)
    print_stats(CorpusStats.of(result.sentences))
    sizes = ", ".join(f"fold{k}: {len(b)}" for k, b in enumerate(bins))
    msg.good(f"Wrote {n_folds} fold DocBins and {FOLD_MANIFEST} to {out_dir} ({sizes})")
    if lenient:
        msg.good(f"Every repair and skip is listed in {out_dir / CONVERT_REPORT}")


@app.command()
def variant(
    corpus_dir: Path = typer.Argument(..., help="Folder with train_texts/entities/relations.txt"),
    out_dir: Path = typer.Argument(..., help="Folder to write the variant's three files into"),
    kind: str = typer.Option(..., help=f"{' or '.join(KINDS)}: the other tokenization style, or software names never seen in the corpus"),
    fold: Optional[int] = typer.Option(None, help="Only this fold's sentences (all when not given)"),
    n_folds: int = typer.Option(4, help="Sentence i belongs to fold i % n_folds"),
    seed: int = typer.Option(0, help="Seed of the generated names"),
    docbin: Optional[Path] = typer.Option(None, help="Also write the variant as one DocBin (for `spacy evaluate`)"),
) -> None:
    """Write a variant of a SOMD corpus or fold in the corpus format (labels and relations
    remapped) and check it by reading it back strictly."""
    try:
        written = write_variant(corpus_dir, out_dir, kind, fold, n_folds, seed, docbin)
    except (SomdFormatError, FileNotFoundError, ValueError) as err:
        fail(str(err))
    msg.good(
        f"Wrote the {kind} variant of {written.sentences} sentences ({written.changed} changed; "
        f"{written.tokens_before} -> {written.tokens_after} tokens) to {out_dir}"
    )
