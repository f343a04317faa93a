"""The ``ray`` engine: the same per-batch function through Ray Data's ``map_batches`` on a
pool of actors (each loads the pipeline once), a partition per batch, in order. Ray is an
optional extra (``pip install spacy-somd[ray]``) and is imported only here.

A model that cannot be loaded is found before any actor starts, by a Ray task that loads it
where the actors will (a worker of the cluster): one line naming the model and the reason,
not the traceback of every actor that failed to start."""

import json
import re
from collections import deque
from pathlib import Path
from typing import Any, Deque, Iterator, List, Optional, Tuple

from spacy_somd.annotate.annotator import BATCH_TOKENS, Annotated, Annotator, load_model
from spacy_somd.annotate.inputs import InputError, Partition
from spacy_somd.labels import ensure_extensions


def import_ray() -> Any:
    """Ray and Ray Data, or a one-line error saying how to install them."""
    try:
        import ray
        import ray.data  # noqa: F401
    except ImportError:
        raise InputError("the ray engine needs Ray Data: pip install 'spacy-somd[ray]'") from None
    return ray


def model_error(model: str, int8: bool) -> Optional[str]:
    """Why ``model`` cannot be loaded (:func:`~.annotator.load_model`'s one line), or None
    where it loads; run as a Ray task on a worker of the cluster."""
    ensure_extensions()
    try:
        load_model(model, int8)
    except InputError as err:
        return str(err)
    except Exception as err:  # what spacy.load raises besides OSError and ValueError
        return f"cannot load the pipeline {model!r}: {type(err).__name__}: {' '.join(str(err).split())}"
    return None


def root_cause(err: BaseException) -> str:
    """What an actor or a task raised, from a Ray error that carries its traceback: the
    last line that names an exception (``ValueError: ...``, the class without its module)
    and the lines after it, as one line."""
    lines = [line.strip() for line in str(err).splitlines() if line.strip()]
    named = [number for number, line in enumerate(lines) if re.match(r"^[\w.]+(Error|Exception): ", line)]
    if not named:
        return " ".join(lines[-1:]) or type(err).__name__
    name, message = " ".join(lines[named[-1] :]).split(": ", 1)
    return f"{name.rsplit('.', 1)[-1]}: {message}"


def ray_stream(
    model: str,
    files: List[Path],
    partitions: List[Partition],
    batch_size: int,
    num_workers: int,
    num_gpus: float,
    address: Optional[str],
    int8: bool = False,
    batch_tokens: int = BATCH_TOKENS,
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
    try:
        error = ray.get(ray.remote(model_error).remote(model, int8))
    except ray.exceptions.RayError as err:
        raise InputError(f"cannot load the pipeline {model!r} on the cluster: {root_cause(err)}") from None
    if error is not None:
        raise InputError(error)
    gpu = {"num_gpus": num_gpus} if num_gpus else {}
    dataset = ray.data.from_items([{"partition": p.to_json()} for p in partitions], override_num_blocks=len(partitions))
    # Ray shows each actor only its own GPUs, the first as device 0
    annotated = dataset.map_batches(
        Annotator,
        fn_constructor_kwargs={
            "model": model,
            "files": [str(f) for f in files],
            "batch_size": batch_size,
            "gpu_id": 0 if num_gpus else -1,
            "int8": int8,
            "batch_tokens": batch_tokens,
        },
        batch_size=1,
        concurrency=num_workers,
        **gpu,
    )

    def items() -> Iterator[Annotated]:
        try:
            for row in annotated.iter_rows():
                for record, position, words, pieces in json.loads(row["annotated"]):
                    yield Annotated(record, position, words, pieces)
        except ray.exceptions.RayError as err:  # an actor's error, with Ray's traceback: its last line
            raise InputError(f"the ray engine stopped: {root_cause(err)}") from None

    return deque(partitions), items()
