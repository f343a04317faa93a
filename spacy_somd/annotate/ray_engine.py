"""The ``ray`` engine: the same per-batch function through Ray Data's ``map_batches`` on a
pool of actors (each loads the pipeline once), a partition per batch, in order. Ray is an
optional extra (``pip install spacy-somd[ray]``) and is imported only here."""

import json
from collections import deque
from pathlib import Path
from typing import Any, Deque, Iterator, List, Optional, Tuple

from spacy_somd.annotate.annotator import Annotated, Annotator
from spacy_somd.annotate.inputs import InputError, Partition


def import_ray() -> Any:
    """Ray and Ray Data, or a one-line error saying how to install them."""
    try:
        import ray
        import ray.data  # noqa: F401
    except ImportError:
        raise InputError("the ray engine needs Ray Data: pip install 'spacy-somd[ray]'") from None
    return ray


def ray_stream(
    model: str, files: List[Path], partitions: List[Partition], batch_size: int, num_workers: int, num_gpus: float, address: Optional[str], int8: bool = False
) -> Tuple[Deque[Partition], Iterator[Annotated]]:
    """Like :func:`~.local.local_stream`: the partitions (all fed at once) and their output
    records, annotated by ``num_workers`` actors with ``num_gpus`` GPUs each (with
    ``int8``, CPU actors with the backbone int8). Starts Ray on
    this machine's cores, or joins the cluster at ``address``, unless it is running."""
    ray = import_ray()
    if not ray.is_initialized():
        ray.init(address=address, include_dashboard=False, log_to_driver=False)
    context = ray.data.DataContext.get_current()
    context.execution_options.preserve_order = True
    context.enable_progress_bars = False
    if not partitions:
        return deque(), iter(())
    gpu = {"num_gpus": num_gpus} if num_gpus else {}
    dataset = ray.data.from_items([{"partition": p.to_json()} for p in partitions], override_num_blocks=len(partitions))
    # Ray shows each actor only its own GPUs, the first as device 0
    annotated = dataset.map_batches(
        Annotator,
        fn_constructor_kwargs={"model": model, "files": [str(f) for f in files], "batch_size": batch_size, "gpu_id": 0 if num_gpus else -1, "int8": int8},
        batch_size=1,
        concurrency=num_workers,
        **gpu,
    )

    def items() -> Iterator[Annotated]:
        for row in annotated.iter_rows():
            for record, position, words, pieces in json.loads(row["annotated"]):
                yield Annotated(record, position, words, pieces)

    return deque(partitions), items()
