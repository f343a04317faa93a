"""Process memory that does not grow with the input: glibc's heap settings and trimming
(no-ops where the C library is not glibc), shared by ``predict``, ``annotate`` and
training (``spacy_somd.release_free_memory.v1`` in ``[training] before_update``)."""

import ctypes
import ctypes.util
import functools
from itertools import islice
from typing import Any, Callable, Dict, Iterable, Iterator, List, Optional, TypeVar

from spacy.language import Language
from spacy.util import registry

T = TypeVar("T")

M_TRIM_THRESHOLD, M_ARENA_MAX = -1, -8  # glibc's mallopt parameters (malloc.h)


@functools.cache
def glibc() -> Optional[ctypes.CDLL]:
    """The C library, where it can be loaded (looked up once, not on every block)."""
    libc = ctypes.util.find_library("c")
    return ctypes.CDLL(libc) if libc else None


def limit_heap_growth() -> None:
    """What ``MALLOC_ARENA_MAX=2 MALLOC_TRIM_THRESHOLD_=0`` do, set from inside (glibc's
    ``mallopt``): few malloc arenas, and freed memory at the top of the heap given back at
    once, so that glibc's fragments of the transformer's differently shaped batches do not
    make the process grow with the number of inputs (setting the trim threshold also stops
    glibc from raising its mmap threshold, which otherwise moves the transformer's large
    freed buffers onto the heap; the price is a page fault for every page of every buffer
    over 128 KiB: training ran about 30% slower with it, so training trims instead, see
    :func:`make_release_free_memory`). Call it before the pipeline loads."""
    mallopt = getattr(glibc(), "mallopt", None)
    if mallopt is not None:
        mallopt(M_ARENA_MAX, 2)
        mallopt(M_TRIM_THRESHOLD, 0)


def release_free_memory() -> None:
    """Give the heap memory freed so far back to the system (glibc's ``malloc_trim``)."""
    trim = getattr(glibc(), "malloc_trim", None)
    if trim is not None:
        trim(0)


class MallInfo2(ctypes.Structure):
    """glibc's ``struct mallinfo2`` (malloc.h, glibc 2.33 and later)."""

    _fields_ = [(name, ctypes.c_size_t) for name in ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost")]


@functools.cache
def glibc_mallinfo2() -> Optional[Callable[[], MallInfo2]]:
    """glibc's ``mallinfo2``, its return type set (looked up once, not on every update), or
    None where the C library has none."""
    mallinfo2 = getattr(glibc(), "mallinfo2", None)
    if mallinfo2 is not None:
        mallinfo2.restype = MallInfo2
    return mallinfo2


def free_heap_bytes() -> Optional[int]:
    """The bytes glibc's heap holds freed but not given back (``mallinfo2().fordblks``, over
    all arenas), or None where glibc's ``mallinfo2`` is not available."""
    mallinfo2 = glibc_mallinfo2()
    return None if mallinfo2 is None else mallinfo2().fordblks


def zoned_blocks(nlp: Language, items: Iterable[T], size: int) -> Iterator[List[T]]:
    """``items`` in blocks of ``size``, each yielded inside a spaCy memory zone (the strings
    the block's docs add are freed when the caller asks for the next block), with the freed
    heap given back to the system after each block."""
    iterator = iter(items)
    while block := list(islice(iterator, size)):
        with nlp.memory_zone():
            yield block
        release_free_memory()


@registry.callbacks("spacy_somd.release_free_memory.v1")
def make_release_free_memory(keep_free_mb: int = 0) -> Callable[[Language, Dict[str, Any]], None]:
    """A ``[training] before_update`` callback: :func:`release_free_memory` before an update
    once the heap holds more than ``keep_free_mb`` of freed memory, so that the fragments the
    updates and evaluations leave (freed buffers of ever differently shaped batches) are given
    back instead of piling up. Up to ``keep_free_mb`` stays for the next updates to reuse:
    memory given back costs a page fault per page when it is taken again (0: trim before
    every update; where the freed bytes cannot be read, trims before every update)."""
    if keep_free_mb < 0:
        raise ValueError(f"release_free_memory: keep_free_mb must be 0 or more, not {keep_free_mb}")
    keep = keep_free_mb * 2**20

    def release_before_update(nlp: Language, args: Dict[str, Any]) -> None:
        free = free_heap_bytes() if keep else None
        if free is None or free > keep:
            release_free_memory()

    return release_before_update
