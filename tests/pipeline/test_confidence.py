"""Entity confidences (``spacy_somd.pipeline.confidence``): the beam's mass of the
predicted entities, the annotation left as it was, bad settings refused."""

from typing import Dict, List, Tuple

import pytest
import spacy
from spacy.language import Language
from spacy.tokens import Doc
from spacy.training import Example

from spacy_somd.corpus.docs import sentence_to_doc
from spacy_somd.corpus.format import Sentence
from spacy_somd.labels import RELATIONS_ATTR
from spacy_somd.pipeline.confidence import CONFIDENCE_ATTR, ENTITY_ATTRS, entity_confidences
from tests.builders import somd_blank, tiny_rows

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
