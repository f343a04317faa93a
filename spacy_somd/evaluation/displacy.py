"""displaCy HTML of a pipeline's predictions: the entities, and each relation as a labelled
arc from the attribute to its software (no plotting library needed)."""

import html
from typing import Any, Dict, Iterable, List

from spacy import displacy
from spacy.tokens import Doc

from spacy_somd.labels import RELATIONS_ATTR

# software in blues and greens, their attributes in warm colours
ENTITY_COLORS = {
    "Application": "#7aecec",
    "PlugIn": "#9cc9cc",
    "ProgrammingEnvironment": "#aa9cfc",
    "OperatingSystem": "#bfe1d9",
    "SoftwareCoreference": "#c7e9b4",
    "Version": "#feca74",
    "Developer": "#ff9561",
    "URL": "#f0d0ff",
    "Citation": "#e4e7d2",
    "License": "#ffeb80",
    "Release": "#fdd8b5",
    "Extension": "#ddd",
    "Abbreviation": "#ffb3c7",
    "AlternativeName": "#f9c5a4",
}


def relation_arcs(doc: Doc) -> Dict[str, Any]:
    """displaCy's manual dependency data: one word per entity (its label as the tag) or
    other token, and one arc per relation, pointing from the attribute to the software."""
    words: List[Dict[str, str]] = []
    index: Dict[int, int] = {}
    i = 0
    while i < len(doc):
        span = next((e for e in doc.ents if e.start == i), None)
        end = span.end if span is not None else i + 1
        index[i] = len(words)
        words.append({"text": doc[i:end].text, "tag": span.label_ if span is not None else ""})
        i = end
    arcs = []
    for rel in doc._.get(RELATIONS_ATTR) or []:
        head, tail = index[rel["head"]], index[rel["tail"]]
        arcs.append({"start": min(head, tail), "end": max(head, tail), "label": rel["label"], "dir": "right" if tail > head else "left"})
    return {"words": words, "arcs": arcs}


def render_relations(docs: Iterable[Doc]) -> str:
    """An HTML page: per sentence, displaCy's entities and, below, the relations as
    labelled arcs from each attribute to its software."""
    parts = []
    for doc in docs:
        if doc.ents:
            parts.append(displacy.render(doc, style="ent", page=False, options={"colors": ENTITY_COLORS}))
        else:
            parts.append(f'<div class="entities" style="line-height: 2.5">{html.escape(doc.text)}</div>')
        if doc._.get(RELATIONS_ATTR):
            arcs = displacy.render(relation_arcs(doc), style="dep", manual=True, page=False, options={"compact": True, "distance": 110})
            parts.append(f'<div style="overflow-x: auto">{arcs}</div>')
        parts.append("<hr>")
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>spacy-somd</title></head>'
        '<body style="font-family: sans-serif; margin: 2em">' + "\n".join(parts) + "</body></html>"
    )
