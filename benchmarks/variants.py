"""Full-corpus benchmarks that train and evaluate variants of a config on one fold.

    python benchmarks/variants.py adversarial   # epsilon 0 vs 0.02, all and half of the training data
    python benchmarks/variants.py sieve --sieve audit/default-fold2   # no sieving vs AUM sieves

Each variant is trained with `spacy train` (skipped when its model-best exists), evaluated
with `spacy evaluate` (end to end) and `python -m spacy_somd evaluate-gold-entities`, and the
scores go to OUT/NAME.json and OUT/NAME.md (a Markdown table). Run it from the project folder
after `spacy project run convert` (and, for `sieve`, after the audit workflow).
"""
import argparse
import json
import subprocess
import sys
from pathlib import Path
from typing import Dict, List, Tuple

import spacy

from spacy_somd.corpus import create_fold_corpus

Variant = Tuple[str, Dict[str, str], Dict[str, str]]  # name, config overrides, table columns
COLUMNS = ("token F", "relation F (gold entities)", "relation F (end to end)", "SOMD macro F")


def run(*args: str) -> None:
    print("$ python -m", " ".join(args), flush=True)
    subprocess.run([sys.executable, "-m", *args], check=True)


def train_and_evaluate(args: argparse.Namespace, name: str, overrides: Dict[str, str]) -> Dict[str, float]:
    """Train one variant (unless already trained) and return its fold scores."""
    out, dev = args.out / name, args.corpus / f"fold{args.fold}.spacy"
    model = out / "model-best"
    if not model.exists():
        flags = [item for key, value in overrides.items() for item in (f"--{key}", value)]
        run("spacy", "train", str(args.config), "--output", str(out), "--paths.corpus", str(args.corpus),
            "--somd.fold", str(args.fold), *flags)  # fmt: skip
    metrics, gold = out / "metrics.json", out / "gold-entities.json"
    run("spacy", "evaluate", str(model), str(dev), "--per-component", "--output", str(metrics))
    run("spacy_somd", "evaluate-gold-entities", str(model), str(dev), "--output", str(gold))
    scores = json.loads(metrics.read_text())
    return dict(zip(COLUMNS, (
        scores["ner"]["token_f"], json.loads(gold.read_text())["rel_f"],
        scores["somd_relation_extractor"]["rel_f"], scores["somd_relation_extractor"]["somd_macro_f"],
    )))  # fmt: skip


def adversarial_variants(args: argparse.Namespace) -> List[Variant]:
    """epsilon x share of the training data (the first sentences of the training split)."""
    size = sum(1 for _ in create_fold_corpus(args.corpus, fold=args.fold, split="train")(spacy.blank("en")))
    return [
        (f"eps{epsilon:g}-share{share:g}",
         {"components.somd_relation_extractor.adversarial_epsilon": str(epsilon),
          "corpora.train.limit": str(round(size * share))},
         {"adversarial_epsilon": f"{epsilon:g}", "training data": f"{share:.0%} ({round(size * share)} sentences)"})
        for share in args.shares for epsilon in args.epsilons
    ]  # fmt: skip


def sieve_variants(args: argparse.Namespace) -> List[Variant]:
    """No sieving, then the audit's sieve at each percentile (written here from its dynamics)."""
    variants: List[Variant] = [("sieve-none", {}, {"sieved percentile": "none", "sentences removed": "0"})]
    for percentile in args.percentiles:
        folder = args.sieve / f"sieve-{percentile:g}"
        run("spacy_somd", "audit", str(args.dynamics), str(folder), "--percentile", str(percentile))
        removed = len(json.loads((folder / "sieve.json").read_text())["lines"])
        variants.append((
            f"sieve-{percentile:g}", {"paths.sieve": str(folder / "sieve.json")},
            {"sieved percentile": f"{percentile:g}", "sentences removed": str(removed)},
        ))  # fmt: skip
    return variants


def markdown(rows: List[Tuple[Dict[str, str], Dict[str, float]]]) -> str:
    header = [*rows[0][0], *COLUMNS]
    lines = ["| " + " | ".join(header) + " |", "|" + " ---: |" * len(header)]
    for labels, scores in rows:
        lines.append("| " + " | ".join([*labels.values(), *(f"{scores[c]:.3f}" for c in COLUMNS)]) + " |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("benchmark", choices=("adversarial", "sieve"))
    parser.add_argument("--config", type=Path, default=Path("configs/default.cfg"))
    parser.add_argument("--corpus", type=Path, default=Path("corpus"))
    parser.add_argument("--out", type=Path, default=Path("training/benchmarks"))
    parser.add_argument("--fold", type=int, default=2)
    parser.add_argument("--epsilons", type=float, nargs="+", default=[0.0, 0.02])
    parser.add_argument("--shares", type=float, nargs="+", default=[1.0, 0.5])
    parser.add_argument("--dynamics", type=Path, default=Path("training/default-fold2-dynamics/dynamics.jsonl"))
    parser.add_argument("--sieve", type=Path, default=Path("audit/default-fold2"))
    parser.add_argument("--percentiles", type=float, nargs="+", default=[1.0, 10.0, 50.0])
    args = parser.parse_args()
    variants = adversarial_variants(args) if args.benchmark == "adversarial" else sieve_variants(args)
    rows = [(labels, train_and_evaluate(args, name, overrides)) for name, overrides, labels in variants]
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"{args.benchmark}.json").write_text(json.dumps([{**l, **s} for l, s in rows], indent=2))
    table = markdown(rows)
    (args.out / f"{args.benchmark}.md").write_text(table)
    print(table)


if __name__ == "__main__":
    main()
