"""glibc's heap settings and trimming (``spacy_somd.memory``): what they change, and that
training trims the heap once enough freed memory has piled up."""

import subprocess
import sys
import textwrap
from typing import Optional, Tuple

import pytest
import spacy
from thinc.api import Config

from spacy_somd import memory
from tests.builders import CONFIGS

# 100 blocks of 2 MiB freed below a live chunk, after glibc has raised its dynamic mmap
# threshold to 8 MiB: by default they stay on the heap (resident); with the limits they
# were mmapped and go back to the system when freed; trimmed, the heap gives them back.
# The live chunk is 3 MiB: a small one could come from a freed chunk lower down (in some
# runs), leaving the blocks on top of the heap, where glibc trims them by itself.
FRAGMENTS = textwrap.dedent("""
    import ctypes, sys
    from spacy_somd.memory import free_heap_bytes, glibc, limit_heap_growth, release_free_memory
    if sys.argv[1] == "limited":
        limit_heap_growth()
    libc = glibc()
    libc.malloc.restype = ctypes.c_void_p
    libc.free.argtypes = [ctypes.c_void_p]
    def rss():
        return next(int(line.split()[1]) // 1024 for line in open("/proc/self/status") if line.startswith("VmRSS"))
    libc.free(libc.malloc(8 << 20))
    blocks = [libc.malloc(2 << 20) for _ in range(100)]
    for block in blocks:
        ctypes.memset(block, 1, 2 << 20)
    live = libc.malloc(3 << 20)  # too large for any freed chunk, so on top of the blocks
    before, free_before = rss(), free_heap_bytes()
    for block in blocks:
        libc.free(block)
    if sys.argv[1] == "trimmed":
        release_free_memory()
    print(before - rss(), (free_heap_bytes() - free_before) >> 20)
""")


def freed_mb(mode: str) -> Tuple[int, int]:
    """How much resident memory the frees gave back, and how much more the heap says it
    holds freed (MB)."""
    result = subprocess.run([sys.executable, "-c", FRAGMENTS, mode], capture_output=True, text=True, check=True, timeout=120)
    resident, held = result.stdout.split()
    return int(resident), int(held)


GLIBC = pytest.mark.skipif(
    not sys.platform.startswith("linux") or getattr(memory.glibc(), "mallinfo2", None) is None, reason="glibc's malloc (2.33 or later) only"
)


@GLIBC
def test_limits_or_trimming_give_freed_buffers_back():
    resident, held = freed_mb("default")
    assert resident < 50 and held > 150  # resident, and counted as freed by mallinfo2
    assert freed_mb("limited")[0] > 150
    assert freed_mb("trimmed")[0] > 150


def trim_calls(monkeypatch, free_mb: Optional[int], keep_free_mb: int) -> int:
    """How often the training callback trimmed over three updates with this much freed heap."""
    calls = []
    monkeypatch.setattr(memory, "release_free_memory", lambda: calls.append(1))
    monkeypatch.setattr(memory, "free_heap_bytes", lambda: None if free_mb is None else free_mb << 20)
    callback = memory.make_release_free_memory(keep_free_mb=keep_free_mb)
    for step in range(3):
        callback(spacy.blank("en"), {"step": step, "epoch": 0})
    return len(calls)


def test_training_callback_trims_only_past_what_it_keeps(monkeypatch):
    assert trim_calls(monkeypatch, free_mb=100, keep_free_mb=0) == 3
    assert trim_calls(monkeypatch, free_mb=100, keep_free_mb=256) == 0
    assert trim_calls(monkeypatch, free_mb=300, keep_free_mb=256) == 3
    assert trim_calls(monkeypatch, free_mb=None, keep_free_mb=256) == 3  # unknown: trimmed
    with pytest.raises(ValueError, match="keep_free_mb"):
        memory.make_release_free_memory(keep_free_mb=-1)


def test_training_configs_trim_the_heap_past_1024_mb_freed(monkeypatch):
    for name in ("default.cfg", "fast.cfg", "gpu.cfg"):
        config = Config().from_disk(CONFIGS / name, interpolate=False)
        hook = config["training"]["before_update"]
        assert hook == {"@callbacks": "spacy_somd.release_free_memory.v1", "keep_free_mb": 1024}, name
    calls = []
    monkeypatch.setattr(memory, "release_free_memory", lambda: calls.append(1))
    monkeypatch.setattr(memory, "free_heap_bytes", lambda: 2 << 30)
    callback = spacy.util.registry.resolve({"cb": hook})["cb"]
    callback(spacy.blank("en"), {"step": 0, "epoch": 0})
    assert calls == [1]
