"""An ``annotate`` run: check the input, skip the partitions already written, annotate the
others with an engine and write them, then write the summary beside the output."""

from itertools import islice
from pathlib import Path
from typing import Callable, Deque, Iterable, Iterator, List, NamedTuple, Optional, Tuple

from spacy_somd.annotate.annotator import BATCH_TOKENS, Annotated
from spacy_somd.annotate.fingerprint import manifest_of
from spacy_somd.annotate.inputs import Partition, check_jsonl, check_parquet, input_files, scan
from spacy_somd.annotate.outputs import PartitionWriter
from spacy_somd.annotate.summary import RunCounts

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
    """Annotate INPUT into OUTPUT; return this run's counts and the whole output's (also
    written beside OUTPUT). Raises ``InputError`` on bad input, and before any work where
    OUTPUT holds the output of another run (another input, model or partition size)
    unless ``settings.restart``."""
    files = input_files(input_path)
    check_jsonl(files)
    check_parquet(files)
    manifest = manifest_of(model, input_path, files, settings.partition_size)
    writer = PartitionWriter(output, manifest, settings.restart)
    try:
        partitions: Iterable[Partition] = scan(files, settings.partition_size, settings.on_error == "fail")
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
        run = write_partitions(fed, items, writer, on_partition)
        total = writer.finish()
    except BaseException:
        writer.abandon()
        raise
    writer.close()
    return run, total
