"""glibc's heap settings and trimming (``spacy_somd.memory``): what they change, and that
training trims the heap before every update."""
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import spacy
from thinc.api import Config

from spacy_somd import memory

CONFIGS = Path(__file__).resolve().parent.parent / "configs"

# 100 blocks of 2 MiB freed below a live chunk, after glibc has raised its dynamic mmap
# threshold to 8 MiB: by default they stay on the heap (resident); with the limits they
# were mmapped and go back to the system when freed; trimmed, the heap gives them back
FRAGMENTS = textwrap.dedent("""
    import ctypes, sys
    from spacy_somd.memory import glibc, limit_heap_growth, release_free_memory
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
    live = libc.malloc(1024)
    before = rss()
    for block in blocks:
        libc.free(block)
    if sys.argv[1] == "trimmed":
        release_free_memory()
    print(before - rss())
""")


def freed_mb(mode: str) -> int:
    result = subprocess.run([sys.executable, "-c", FRAGMENTS, mode], capture_output=True, text=True, check=True, timeout=120)
    return int(result.stdout)


@pytest.mark.skipif(not sys.platform.startswith("linux") or memory.glibc() is None, reason="glibc's malloc only")
def test_limits_or_trimming_give_freed_buffers_back():
    assert freed_mb("default") < 50
    assert freed_mb("limited") > 150
    assert freed_mb("trimmed") > 150


def test_training_configs_trim_the_heap_before_every_update(monkeypatch):
    calls = []
    monkeypatch.setattr(memory, "release_free_memory", lambda: calls.append(1))
    for name in ("default.cfg", "fast.cfg", "gpu.cfg"):
        config = Config().from_disk(CONFIGS / name, interpolate=False)
        assert config["training"]["before_update"] == {"@callbacks": "spacy_somd.release_free_memory.v1"}, name
    callback = spacy.util.registry.resolve({"cb": {"@callbacks": "spacy_somd.release_free_memory.v1"}})["cb"]
    callback(spacy.blank("en"), {"step": 0, "epoch": 0})
    assert calls == [1]
