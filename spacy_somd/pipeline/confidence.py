"""Entity confidences from beam search: the ``somd_entity_confidence`` pipe and
:func:`entity_confidences`.

spaCy's transition-based ``EntityRecognizer`` predicts greedily, one action per token,
and gives no score. Its ``beam_parse`` decodes the same model keeping the ``beam_width``
best action sequences instead, and ``scored_ents`` sums, for every (start, end, label),
the probabilities of the beam's parses that contain it (the softmax of the parses' summed
action scores over the beam). That sum is an entity's confidence here: the share of the
beam's probability mass whose parse has exactly this entity. It is relative to the beam
(with a beam of 1 every entity would have 1.0) and not calibrated; it is 0.0 for an entity
of the greedy parse that no parse of the beam has.

Cost: one more pass of the NER over features the pipeline has already computed (the
transformer is not run again): the NER's own feature layer once per doc, then each
step scores ``beam_width`` states instead of one, so about ``beam_width`` times the NER's
greedy parsing time.
"""

from contextlib import contextmanager
from typing import Dict, Iterable, Iterator, List, Sequence, Tuple, cast

from spacy.attrs import ENT_ID, ENT_IOB, ENT_KB_ID, ENT_TYPE
from spacy.language import Language
from spacy.pipeline import EntityRecognizer, Pipe
from spacy.tokens import Doc, Span
from spacy.util import minibatch
from thinc.types import Ints2d

CONFIDENCE_ATTR = "somd_confidence"
ENTITY_ATTRS = [ENT_IOB, ENT_TYPE, ENT_KB_ID, ENT_ID]
EntityScores = Dict[Tuple[int, int, str], float]


def check_beam_width(beam_width: int) -> None:
    if beam_width < 2:
        raise ValueError(f"beam_width must be at least 2, not {beam_width}: a beam of 1 gives every entity 1.0")


def ensure_confidence_extension() -> None:
    """Register ``span._.somd_confidence`` (idempotent)."""
    if not Span.has_extension(CONFIDENCE_ATTR):
        Span.set_extension(CONFIDENCE_ATTR, default=None)


@contextmanager
def entities_unset(docs: Sequence[Doc]) -> Iterator[None]:
    """The docs with every token's entity annotation missing, as before the NER ran (the
    NER keeps a preset entity, so the beam would otherwise be forced onto the greedy
    entities); the annotation is restored exactly afterwards, after an error too."""
    # to_array gives uint64 ids: spaCy's stubs say float64
    saved = [cast(Ints2d, doc.to_array(ENTITY_ATTRS)) for doc in docs]
    try:
        for doc in docs:
            doc.set_ents([], default="missing")
        yield
    finally:
        for doc, array in zip(docs, saved):
            doc.from_array(ENTITY_ATTRS, array)


def beam_entity_scores(ner: EntityRecognizer, docs: Sequence[Doc], beam_width: int) -> List[EntityScores]:
    """Per doc, the beam's probability mass of every (start, end, label) that a parse of
    the beam has (``scored_ents`` of a ``beam_parse`` of the docs with their entities
    unset). The docs must hold what the NER's model reads (the upstream transformer's
    output, when the NER listens to one), as they do inside the pipeline."""
    check_beam_width(beam_width)
    with entities_unset(docs):
        beams = ner.beam_parse(docs, beam_width=beam_width)
    return ner.scored_ents(beams)


def entity_confidences(ner: EntityRecognizer, docs: Sequence[Doc], beam_width: int = 16) -> List[List[float]]:
    """Per doc, the confidence of each entity of ``doc.ents`` (in order): the share of the
    beam's probability mass whose parse has it (see the module's docstring; about
    ``beam_width`` times the NER's parsing time). The docs are the pipeline's output up to
    the NER, processed in this process (the NER's input features still on them): a doc
    without entity annotation raises ``ValueError``."""
    unannotated = [i for i, doc in enumerate(docs) if len(doc) and not doc.has_annotation("ENT_IOB")]
    if unannotated:
        raise ValueError(f"docs {unannotated[:5]} have no entity annotation: entity confidences need docs the NER has annotated")
    scores = beam_entity_scores(ner, docs, beam_width)
    return [[doc_scores.get((ent.start, ent.end, ent.label_), 0.0) for ent in doc.ents] for doc, doc_scores in zip(docs, scores)]


@Language.factory("somd_entity_confidence", assigns=[f"span._.{CONFIDENCE_ATTR}"], requires=["doc.ents"], default_config={"ner": "ner", "beam_width": 16})
def make_entity_confidence(nlp: Language, name: str, ner: str, beam_width: int) -> "EntityConfidence":
    return EntityConfidence(nlp, name, ner=ner, beam_width=beam_width)


class EntityConfidence(Pipe):
    """Sets ``span._.somd_confidence`` on every entity that the NER pipe ``ner`` (which
    must come before this pipe) predicted: :func:`entity_confidences` with ``beam_width``.
    The entities themselves are left as the NER predicted them."""

    def __init__(self, nlp: Language, name: str = "somd_entity_confidence", *, ner: str = "ner", beam_width: int = 16) -> None:
        if ner not in nlp.pipe_names:
            raise ValueError(f"{name}: no pipe {ner!r} before it (the pipes are {nlp.pipe_names}): add it after the NER")
        component = nlp.get_pipe(ner)
        if not isinstance(component, EntityRecognizer):
            raise ValueError(f"{name}: the pipe {ner!r} is a {type(component).__name__}, not spaCy's transition-based EntityRecognizer")
        check_beam_width(beam_width)
        ensure_confidence_extension()
        self.name, self.ner, self.beam_width = name, component, beam_width

    def __call__(self, doc: Doc) -> Doc:
        self.set_annotations([doc])
        return doc

    def pipe(self, stream: Iterable[Doc], *, batch_size: int = 128) -> Iterator[Doc]:
        error_handler = self.get_error_handler()
        for batch in minibatch(stream, size=batch_size):
            try:
                self.set_annotations(batch)
                yield from batch
            except Exception as error:
                error_handler(self.name, self, batch, error)

    def set_annotations(self, docs: List[Doc]) -> None:
        for doc, confidences in zip(docs, entity_confidences(self.ner, docs, self.beam_width)):
            for ent, confidence in zip(doc.ents, confidences):
                ent._.set(CONFIDENCE_ATTR, confidence)
