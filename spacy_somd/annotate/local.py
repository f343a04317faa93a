"""The ``local`` engine: one stream through ``nlp.pipe`` (``n_process`` processes of one
thread each) over the records of the partitions still to write, in constant memory."""

from collections import deque
from pathlib import Path
from typing import Deque, Iterable, Iterator, List, Tuple

from spacy_somd.annotate.annotator import BATCH_TOKENS, Annotated, Annotator
from spacy_somd.annotate.inputs import Partition, Record, records_of


def local_stream(
    model: str,
    files: List[Path],
    partitions: Iterable[Partition],
    batch_size: int,
    n_process: int,
    gpu_id: int = -1,
    int8: bool = False,
    batch_tokens: int = BATCH_TOKENS,
) -> Tuple[Deque[Partition], Iterator[Annotated]]:
    """The partitions as they are fed (a queue the writer takes them from) and the output
    records of their good records, in order; on GPU ``gpu_id`` (-1: CPU), in one process;
    with the backbone int8 with ``int8``; in batches of at most ``batch_size`` sentences
    and ``batch_tokens`` tokens."""
    if n_process > 1:
        # one thread per process; and forked processes hang where the parent started
        # torch's thread pool before the fork (a transformer pipeline; a CNN pipeline's
        # runtime has no torch)
        try:
            import torch
        except ImportError:
            pass
        else:
            torch.set_num_threads(1)
    annotator = Annotator(model, [str(f) for f in files], batch_size, n_process, gpu_id, int8, batch_tokens)
    fed: Deque[Partition] = deque()

    def records() -> Iterator[Record]:
        for partition in partitions:
            fed.append(partition)
            yield from records_of(files, partition)

    return fed, annotator.annotate(records())
