"""The Python API: typed relation records and span lookups computed from the stored
``doc._.somd_relations`` dicts, and entity confidences from the NER's beam search."""

import dataclasses
from typing import Dict, List, Tuple

import pytest
import spacy
from conftest import somd_blank, tiny_rows
from spacy.language import Language
from spacy.tokens import Doc, DocBin, Span
from spacy.training import Example

import spacy_somd
from spacy_somd.corpus.docs import sentence_to_doc
from spacy_somd.corpus.format import Sentence
from spacy_somd.labels import RELATIONS_ATTR
from spacy_somd.pipeline.confidence import CONFIDENCE_ATTR, ENTITY_ATTRS, entity_confidences
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
    assert {label: texts(spans) for label, spans in attributes(entity(doc, "Amos")).items()} == {
        "Developer_of": ["IBM"],
        "Version_of": ["26"],
    }
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


# --- entity confidences


@pytest.fixture(scope="module")
def cnn_nlp() -> Language:
    """A CNN NER trained in-process on the tiny corpus's rows until it fits them roughly,
    with the confidence pipe after it."""
    spacy.util.fix_random_seed(0)
    nlp = somd_blank()
    nlp.add_pipe("somd_sentencizer", name="sentencizer")
    nlp.add_pipe("ner")
    docs = [sentence_to_doc(nlp.vocab, Sentence(i + 1, *row)) for i, row in enumerate(tiny_rows())]
    examples = [Example(nlp.make_doc(doc.text), doc) for doc in docs]
    optimizer = nlp.initialize(lambda: examples)
    for _ in range(30):
        nlp.update(examples, sgd=optimizer)
    nlp.add_pipe("somd_entity_confidence", config={"beam_width": 8})
    return nlp


CONFIDENCE_TEXTS = [
    "We used Stata 15.1 ( StataCorp ) for the analysis .",
    "Analyses were run in R 4.1.2 with the lme4 package [ 12 ] .",
    "",
    "Images were processed with Fiji ( http://fiji.sc ) .",
    "Results are shown in Table 2 .",
]


def reference_scores(nlp: Language, texts: List[str], upstream: List[str], beam_width: int) -> List[Dict[Tuple[int, int, str], float]]:
    """``scored_ents`` of a beam parse of fresh docs that only the pipes before the NER
    have seen: what the confidences must be, computed without the code under test."""
    docs = [nlp.make_doc(text) for text in texts]
    for name in upstream:
        docs = list(nlp.get_pipe(name).pipe(docs))
    ner = nlp.get_pipe("ner")
    return ner.scored_ents(ner.beam_parse(docs, beam_width=beam_width))


def check_confidences(nlp: Language, upstream: List[str], beam_width: int) -> None:
    """Confidences equal to the beam's mass of each predicted entity, in [0, 1], not all
    1.0 (as a beam forced onto the predicted entities would give); the entities and
    relations themselves as without the confidence pipe."""
    docs = list(nlp.pipe(CONFIDENCE_TEXTS, batch_size=2))
    with nlp.select_pipes(disable=["somd_entity_confidence"]):
        plain = list(nlp.pipe(CONFIDENCE_TEXTS))
    assert [[(e.start, e.end, e.label_) for e in d.ents] for d in docs] == [[(e.start, e.end, e.label_) for e in d.ents] for d in plain]
    assert [d._.get(RELATIONS_ATTR) for d in docs] == [d._.get(RELATIONS_ATTR) for d in plain]
    confidences = []
    for doc, scores in zip(docs, reference_scores(nlp, CONFIDENCE_TEXTS, upstream, beam_width)):
        for ent in doc.ents:
            confidence = ent._.get(CONFIDENCE_ATTR)
            # up to float rounding: the backbone's length groups depend on the batch's docs
            assert confidence == pytest.approx(scores.get((ent.start, ent.end, ent.label_), 0.0), abs=1e-6), ent
            assert 0.0 <= confidence <= 1.0 + 1e-9
            confidences.append(confidence)
    assert len(confidences) >= 4
    assert not all(c > 0.99 for c in confidences), confidences


def test_entity_confidences_are_the_beams_mass_of_the_predicted_entities(cnn_nlp):
    check_confidences(cnn_nlp, ["sentencizer"], beam_width=8)
    confidences = [ent._.get(CONFIDENCE_ATTR) for doc in cnn_nlp.pipe(CONFIDENCE_TEXTS) for ent in doc.ents]
    assert any(0.0 < c < 0.99 for c in confidences), confidences
    doc = cnn_nlp("We used Stata 15.1 ( StataCorp ) for the analysis .")
    assert [ent.text for ent in doc.ents] == ["Stata", "15.1", "StataCorp"]
    assert all(0.0 < ent._.get(CONFIDENCE_ATTR) <= 1.0 + 1e-9 for ent in doc.ents)


def test_confidences_leave_the_entity_annotation_exactly_as_it_was(cnn_nlp):
    ner = cnn_nlp.get_pipe("ner")
    docs = [ner(cnn_nlp.get_pipe("sentencizer")(cnn_nlp.make_doc(text))) for text in CONFIDENCE_TEXTS]
    before = [doc.to_array(ENTITY_ATTRS).tolist() for doc in docs]
    assert len(entity_confidences(ner, docs, beam_width=4)) == len(docs)
    assert [doc.to_array(ENTITY_ATTRS).tolist() for doc in docs] == before

    class BrokenBeam:
        def beam_parse(self, docs: List[Doc], beam_width: int) -> None:
            assert not any(token.ent_iob for doc in docs for token in doc)  # unset during the beam parse
            raise RuntimeError("beam broke")

    with pytest.raises(RuntimeError, match="beam broke"):
        entity_confidences(BrokenBeam(), docs)  # type: ignore[arg-type]
    assert [doc.to_array(ENTITY_ATTRS).tolist() for doc in docs] == before


def test_confidences_of_docs_the_ner_has_not_seen_are_an_error(cnn_nlp):
    doc = cnn_nlp.make_doc("We used Stata 15.1 .")
    with pytest.raises(ValueError, match=r"docs \[1\] have no entity annotation"):
        entity_confidences(cnn_nlp.get_pipe("ner"), [cnn_nlp.make_doc(""), doc])


@pytest.mark.parametrize(
    "config, message",
    [
        ({"ner": "tagger"}, r"no pipe 'tagger' before it"),
        ({"ner": "sentencizer"}, r"the pipe 'sentencizer' is a SentenceBoundaries, not spaCy's transition-based EntityRecognizer"),
        ({"beam_width": 1}, r"beam_width must be at least 2, not 1"),
    ],
)
def test_bad_confidence_settings_fail_when_the_pipe_is_added(config, message):
    nlp = somd_blank()
    nlp.add_pipe("somd_sentencizer", name="sentencizer")
    nlp.add_pipe("ner")
    with pytest.raises(ValueError, match=message):
        nlp.add_pipe("somd_entity_confidence", config=config)


@pytest.mark.slow
def test_entity_confidences_of_the_trained_transformer_pipeline(default_pipeline):
    """The greedy NER that listens to a transformer beam-parses the transformer output
    that the pipeline left on the docs."""
    nlp = spacy.load(default_pipeline)
    nlp.add_pipe("somd_entity_confidence", after="ner", config={"beam_width": 4})
    check_confidences(nlp, ["sentencizer", "transformer"], beam_width=4)


@pytest.mark.slow
def test_loading_takes_the_settings_from_the_config_and_what_training_learned_from_cfg(default_pipeline):
    trained = spacy.load(default_pipeline)
    overrides = {
        "somd_relation_extractor": {"threshold": 0.9, "seen_type_pairs_only": False},  # the config: 0.5, true
        "somd_textcat": {"threshold": 0.7},
    }
    nlp = spacy.load(default_pipeline, config={"components": overrides})
    for name, settings in overrides.items():
        pipe, as_trained = nlp.get_pipe(name), trained.get_pipe(name)
        assert {key: pipe.cfg[key] for key in settings} == settings
        assert pipe.labels == as_trained.labels and len(pipe.labels) > 1
    relations = nlp.get_pipe("somd_relation_extractor")
    assert relations.cfg["type_pairs"] == trained.get_pipe("somd_relation_extractor").cfg["type_pairs"]
    assert relations.cfg["type_pairs"]
    doc = nlp("We used SPSS version 25 and R 3.6.1 [ 4 ] .")
    assert all(relation["score"] >= 0.9 for relation in doc._.somd_relations)
