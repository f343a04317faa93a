"""The ``somd_split_urls`` pipe: URL entities re-drawn over URLs written in pieces."""
import pytest
import spacy
from spacy.tokens import Doc, Span

from spacy_somd.split_urls import piece_runs, redraw_split_urls

RUNS = {
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


@pytest.mark.parametrize("text, expected", RUNS.values(), ids=list(RUNS))
def test_piece_runs(text, expected):
    words = text.split()
    assert [" ".join(words[start:end]) for start, end in piece_runs(words)] == expected


def doc_with(words, ents):
    doc = Doc(spacy.blank("en").vocab, words=words)
    doc.ents = [Span(doc, start, end, label=label) for start, end, label in ents]
    return doc


def test_a_url_entity_becomes_its_whole_run_and_entities_inside_it_go():
    words = "We used SPSS ( www . brain - connectivity - toolbox . net ) .".split()
    doc = doc_with(words, [(2, 3, "Application"), (4, 7, "URL"), (8, 11, "PlugIn")])
    assert redraw_split_urls(doc) == 1
    assert [(e.text, e.label_) for e in doc.ents] == [
        ("SPSS", "Application"), ("www . brain - connectivity - toolbox . net", "URL"),
    ]  # fmt: skip


def test_runs_without_a_url_entity_and_one_token_urls_are_left_alone():
    words = "SPSS 2 . 2 . 1 from http://fiji.sc".split()
    doc = doc_with(words, [(0, 1, "Application"), (1, 6, "Version"), (7, 8, "URL")])
    assert redraw_split_urls(doc) == 0
    assert [(e.start, e.end, e.label_) for e in doc.ents] == [(0, 1, "Application"), (1, 6, "Version"), (7, 8, "URL")]


def test_an_overlong_url_entity_is_cut_back_to_its_run():
    words = "at http : / / x . org / • Operating".split()
    doc = doc_with(words, [(1, 10, "URL")])
    redraw_split_urls(doc)
    assert [e.text for e in doc.ents] == ["http : / / x . org /"]


def test_the_pipe_in_a_pipeline_with_its_label_from_the_config():
    nlp = spacy.blank("en")
    ruler = nlp.add_pipe("entity_ruler")
    ruler.add_patterns([{"label": "Link", "pattern": [{"ORTH": "http"}, {"ORTH": ":"}]}])
    nlp.add_pipe("somd_split_urls", config={"label": "Link"})
    doc = Doc(nlp.vocab, words="see http : / / x . org / y and more".split())
    for _, proc in nlp.pipeline:
        doc = proc(doc)
    assert [(e.text, e.label_) for e in doc.ents] == [("http : / / x . org / y", "Link")]
    assert nlp.get_pipe_meta("somd_split_urls").assigns == ["doc.ents"]



def test_a_redrawn_url_keeps_the_lowest_confidence_of_the_url_entities_it_replaces():
    from spacy_somd.confidence import CONFIDENCE_ATTR, ensure_confidence_extension

    ensure_confidence_extension()
    words = "see http : / / x . org / y and SPSS".split()
    doc = doc_with(words, [(1, 4, "URL"), (8, 10, "URL"), (11, 12, "Application")])
    for ent, value in zip(doc.ents, (0.75, 0.5, 0.9)):
        ent._.set(CONFIDENCE_ATTR, value)
    redraw_split_urls(doc)
    assert [(e.text, e._.get(CONFIDENCE_ATTR)) for e in doc.ents] == [("http : / / x . org / y", 0.5), ("SPSS", 0.9)]
