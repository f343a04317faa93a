"""Entities re-drawn over runs (``spacy_somd.pipeline.rules.redraw``) of URLs and
citations written in pieces: the runs, whole runs for cut entities, the lowest confidence."""

import pytest
import spacy
from spacy.tokens import Doc, Span

from spacy_somd.pipeline.rules.citations import citation_runs
from spacy_somd.pipeline.rules.redraw import redraw_runs
from spacy_somd.pipeline.rules.urls import url_runs

URL_RUNS = {
    "a run starts at its scheme and ends where the text goes on": (
        "home page : https : / / github . com / ruolin / strawberry • Operating system",
        ["https : / / github . com / ruolin / strawberry"],
    ),
    "trailing separators go, a closing slash stays": (
        "See www . genepattern . org . Data at http : / / x . org / ; done",
        ["www . genepattern . org", "http : / / x . org /"],
    ),
    "a colon joins only before a slash or a port": ("Server : localhost : 8080 / app", ["localhost : 8080 / app"]),
    "words join only after a separator; whole URLs make no run": (
        "from mosaic.mpi - cbg.de and http://fiji.sc or the 2 . 2 . 1 version",
        ["mosaic.mpi - cbg.de", "2 . 2 . 1"],
    ),
    "a title-case word ends a run unless a separator follows": (
        "at www . x . org . The tool , https : / / y . org / Tools / msa / Download page",
        ["www . x . org", "https : / / y . org / Tools / msa /"],
    ),
    "a run has three tokens at least": ("a - b , c -", ["a - b"]),
}


CITATION_RUNS = {
    "numbers joined by commas, dashes or nothing": ("as in [ 5 , 8 ] and [ 3 - 5 ] or [ 27 ] .", ["[ 5 , 8 ]", "[ 3 - 5 ]", "[ 27 ]"]),
    "two citations side by side are two runs": ("[ 45 ] , [ 46 ]", ["[ 45 ]", "[ 46 ]"]),
    "one-token citations, words in brackets and open brackets are none": ("[27] [ UTRAD / ICAL ] [ 5 , ] [ 5 , 8", []),
}


@pytest.mark.parametrize(
    "find_runs, text, expected",
    [(url_runs, *case) for case in URL_RUNS.values()] + [(citation_runs, *case) for case in CITATION_RUNS.values()],
    ids=list(URL_RUNS) + list(CITATION_RUNS),
)
def test_runs(find_runs, text, expected):
    words = text.split()
    assert [" ".join(words[start:end]) for start, end in find_runs(words)] == expected


def doc_with(words, ents):
    doc = Doc(spacy.blank("en").vocab, words=words)
    doc.ents = [Span(doc, start, end, label=label) for start, end, label in ents]
    return doc


def redraw(doc, find_runs=url_runs, label="URL"):
    return redraw_runs(doc, find_runs([token.text for token in doc]), label)


def test_a_url_entity_becomes_its_whole_run_and_entities_inside_it_go():
    words = "We used SPSS ( www . brain - connectivity - toolbox . net ) .".split()
    doc = doc_with(words, [(2, 3, "Application"), (4, 7, "URL"), (8, 11, "PlugIn")])
    assert redraw(doc) == 1
    assert [(e.text, e.label_) for e in doc.ents] == [("SPSS", "Application"), ("www . brain - connectivity - toolbox . net", "URL")]


def test_runs_without_an_entity_of_the_label_and_one_token_mentions_are_left_alone():
    words = "SPSS 2 . 2 . 1 from http://fiji.sc [ 5 ] [27]".split()
    ents = [(0, 1, "Application"), (1, 6, "Version"), (7, 8, "URL"), (11, 12, "Citation")]
    doc = doc_with(words, ents)
    assert redraw(doc) == 0
    assert redraw(doc, citation_runs, "Citation") == 0
    assert [(e.start, e.end, e.label_) for e in doc.ents] == ents


def test_an_overlong_url_entity_is_cut_back_to_its_run():
    doc = doc_with("at http : / / x . org / • Operating".split(), [(1, 10, "URL")])
    redraw(doc)
    assert [e.text for e in doc.ents] == ["http : / / x . org /"]


def test_citation_pieces_become_the_whole_citation_and_an_entity_running_in_keeps_its_words_before():
    words = "The web service [ 44 ] and Express as described [ 16 ] .".split()
    doc = doc_with(words, [(1, 5, "SoftwareCoreference"), (5, 6, "Citation"), (7, 8, "Application"), (11, 12, "Citation"), (12, 13, "Citation")])
    assert redraw(doc, citation_runs, "Citation") == 2
    assert [(e.text, e.label_) for e in doc.ents] == [
        ("web service", "SoftwareCoreference"),
        ("[ 44 ]", "Citation"),
        ("Express", "Application"),
        ("[ 16 ]", "Citation"),
    ]


def test_a_redrawn_entity_keeps_the_lowest_confidence_of_those_it_replaces_a_cut_one_its_own():
    from spacy_somd.pipeline.confidence import CONFIDENCE_ATTR, ensure_confidence_extension

    ensure_confidence_extension()
    words = "see http : / / x . org / y and SPSS".split()
    doc = doc_with(words, [(0, 3, "Application"), (3, 4, "URL"), (8, 10, "URL"), (11, 12, "Application")])
    for ent, value in zip(doc.ents, (0.25, 0.75, 0.5, 0.9)):
        ent._.set(CONFIDENCE_ATTR, value)
    redraw(doc)
    assert [(e.text, e._.get(CONFIDENCE_ATTR)) for e in doc.ents] == [("see", 0.25), ("http : / / x . org / y", 0.5), ("SPSS", 0.9)]


def test_an_entity_over_two_runs_becomes_both_and_cut_entities_never_overlap_them():
    words = "at http : / / a . org / Download site : http : / / b . org and [ 5 ] x [ 6 ] .".split()
    ents = [(1, 17, "URL"), (20, 22, "Citation"), (22, 25, "Application"), (25, 26, "Citation")]
    doc = doc_with(words, ents)
    assert redraw(doc) == 2
    assert redraw(doc, citation_runs, "Citation") == 2
    assert [e.text for e in doc.ents] == ["http : / / a . org /", "http : / / b . org", "[ 5 ]", "[ 6 ]"]
