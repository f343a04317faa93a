"""The accuracy cost of the opt-in int8 backbone (run from the project folder):

    python benchmarks/quantization.py MODEL [MODEL ...] corpus/fold2.spacy

scores each MODEL on a held-out DocBin as ``spacy evaluate`` does (spaCy's ``Corpus`` reader,
the text re-tokenized by the pipeline) five times: as trained (fp32), with every linear
layer of the backbone int8 (``spacy_somd.quantize_backbone.v1``, ``layers = "all"``) and
with only its feed-forward layers int8 (``layers = "feed_forward"``), each with one scale
per weight matrix and with one per output row (``weights = "per_channel"``), and prints a markdown
table of token F, entity F, end-to-end relation F and the categories' macro F with each
setting's difference in token F to fp32, and the words/s of each setting's annotation
(``spacy evaluate``'s ``speed``: one pass, so compare the rows of one run only; the
speed benchmark, ``benchmarks/speed.py --variant``, repeats and takes the fastest). A
MODEL may be a vote (``somd_vote``): each member's backbone is quantized. With several
models, a table each, under the model's name: a vote beside one of its members compares
their words/s in one run."""

import argparse
from pathlib import Path
from typing import Any, Dict, List, Optional

import spacy
from spacy.training import Corpus

from spacy_somd.transformer.quantization import int8_config

SETTINGS: Dict[str, Optional[Dict[str, Any]]] = {  # name: the quantize_backbone.v1 arguments (None: fp32)
    "fp32": None,
    "int8, all linear layers": {"layers": "all"},
    "int8, feed-forward layers": {"layers": "feed_forward"},
    "int8 per channel, all linear layers": {"layers": "all", "weights": "per_channel"},
    "int8 per channel, feed-forward layers": {"layers": "feed_forward", "weights": "per_channel"},
}
SCORES = ("token_f", "ents_f", "rel_f", "cats_macro_f", "speed")


def score(model: str, heldout: Path, arguments: Optional[Dict[str, Any]]) -> Dict[str, float]:
    nlp = spacy.load(model, config={} if arguments is None else int8_config(**arguments))
    scores = nlp.evaluate(list(Corpus(heldout)(nlp)))
    return {key: float(scores[key]) for key in SCORES}


def table(model: str, heldout: Path) -> str:
    """The markdown table of one model's five settings."""
    rows: List[List[str]] = []
    base: Optional[float] = None
    for name, arguments in SETTINGS.items():
        result = score(model, heldout, arguments)
        base = result["token_f"] if base is None else base
        rows.append([name, *(f"{result[key]:.3f}" for key in SCORES[:-1]), f"{result['token_f'] - base:+.3f}", f"{result['speed']:,.0f}"])
    header = ["backbone", "token F", "entity F", "relation F (end to end)", "categories macro F", "token F - fp32", "words/s"]
    return "| " + " | ".join(header) + " |\n|" + " --- |" * len(header) + "\n" + "\n".join("| " + " | ".join(row) + " |" for row in rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("models", nargs="+", help="Trained transformer pipelines or votes")
    parser.add_argument("heldout", type=Path, help="A held-out fold's DocBin (e.g. corpus/fold2.spacy)")
    args = parser.parse_args()
    if len(args.models) == 1:
        print(table(args.models[0], args.heldout))
        return
    print("\n\n".join(f"{model}:\n\n{table(model, args.heldout)}" for model in args.models))


if __name__ == "__main__":
    main()
