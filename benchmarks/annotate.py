"""Throughput and memory of `python -m spacy_somd annotate` (run from the project folder):

    python benchmarks/annotate.py MODEL --sentences 20000 --runs local-1,local-2,ray-1,ray-2

builds a JSONL input of SENTENCES corpus sentences (train_texts.txt and test_texts.txt of
CORPUS_DIR, shuffled, drawn again once all are used, in records of 5-40 sentences; the
tokens joined by spaces are the raw text), runs each configuration as a subprocess
(`local-N`: the local engine with N processes, `ray-N`: the ray engine with N workers,
`gpu-N`: the local engine on GPU N), samples the resident memory of its whole process tree
(Ray's processes included) twice a second, and prints a markdown table: records, sentences
and words per second (wall clock, start-up included), the start-up (the time before the
first partition is written, less a partition's steady-state time), peak memory, and the
memory at a quarter, half and three quarters of the run (flat when it streams; host memory
only, not a GPU's)."""

import argparse
import json
import random
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, List, Tuple

import psutil

COLUMNS = ("run", "model", "sentences", "records", "wall s", "start-up s", "records/s", "sentences/s", "words/s", "peak RSS MiB", "RSS at 25/50/75 % MiB")


def corpus_sentences(corpus: Path) -> List[str]:
    lines = []
    for name in ("train_texts.txt", "test_texts.txt"):
        lines += [line for line in (corpus / name).read_text(encoding="utf-8").splitlines() if line.strip()]
    return lines


def build_input(corpus: Path, n_sentences: int, path: Path, seed: int = 0) -> int:
    """Write ``n_sentences`` shuffled corpus sentences as JSONL records of 5-40 sentences;
    return the number of records."""
    rng = random.Random(seed)
    sentences = corpus_sentences(corpus)
    pool: List[str] = []
    written = records = 0
    with path.open("w", encoding="utf-8") as f:
        while written < n_sentences:
            size = min(rng.randint(5, 40), n_sentences - written)
            text = []
            for _ in range(size):
                if not pool:
                    pool = sentences[:]
                    rng.shuffle(pool)
                text.append(pool.pop())
            f.write(json.dumps({"id": f"r{records}", "text": " ".join(text)}) + "\n")
            written += size
            records += 1
    return records


def tree_rss(process: psutil.Process) -> int:
    """The resident memory of a process and all its descendants, in bytes."""
    total = 0
    for p in [process] + process.children(recursive=True):
        try:
            total += p.memory_info().rss
        except psutil.Error:
            pass
    return total


RUN_OPTIONS = {"local": ["--engine", "local", "--n-process"], "ray": ["--engine", "ray", "--num-workers"], "gpu": ["--engine", "local", "--gpu-id"]}


def run_one(model: str, source: Path, output: Path, run: str, partition_size: int, batch_size: int) -> Tuple[float, float, List[Tuple[float, int]]]:
    """Run a configuration; its wall time, start-up time and (time, tree RSS) samples."""
    engine, n = run.split("-")
    command = [
        sys.executable,
        "-m",
        "spacy_somd",
        "annotate",
        model,
        str(source),
        str(output),
        *RUN_OPTIONS[engine],
        n,
        "--partition-size",
        str(partition_size),
        "--batch-size",
        str(batch_size),
    ]
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    watched = psutil.Process(process.pid)
    samples: List[Tuple[float, int]] = []
    written: Dict[int, float] = {}  # partitions written -> when that many first were
    while process.poll() is None:
        now = time.perf_counter() - start
        samples.append((now, tree_rss(watched)))
        written.setdefault(len(list(output.glob("_part-*.json"))), now)
        time.sleep(0.5)
    wall = time.perf_counter() - start
    log = process.stdout.read()
    if process.returncode:
        raise SystemExit(f"{' '.join(command)} exited {process.returncode}:\n{log[-3000:]}")
    return wall, startup(written, wall), samples


def startup(written: Dict[int, float], wall: float) -> float:
    """The time before the first partition, less one partition's steady-state time (the
    mean time between the first and the last partition written)."""
    counts = sorted(k for k in written if k > 0)
    if len(counts) < 2:
        return wall
    first, last = counts[0], counts[-1]
    per_partition = (written[last] - written[first]) / (last - first)
    return max(written[first] - first * per_partition, 0.0)


def rss_at(samples: List[Tuple[float, int]], share: float) -> float:
    wall = samples[-1][0]
    return next(rss for t, rss in samples if t >= share * wall) / 2**20


def row(run: str, label: str, summary: Dict, wall: float, startup: float, samples: List[Tuple[float, int]]) -> List[str]:
    peak = max(rss for _, rss in samples) / 2**20
    quarters = "/".join(f"{rss_at(samples, s):.0f}" for s in (0.25, 0.5, 0.75))
    return [
        run,
        label,
        str(summary["sentences"]),
        str(summary["annotated"]),
        f"{wall:.0f}",
        f"{startup:.0f}",
        f"{summary['annotated'] / wall:.2f}",
        f"{summary['sentences'] / wall:.1f}",
        f"{summary['words'] / wall:.0f}",
        f"{peak:.0f}",
        quarters,
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("model", help="A trained pipeline folder")
    parser.add_argument("--label", default=None, help="What to call the model in the table (default: its path)")
    parser.add_argument("--sentences", type=int, default=20000)
    parser.add_argument("--runs", default="local-1,local-2,ray-1,ray-2")
    parser.add_argument("--corpus", type=Path, default=Path("../shared/somd2025"))
    parser.add_argument("--work", type=Path, default=Path("/tmp/annotate-benchmark"))
    parser.add_argument("--partition-size", type=int, default=50)
    parser.add_argument("--batch-size", type=int, default=64, help="Sentences per nlp.pipe batch (annotate's --batch-size)")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    source = args.work / f"input-{args.sentences}.jsonl"
    build_input(args.corpus, args.sentences, source)
    print("| " + " | ".join(COLUMNS) + " |")
    print("|" + " --- |" * len(COLUMNS), flush=True)
    for run in args.runs.split(","):
        output = args.work / f"out-{args.sentences}-{run}-{int(time.time())}.jsonl"
        wall, startup, samples = run_one(args.model, source, output, run, args.partition_size, args.batch_size)
        summary = json.loads(output.with_suffix(".summary.json").read_text(encoding="utf-8"))
        print("| " + " | ".join(row(run, args.label or args.model, summary, wall, startup, samples)) + " |", flush=True)


if __name__ == "__main__":
    main()
