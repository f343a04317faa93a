"""Speed and memory of a pipeline for its model card: load it and annotate a text file (one
text a line) in a process of its own, so that the peak memory is the pipeline's; the
result names the machine it was measured on."""

import json
import os
import platform
import resource
import subprocess
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any, Dict


def machine() -> str:
    """The machine in words: CPU cores, memory, system and architecture."""
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30 if hasattr(os, "sysconf") else 0.0
    return f"{os.cpu_count()} CPU cores, {memory:.0f} GiB memory, {platform.system()} {platform.machine()}, Python {platform.python_version()}"


def measure(model: str, texts: Path, batch_size: int = 64) -> Dict[str, Any]:
    """Load ``model`` and annotate the lines of ``texts`` once in this process: words/s of
    the annotation (not the loading), this process's peak RSS, the machine."""
    import spacy

    lines = [line for line in texts.read_text(encoding="utf-8").splitlines() if line.strip()]
    nlp = spacy.load(model)
    start = time.perf_counter()
    words = sum(len(doc) for doc in nlp.pipe(lines, batch_size=batch_size))
    seconds = time.perf_counter() - start
    return {
        "words": words,
        "texts": f"{len(lines)} lines of {texts.name}",
        "seconds": seconds,
        "words_per_second": words / seconds if seconds else 0.0,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "machine": machine(),
        "spacy": spacy.__version__,
        "date": date.today().isoformat(),
    }


def measure_in_subprocess(model: str, texts: Path, output: Path) -> Dict[str, Any]:
    """:func:`measure` in a fresh Python process, its result also written to ``output``."""
    script = (
        f"import json; from pathlib import Path; from spacy_somd.release.benchmark import measure; print(json.dumps(measure({model!r}, Path({str(texts)!r}))))"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    output.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return result
