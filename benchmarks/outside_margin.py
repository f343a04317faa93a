"""The seed's O-probability threshold, tried on the transition-based NER (run from the
project folder):

    python benchmarks/outside_margin.py MODEL --corpus corpus --margins -1 0 0.5 1 2

The seed's token classifier tagged a token as outside every entity only when "O" won by
a threshold. The NER here is a greedy transition system whose one layer scores the
actions directly (``use_upper = false``, a maxout over pieces that all carry the action's
bias): lowering the bias of the "O" action by a margin makes the parser leave a token
outside only when "O" wins by that margin (a negative margin does the opposite). For each
margin MODEL is scored on the development split of its training folds (its config's
[somd] fold, dev_size and dev_seed: the data model-best was chosen on) and on the held-out
fold; the margin is chosen on the development split alone, and the table marks it."""

import argparse
from pathlib import Path
from typing import Dict, List, Sequence

import numpy
import spacy
from spacy.language import Language
from spacy.pipeline import EntityRecognizer
from spacy.training import Example
from thinc.api import Model

from spacy_somd.training.reader import create_fold_corpus

SCORES = ("token_f", "token_p", "token_r", "ents_f", "rel_f", "somd_macro_f")


def outside_bias(ner: EntityRecognizer) -> Model:
    """The NER layer that holds the actions' biases (``b``, one row per action)."""
    if ner.model.attrs.get("has_upper", True):
        raise ValueError(f"{ner.name}: needs spacy.TransitionBasedParser.v2 with use_upper = false")
    return ner.model.get_ref("lower")


def set_outside_margin(ner: EntityRecognizer, margin: float, bias: numpy.ndarray) -> None:
    """The NER's "O" action scored ``margin`` lower than with the trained biases ``bias``."""
    names = [ner.moves.get_class_name(i) for i in range(ner.moves.n_moves)]
    layer = outside_bias(ner)
    shifted = bias.copy()
    shifted[names.index("O")] -= margin
    layer.set_param("b", layer.ops.asarray(shifted))


def fold_examples(nlp: Language, corpus: Path, split: str) -> List[Example]:
    """The examples of a split of the model's own fold setting."""
    somd = nlp.config["somd"]
    read = create_fold_corpus(corpus, somd["fold"], split, somd["n_folds"], somd["negative_ratio"], dev_size=somd["dev_size"], dev_seed=somd["dev_seed"])
    return list(read(nlp))


def margin_scores(nlp: Language, margins: Sequence[float], splits: Dict[str, List[Example]]) -> List[Dict[str, Dict[str, float]]]:
    """Each margin's scores on each split; the trained biases are put back afterwards."""
    ner = nlp.get_pipe("ner")
    bias = ner.model.ops.to_numpy(outside_bias(ner).get_param("b")).copy()
    results = []
    try:
        for margin in margins:
            set_outside_margin(ner, margin, bias)
            results.append({name: {key: float(nlp.evaluate(examples)[key]) for key in SCORES} for name, examples in splits.items()})
    finally:
        set_outside_margin(ner, 0.0, bias)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("model", help="A trained pipeline (its config's [somd] section gives the folds)")
    parser.add_argument("--corpus", type=Path, default=Path("corpus"), help="The fold DocBins of `convert`")
    parser.add_argument("--margins", type=float, nargs="+", default=[-1.0, 0.0, 0.5, 1.0, 2.0])
    args = parser.parse_args()
    nlp = spacy.load(args.model)
    if not nlp.config["somd"]["dev_size"]:  # its "dev" split is then a sample of its training sentences
        parser.error(f"{args.model} was trained without a development split ([somd] dev_size = 0): nothing to choose a margin on")
    splits = {split: fold_examples(nlp, args.corpus, split) for split in ("dev", "heldout")}
    results = margin_scores(nlp, args.margins, splits)
    chosen = max(range(len(results)), key=lambda i: results[i]["dev"]["token_f"])
    header = ["O margin", "dev token F", *(f"held-out {key}" for key in SCORES)]
    print("| " + " | ".join(header) + " |\n|" + " --- |" * len(header))
    for i, (margin, result) in enumerate(zip(args.margins, results)):
        mark = " (chosen on dev)" if i == chosen else ""
        cells = [f"{margin:+.2f}{mark}", f"{result['dev']['token_f']:.3f}", *(f"{result['heldout'][key]:.3f}" for key in SCORES)]
        print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
