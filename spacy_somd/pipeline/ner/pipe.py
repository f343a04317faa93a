"""The ``somd_ner`` pipe: spaCy's ``EntityRecognizer`` (same model, moves, training and
saved form) whose greedy prediction decodes all of a batch's documents in one loop of
array steps (``decoder.greedy_biluo``) instead of spaCy's per-state, per-move C loop."""

from typing import Callable, List, NamedTuple, Optional, Sequence, Union

from spacy.language import Language
from spacy.pipeline import EntityRecognizer
from spacy.pipeline.ner import DEFAULT_NER_MODEL
from spacy.tokens import Doc, Span
from spacy.training.example import Example
from thinc.api import Model

from spacy_somd.pipeline.ner.decoder import Entity, Moves, greedy_biluo, move_table


class BatchEntities(NamedTuple):
    """What ``SomdEntityRecognizer.predict`` returns from its own decoder: the entities of
    each document (spaCy's decoder returns parser states instead)."""

    entities: List[List[Entity]]


class SomdEntityRecognizer(EntityRecognizer):
    """spaCy's transition-based NER with batched greedy decoding. Falls back to spaCy's
    decoder for beam search, for a model with an upper layer or extra state tokens, and for
    documents that already carry entity annotations (preset entities constrain the moves)."""

    def predict(self, docs: Union[Doc, Sequence[Doc]]):
        docs = [docs] if isinstance(docs, Doc) else list(docs)
        if not self.decodes_in_batch(docs):
            return super().predict(docs)
        lower = self.model.get_ref("lower")
        tokvecs = self.model.get_ref("tok2vec").predict(docs)
        features = lower.predict(tokvecs)
        unseen = sorted(self.model.attrs["unseen_classes"])
        return BatchEntities(greedy_biluo(self.model.ops, docs, features, lower.get_param("b"), self.move_table(), unseen))

    def decodes_in_batch(self, docs: Sequence[Doc]) -> bool:
        """Whether ``docs`` take the batched decoder (see the class docstring)."""
        model = self.model
        return (
            self.cfg["beam_width"] == 1
            and not model.attrs["has_upper"]
            and model.get_ref("lower").get_dim("nF") == 3  # B(0), the open entity's start, B(0) - 1
            and any(len(doc) for doc in docs)
            and not any(doc.to_array("ENT_IOB").any() for doc in docs if len(doc))
        )

    def move_table(self) -> Moves:
        """The moves as arrays in class order, rebuilt when moves were added since. Read
        from the transition system, not ``move_names``, which leaves out the internal "U-"
        move (a unit of no label, for blocked tokens) and so shifts the classes after it."""
        names = [self.moves.get_class_name(i) for i in range(self.moves.n_moves)]
        cached = getattr(self, "_move_table", None)
        if cached is None or cached[0] != names:
            self._move_table = (names, move_table(names))
        return self._move_table[1]

    def set_annotations(self, docs: Sequence[Doc], predicted) -> None:
        if not isinstance(predicted, BatchEntities):
            return super().set_annotations(docs, predicted)
        for doc, entities in zip(docs, predicted.entities):
            doc.set_ents([Span(doc, start, end, label=label) for start, end, label in entities], default="outside")
            for hook in self.postprocesses:
                hook(doc)


@Language.factory(
    "somd_ner",
    assigns=["doc.ents", "token.ent_iob", "token.ent_type"],
    default_config={
        "moves": None,
        "update_with_oracle_cut_size": 100,
        "model": DEFAULT_NER_MODEL,
        "incorrect_spans_key": None,
        "scorer": {"@scorers": "spacy.ner_scorer.v1"},
    },
    default_score_weights={"ents_f": 1.0, "ents_p": 0.0, "ents_r": 0.0, "ents_per_type": None},
)
def make_somd_ner(
    nlp: Language,
    name: str,
    model: Model,
    moves: Optional[object],
    update_with_oracle_cut_size: int,
    incorrect_spans_key: Optional[str],
    scorer: Optional[Callable[[List[Example]], dict]],
) -> SomdEntityRecognizer:
    """spaCy's ``ner`` factory (same settings) making a ``SomdEntityRecognizer``."""
    return SomdEntityRecognizer(
        nlp.vocab,
        model,
        name=name,
        moves=moves,
        update_with_oracle_cut_size=update_with_oracle_cut_size,
        incorrect_spans_key=incorrect_spans_key,
        scorer=scorer,
    )
