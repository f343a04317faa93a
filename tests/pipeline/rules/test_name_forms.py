"""The name-form pipes: a software name's short or long form in brackets, its long name."""

import pytest
import spacy
from spacy.tokens import Doc, Span

from spacy_somd.labels import RELATIONS_ATTR, ensure_extensions
from spacy_somd.pipeline.confidence import CONFIDENCE_ATTR
from spacy_somd.pipeline.rules.name_forms import SOFTWARE_LABELS, NameFormLabels, add_name_forms, lengthen_names, long_form_start, relate_name_forms


@pytest.mark.parametrize(
    "short, words, expected",
    [
        ("SPSS", "Statistical Package for the Social Sciences", 0),
        ("gcc", "the Gnu Compiler Collection", 1),
        ("PEPIS", "Pipeline for estimating EPIStatic genetic effects", 0),
        ("SAS", "the Statistical Analysis System", 1),
        ("VIP", "a tool of ours", None),
        ("R2", "Rough Rider", None),  # the digit is nowhere
    ],
)
def test_long_form_start(short, words, expected):
    assert long_form_start(short, words.split()) == expected


def doc_with(text, ents):
    doc = Doc(spacy.blank("en").vocab, words=text.split())
    doc.ents = [Span(doc, start, end, label=label) for start, end, label in ents]
    return doc


def forms(doc):
    add_name_forms(doc, SOFTWARE_LABELS, "AlternativeName", "Abbreviation")
    return [(ent.text, ent.label_) for ent in doc.ents]


def test_a_long_form_after_a_short_name_replaces_the_entities_inside_it():
    doc = doc_with("We used SPSS ( Statistical Package for the Social Sciences ) .", [(2, 3, "Application"), (4, 6, "Application")])
    assert forms(doc) == [("SPSS", "Application"), ("Statistical Package for the Social Sciences", "AlternativeName")]


def test_a_short_form_after_a_long_name_past_a_mark_and_a_version():
    text = "using Statistical Analysis System ™ 9.2 ( SAS ) and gcc ( the Gnu Compiler Collection ; version 4 )"
    doc = doc_with(text, [(1, 4, "Application"), (5, 6, "Version"), (10, 11, "Application")])
    assert forms(doc) == [
        ("Statistical Analysis System", "Application"),
        ("9.2", "Version"),
        ("SAS", "Abbreviation"),
        ("gcc", "Application"),
        ("Gnu Compiler Collection", "AlternativeName"),
    ]


@pytest.mark.parametrize(
    "text, ents",
    [
        ("SPSS ( version 18 , SPSS Inc . )", [(0, 1, "Application")]),  # numbers and marks: no name
        ("SPSS ( SPSS Package Software Suite )", [(0, 1, "Application")]),  # holds the short form itself
        ("VIP ( a very nice interesting and particular tool )", [(0, 1, "Application")]),  # too long for 3 letters
        ("SPSS ( Statistical Package for Social Sciences", [(0, 1, "Application")]),  # never closed
        ("ESA ( European Space Agency ) and more", [(0, 1, "Application"), (2, 8, "Developer")]),  # crossing
        ("SPSS version ( Statistical Package for Social Sciences )", [(0, 1, "Application")]),  # not right after
        ("Statistical Analysis System ( SAS )", [(0, 3, "Developer")]),  # not a software name
    ],
)
def test_what_is_no_name_form_is_left_as_it_is(text, ents):
    doc = doc_with(text, ents)
    before = [(ent.text, ent.label_) for ent in doc.ents]
    assert forms(doc) == before


@pytest.mark.parametrize(
    "text, ents, expected",
    [
        (
            "uses the Java Advanced Imaging ( JAI ) package",
            [(2, 3, "ProgrammingEnvironment"), (3, 5, "Application")],
            [("Java Advanced Imaging", "Application"), ("JAI", "Abbreviation")],
        ),
        (
            "software , Microscopy Image Browser ( MIB ) [ 9 ]",
            [(1, 5, "Application"), (9, 10, "Citation")],
            [("Microscopy Image Browser", "Application"), ("MIB", "Abbreviation"), ("9", "Citation")],
        ),
        (
            "uses the Chemistry Development Kit ( CDK , version 1.0.2 )",
            [(3, 5, "Application"), (6, 7, "Application"), (9, 10, "Version")],
            [("Chemistry Development Kit", "Application"), ("CDK", "Application"), ("1.0.2", "Version")],
        ),
    ],
)
def test_a_name_before_its_acronym_is_re_drawn_as_the_acronyms_long_form(text, ents, expected):
    doc = doc_with(text, ents)
    assert lengthen_names(doc, SOFTWARE_LABELS) == 1
    assert lengthen_names(doc, SOFTWARE_LABELS) == 0  # a long name stays as it is
    assert forms(doc) == expected  # then its acronym is its short form


@pytest.mark.parametrize(
    "text, ents",
    [
        ("performed with SigmaPlot 11.0 ( Systat , Inc . )", [(2, 3, "Application"), (3, 4, "Version")]),  # one capital
        ("using the IBM SPSS Statistics 22 ( IBM , NY )", [(3, 5, "Application"), (5, 6, "Version")]),  # holds it
        ("the Statistical Analysis System ( SAS )", [(0, 4, "Application"), (5, 6, "Abbreviation")]),  # begins earlier
        ("by Kit Java Advanced Imaging ( JAI )", [(1, 3, "Developer"), (3, 5, "Application")]),  # crossing
        ("with OpenJava ( OJ ) today", [(1, 2, "Application")]),  # a long form of one word
        ("statistics were completed using DYN 16.0 ( SPSS , IL )", [(4, 5, "Application")]),  # not its acronym
        ("cleaned in CkoLutor 6.04 ( CDC , Atlanta )", [(2, 3, "Application"), (3, 4, "Version")]),  # "cleaned" has no capital
    ],
)
def test_a_name_that_is_its_long_form_or_has_none_is_left_as_it_is(text, ents):
    doc = doc_with(text, ents)
    before = [(ent.text, ent.label_) for ent in doc.ents]
    assert lengthen_names(doc, SOFTWARE_LABELS) == 0
    assert [(ent.text, ent.label_) for ent in doc.ents] == before


def test_a_re_drawn_name_keeps_the_lowest_confidence_of_the_entities_it_holds():
    if not Span.has_extension(CONFIDENCE_ATTR):
        Span.set_extension(CONFIDENCE_ATTR, default=None)
    doc = doc_with("uses the Java Advanced Imaging ( JAI )", [(2, 3, "ProgrammingEnvironment"), (3, 5, "Application")])
    for ent, confidence in zip(doc.ents, (0.4, 0.9)):
        ent._.set(CONFIDENCE_ATTR, confidence)
    assert lengthen_names(doc, SOFTWARE_LABELS) == 1
    assert [(ent.text, ent._.get(CONFIDENCE_ATTR)) for ent in doc.ents] == [("Java Advanced Imaging", 0.4)]


def test_the_long_names_pipe_in_a_pipeline_with_its_labels_from_the_config():
    nlp = spacy.blank("en")
    ruler = nlp.add_pipe("entity_ruler")
    ruler.add_patterns([{"label": "Tool", "pattern": "Advanced Imaging"}, {"label": "Other", "pattern": "Image Browser"}])
    nlp.add_pipe("somd_long_names", config={"software_labels": ["Tool"]})
    doc = nlp("We used Java Advanced Imaging (JAI) and Microscopy Image Browser (MIB).")
    assert [(ent.text, ent.label_) for ent in doc.ents] == [("Java Advanced Imaging", "Tool"), ("Image Browser", "Other")]
    assert nlp.get_pipe_meta("somd_long_names").assigns == ["doc.ents"]


def test_the_pipes_in_a_pipeline_with_their_labels_from_the_config():
    nlp = spacy.blank("en")
    ruler = nlp.add_pipe("entity_ruler")
    ruler.add_patterns([{"label": "Tool", "pattern": "SPSS"}])
    nlp.add_pipe("somd_name_forms", config={"software_labels": ["Tool"], "long_label": "LongName"})
    nlp.add_pipe("somd_name_form_relations", config={"software_labels": ["Tool"], "long_label": "LongName", "long_relation": "LongName_of"})
    doc = nlp("SPSS (Statistical Package for the Social Sciences) was used.")
    assert [(ent.text, ent.label_) for ent in doc.ents] == [("SPSS", "Tool"), ("Statistical Package for the Social Sciences", "LongName")]
    assert [(r["head"], r["tail"], r["label"]) for r in doc._.get(RELATIONS_ATTR)] == [(2, 0, "LongName_of")]
    assert nlp.get_pipe_meta("somd_name_forms").assigns == ["doc.ents"]
    assert nlp.get_pipe_meta("somd_name_form_relations").assigns == [f"doc._.{RELATIONS_ATTR}"]


def test_each_name_is_related_to_its_other_form_in_place_of_the_extractors_relations_of_that_form():
    ensure_extensions()
    text = "SPSS ( Statistical Package for Social Sciences ) version 20 and Statistical Analysis System ( SAS )"
    ents = [(0, 1, "Application"), (2, 7, "AlternativeName"), (9, 10, "Version"), (11, 14, "Application"), (15, 16, "Abbreviation")]
    doc = doc_with(text, ents)
    extractor = [
        {"head": 2, "tail": 11, "label": "AlternativeName_of"},  # the long form given to the wrong name
        {"head": 9, "tail": 0, "label": "Version_of"},
    ]
    doc._.set(RELATIONS_ATTR, extractor)
    labels = NameFormLabels(SOFTWARE_LABELS, "AlternativeName", "Abbreviation")
    assert relate_name_forms(doc, labels, "AlternativeName_of", "Abbreviation_of") == 2
    assert [(r["head"], r["tail"], r["label"], r.get("score")) for r in doc._.get(RELATIONS_ATTR)] == [
        (2, 0, "AlternativeName_of", 1.0),
        (9, 0, "Version_of", None),
        (15, 11, "Abbreviation_of", 1.0),
    ]


def test_no_relation_where_the_other_form_is_no_entity_of_its_label():
    ensure_extensions()
    doc = doc_with("SPSS ( Statistical Package for Social Sciences )", [(0, 1, "Application"), (2, 7, "Application")])
    labels = NameFormLabels(SOFTWARE_LABELS, "AlternativeName", "Abbreviation")
    assert relate_name_forms(doc, labels, "AlternativeName_of", "Abbreviation_of") == 0
    assert doc._.get(RELATIONS_ATTR) is None
