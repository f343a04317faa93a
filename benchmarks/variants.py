"""Full-corpus benchmarks that train and evaluate variants of a config.

    python benchmarks/variants.py adversarial   # epsilon 0 vs 0.02, all and half of the training data
    python benchmarks/variants.py sieve --sieve audit/default-fold2   # no sieving vs AUM sieves
    python benchmarks/variants.py cv   # each fold held out in turn; mean and standard deviation
    python benchmarks/variants.py learning-curve --training-folds 2 3 --seeds 0 1   # fewer training folds; means

Each variant is trained with `python -m spacy_somd train` (skipped when its model-best exists), its
model-best chosen on the config's development split (drawn from the training folds, never
the held-out fold), and evaluated on its held-out fold with `spacy evaluate` (end to end)
and `python -m spacy_somd evaluate-gold-entities` (skipped when their files are newer
than the model); the scores go to OUT/BENCHMARK.json and OUT/BENCHMARK.md (a Markdown
table). Run it from the project folder after `spacy project run convert` (and, for `sieve`, after the audit workflow).
"""

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Dict, List, NamedTuple, Tuple

import spacy

from spacy_somd.corpus.folds import read_fold_docs
from spacy_somd.evaluation.report import flatten_scores
from spacy_somd.labels import LINE_ATTR
from spacy_somd.pipeline.scorers import macro_f
from spacy_somd.training.reader import create_fold_corpus

COLUMNS = {  # table column: how to read it from (end-to-end scores, gold-entity scores)
    "token F": lambda s, g: s["token_f"],
    "entity F": lambda s, g: s["ents_f"],
    "entity macro F": lambda s, g: macro_f(s["ents_per_type"] or {}),
    "relation F (gold entities)": lambda s, g: g["rel_f"],
    "relation F (end to end)": lambda s, g: s["rel_f"],
    "relation macro F (end to end)": lambda s, g: macro_f(s["rel_per_type"] or {}),
    "SOMD macro F": lambda s, g: s["somd_macro_f"],
    "categories macro F": lambda s, g: s["cats_macro_f"],
    "SOFTWARE ROC AUC": lambda s, g: s["cats_auc_per_type"]["SOFTWARE"],
}


class Variant(NamedTuple):
    name: str
    fold: int
    overrides: Dict[str, str]  # config overrides
    labels: Dict[str, str]  # the table's first columns


Row = Tuple[Dict[str, str], Dict[str, float]]


def run(*args: str) -> None:
    print("$ python -m", " ".join(args), flush=True)
    subprocess.run([sys.executable, "-m", *args], check=True)


def is_stale(scores: Path, model: Path) -> bool:
    """Whether a scores file is missing or older than the model it scores."""
    return not scores.exists() or scores.stat().st_mtime < (model / "meta.json").stat().st_mtime


def train_and_evaluate(args: argparse.Namespace, variant: Variant) -> Dict[str, float]:
    """Train one variant (unless already trained) and return its held-out scores."""
    out, dev = args.out / variant.name, args.corpus / f"fold{variant.fold}.spacy"
    model = out / "model-best"
    if not model.exists():
        settings = {
            "paths.corpus": args.corpus,
            "somd.fold": variant.fold,
            "somd.n_folds": args.n_folds,
            "somd.negative_ratio": args.negative_ratio,
            **variant.overrides,
        }
        run(
            "spacy_somd",
            "train",
            str(args.config),
            str(out),
            "--gpu-id",
            str(args.gpu_id),
            *(item for key, value in settings.items() for item in (f"--{key}", "null" if value is None else str(value))),
        )
    metrics, gold = out / "metrics.json", out / "gold-entities.json"
    gpu = ("--gpu-id", str(args.gpu_id))
    if is_stale(metrics, model):
        run("spacy", "evaluate", str(model), str(dev), "--per-component", "--output", str(metrics), *gpu)
    if is_stale(gold, model):
        run("spacy_somd", "evaluate-gold-entities", str(model), str(dev), "--output", str(gold), *gpu)
    scores, gold_scores = flatten_scores(json.loads(metrics.read_text())), json.loads(gold.read_text())
    return {column: read(scores, gold_scores) for column, read in COLUMNS.items()}


def adversarial_variants(args: argparse.Namespace) -> List[Variant]:
    """epsilon x share of the training data (the first sentences of the training split)."""
    size = sum(1 for _ in create_fold_corpus(args.corpus, fold=args.fold, split="train", n_folds=args.n_folds)(spacy.blank("en")))
    return [
        Variant(
            f"eps{epsilon:g}-share{share:g}",
            args.fold,
            {"components.somd_relation_extractor.adversarial_epsilon": str(epsilon), "corpora.train.limit": str(round(size * share))},
            {"adversarial_epsilon": f"{epsilon:g}", "training data": f"{share:.0%} ({round(size * share)} sentences)"},
        )
        for share in args.shares
        for epsilon in args.epsilons
    ]


def sieve_variants(args: argparse.Namespace) -> List[Variant]:
    """No sieving, then the audit's sieve at each percentile (written here from its dynamics)."""
    variants = [Variant("sieve-none", args.fold, {}, {"sieved percentile": "none", "sentences removed": "0"})]
    for percentile in args.percentiles:
        folder = args.sieve / f"sieve-{percentile:g}"
        run("spacy_somd", "audit", str(args.dynamics), str(folder), "--percentile", str(percentile))
        removed = len(json.loads((folder / "sieve.json").read_text())["lines"])
        variants.append(
            Variant(
                f"sieve-{percentile:g}",
                args.fold,
                {"paths.sieve": str(folder / "sieve.json")},
                {"sieved percentile": f"{percentile:g}", "sentences removed": str(removed)},
            )
        )
    return variants


def cv_variants(args: argparse.Namespace) -> List[Variant]:
    """The config itself, with each fold held out in turn."""
    return [Variant(f"fold{fold}", fold, {}, {"held-out fold": str(fold)}) for fold in range(args.n_folds)]


def learning_curve_variants(args: argparse.Namespace) -> List[Variant]:
    """The config trained on the first K of the other folds (the rest sieved out, so the
    held-out fold and the schedule stay the same), for each K and seed."""
    training = [k for k in range(args.n_folds) if k != args.fold]
    variants = []
    for count in args.training_folds:
        if not 1 <= count <= len(training):
            raise SystemExit(f"--training-folds: {count} is not in 1..{len(training)} (the folds other than {args.fold})")
        kept, dropped = training[:count], training[count:]
        docs = read_fold_docs(args.corpus, spacy.blank("en").vocab, args.n_folds, dropped)
        sieve = args.out / f"sieve-{count}-folds.json"
        sieve.parent.mkdir(parents=True, exist_ok=True)
        sieve.write_text(json.dumps({"lines": [doc._.get(LINE_ATTR) for doc in docs]}))
        for seed in args.seeds:
            overrides = {"system.seed": str(seed), **({"paths.sieve": str(sieve)} if dropped else {})}
            labels = {"training folds": ", ".join(map(str, kept)), "seed": str(seed)}
            variants.append(Variant(f"folds{count}-seed{seed}", args.fold, overrides, labels))
    return variants


def mean_rows(rows: List[Row], label: str) -> List[Row]:
    """The mean of each column over the rows that share a value of ``label``."""
    groups: Dict[str, List[Dict[str, float]]] = {}
    for labels, scores in rows:
        groups.setdefault(labels[label], []).append(scores)
    return [({label: value, "seed": "mean"}, {c: statistics.mean(s[c] for s in group) for c in COLUMNS}) for value, group in groups.items()]


def summary_rows(rows: List[Row]) -> List[Row]:
    """The mean and the (sample) standard deviation of each column over the rows."""
    label = next(iter(rows[0][0]))
    columns = {c: [scores[c] for _, scores in rows] for c in COLUMNS}
    return [
        ({label: "mean"}, {c: statistics.mean(v) for c, v in columns.items()}),
        ({label: "std"}, {c: statistics.stdev(v) if len(v) > 1 else 0.0 for c, v in columns.items()}),
    ]


def markdown(rows: List[Row]) -> str:
    header = [*rows[0][0], *COLUMNS]
    lines = ["| " + " | ".join(header) + " |", "|" + " ---: |" * len(header)]
    for labels, scores in rows:
        first = [*labels.values()] + [""] * (len(rows[0][0]) - len(labels))
        lines.append("| " + " | ".join([*first, *(f"{scores[c]:.3f}" for c in COLUMNS)]) + " |")
    return "\n".join(lines) + "\n"


VARIANTS = {"adversarial": adversarial_variants, "sieve": sieve_variants, "cv": cv_variants, "learning-curve": learning_curve_variants}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("benchmark", choices=tuple(VARIANTS))
    parser.add_argument("--config", type=Path, default=Path("configs/default.cfg"))
    parser.add_argument("--corpus", type=Path, default=Path("corpus"))
    parser.add_argument("--out", type=Path, default=Path("training/benchmarks"))
    parser.add_argument("--fold", type=int, default=2, help="The held-out fold (adversarial, sieve, learning-curve)")
    parser.add_argument("--n-folds", type=int, default=4)
    parser.add_argument("--negative-ratio", type=float, default=0.3, help="Share of the entity-free training sentences kept")
    parser.add_argument("--gpu-id", type=int, default=-1, help="GPU to train and evaluate on (-1: CPU)")
    parser.add_argument("--epsilons", type=float, nargs="+", default=[0.0, 0.02])
    parser.add_argument("--shares", type=float, nargs="+", default=[1.0, 0.5])
    parser.add_argument("--dynamics", type=Path, default=Path("training/default-fold2-dynamics/dynamics.jsonl"))
    parser.add_argument("--sieve", type=Path, default=Path("audit/default-fold2"))
    parser.add_argument("--percentiles", type=float, nargs="+", default=[1.0, 10.0, 50.0])
    parser.add_argument("--training-folds", type=int, nargs="+", default=[2, 3], help="How many of the other folds train (learning-curve)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1], help="Training seeds (learning-curve)")
    args = parser.parse_args()
    rows = [(v.labels, train_and_evaluate(args, v)) for v in VARIANTS[args.benchmark](args)]
    if args.benchmark == "cv":
        rows += summary_rows(rows)
    if args.benchmark == "learning-curve":
        rows += mean_rows(rows, "training folds")
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"{args.benchmark}.json").write_text(json.dumps([{**label, **scores} for label, scores in rows], indent=2))
    table = markdown(rows)
    (args.out / f"{args.benchmark}.md").write_text(table)
    print(table)


if __name__ == "__main__":
    main()
