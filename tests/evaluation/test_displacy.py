"""The relation view (displaCy HTML): entities merged, arcs pointing at the software."""

import spacy
from spacy.tokens import Doc, Span

from spacy_somd.evaluation.displacy import relation_arcs, render_relations
from spacy_somd.labels import RELATIONS_ATTR, ensure_extensions


def annotated_doc() -> Doc:
    ensure_extensions()
    doc = Doc(spacy.blank("en").vocab, words="We used GraphPad Prism 8 and R".split())
    doc.ents = [Span(doc, 2, 4, "Application"), Span(doc, 4, 5, "Version"), Span(doc, 6, 7, "ProgrammingEnvironment")]
    doc._.set(RELATIONS_ATTR, [{"head": 4, "tail": 2, "label": "Version_of"}, {"head": 2, "tail": 6, "label": "PlugIn_of"}])
    return doc


def test_relation_arcs_merge_entities_and_point_at_the_software():
    data = relation_arcs(annotated_doc())
    assert [(w["text"], w["tag"]) for w in data["words"]] == [
        ("We", ""),
        ("used", ""),
        ("GraphPad Prism", "Application"),
        ("8", "Version"),
        ("and", ""),
        ("R", "ProgrammingEnvironment"),
    ]
    assert data["arcs"] == [
        {"start": 2, "end": 3, "label": "Version_of", "dir": "left"},  # 8 -> GraphPad Prism
        {"start": 2, "end": 5, "label": "PlugIn_of", "dir": "right"},  # GraphPad Prism -> R
    ]


def test_render_relations_shows_entities_and_relation_labels():
    html = render_relations([annotated_doc(), Doc(spacy.blank("en").vocab, words=["Nothing"])])
    assert html.startswith("<!DOCTYPE html>") and html.count("<hr>") == 2
    for text in ("GraphPad Prism", "Application", "Version_of", "PlugIn_of", "<svg"):
        assert text in html
