"""Long and odd input: time and memory that must not grow faster than the input (run from
the project folder):

    python benchmarks/robustness.py MODEL [TEST_TEXTS] [--lines 2000 20000]

- sentence boundaries plus relation candidates on a doc of 8k and of 32k tokens (CPU
  time, best of 5; the ratio must stay near 4, linear);
- `predict` on 2,000 and on 20,000 lines (``--lines``) drawn from TEST_TEXTS (default
  ../shared/somd2025/test_texts.txt): the peak memory (RSS) of the child process must
  not grow with the number of lines;
- `predict` on one 2,000-token line that is a list of software and versions (hundreds of
  entities, tens of thousands of candidate pairs): peak memory.

The inputs are written to a temporary folder and removed afterwards.
"""

import argparse
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable, List, Tuple

import spacy
from spacy.tokens import Doc, Span

from spacy_somd.corpus.format import bio_to_spans, read_somd
from spacy_somd.pipeline.relations.candidates import entity_pairs

ITEMS = [("SPSS", "22"), ("R", "4.0.3"), ("Stata", "15"), ("MATLAB", "R2019b"), ("ImageJ", None), ("Python", "3.8")]
SENTENCE = "We used {app} {ver} ( IBM ) for the analysis , see Fig . 2 and Smith et al . 2005 ."
PEAK_RSS = (
    "import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL); "
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
)


def list_line(n_tokens: int) -> List[str]:
    """A list of software and versions (``SPSS 22 , R 4.0.3 , ImageJ , ...``) of
    ``n_tokens`` tokens."""
    words: List[str] = []
    for i in range(n_tokens):
        app, ver = ITEMS[i % len(ITEMS)]
        words += [app] + ([ver] if ver else []) + [","]
        if len(words) >= n_tokens:
            return words[:n_tokens]
    return words


def sentences_doc(nlp: spacy.language.Language, n_tokens: int) -> Doc:
    """A doc of ``n_tokens`` tokens of corpus-like sentences with two entities each."""
    words: List[str] = []
    ents: List[Tuple[int, int, str]] = []
    for i in range(n_tokens):
        app, ver = ITEMS[i % len(ITEMS)]
        start = len(words)
        words += SENTENCE.format(app=app, ver=ver or "1").split()
        ents += [(start + 2, start + 3, "Application"), (start + 3, start + 4, "Version")]
        if len(words) >= n_tokens:
            break
    doc = Doc(nlp.vocab, words=words)
    doc.ents = [Span(doc, s, e, label=label) for s, e, label in ents]
    return doc


def best_cpu_time(function: Callable[[], object], repeats: int = 5) -> float:
    """The least CPU time of this process over ``repeats`` calls (CPU time, not wall
    time: on a shared machine the wall time of a short run mostly measures the others)."""
    times = []
    for _ in range(repeats):
        start = time.process_time()
        function()
        times.append(time.process_time() - start)
    return min(times)


def boundaries_and_candidates() -> List[Tuple[str, str, str]]:
    nlp = spacy.blank("en")
    sentencizer = nlp.add_pipe("somd_sentencizer")
    rows, seconds = [], {}
    for n in (8_000, 32_000):
        doc = sentences_doc(nlp, n)
        seconds[n] = best_cpu_time(lambda doc=doc: len(entity_pairs(sentencizer(doc), 100)))
        rows.append((f"sentence boundaries + candidates, {len(doc):,} tokens", f"{seconds[n] * 1000:.1f} ms CPU", ""))
    rows[-1] = (*rows[-1][:2], f"{seconds[32_000] / seconds[8_000]:.2f} (4 is linear)")
    return rows


def peak_rss_of_predict(model: str, texts: Path, out_dir: Path) -> Tuple[float, float]:
    """Peak RSS (GB) and wall time (s) of `python -m spacy_somd predict` in a child process."""
    start = time.perf_counter()
    command = [sys.executable, "-m", "spacy_somd", "predict", model, str(texts), str(out_dir)]
    result = subprocess.run([sys.executable, "-c", PEAK_RSS, *command], check=True, capture_output=True, text=True)
    return int(result.stdout.split()[-1]) / 1024**2, time.perf_counter() - start


def predict_memory(model: str, test_texts: Path, tmp: Path, sizes: Tuple[int, int]) -> List[Tuple[str, str, str]]:
    lines = test_texts.read_text(encoding="utf-8").splitlines()
    rng = random.Random(0)
    rows, peaks = [], {}
    for n in sizes:
        texts = tmp / f"lines-{n}.txt"
        texts.write_text("".join(line + "\n" for line in rng.choices(lines, k=n)), encoding="utf-8")
        peaks[n], seconds = peak_rss_of_predict(model, texts, tmp / f"out-{n}")
        written = len((tmp / f"out-{n}" / "entities.txt").read_text(encoding="utf-8").splitlines())
        rows.append((f"`predict`, {n:,} lines ({written:,} written, {seconds:.0f} s)", f"{peaks[n]:.2f} GB", ""))
    rows[-1] = (*rows[-1][:2], f"{peaks[sizes[1]] / peaks[sizes[0]]:.2f} (at most 1.2)")
    return rows


def long_line_memory(model: str, tmp: Path) -> List[Tuple[str, str, str]]:
    texts = tmp / "long-line.txt"
    texts.write_text(" ".join(list_line(2_000)) + "\n", encoding="utf-8")
    peak, seconds = peak_rss_of_predict(model, texts, tmp / "out-long")
    out = tmp / "out-long"
    (sentence,), _ = read_somd(out / "texts.txt", out / "entities.txt")
    nlp = spacy.blank("en")
    doc = nlp.add_pipe("somd_sentencizer")(Doc(nlp.vocab, words=sentence.words))
    doc.ents = [Span(doc, s, e, label=label) for s, e, label in bio_to_spans(sentence.labels)]
    pairs = entity_pairs(doc, 100)
    relations = (out / "relations.txt").read_text(encoding="utf-8").count("\t") // 2
    what = f"`predict`, one {len(doc):,}-token line: {len(doc.ents)} entities, {len(pairs):,} candidate pairs, {relations} relations ({seconds:.0f} s)"
    return [(what, f"{peak:.2f} GB", "(under 3 GB)")]


def main(model: str, test_texts: Path, sizes: Tuple[int, int]) -> None:
    rows = boundaries_and_candidates()
    with tempfile.TemporaryDirectory() as tmp:
        rows += long_line_memory(model, Path(tmp))
        rows += predict_memory(model, test_texts, Path(tmp), sizes)
    print("| Measure | Value | Ratio |\n| --- | ---: | ---: |")
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("model")
    parser.add_argument("test_texts", nargs="?", type=Path, default=Path("../shared/somd2025/test_texts.txt"))
    parser.add_argument("--lines", nargs=2, type=int, default=[2_000, 20_000], help="the two input sizes of `predict`")
    args = parser.parse_args()
    main(args.model, args.test_texts, tuple(args.lines))
