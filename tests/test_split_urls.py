"""The ``somd_split_urls`` pipe: URL entities re-drawn over URLs written in pieces."""
import spacy
from spacy.tokens import Doc, Span

from spacy_somd.split_urls import piece_runs, redraw_split_urls


def texts(words, runs):
    return [" ".join(words[start:end]) for start, end in runs]


def test_a_run_starts_at_the_scheme_and_ends_before_the_text_goes_on():
    words = "home page : https : / / github . com / ruolin / strawberry • Operating system".split()
    assert texts(words, piece_runs(words)) == ["https : / / github . com / ruolin / strawberry"]


def test_a_run_drops_trailing_separators_but_keeps_a_closing_slash():
    words = "See www . genepattern . org . Data at http : / / x . org / ; done".split()
    assert texts(words, piece_runs(words)) == ["www . genepattern . org", "http : / / x . org /"]


def test_a_colon_joins_only_before_a_slash_or_a_port():
    words = "Server : localhost : 8080 / app".split()
    assert texts(words, piece_runs(words)) == ["localhost : 8080 / app"]


def test_words_join_only_after_a_separator_and_whole_urls_make_no_run():
    words = "from mosaic.mpi - cbg.de and http://fiji.sc or the 2 . 2 . 1 version".split()
    assert texts(words, piece_runs(words)) == ["mosaic.mpi - cbg.de", "2 . 2 . 1"]
    assert piece_runs(["a", "-", "b"]) == [(0, 3)] and piece_runs(["a", "-"]) == []


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


def test_a_title_case_word_ends_a_run_unless_a_separator_follows():
    words = "at www . x . org . The tool , https : / / y . org / Tools / msa / Download page".split()
    assert texts(words, piece_runs(words)) == ["www . x . org", "https : / / y . org / Tools / msa /"]


def test_a_redrawn_url_keeps_the_lowest_confidence_of_the_url_entities_it_replaces():
    from spacy_somd.confidence import CONFIDENCE_ATTR, ensure_confidence_extension

    ensure_confidence_extension()
    words = "see http : / / x . org / y and SPSS".split()
    doc = doc_with(words, [(1, 4, "URL"), (8, 10, "URL"), (11, 12, "Application")])
    for ent, value in zip(doc.ents, (0.75, 0.5, 0.9)):
        ent._.set(CONFIDENCE_ATTR, value)
    redraw_split_urls(doc)
    assert [(e.text, e._.get(CONFIDENCE_ATTR)) for e in doc.ents] == [("http : / / x . org / y", 0.5), ("SPSS", 0.9)]
