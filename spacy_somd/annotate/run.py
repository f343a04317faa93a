"""An ``annotate`` run: check the input, skip the partitions already written, annotate the
others with an engine and write them, then write the summary beside the output."""

from itertools import islice
from pathlib import Path
from typing import Any, Callable, Deque, Dict, Iterable, Iterator, List, NamedTuple, Optional, Tuple

from spacy_somd.annotate.annotator import BATCH_TOKENS, Annotated
from spacy_somd.annotate.documents import is_document_input, paragraph_fields, stage_documents
from spacy_somd.annotate.fingerprint import file_fingerprint, manifest_of
from spacy_somd.annotate.identities import annotate_record, read_aliases
from spacy_somd.annotate.inputs import InputError, Partition, check_jsonl, check_parquet, input_files, scan
from spacy_somd.annotate.outputs import PartitionWriter
from spacy_somd.annotate.passes import consistency_pass, table_pass
from spacy_somd.annotate.summary import RunCounts, document_summary
from spacy_somd.documents import document_files

# called after each partition is written, with the partition, its counts and the lines
# that report its rejects and the texts annotated in pieces
OnPartition = Callable[[Partition, RunCounts, List[str]], None]


class Settings(NamedTuple):
    engine: str = "local"
    batch_size: int = 64
    n_process: int = 1
    partition_size: int = 1000
    on_error: str = "skip"
    ray_address: Optional[str] = None
    num_workers: int = 1
    num_gpus_per_worker: float = 0.0
    gpu_id: int = -1
    int8: bool = False
    restart: bool = False
    batch_tokens: int = BATCH_TOKENS
    consistency: bool = False
    aliases: Optional[str] = None


def partition_notes(partition: Partition, items: Iterable[Annotated]) -> List[str]:
    """A line for each reject and each text annotated in pieces, in input order."""
    notes = [(r.index, f"rejected: {r.position}: {r.reason}") for r in partition.rejects]
    notes += [
        (index, f"annotated in {item.pieces} pieces (over the pipeline's max_length): {item.position}") for index, item in enumerate(items) if item.pieces > 1
    ]
    return [line for _, line in sorted(notes, key=lambda note: note[0])]


def write_partitions(fed: Deque[Partition], items: Iterator[Annotated], writer: PartitionWriter, on_partition: OnPartition) -> RunCounts:
    """Take the partitions in the order they are fed with as many output records as each
    has good records, write each, and return this run's counts. Pulling a record feeds
    the next partitions, so a partition of rejects only is written in its turn."""
    run = RunCounts()
    ahead: List[Annotated] = []
    while True:
        if not fed:
            ahead = list(islice(items, 1))
            if not fed:
                return run
        partition = fed.popleft()
        need = partition.n_valid
        taken, ahead = ahead[:need], ahead[need:]
        taken += islice(items, need - len(taken))
        if len(taken) != need:
            raise RuntimeError(f"partition {partition.number}: {len(taken)} output records for {need} good ones")
        counts = RunCounts(read=len(partition.rejects), rejected=len(partition.rejects))
        for item in taken:
            counts.add(item)
        writer.write(partition, [item.record for item in taken], counts)
        run.merge(counts)
        notes = partition_notes(partition, taken)
        on_partition(partition, counts, notes)


def annotate_input(model: str, input_path: Path, output: Path, settings: Settings, on_partition: OnPartition) -> Tuple[RunCounts, RunCounts]:
    """Annotate INPUT (records, or documents: :mod:`.documents`) into OUTPUT; return this
    run's counts and the whole output's (also written beside OUTPUT). Raises
    ``InputError`` on bad input, and before any work where OUTPUT holds the output of
    another run (another input, model, partition size or option) unless
    ``settings.restart``."""
    documents = is_document_input(input_path)
    files = document_files(input_path) if documents else input_files(input_path)
    if not files:
        raise InputError(f"{input_path}: a folder of documents that holds no files (its subfolders are not read)")
    if not documents:
        if settings.consistency:
            raise InputError(f"{input_path}: --consistency is for documents (JATS, TEI, PDF, text), whose paragraphs are records; this input is records")
        check_jsonl(files)
        check_parquet(files)
    aliases = read_aliases(Path(settings.aliases)) if settings.aliases else None
    options = {"consistency": settings.consistency, "aliases": file_fingerprint(Path(settings.aliases)) if settings.aliases else None}
    manifest = manifest_of(model, input_path, files, settings.partition_size, options)
    writer = PartitionWriter(output, manifest, settings.restart)
    try:
        if documents:
            files = stage_documents(input_path, output)
        partitions: Iterable[Partition] = scan(files, settings.partition_size, settings.on_error == "fail", staged=documents)
        if settings.on_error == "fail" or settings.engine == "ray":
            partitions = list(partitions)  # the whole input checked before any annotation
        done = writer.complete()
        pending = (p for p in partitions if p.number not in done)
        if settings.engine == "ray":
            from spacy_somd.annotate.ray_engine import ray_stream

            fed, items = ray_stream(
                model,
                files,
                list(pending),
                settings.batch_size,
                settings.num_workers,
                settings.num_gpus_per_worker,
                settings.ray_address,
                settings.int8,
                settings.batch_tokens,
            )
        else:
            from spacy_somd.annotate.local import local_stream

            fed, items = local_stream(model, files, pending, settings.batch_size, settings.n_process, settings.gpu_id, settings.int8, settings.batch_tokens)

        def prepare(partition: Partition, records: List[Dict[str, Any]]) -> None:
            fields = paragraph_fields(files, partition) if documents else [{}] * len(records)
            for number, (record, extra) in enumerate(zip(records, fields)):
                record = records[number] = {"id": record["id"], **extra, **record}
                annotate_record(record, aliases)

        def after(total: RunCounts) -> Dict[str, Any]:
            if documents and settings.consistency:
                consistency_pass(writer, files, aliases)
            found = table_pass(writer, output.with_suffix(""), aliases, total)
            return document_summary(output, total, found, settings.consistency) if documents else {"identities": found["identities"]}

        writer.prepare = prepare
        run = write_partitions(fed, items, writer, on_partition)
        total = writer.finish(after)
    except BaseException:
        writer.abandon()
        raise
    writer.close()
    return run, total
