"""The README's picture: a trained pipeline's entities and relations on the README's
example text, drawn by displaCy (entity labels under the words, relation arcs from each
attribute to its software) and saved as a PNG.

    python scripts/readme_figure.py MODEL docs/img/example.png

Needs cairosvg (``pip install cairosvg``, which needs the system's libcairo) to turn
displaCy's SVG into a PNG."""

import argparse
import re
from pathlib import Path
from typing import List

import spacy
from spacy import displacy
from spacy.tokens import Doc, Span

from spacy_somd.evaluation.displacy import relation_arcs
from spacy_somd.labels import RELATIONS_ATTR

EXAMPLE = "Images were analysed in Fiji (http://fiji.sc) [12]. Statistics used Stata 15.1 (StataCorp, College Station, TX)."


def sentence_doc(sent: Span) -> Doc:
    """A sentence as a doc of its own, with its relations (token indices into it)."""
    doc = sent.as_doc()
    doc._.set(
        RELATIONS_ATTR,
        [
            {**rel, "head": rel["head"] - sent.start, "tail": rel["tail"] - sent.start}
            for rel in sent.doc._.get(RELATIONS_ATTR) or []
            if sent.start <= rel["head"] < sent.end
        ],
    )
    return doc


def stack(svgs: List[str]) -> str:
    """displaCy's SVGs (one a sentence) one below the other, in one SVG."""
    sizes = [tuple(float(v) for v in re.search(r'width="([\d.]+)" height="([\d.]+)"', svg).groups()) for svg in svgs]
    parts, y = [], 0.0
    for svg, (_, height) in zip(svgs, sizes):
        parts.append(re.sub(r"^<svg ", f'<svg y="{y}" ', svg.strip(), count=1))
        y += height
    width = max(width for width, _ in sizes)
    return f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{y}"><rect width="100%" height="100%" fill="#ffffff"/>{"".join(parts)}</svg>'


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("model", help="A trained pipeline: a folder or an installed package")
    parser.add_argument("out_png", type=Path)
    parser.add_argument("--text", default=EXAMPLE)
    parser.add_argument("--scale", type=float, default=1.5, help="PNG pixels per SVG unit")
    args = parser.parse_args()
    try:
        import cairosvg
    except ImportError:
        raise SystemExit("readme_figure.py needs cairosvg: pip install cairosvg") from None
    doc = spacy.load(args.model)(args.text)
    svg = stack(
        [
            displacy.render(
                relation_arcs(sentence_doc(sent)), style="dep", manual=True, jupyter=False, options={"compact": True, "distance": 95, "bg": "#ffffff"}
            )
            for sent in doc.sents
        ]
    )
    args.out_png.parent.mkdir(parents=True, exist_ok=True)
    cairosvg.svg2png(bytestring=svg.encode("utf-8"), write_to=str(args.out_png), scale=args.scale)
    print(f"{len(doc.ents)} entities, {len(doc._.somd_relations)} relations -> {args.out_png}")


if __name__ == "__main__":
    main()
