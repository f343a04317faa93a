"""The command line behind ``python -m spacy_somd``: thin wrappers over the modules."""
import json
import shutil
import tempfile
from pathlib import Path
from typing import List, Mapping, NoReturn, Optional

import spacy
import typer
from spacy.cli.package import package as spacy_package
from spacy.language import Language
from spacy.tokens import Doc, DocBin
from spacy.training import Example
from tqdm import tqdm
from wasabi import msg

from .corpus import (
    ENTITY_TYPES,
    RELATION_TYPES,
    RELATIONS_ATTR,
    CorpusStats,
    SomdFormatError,
    ensure_extensions,
    fold_docbins,
    fold_path,
    fetch_corpus,
    read_corpus_dir,
    sentence_to_doc,
)
from .about import __version__
from .audit import run_audit
from .dynamics import DynamicsFormatError
from .evaluation import relation_scores_on_gold_entities
from .packaging import build_wheel, package_meta
from .prediction import OUTPUT_NAMES, StagedFiles, predict_lines, read_input
from .reporting import flatten_scores, print_scores
from .scoring import has_gold_relations
from .visuals import plot_training_log, read_training_log, render_relations

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
    progress = tqdm(sentences, desc="convert", unit=" sentences", leave=False)
    bins = fold_docbins(spacy.blank("en").vocab, progress, n_folds)
    write_all(out_dir, {fold_path(Path(), fold).name: docbin.to_bytes() for fold, docbin in enumerate(bins)})
    sizes = ", ".join(f"fold{k}: {len(b)}" for k, b in enumerate(bins))
    msg.good(f"Wrote {n_folds} fold DocBins to {out_dir} ({sizes})")


def write_all(out_dir: Path, files: Mapping[str, bytes]) -> None:
    """Write files into a folder all or nothing: through a temporary folder beside them."""
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out_dir) as tmp:
        for name, data in files.items():
            (Path(tmp) / name).write_bytes(data)
        for name in files:
            shutil.move(str(Path(tmp) / name), out_dir / name)


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


@app.command()
def report(
    metrics_file: Path = typer.Argument(..., help="JSON written by `spacy evaluate --per-component --output`"),
    gold_entities: Optional[Path] = typer.Option(None, help="JSON written by `evaluate-gold-entities`"),
) -> None:
    """Print an evaluation's scores as tables: token-level, entity-level, relations (end
    to end, and with gold entities), the SOMD score and the sentence categories."""
    scores = flatten_scores(json.loads(metrics_file.read_text(encoding="utf-8")))
    gold = None if gold_entities is None else json.loads(gold_entities.read_text(encoding="utf-8"))
    print_scores(scores, gold)


def load_pipeline(model: str, gpu_id: int) -> Language:
    """A trained pipeline, on GPU ``gpu_id`` when it is not -1."""
    if gpu_id >= 0:
        spacy.require_gpu(gpu_id)
    return spacy.load(model)


def run_pipeline(model: str, texts_file: Path, batch_size: int, gpu_id: int, what: str) -> List[Doc]:
    """A trained pipeline's docs for a texts file or DocBin, with a progress bar; bad input
    exits with its file and line."""
    nlp = load_pipeline(model, gpu_id)
    try:
        sentences = list(read_input(texts_file))
    except (SomdFormatError, FileNotFoundError) as err:
        fail(str(err))
    docs = nlp.pipe((sentence_to_doc(nlp.vocab, sentence) for sentence in sentences), batch_size=batch_size)
    return list(tqdm(docs, total=len(sentences), desc=what, unit=" sentences", leave=False))


@app.command()
def predict(
    model: str = typer.Argument(..., help="A trained pipeline: a folder or an installed package"),
    texts_file: Path = typer.Argument(..., help="Sentences in the corpus format (one a line), or a .spacy DocBin"),
    out_dir: Path = typer.Argument(..., help="Folder to write texts.txt, entities.txt and relations.txt into"),
    batch_size: int = typer.Option(64, help="Sentences per batch"),
    gpu_id: int = typer.Option(-1, help="GPU to run on (-1: CPU)"),
) -> None:
    """Predict entities and relations and write them in the SOMD corpus format: one
    output line per input line, in order, with the input's tokens (a DocBin's
    whitespace-only tokens left out). Streams: the input is read and the output written
    line by line, and the three files replace any old ones only when all is done."""
    try:
        sentences = read_input(texts_file)
        staged = StagedFiles(out_dir, OUTPUT_NAMES)
    except FileNotFoundError as err:
        fail(str(err))
    except OSError as err:
        fail(f"{out_dir}: cannot write the predictions there ({err.strerror or err})")
    with staged as files:
        nlp = load_pipeline(model, gpu_id)
        progress = tqdm(sentences, desc="predict", unit=" sentences", leave=False)
        try:
            counts = predict_lines(nlp, progress, files, batch_size)
        except (SomdFormatError, FileNotFoundError) as err:
            fail(str(err))
    msg.good(f"Wrote predictions for {counts.lines} sentences ({counts.relations} relations) to {out_dir}")


@app.command("evaluate-gold-entities")
def evaluate_gold_entities(
    model: str = typer.Argument(..., help="A trained pipeline: a folder or an installed package"),
    data_path: Path = typer.Argument(..., help="A DocBin with gold entities and relations (e.g. the held-out fold)"),
    output: Path = typer.Option(..., help="JSON file to save the scores to"),
    gpu_id: int = typer.Option(-1, help="GPU to run on (-1: CPU)"),
) -> None:
    """Score the relation component given the gold entities (classification quality)."""
    nlp = load_pipeline(model, gpu_id)
    ensure_extensions()
    examples = [Example(nlp.make_doc(doc.text), doc) for doc in DocBin().from_disk(data_path).get_docs(nlp.vocab)]
    if not any(has_gold_relations(eg.reference) for eg in examples):
        fail(f"{data_path}: no doc holds gold relation data (doc._.{RELATIONS_ATTR} is unset): nothing to score")
    scores = relation_scores_on_gold_entities(nlp, examples)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(scores, indent=2), encoding="utf-8")
    msg.good(f"Relation F with gold entities: {scores['rel_f']:.3f} (saved to {output})")


@app.command()
def package(
    model: Path = typer.Argument(..., help="The trained pipeline folder (e.g. model-best)"),
    out_dir: Path = typer.Argument(..., help="Folder for meta.json, the package folder and the wheel"),
    metrics: Path = typer.Option(..., help="Its held-out scores: JSON of `spacy evaluate --per-component --output`"),
    gold_entities: Optional[Path] = typer.Option(None, help="JSON of `evaluate-gold-entities` on the same data"),
    held_out: str = typer.Option("fold 2 of the SOMD 2025 Phase I training data", help="What the scores were measured on"),
    name: str = typer.Option("somd", help="Package name after the language prefix: en_NAME"),
    version: str = typer.Option(__version__, help="Package version"),
) -> None:
    """Package a trained pipeline as the wheel LANG_NAME-VERSION-py3-none-any.whl with its
    sources, licenses and held-out scores in the meta (`spacy package`, then `pip wheel`)."""
    nlp = load_pipeline(str(model), -1)
    scores = flatten_scores(json.loads(metrics.read_text(encoding="utf-8")))
    gold = None if gold_entities is None else json.loads(gold_entities.read_text(encoding="utf-8"))
    out_dir.mkdir(parents=True, exist_ok=True)
    meta_path = out_dir / "meta.json"
    meta_path.write_text(json.dumps(package_meta(nlp, scores, gold, name, version, held_out), indent=2), encoding="utf-8")
    spacy_package(model, out_dir, meta_path=meta_path, name=name, version=version, create_sdist=False, force=True, silent=False)
    build_wheel(out_dir / f"{nlp.lang}_{name}-{version}", out_dir)
    msg.good(f"Built {out_dir / f'{nlp.lang}_{name}-{version}-py3-none-any.whl'}")


@app.command()
def audit(
    dynamics_file: Path = typer.Argument(..., help="JSONL training dynamics (a component's dynamics_path)"),
    out_dir: Path = typer.Argument(..., help="Folder for the ranking CSV, the PNGs and the JSON summaries"),
    percentile: Optional[float] = typer.Option(None, help="Also write sieve.json: the lowest-AUM PERCENTILE % of instances"),
    threshold_percentile: float = typer.Option(99.0, help="The AUM threshold: this percentile of the threshold samples' AUMs"),
) -> None:
    """Rank training instances by AUM, draw the data map and the AUM histogram, find the
    fake-class AUM threshold and optionally write a sieve of the lowest-AUM instances."""
    try:
        result = run_audit(dynamics_file, out_dir, percentile, threshold_percentile)
    except (DynamicsFormatError, FileNotFoundError, ValueError) as err:
        fail(str(err))
    msg.table(result.rows(), header=result.HEADER, divider=True, title="Training dynamics")
    for path in result.files:
        msg.good(f"Wrote {path}")


@app.command()
def plot(
    training_log: Path = typer.Argument(..., help="JSONL training log (spaCy's ConsoleLogger.v3 output_file)"),
    out_png: Path = typer.Argument(..., help="PNG to draw the loss and score curves into"),
) -> None:
    """Plot the training loss per component and the dev scores against steps and epochs."""
    try:
        records = read_training_log(training_log)
    except (SomdFormatError, FileNotFoundError) as err:
        fail(str(err))
    out_png.parent.mkdir(parents=True, exist_ok=True)
    plot_training_log(records, out_png)
    msg.good(f"Plotted {len(records)} evaluations to {out_png}")


@app.command()
def visualize(
    model: str = typer.Argument(..., help="A trained pipeline: a folder or an installed package"),
    texts_file: Path = typer.Argument(..., help="Sentences in the corpus format (one a line), or a .spacy DocBin"),
    out_html: Path = typer.Argument(..., help="HTML file to write"),
    batch_size: int = typer.Option(64, help="Sentences per batch"),
    gpu_id: int = typer.Option(-1, help="GPU to run on (-1: CPU)"),
) -> None:
    """Render the predicted entities (displaCy) and relations (labelled arcs from each
    attribute to its software) of every sentence as one HTML page."""
    docs = run_pipeline(model, texts_file, batch_size, gpu_id, "visualize")
    html = render_relations(docs)
    out_html.parent.mkdir(parents=True, exist_ok=True)
    out_html.write_text(html, encoding="utf-8")
    msg.good(f"Rendered {len(docs)} sentences to {out_html}")
