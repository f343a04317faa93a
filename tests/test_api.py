"""The Python API: typed relation records and span lookups computed from the stored
``doc._.somd_relations`` dicts, and the package's lazy exports."""

import dataclasses
import subprocess
import sys
from typing import List

import pytest
import spacy
from spacy.tokens import Doc, DocBin, Span

import spacy_somd
from spacy_somd.labels import RELATIONS_ATTR
from spacy_somd.pipeline.confidence import entity_confidences
from spacy_somd.pipeline.relations.records import (
    ATTRIBUTES_ATTR,
    RELATION_SPANS_ATTR,
    SOFTWARE_ATTR,
    Relation,
    attributes,
    ensure_relation_extensions,
    relation_records,
    software,
)
from tests.builders import ENV

# IBM develops SPSS and Amos; Stata has two versions and a two-token developer
WORDS = "IBM SPSS and Amos 26 and Stata 15.1 and 16 ( StataCorp LLC ) .".split()
ENTS = [
    (0, 1, "Developer"),
    (1, 2, "Application"),
    (3, 4, "Application"),
    (4, 5, "Version"),
    (6, 7, "Application"),
    (7, 8, "Version"),
    (9, 10, "Version"),
    (11, 13, "Developer"),
]
RELATIONS = [
    {"head": 0, "tail": 1, "label": "Developer_of", "score": 0.9},
    {"head": 0, "tail": 3, "label": "Developer_of", "score": 0.8},
    {"head": 4, "tail": 3, "label": "Version_of", "score": 0.7},
    {"head": 7, "tail": 6, "label": "Version_of", "score": 0.95},
    {"head": 11, "tail": 6, "label": "Developer_of", "score": 0.6},
    {"head": 9, "tail": 6, "label": "Version_of"},  # stored without a score, as gold relations are
]


@pytest.fixture
def doc() -> Doc:
    ensure_relation_extensions()
    doc = Doc(spacy.blank("en").vocab, words=WORDS)
    doc.ents = [Span(doc, start, end, label=label) for start, end, label in ENTS]
    doc._.set(RELATIONS_ATTR, [dict(rel) for rel in RELATIONS])
    return doc


def entity(doc: Doc, text: str) -> Span:
    (found,) = [ent for ent in doc.ents if ent.text == text]
    return found


def texts(spans: List[Span]) -> List[str]:
    return [span.text for span in spans]


def test_records_are_the_stored_relations_with_their_entities(doc):
    records = relation_records(doc)
    expected = [(rel["label"], rel["head"], rel["tail"], rel.get("score")) for rel in RELATIONS]
    assert [(r.label, r.attribute.start, r.software.start, r.score) for r in records] == expected
    assert all(r.attribute in doc.ents and r.software in doc.ents for r in records)
    assert records[4].attribute.text == "StataCorp LLC" and records[4].attribute.label_ == "Developer"
    assert records[-1].score is None
    assert doc._.get(RELATION_SPANS_ATTR) == records
    with pytest.raises(dataclasses.FrozenInstanceError):
        records[0].label = "URL_of"  # type: ignore[misc]
    assert doc._.get(RELATIONS_ATTR) == RELATIONS  # the stored dicts are untouched


def test_attributes_of_a_software_by_relation_type(doc):
    assert {label: texts(spans) for label, spans in entity(doc, "Stata")._.get(ATTRIBUTES_ATTR).items()} == {
        "Version_of": ["15.1", "16"],
        "Developer_of": ["StataCorp LLC"],
    }
    assert {label: texts(spans) for label, spans in attributes(entity(doc, "Amos")).items()} == {"Developer_of": ["IBM"], "Version_of": ["26"]}
    assert attributes(entity(doc, "IBM")) == {}  # an attribute is no software


def test_software_of_an_attribute(doc):
    assert texts(entity(doc, "IBM")._.get(SOFTWARE_ATTR)) == ["SPSS", "Amos"]
    assert texts(software(entity(doc, "16"))) == ["Stata"]
    assert software(entity(doc, "Stata")) == []


def test_a_span_that_is_not_the_entity_has_no_relations(doc):
    assert doc[11:12].text == "StataCorp" and software(doc[11:12]) == []  # only the first of its tokens
    assert texts(software(doc[11:13])) == ["Stata"]  # the entity's boundaries, whatever the span's label
    assert attributes(doc[6:8]) == {}


def test_the_views_follow_the_stored_dicts(doc):
    """Getters, no cache: a relation added to the dicts shows at once."""
    doc._.get(RELATIONS_ATTR).append({"head": 7, "tail": 1, "label": "Version_of", "score": 0.5})
    assert texts(software(entity(doc, "15.1"))) == ["Stata", "SPSS"]
    assert texts(attributes(entity(doc, "SPSS"))["Version_of"]) == ["15.1"]
    doc.ents = [ent for ent in doc.ents if ent.text != "15.1"]
    with pytest.raises(ValueError, match=r"head token 7 '15.1' is not the first token of an entity"):
        relation_records(doc)


@pytest.mark.parametrize(
    "relation, message",
    [
        ({"head": 2, "tail": 1, "label": "Version_of"}, r"somd_relations\[6\] .*its head token 2 'and' is not the first token of an entity"),
        ({"head": 0, "tail": 12, "label": "Developer_of"}, r"its tail token 12 'LLC' is not the first token of an entity"),
        ({"head": 40, "tail": 1, "label": "Version_of"}, r"its head 40 \(the doc has 15 tokens\) is not the first token"),
        ({"head": 0, "label": "Developer_of"}, r"somd_relations\[6\] .*lacks tail"),
    ],
)
def test_a_relation_without_its_entities_is_an_error_naming_it(doc, relation, message):
    doc._.get(RELATIONS_ATTR).append(relation)
    for lookup in (relation_records, lambda d: d._.get(RELATION_SPANS_ATTR), lambda d: attributes(d[1:2])):
        with pytest.raises(ValueError, match=message):
            lookup(doc)


def test_a_doc_without_relations_has_no_records():
    ensure_relation_extensions()
    doc = Doc(spacy.blank("en").vocab, words=["Stata", "15"])
    doc.ents = [Span(doc, 0, 1, label="Application")]
    assert relation_records(doc) == [] and attributes(doc.ents[0]) == {} and software(doc.ents[0]) == []


def test_records_survive_a_docbin_round_trip(doc):
    """The stored dicts are what a DocBin keeps; the records come back from them."""
    data = DocBin(store_user_data=True, docs=[doc]).to_bytes()
    (back,) = DocBin().from_bytes(data).get_docs(doc.vocab)
    assert list(back._.get(RELATIONS_ATTR)) == RELATIONS  # msgpack gives a tuple
    as_tuples = [(r.label, r.attribute.text, r.software.text, r.score) for r in relation_records(back)]
    assert as_tuples == [(r.label, r.attribute.text, r.software.text, r.score) for r in relation_records(doc)]


def test_extension_registration_is_idempotent_and_keeps_a_users_own():
    ensure_relation_extensions()
    before = {name: Span.get_extension(name) for name in (ATTRIBUTES_ATTR, SOFTWARE_ATTR)}
    ensure_relation_extensions()
    assert {name: Span.get_extension(name) for name in before} == before
    assert Span.get_extension(SOFTWARE_ATTR)[2] is software and Doc.get_extension(RELATION_SPANS_ATTR)[2] is relation_records

    def own(span: Span) -> str:
        return "mine"

    Span.set_extension(SOFTWARE_ATTR, getter=own, force=True)
    try:
        ensure_relation_extensions()
        assert Span.get_extension(SOFTWARE_ATTR)[2] is own
    finally:
        Span.set_extension(SOFTWARE_ATTR, getter=software, force=True)


def test_the_package_exports_the_api_lazily():
    assert spacy_somd.Relation is Relation and spacy_somd.relation_records is relation_records
    assert spacy_somd.entity_confidences is entity_confidences
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        spacy_somd.nothing  # noqa: B018


def test_records_of_a_pipelines_predictions_carry_its_scores(rule_pipeline):
    doc = spacy.load(rule_pipeline)("We used SPSS 22 and R 4.0.3 . Then Stata 15 was used .")
    stored, records = doc._.get(RELATIONS_ATTR), doc._.get(RELATION_SPANS_ATTR)
    assert len(stored) > 5 and len(records) == len(stored)
    for rel, record in zip(stored, records):
        assert (record.label, record.attribute.start, record.software.start, record.score) == (rel["label"], rel["head"], rel["tail"], rel["score"])


BLANK_PIPELINE = "d = spacy.blank('en')('We used SPSS 22'); print(d._.somd_relations, d[2:3]._.somd_attributes, d[2:3]._.somd_software)"


@pytest.mark.parametrize(
    "imports",
    [
        "import spacy_somd; import spacy",
        "import spacy; import spacy_somd",
        "import spacy_somd.labels; import spacy",
        "from spacy_somd.cli import app; import spacy",
        "import spacy",
    ],
)
def test_the_extensions_exist_on_a_blank_pipeline_after_importing_the_package(imports):
    """A fresh interpreter: the README's extensions exist on a blank pipeline whichever is
    imported first (spaCy imports the plugins' factory modules for every Language it
    builds), and importing the package alone does not import spaCy."""
    result = subprocess.run([sys.executable, "-c", f"{imports}; {BLANK_PIPELINE}"], env=ENV, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.splitlines() == ["None {} []"]
    alone = subprocess.run([sys.executable, "-c", "import sys, spacy_somd; print('spacy' in sys.modules)"], env=ENV, capture_output=True, text=True, timeout=60)
    assert alone.stdout.strip() == "False", alone.stderr[-2000:]
