"""Trained pipelines scored on a held-out fold as written and on its two variants.

    python benchmarks/robustness.py training/default-fold2/model-last training/default-fold2/model-best \
        --corpus-dir assets/somd2025 --corpus corpus --fold 2 --out training/robustness

The fold's tokenization variant (versions, citations, URLs split at their punctuation,
"Inc ." joined, ...) and unseen-names variant (software names replaced by generated names
that occur nowhere in the corpus) are written with `python -m spacy_somd variant`; each
model is evaluated on the fold (CORPUS/foldF.spacy) and on both variants with `spacy
evaluate` (skipped when the scores are newer than the model). The table goes to
OUT/robustness.md and is printed, followed by each model's token F with the four software
types as one (a name found with the wrong software type counts as found: how much of the
unseen-names gap is finding renamed names and how much is typing them), its entity F by
type on the fold and on both variants (where a variant's loss comes from), and, once, how
many of the fold's software mentions have a name the training folds hold (as an entity of any type, case
ignored): the share the unseen-names variant renames that real held-out text would not.

With ``--log docs/experiments.csv --experiment NAME --setting TEXT`` each model's row is also
appended to the experiment log (fold, seed and checkpoint read from the model), so that the
log is written by the runs, never by hand.
"""

import argparse
import csv
import datetime
import importlib.util
import json
from pathlib import Path
from typing import Any, Dict, Iterable, List, Sequence

from spacy.tokens import Doc
from spacy.util import load_config
from spacy.vocab import Vocab

from spacy_somd.corpus.folds import read_fold_docs
from spacy_somd.evaluation.report import flatten_scores, markdown_table
from spacy_somd.labels import SOFTWARE_TYPES
from spacy_somd.pipeline.scorers import macro_f

_spec = importlib.util.spec_from_file_location("variants", Path(__file__).with_name("variants.py"))
variants = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(variants)

KINDS = ("tokenization", "unseen-names")
MERGED_HEADER = [
    "model",
    "token F, software types as one",
    *(f"the same, {kind} variant" for kind in KINDS),
    "unseen-names gap, typed",
    "unseen-names gap, software types as one",
]
HEADER = [
    "model",
    "token F",
    "entity macro F",
    "relation macro F (end to end)",
    "SOMD macro F",
    "token F, tokenization variant",
    "token F, unseen-names variant",
]


def evaluate(model: Path, data: Path, out: Path) -> Dict[str, float]:
    """`spacy evaluate` scores of a model on a DocBin (cached in ``out``)."""
    if variants.is_stale(out, model):
        out.parent.mkdir(parents=True, exist_ok=True)
        variants.run("spacy", "evaluate", str(model), str(data), "--per-component", "--output", str(out))
    return flatten_scores(json.loads(out.read_text()))


def score_values(fold: Dict[str, Any], variants: Sequence[Dict[str, Any]]) -> List[float]:
    """Token F, entity and end-to-end relation macro F and SOMD macro F on the fold, then
    token F on each variant (the columns after the model's name)."""
    entity, relation = macro_f(fold["ents_per_type"] or {}), macro_f(fold["rel_per_type"] or {})
    return [fold["token_f"], entity, relation, fold["somd_macro_f"], *(v["token_f"] for v in variants)]


def row(name: str, scores: Dict[str, Dict[str, float]]) -> List[str]:
    values = score_values(scores["fold"], [scores[k] for k in KINDS])
    return [name, *(f"{v:.3f}" for v in values)]


def merged_row(name: str, scores: Dict[str, Dict[str, Any]]) -> List[str]:
    """Token F with the four software types as one on the fold and each variant, then the
    unseen-names variant's gap to the fold typed and with the software types as one ("-"
    for scores written before the scorer reported it)."""
    typed = [scores[key]["token_f"] for key in ("fold", "unseen-names")]
    merged = [scores[key].get("token_software_merged_f") for key in ("fold", *KINDS)]
    gaps = [typed[0] - typed[1], None if None in merged else merged[0] - merged[-1]]
    return [name, *("-" if v is None else f"{v:.3f}" for v in [*merged, *gaps])]


def type_rows(scores: Dict[str, Dict[str, Any]]) -> List[List[str]]:
    """Entity F of each type (in the fold's order) on the fold and on each variant; "-"
    where a variant has neither a gold nor a predicted entity of the type."""
    keys = ["fold", *KINDS]
    per_type = [scores[key].get("ents_per_type") or {} for key in keys]
    return [[label, *(f"{p[label]['f']:.3f}" if label in p else "-" for p in per_type)] for label in per_type[0]]


def seen_name_rows(heldout: Iterable[Doc], training: Iterable[Doc]) -> List[List[str]]:
    """For each software type: the held-out docs' mentions of it, how many of their names
    (lower-cased) the training docs hold as an entity of any type, and that share."""
    seen = {ent.text.lower() for doc in training for ent in doc.ents}
    mentions = [ent for doc in heldout for ent in doc.ents if ent.label_ in SOFTWARE_TYPES]
    rows = []
    for type_ in SOFTWARE_TYPES:
        names = [ent.text.lower() for ent in mentions if ent.label_ == type_]
        n_seen = sum(name in seen for name in names)
        rows.append([type_, str(len(names)), str(n_seen), f"{n_seen / len(names):.2f}" if names else "-"])
    return rows


LOG_HEADER = [
    "experiment",
    "setting",
    "fold",
    "seed",
    "checkpoint",
    "token_f",
    "entity_macro_f",
    "relation_macro_f",
    "somd_macro",
    "token_f_tokenization_variant",
    "token_f_unseen_names_variant",
    "date",
]


def log_row(experiment: str, setting: str, model: Path, config: Dict[str, Any], scores: Dict[str, Dict[str, Any]], date: str) -> List[str]:
    """A model's row of the experiment log: what was tried, where (fold, seed, checkpoint)
    and its scores, as :func:`score_values` gives them."""
    values = score_values(scores["fold"], [scores[k] for k in KINDS])
    fold, seed = config.get("somd", {}).get("fold"), config.get("system", {}).get("seed")
    return [experiment, setting, str(fold), str(seed), model.name, *(f"{v:.3f}" for v in values), date]


def append_log(path: Path, rows: Sequence[Sequence[str]]) -> None:
    """Append rows to the experiment log, writing its header first when it is new; a log
    whose header is not :data:`LOG_HEADER` is refused (its columns would not line up)."""
    if path.exists():
        with path.open(encoding="utf-8", newline="") as f:
            header = next(csv.reader(f), None)
        if header != LOG_HEADER:
            raise SystemExit(f"{path}: its header is {header}, not the experiment log's {LOG_HEADER}")
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(",".join(LOG_HEADER) + "\n", encoding="utf-8")
    with path.open("a", encoding="utf-8", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("models", type=Path, nargs="+")
    parser.add_argument("--corpus-dir", type=Path, default=Path("assets/somd2025"))
    parser.add_argument("--corpus", type=Path, default=Path("corpus"), help="The fold DocBins of `convert`")
    parser.add_argument("--fold", type=int, default=2)
    parser.add_argument("--n-folds", type=int, default=4)
    parser.add_argument("--seed", type=int, default=0, help="Seed of the generated names")
    parser.add_argument("--out", type=Path, default=Path("training/robustness"))
    parser.add_argument("--log", type=Path, default=None, help="Append each model's row to this experiment log (docs/experiments.csv)")
    parser.add_argument("--experiment", default="", help="The question the run answers (the log's experiment column)")
    parser.add_argument("--setting", default="", help="What the models were trained with (the log's setting column)")
    args = parser.parse_args()
    if args.log is not None and not (args.experiment and args.setting):
        parser.error("--log needs --experiment and --setting")
    data = {"fold": args.corpus / f"fold{args.fold}.spacy"}
    for kind in KINDS:
        data[kind] = args.out / f"fold{args.fold}-{kind}.spacy"
        variants.run(
            "spacy_somd",
            "variant",
            str(args.corpus_dir),
            str(args.out / f"fold{args.fold}-{kind}"),
            "--kind",
            kind,
            "--fold",
            str(args.fold),
            "--n-folds",
            str(args.n_folds),
            "--seed",
            str(args.seed),
            "--docbin",
            str(data[kind]),
        )
    rows, merged, by_type, logged = [], [], [], []
    for model in args.models:
        slug = str(model.resolve()).strip("/").replace("/", "_")
        scores = {key: evaluate(model, path, args.out / "scores" / f"{slug}-{key}.json") for key, path in data.items()}
        rows.append(row(str(model), scores))
        if args.log is not None:
            config = load_config(model / "config.cfg", interpolate=False)
            logged.append(log_row(args.experiment, args.setting, model, config, scores, datetime.date.today().isoformat()))
        merged.append(merged_row(str(model), scores))
        type_header = [f"{model}: entity type", f"F, fold {args.fold}", *(f"F, {kind} variant" for kind in KINDS)]
        by_type.append(markdown_table(type_rows(scores), type_header))
    vocab, others = Vocab(), [k for k in range(args.n_folds) if k != args.fold]
    seen = seen_name_rows(read_fold_docs(args.corpus, vocab, args.n_folds, [args.fold]), read_fold_docs(args.corpus, vocab, args.n_folds, others))
    seen_header = ["software type", f"mentions in fold {args.fold}", "their name in the training folds", "share"]
    table = "\n\n".join([markdown_table(rows, HEADER), markdown_table(merged, MERGED_HEADER), *by_type, markdown_table(seen, seen_header)]) + "\n"
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "robustness.md").write_text(table)
    print(table)
    if args.log is not None:
        append_log(args.log, logged)
        print(f"Appended {len(logged)} rows to {args.log}")


if __name__ == "__main__":
    main()
