"""Speed and memory of a trained pipeline beside its own backbone, in one run on one machine
(run from the project folder):

    python benchmarks/speed.py MODEL [--heldout corpus/fold2.spacy] [--test-texts assets/somd2025/test_texts.txt]
        [--repeats 3] [--train-corpus corpus] [--train-config configs/default.cfg]
    python benchmarks/speed.py profile MODEL [--heldout corpus/fold2.spacy]

For the held-out fold and for test_texts.txt, each both as pre-tokenized Docs and as raw
text (the corpus tokens written as running text), it measures words/s (corpus tokens) of

- ``pipeline``: the full pipeline, ``nlp.pipe`` with the pipeline's own ``[nlp] batch_size``;
- ``pipeline int8``: the same with the backbone quantized (``spacy_somd.quantize_backbone.v1``);
- ``raw forward``: the backbone's plain forward pass (PyTorch fp32, inference mode, the
  fast tokenizer included, batches of 32 sorted by length), with the pipeline's weights;
- ``HF pipeline``: Hugging Face ``pipeline("token-classification")`` on the same backbone
  (a randomly initialised token-classification head), batch 32;

and ``training``: seconds per epoch and peak memory of ``spacy train`` (one epoch of the
config on the corpus). Each measurement runs in its own subprocess (its peak RSS is that
process's, from ``os.wait4``) and times every input ``--passes`` times, keeping the fastest
pass (as ``timeit`` does: a busy machine only ever adds time); the repetitions are
interleaved (every measurement once, then again) and the table gives their medians. It
prints the ratios first, then the table.

``profile`` runs the pipeline over the held-out fold component by component (each one's
share of the time) and under cProfile (the functions with the largest cumulative share).
"""

import argparse
import copy
import cProfile
import json
import os
import pstats
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from functools import partial
from pathlib import Path
from typing import Any, Callable, Dict, List, NamedTuple, Optional, Sequence

import spacy
from spacy.tokens import Doc
from spacy.util import load_config

from spacy_somd.annotate.predict import read_input
from spacy_somd.transformer.backbone import backbone_path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
from segmentation import raw_text  # noqa: E402

QUANTIZE = {"nlp": {"after_pipeline_creation": {"@callbacks": "spacy_somd.quantize_backbone.v1"}}}
BACKBONE_BATCH = 32
KINDS = ("pipeline", "pipeline int8", "raw forward", "HF pipeline")


class Input(NamedTuple):
    name: str  # e.g. "fold 2, Docs"
    words: List[List[str]]  # the corpus tokens of each line
    as_text: bool  # given as running text, else as pre-tokenized Docs


def read_lines(path: Path, limit: int = 0) -> List[List[str]]:
    """The tokens of each line of a DocBin or texts file (the first ``limit`` lines when it
    is not 0)."""
    return [sentence.words for sentence in read_input(path)][: limit or None]


def read_inputs(heldout: Path, test_texts: Path, limit: int = 0) -> List[Input]:
    """The held-out fold and the test texts (the first ``limit`` lines of each when it is
    not 0), each as Docs and as raw text."""
    inputs = []
    for label, path in ((heldout.stem, heldout), ("test_texts", test_texts)):
        words = read_lines(path, limit)
        inputs += [Input(f"{label}, Docs", words, False), Input(f"{label}, text", words, True)]
    return inputs


def backbone_of(model: Path) -> str:
    """The backbone folder named in a pipeline's config."""
    name = load_config(model / "config.cfg", interpolate=True)["components"]["transformer"]["model"]["name"]
    return backbone_path(name["name"]) if isinstance(name, dict) else name


def folder_size(path: Path) -> int:
    return sum(f.stat().st_size for f in Path(path).rglob("*") if f.is_file())


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# ---------------------------------------------------------------- measurements (child side)


def fastest_pass(run: Callable[..., object], passes: int, prepare: Optional[Callable[[], Any]] = None) -> float:
    """The seconds of the fastest of ``passes`` calls of ``run()``, or of ``run(prepare())``
    with ``prepare`` (building a fresh input) outside the clock."""
    if passes < 1:
        raise ValueError(f"--passes must be at least 1, not {passes}")
    times = []
    for _ in range(passes):
        args = () if prepare is None else (prepare(),)
        start = time.perf_counter()
        run(*args)
        times.append(time.perf_counter() - start)
    return min(times)


def pipeline_input(nlp: spacy.language.Language, item: Input) -> list:
    """The input's lines as the pipeline takes them: running text or pre-tokenized Docs."""
    return [raw_text(w) if item.as_text else Doc(nlp.vocab, words=w) for w in item.words]


def time_pipeline(model: Path, inputs: Sequence[Input], config: dict, passes: int) -> Dict[str, float]:
    start = time.perf_counter()
    nlp = spacy.load(model, config=config)
    seconds = {"load": time.perf_counter() - start}
    for item in inputs:
        list(nlp.pipe(pipeline_input(nlp, item)[:16]))  # warm up
        seconds[item.name] = fastest_pass(lambda batch: list(nlp.pipe(batch)), passes, partial(pipeline_input, nlp, item))
    return seconds


def backbone_weights(model: Path):
    """The pipeline's fine-tuned backbone and its tokenizer."""
    trf = spacy.load(model, exclude=["ner", "somd_relation_extractor", "somd_textcat"]).get_pipe("transformer")
    return trf.model.transformer, trf.model.tokenizer


def time_raw_forward(model: Path, inputs: Sequence[Input], passes: int) -> Dict[str, float]:
    import torch

    start = time.perf_counter()
    transformer, tokenizer = backbone_weights(model)
    transformer.eval()
    seconds = {"load": time.perf_counter() - start}

    def forward(lines: List[List[str]], as_text: bool) -> None:
        order = sorted(range(len(lines)), key=lambda i: len(raw_text(lines[i])))  # by length in characters
        with torch.inference_mode():
            for begin in range(0, len(order), BACKBONE_BATCH):
                batch = [lines[i] for i in order[begin : begin + BACKBONE_BATCH]]
                if as_text:
                    encoded = tokenizer([raw_text(w) for w in batch], padding=True, truncation=True, return_tensors="pt")
                else:
                    encoded = tokenizer(batch, is_split_into_words=True, padding=True, truncation=True, return_tensors="pt")
                transformer(**encoded)

    for item in inputs:
        forward(item.words[:16], item.as_text)  # warm up
        seconds[item.name] = fastest_pass(partial(forward, item.words, item.as_text), passes)
    return seconds


def time_hf_pipeline(model: Path, inputs: Sequence[Input], passes: int) -> Dict[str, float]:
    import torch
    from transformers import AutoModelForTokenClassification, pipeline

    start = time.perf_counter()
    transformer, tokenizer = backbone_weights(model)
    torch.manual_seed(0)
    config = copy.deepcopy(transformer.config)
    config.num_labels = 29  # the corpus's B- and I- labels and O
    classifier = AutoModelForTokenClassification.from_config(config)
    missing, _ = classifier.base_model.load_state_dict(transformer.state_dict(), strict=False)
    if missing:
        raise ValueError(f"the token classifier's backbone lacks weights for {missing}")
    tagger = pipeline("token-classification", model=classifier, tokenizer=tokenizer, device=-1)
    seconds = {"load": time.perf_counter() - start}
    for item in inputs:
        # the HF pipeline takes strings: pre-tokenized lines are joined by single spaces
        texts = [raw_text(w) if item.as_text else " ".join(w) for w in item.words]
        tagger(texts[:16], batch_size=BACKBONE_BATCH)  # warm up
        seconds[item.name] = fastest_pass(partial(tagger, texts, batch_size=BACKBONE_BATCH), passes)
    return seconds


def time_training(config: Path, corpus: Path, epochs: int) -> Dict[str, float]:
    """``spacy train`` of CONFIG on CORPUS for EPOCHS epochs; the mean seconds per update
    (without the first, which evaluates the dev set) times the updates per epoch."""
    from spacy.cli.train import train
    from spacy.util import registry

    starts: List[tuple] = []

    @registry.callbacks("speed_benchmark.clock.v1")
    def make_clock():
        return lambda nlp, info: starts.append((info["epoch"], time.perf_counter()))

    overrides = {
        "paths.corpus": str(corpus),
        "training.max_epochs": epochs,
        "training.max_steps": 0,
        "training.eval_frequency": 10**9,
        "training.before_update": {"@callbacks": "speed_benchmark.clock.v1"},
    }
    with tempfile.TemporaryDirectory() as out:
        begin = time.perf_counter()
        train(config, Path(out), overrides=overrides)
        end = time.perf_counter()
    step_seconds = (end - starts[1][1]) / (len(starts) - 1)
    per_epoch = len(starts) / epochs
    return {"load": starts[0][1] - begin, "epoch": step_seconds * per_epoch, "steps per epoch": per_epoch}


def measure(args: argparse.Namespace) -> None:
    """Child process: one measurement, its seconds as JSON on the last stdout line."""
    if args.kind == "training":
        seconds = time_training(args.train_config, args.train_corpus, args.epochs)
    else:
        inputs = [Input(**item) for item in json.loads(Path(args.inputs).read_text())]
        if args.kind == "raw forward":
            seconds = time_raw_forward(args.model, inputs, args.passes)
        elif args.kind == "HF pipeline":
            seconds = time_hf_pipeline(args.model, inputs, args.passes)
        else:
            config = QUANTIZE if args.kind == "pipeline int8" else json.loads(args.config)
            seconds = time_pipeline(args.model, inputs, config, args.passes)
    print(json.dumps(seconds))


# ---------------------------------------------------------------- the run (parent side)


def run_child(argv: List[str]) -> Dict[str, float]:
    """Run this script's ``measure`` in a subprocess; its seconds and its own peak RSS."""
    with tempfile.TemporaryFile("w+") as out:
        proc = subprocess.Popen([sys.executable, __file__, "measure", *argv], stdout=out)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        lines = out.read().strip().splitlines()
    if proc.returncode != 0 or not lines:
        sys.exit(f"measurement {argv} failed with exit code {proc.returncode}")
    return {**json.loads(lines[-1]), "peak MB": usage.ru_maxrss / 1024}


def markdown(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in rows])


def median_of(runs: List[Dict[str, float]], key: str) -> float:
    return statistics.median(run[key] for run in runs)


def ratio_lines(results: Dict[str, List[Dict[str, float]]], inputs: Sequence[Input]) -> List[str]:
    """Per input, the words/s ratios of the full pipeline to the HF pipeline and of every
    pipeline row to the raw fp32 forward pass (the same words, so a ratio of speeds is the
    inverse ratio of the median seconds); a ratio whose measurement was skipped is left out."""
    lines = []
    for item in inputs:
        seconds = {kind: median_of(runs, item.name) for kind, runs in results.items() if kind != "training"}
        pipelines = [kind for kind in seconds if kind not in ("raw forward", "HF pipeline")]
        parts = []
        if "raw forward" in seconds:
            parts += [f"{kind} / raw forward {seconds['raw forward'] / seconds[kind]:.2f}x" for kind in pipelines]
        if "HF pipeline" in seconds and "pipeline" in seconds:
            parts.append(f"pipeline / HF pipeline {seconds['HF pipeline'] / seconds['pipeline']:.2f}x")
        lines.append(f"{item.name}: " + ", ".join(parts))
    return lines


def benchmark(args: argparse.Namespace) -> None:
    inputs = read_inputs(args.heldout, args.test_texts, args.limit)
    kinds = [kind for kind in KINDS if kind not in args.skip]
    variants = dict(variant.split("=", 1) for variant in args.variant)  # extra pipeline rows: name -> config
    kinds += list(variants)
    results: Dict[str, List[Dict[str, float]]] = {kind: [] for kind in kinds}
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump([item._asdict() for item in inputs], handle)
    try:
        for repeat in range(args.repeats):
            for kind in kinds:
                print(f"repeat {repeat + 1}/{args.repeats}: {kind}", file=sys.stderr, flush=True)
                child = ["--kind", "pipeline", "--config", variants[kind]] if kind in variants else ["--kind", kind]
                results[kind].append(run_child([str(args.model), *child, "--inputs", handle.name, "--passes", str(args.passes)]))
    finally:
        os.unlink(handle.name)
    if args.train_corpus is not None:
        print("training", file=sys.stderr, flush=True)
        results["training"] = [
            run_child(
                [
                    str(args.model),
                    "--kind",
                    "training",
                    "--train-config",
                    str(args.train_config),
                    "--train-corpus",
                    str(args.train_corpus),
                    "--epochs",
                    str(args.epochs),
                ]
            )
        ]
    print("\n".join(ratio_lines(results, inputs)) + "\n")
    rows = []
    for kind in kinds:
        runs = results[kind]
        for item in inputs:
            words = sum(len(w) for w in item.words)
            rows.append(
                [
                    kind,
                    item.name,
                    str(words),
                    f"{words / median_of(runs, item.name):,.0f}",
                    f"{max(r['peak MB'] for r in runs):,.0f}",
                    f"{median_of(runs, 'load'):.1f}",
                ]
            )
    print(markdown(["measurement", "input", "words", "words/s", "peak RSS (MB)", "load (s)"], rows))
    if "training" in results:
        run = results["training"][0]
        print(
            "\n"
            + markdown(
                ["training", "s / epoch", "updates / epoch", "peak RSS (MB)", "set-up (s)"],
                [[str(args.train_config), f"{run['epoch']:.0f}", f"{run['steps per epoch']:.0f}", f"{run['peak MB']:,.0f}", f"{run['load']:.0f}"]],
            )
        )
    print(
        f"\nsize on disk: pipeline {folder_size(args.model) / 2**20:,.0f} MB, "
        f"backbone {folder_size(Path(backbone_of(args.model))) / 2**20:,.0f} MB; {args.repeats} interleaved repeats of the fastest of {args.passes} passes, medians"
    )


# ---------------------------------------------------------------- profile


def profile(args: argparse.Namespace) -> None:
    """Each component's share of the pipeline's time over the held-out fold (given as
    Docs), then the functions with the largest cumulative share under cProfile."""
    nlp = spacy.load(args.model)
    make = partial(pipeline_input, nlp, Input(args.heldout.stem, read_lines(args.heldout, args.limit), as_text=False))
    list(nlp.pipe(make()[:16]))
    docs, shares = make(), {}
    for name, proc in nlp.pipeline:
        start = time.perf_counter()
        docs = list(proc.pipe(docs, batch_size=nlp.batch_size))
        shares[name] = time.perf_counter() - start
    total = sum(shares.values())
    print(markdown(["component", "seconds", "share"], [[n, f"{s:.2f}", f"{s / total:.0%}"] for n, s in shares.items()]))
    profiler = cProfile.Profile()
    docs = make()
    profiler.enable()
    for _ in nlp.pipe(docs):
        pass
    profiler.disable()
    stats = pstats.Stats(profiler)
    total = max(entry[3] for entry in stats.stats.values())
    top = sorted(stats.stats.items(), key=lambda item: -item[1][3])[: args.top]
    rows = [[f"`{Path(file).name}:{line}({func})`", f"{cum:.2f}", f"{cum / total:.0%}", f"{tt:.2f}"] for (file, line, func), (_, _, tt, cum, _) in top]
    print("\n" + markdown(["function", "cumulative s", "share", "own s"], rows))
    print(f"\npeak RSS {peak_rss_mb():,.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command")
    for name in ("run", "profile", "measure"):
        p = sub.add_parser(name)
        p.add_argument("model", type=Path)
        p.add_argument("--heldout", type=Path, default=Path("corpus/fold2.spacy"))
        p.add_argument("--test-texts", type=Path, default=Path("assets/somd2025/test_texts.txt"))
        p.add_argument("--train-config", type=Path, default=Path("configs/default.cfg"))
        p.add_argument("--train-corpus", type=Path, default=None, help="measure training on this corpus folder")
        p.add_argument("--epochs", type=int, default=1)
        p.add_argument("--repeats", type=int, default=3)
        p.add_argument("--passes", type=int, default=3, help="times each input is run in a measurement; the fastest counts")
        p.add_argument("--skip", nargs="*", default=[], choices=KINDS)
        p.add_argument("--top", type=int, default=25)
        p.add_argument("--limit", type=int, default=0, help="only the first N lines of each input (a quick check)")
        p.add_argument("--kind", choices=[*KINDS, "training"])
        p.add_argument(
            "--variant",
            nargs="*",
            default=[],
            metavar="NAME=JSON",
            help='extra pipeline rows loaded with config overrides, e.g. \'batch 4096={"components": {"transformer": {"max_batch_items": 4096}}}\'',
        )
        p.add_argument("--inputs")
        p.add_argument("--config", default="{}")
    argv = sys.argv[1:]
    args = parser.parse_args(argv if argv[:1] in (["profile"], ["measure"], ["-h"], ["--help"]) else ["run", *argv])
    {"run": benchmark, "profile": profile, "measure": measure}[args.command](args)


if __name__ == "__main__":
    main()
