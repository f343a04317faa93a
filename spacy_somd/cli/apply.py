"""Commands that apply a trained pipeline to text: ``predict`` (the corpus format, line by
line) and ``annotate`` (whole literatures of records, on one machine or a Ray cluster)."""

import time
from pathlib import Path
from typing import Optional

import typer
from tqdm import tqdm
from wasabi import msg

from spacy_somd.annotate.annotator import BATCH_TOKENS
from spacy_somd.annotate.inputs import InputError
from spacy_somd.annotate.predict import OUTPUT_NAMES, predict_lines, read_input
from spacy_somd.annotate.run import Settings, annotate_input
from spacy_somd.annotate.summary import software_rows, summary_lines
from spacy_somd.cli._util import GPU_HELP, INT8_HELP, app, check_int8, fail, load_pipeline, use_gpu
from spacy_somd.corpus.format import SomdFormatError
from spacy_somd.documents.read import MissingExtra
from spacy_somd.io import StagedFiles
from spacy_somd.memory import limit_heap_growth


@app.command()
def predict(
    model: str = typer.Argument(..., help="A trained pipeline: a folder or an installed package"),
    texts_file: Path = typer.Argument(..., help="Sentences in the corpus format (one a line), or a .spacy DocBin"),
    out_dir: Path = typer.Argument(..., help="Folder to write texts.txt, entities.txt and relations.txt into"),
    batch_size: int = typer.Option(64, help="Sentences per batch"),
    gpu_id: int = typer.Option(-1, help=GPU_HELP),
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
    try:
        with staged as files:
            limit_heap_growth()
            nlp = load_pipeline(model, gpu_id, int8)
            progress = tqdm(sentences, desc="predict", unit=" sentences", leave=False)
            try:
                counts = predict_lines(nlp, progress, files, batch_size)
            except (SomdFormatError, FileNotFoundError) as err:
                fail(str(err))
    except OSError as err:  # a write, the files' last flush or their move (a full disk...); nothing is left behind
        fail(f"{out_dir}: cannot write the predictions there ({err.strerror or err})")
    msg.good(f"Wrote predictions for {counts.lines} sentences ({counts.relations} relations) to {out_dir}")


@app.command()
def annotate(
    model: str = typer.Argument(..., help="A trained pipeline: a folder or an installed package"),
    input_path: Path = typer.Argument(
        ...,
        metavar="INPUT",
        help='JSONL ({"id": ..., "text": ...} a line), Parquet (a file or a folder) with id and text columns, or documents (JATS, TEI, PDF, text, Markdown: a file or a folder)',
    ),
    output: Path = typer.Argument(..., help="Output folder, its format by its extension: .parquet or .jsonl"),
    engine: str = typer.Option("local", help="local (nlp.pipe on this machine) or ray (Ray Data actors)"),
    batch_size: int = typer.Option(64, help="Sentences per nlp.pipe batch"),
    batch_tokens: int = typer.Option(BATCH_TOKENS, help="Tokens per nlp.pipe batch at most (a longer sentence is a batch alone)"),
    n_process: int = typer.Option(1, help="local: processes of nlp.pipe"),
    ray_address: Optional[str] = typer.Option(None, help="ray: the cluster to join (default: start Ray on this machine's cores)"),
    num_workers: int = typer.Option(1, help="ray: actors, each with the pipeline loaded"),
    num_gpus_per_worker: float = typer.Option(0.0, help="ray: GPUs per actor (0: CPU)"),
    gpu_id: int = typer.Option(-1, help="local: GPU to run on (-1: CPU), with one process"),
    int8: bool = typer.Option(False, "--int8", help=INT8_HELP),
    on_error: str = typer.Option("skip", help="Bad records: skip (into OUTPUT-stem.rejects.jsonl) or fail"),
    partition_size: int = typer.Option(1000, help="Input records per output partition (the unit of resuming)"),
    restart: bool = typer.Option(
        False, "--restart", help="Start over: remove an earlier run's partitions from OUTPUT (needed where its input or model changed)"
    ),
    consistency: bool = typer.Option(
        False, "--consistency/--no-consistency", help="Documents: propagate software names within a document, drop one-off common words"
    ),
    aliases: Optional[Path] = typer.Option(None, help="TSV of alias and canonical names (and identifier columns: wikidata, rrid, swhid...)"),
) -> None:
    """Annotate raw documents: each record's sentences, entities (character and token
    offsets into its text), relations and sentence categories, into partitioned Parquet
    or JSONL. Resumes where an interrupted run of the same input and model stopped
    (--restart starts over). Beside OUTPUT: the summary, the
    software table (name, type, mentions, versions) and the rejects. Exits with 1 where
    nothing was annotated (every record rejected, or no records)."""

    if engine not in ("local", "ray") or on_error not in ("skip", "fail"):
        fail(f"--engine must be local or ray (not {engine!r}), --on-error skip or fail (not {on_error!r})")
    if min(batch_size, batch_tokens, n_process, num_workers, partition_size) < 1 or num_gpus_per_worker < 0:
        fail("--batch-size, --batch-tokens, --n-process, --num-workers and --partition-size must be at least 1, --num-gpus-per-worker at least 0")
    check_int8(int8, gpu_id >= 0 or num_gpus_per_worker > 0)
    if gpu_id >= 0:
        if engine != "local" or n_process > 1:
            fail("--gpu-id is for the local engine with one process (--n-process 1); the ray engine takes --num-gpus-per-worker")
        use_gpu(gpu_id)
    aliases_path = str(aliases) if aliases else None
    settings = Settings(
        engine,
        batch_size,
        n_process,
        partition_size,
        on_error,
        ray_address,
        num_workers,
        num_gpus_per_worker,
        gpu_id,
        int8,
        restart,
        batch_tokens,
        consistency,
        aliases_path,
    )
    progress = tqdm(desc="annotate", unit=" records", leave=False, disable=None)

    def on_partition(partition, counts, notes) -> None:
        for line in notes:
            progress.write(line)
        progress.update(partition.size)

    start = time.perf_counter()
    try:
        run, total = annotate_input(model, input_path, output, settings, on_partition)
    except (InputError, MissingExtra, OSError) as err:
        fail(str(err))
    finally:
        progress.close()
    for line in summary_lines(total, run, time.perf_counter() - start):
        msg.info(line)
    msg.table(sorted(total.entities.items()), header=("Entity type", "Count"), aligns=("l", "r"))
    msg.table(sorted(total.relations.items()), header=("Relation type", "Count"), aligns=("l", "r"))
    msg.table(software_rows(total)[:10], header=("Software", "Type", "Mentions", "Versions"), title="Most mentioned software")
    stem = output.with_suffix("")
    if not total.annotated:
        fail(f"{input_path}: nothing annotated: {total.read} records read, {total.rejected} rejected (their reasons in {stem}.rejects.jsonl)")
    msg.good(
        f"Wrote {output}; beside it {stem}.summary.json, {stem}.software.tsv, {stem}.identities.tsv, {stem}.document-software.tsv and {stem}.rejects.jsonl"
    )
