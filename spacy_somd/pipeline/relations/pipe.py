"""The ``somd_relation_extractor`` pipe: classifies candidate entity pairs into SOMD
relations, with optional adversarial training (Liu et al.; Miyato et al. 2016)."""

import warnings
from itertools import islice
from typing import Any, Callable, Dict, Iterable, List, NamedTuple, Optional, Set, Tuple

import numpy
from spacy.language import Language
from spacy.tokens import Doc, Span
from spacy.training import Example, validate_examples, validate_get_examples
from spacy.vocab import Vocab
from thinc.api import Config, Model, Ops
from thinc.types import Floats2d
from wasabi import msg

from spacy_somd.labels import LINE_ATTR, PARTIAL_ATTR, RELATIONS_ATTR
from spacy_somd.pipeline.base import DEFAULT_TOK2VEC_STR, ScaledPipe
from spacy_somd.pipeline.dynamics import FAKE_LABEL, DynamicsRecorder, Instance, is_threshold_sample
from spacy_somd.pipeline.relations.candidates import GetCandidates, Pair
from spacy_somd.pipeline.relations.model import ADVERSARIAL_REFS, RelationInputs, adversarial_perturbation, predict_in_chunks
from spacy_somd.pipeline.relations.records import ensure_relation_extensions

NO_RELATION = "NO_RELATION"
# the gold class of a pair whose gold label is not among the classes: not trained on
UNKNOWN = -1
Predictions = Tuple[List[List[Pair]], Floats2d]
# a gold relation: (label, head, tail), head and tail the reference's token indices,
# keyed by the character offsets of head and tail
GoldRelations = Dict[Tuple[int, int], Tuple[str, int, int]]


class GoldPairs(NamedTuple):
    """Each candidate pair's gold class index (``UNKNOWN`` for a label the pipe does not
    have), and the pairs that hold a known gold relation (rows and instances) for the
    dynamics record."""

    classes: List[int]
    rows: List[int]
    instances: List[Instance]


DEFAULT_CONFIG_STR = """
[model]
@architectures = "spacy_somd.RelationClassifier.v2"
hidden_width = 128
type_width = 16
distance_width = 16
distance_buckets = 8
nO = null
"""


@Language.factory(
    "somd_relation_extractor",
    assigns=[f"doc._.{RELATIONS_ATTR}"],
    requires=["doc.ents"],
    default_config={
        "model": Config().from_str(DEFAULT_CONFIG_STR + DEFAULT_TOK2VEC_STR)["model"],
        "get_candidates": {"@misc": "spacy_somd.entity_pairs.v1", "max_distance": 100},
        "max_pairs_per_batch": 2048,
        "threshold": 0.5,
        "adversarial_epsilon": 0.02,
        "seen_type_pairs_only": False,
        "learn_rate_scale": 1.0,
        "dynamics_path": None,
        "threshold_samples": 0.0,
        "threshold_seed": 0,
        "scorer": {"@scorers": "spacy_somd.relation_scorer.v1"},
    },
    default_score_weights={"rel_f": 1.0, "rel_p": 0.0, "rel_r": 0.0, "rel_per_type": None},
)
def make_relation_extractor(
    nlp: Language,
    name: str,
    model: Model[RelationInputs, Floats2d],
    get_candidates: GetCandidates,
    max_pairs_per_batch: int,
    threshold: float,
    adversarial_epsilon: float,
    seen_type_pairs_only: bool,
    learn_rate_scale: float,
    dynamics_path: Optional[str],
    threshold_samples: float,
    threshold_seed: int,
    scorer: Optional[Callable],
) -> "RelationExtractor":
    return RelationExtractor(
        nlp.vocab,
        model,
        name,
        get_candidates=get_candidates,
        max_pairs_per_batch=max_pairs_per_batch,
        threshold=threshold,
        adversarial_epsilon=adversarial_epsilon,
        seen_type_pairs_only=seen_type_pairs_only,
        learn_rate_scale=learn_rate_scale,
        dynamics_path=dynamics_path,
        threshold_samples=threshold_samples,
        threshold_seed=threshold_seed,
        scorer=scorer,
    )


class RelationExtractor(ScaledPipe):
    """Predicts ``doc._.somd_relations`` (``{"head", "tail", "label", "score", "scores"}``
    dicts, head and tail the first tokens of the two entities) from ``doc.ents``.

    Prediction encodes and classifies at most ``max_pairs_per_batch`` candidate pairs at
    a time, so that a doc with very many entities runs in bounded memory.

    With ``dynamics_path``, every update records the logits of the gold relations it
    trained on (see :mod:`spacy_somd.training.dynamics`); ``threshold_samples`` > 0 gives that share
    of them the fake label of Pleiss et al. (an extra output class), for the AUM threshold.
    """

    learned_cfg = ("labels", "type_pairs")

    def __init__(
        self,
        vocab: Vocab,
        model: Model[RelationInputs, Floats2d],
        name: str = "somd_relation_extractor",
        *,
        get_candidates: GetCandidates,
        max_pairs_per_batch: int = 2048,
        threshold: float = 0.5,
        adversarial_epsilon: float = 0.0,
        seen_type_pairs_only: bool = False,
        learn_rate_scale: float = 1.0,
        dynamics_path: Optional[str] = None,
        threshold_samples: float = 0.0,
        threshold_seed: int = 0,
        scorer: Optional[Callable] = None,
    ) -> None:
        ensure_relation_extensions()
        if max_pairs_per_batch < 1:
            raise ValueError(f"{name}: max_pairs_per_batch must be at least 1, not {max_pairs_per_batch}")
        self.vocab, self.model, self.name = vocab, model, name
        self.get_candidates = get_candidates
        self.max_pairs_per_batch = max_pairs_per_batch
        self.scorer = scorer
        self.recorder = DynamicsRecorder(dynamics_path)
        self.cfg: Dict[str, Any] = {
            "labels": [],
            "type_pairs": [],
            "threshold": threshold,
            "adversarial_epsilon": adversarial_epsilon,
            "seen_type_pairs_only": seen_type_pairs_only,
            "learn_rate_scale": learn_rate_scale,
            "threshold_samples": threshold_samples,
            "threshold_seed": threshold_seed,
        }
        self.reported_unknown: Set[str] = set()
        if adversarial_epsilon > 0:
            self.adversarial_layers()

    @property
    def classes(self) -> List[str]:
        """The classifier's output classes: "no relation" first, then the labels (and the
        fake label of the threshold samples, when there are any)."""
        return [NO_RELATION, *self.labels] + [FAKE_LABEL] * (self.cfg["threshold_samples"] > 0)

    @property
    def n_outputs(self) -> int:
        return len(self.classes)

    def adversarial_layers(self) -> Tuple[Model, Model]:
        """The model's pair encoder and classifier, between which adversarial training
        perturbs the pair features."""
        missing = [name for name in ADVERSARIAL_REFS if not self.model.has_ref(name)]
        if missing:
            raise ValueError(
                f"{self.name}: adversarial_epsilon > 0 needs a model with the refs {list(ADVERSARIAL_REFS)} "
                f"(pair features, and features to logits), but the model {self.model.name!r} lacks {missing}: "
                "use spacy_somd.RelationClassifier.v2 or set adversarial_epsilon = 0"
            )
        encoder, classifier = (self.model.get_ref(name) for name in ADVERSARIAL_REFS)
        return encoder, classifier

    def candidates(self, doc: Doc) -> List[Pair]:
        """The candidate pairs of a doc's entities under this pipe's settings."""
        allowed = {tuple(p) for p in self.cfg["type_pairs"]} if self.cfg["seen_type_pairs_only"] else None
        return self.get_candidates(doc, allowed)

    def predict(self, docs: Iterable[Doc]) -> Predictions:
        docs = list(docs)
        pairs = [self.candidates(doc) for doc in docs]
        if not any(pairs):
            return pairs, self.model.ops.alloc2f(0, len(self.classes))
        logits = predict_in_chunks(self.model, (docs, pairs), self.max_pairs_per_batch)
        return pairs, self.model.ops.softmax(logits)

    def set_annotations(self, docs: Iterable[Doc], predictions: Predictions) -> None:
        pairs, probs = predictions
        probs = self.model.ops.to_numpy(probs)
        kept = iter(self.kept_rows(probs).tolist())
        row, start = next(kept, None), 0
        for doc, doc_pairs in zip(docs, pairs):
            relations, end = [], start + len(doc_pairs)
            while row is not None and row < end:
                head, tail = doc_pairs[row - start]
                relations.append(self.relation(head, tail, probs[row].tolist()))
                row = next(kept, None)
            doc._.set(RELATIONS_ATTR, relations)
            start = end

    def kept_rows(self, probs: numpy.ndarray) -> numpy.ndarray:
        """The rows (pairs) whose most probable class is a relation label with a
        probability of at least ``threshold``, in order."""
        best = probs.argmax(axis=1) if len(probs) else numpy.zeros(0, dtype="int64")
        is_label = (best > 0) & (best <= len(self.labels))  # not "no relation", not the fake label
        return numpy.flatnonzero(is_label & (probs[numpy.arange(len(best)), best] >= self.cfg["threshold"]))

    def relation(self, head: Span, tail: Span, scores: List[float]) -> Dict[str, Any]:
        """The relation dict of a kept pair from its row of class probabilities."""
        by_class = dict(zip(self.classes, scores))
        label = max(self.classes, key=by_class.__getitem__)
        return {"head": head.start, "tail": tail.start, "label": label, "score": by_class[label], "scores": {c: by_class[c] for c in self.labels}}

    def training_pairs(self, examples: Iterable[Example]) -> List[List[Pair]]:
        """The candidate pairs of the GOLD entities, as spans on the predicted docs and
        within the predicted docs' sentences: the pairs prediction gives had it found the
        gold entities, on the inputs that the upstream listener has seen."""
        batch = []
        for eg in examples:
            predicted, view = eg.predicted, gold_entity_view(eg)
            batch.append([(Span(predicted, h.start, h.end, label=h.label), Span(predicted, t.start, t.end, label=t.label)) for h, t in self.candidates(view)])
        return batch

    def gold_pairs(self, examples: Iterable[Example], pairs: List[List[Pair]]) -> GoldPairs:
        """The gold class of every pair; a gold label the pipe does not have is neither a
        relation nor "no relation": warned about once and left out of training."""
        class_ids = {label: i for i, label in enumerate(self.classes)}
        fraction, seed = self.cfg["threshold_samples"], self.cfg["threshold_seed"]
        gold, unknown = GoldPairs([], [], []), set()
        for eg, doc_pairs in zip(examples, pairs):
            if eg.reference._.get(PARTIAL_ATTR):
                # another corpus's sentence: its relations are not annotated
                gold.classes.extend([UNKNOWN] * len(doc_pairs))
                continue
            relations = gold_relations(eg.reference)
            line = eg.reference._.get(LINE_ATTR) or 0
            for head, tail in doc_pairs:
                label, ref_head, ref_tail = relations.get((head.start_char, tail.start_char), (NO_RELATION, 0, 0))
                if label not in class_ids:
                    unknown.add(label)
                    gold.classes.append(UNKNOWN)
                    continue
                if label != NO_RELATION:
                    instance = Instance(f"{line}:{ref_head}-{ref_tail}", line, eg.reference.text, f'{label}: "{head.text}" -> "{tail.text}"')
                    if fraction and is_threshold_sample(instance.id, fraction, seed):
                        label = FAKE_LABEL
                    gold.rows.append(len(gold.classes))
                    gold.instances.append(instance)
                gold.classes.append(class_ids[label])
        self.report_unknown(unknown)
        return gold

    def report_unknown(self, labels: Set[str]) -> None:
        """Warn once per label about gold relations whose label the pipe does not have."""
        new = labels - self.reported_unknown
        if new:
            self.reported_unknown |= new
            warnings.warn(
                f"{self.name}: gold relations labelled {sorted(new)} are not among the labels {list(self.labels)}; their pairs are left out of training",
                stacklevel=2,
            )

    def get_loss(self, examples: Iterable[Example], predictions: Predictions) -> Tuple[float, Floats2d]:
        """Softmax cross-entropy of the logits of ``predictions`` (the training pairs and
        their logits) against the gold classes, summed over the pairs (as spaCy's
        components sum over their instances) and its gradient; pairs of unknown gold
        labels add nothing."""
        examples = list(examples)
        validate_examples(examples, "RelationExtractor.get_loss")
        pairs, logits = predictions
        return softmax_loss(self.model.ops, logits, self.gold_pairs(examples, pairs).classes)

    def step(self, examples: List[Example]) -> Optional[float]:
        """One step on the gold entity pairs; with ``adversarial_epsilon`` > 0 also on the
        pair features perturbed along the gradient of the loss. The upstream tok2vec is
        always backpropagated (with zeros when there is no pair), so shared layers update."""
        inputs = ([eg.predicted for eg in examples], self.training_pairs(examples))
        if self.cfg["adversarial_epsilon"] > 0:
            loss, logits = self.adversarial_update(examples, inputs)
        else:
            logits, backprop = self.model.begin_update(inputs)
            loss, d_logits = self.get_loss(examples, (inputs[1], logits))
            backprop(d_logits)
        if self.recorder.enabled:
            self.record_dynamics(examples, inputs[1], logits)
        return loss

    def adversarial_update(self, examples: List[Example], inputs: RelationInputs) -> Tuple[float, Floats2d]:
        """Backpropagate the loss on the pair features plus the loss on the features moved
        by ``adversarial_epsilon`` along its gradient (Miyato et al.); return the sum and
        the logits on the unperturbed features."""
        encoder, classifier = self.adversarial_layers()
        pairs = inputs[1]
        features, bp_features = encoder.begin_update(inputs)
        logits, bp_logits = classifier.begin_update(features)
        loss, d_logits = self.get_loss(examples, (pairs, logits))
        d_features = bp_logits(d_logits)
        delta = adversarial_perturbation(self.model.ops, d_features, self.cfg["adversarial_epsilon"])
        perturbed_logits, bp_perturbed = classifier.begin_update(features + delta)
        perturbed_loss, d_perturbed = self.get_loss(examples, (pairs, perturbed_logits))
        bp_features(d_features + bp_perturbed(d_perturbed))
        return loss + perturbed_loss, logits

    def record_dynamics(self, examples: List[Example], pairs: List[List[Pair]], logits: Floats2d) -> None:
        """Record the logits of the pairs that hold a gold relation."""
        gold = self.gold_pairs(examples, pairs)
        if gold.rows:
            rows = self.model.ops.asarray1i(gold.rows)
            assigned = [gold.classes[row] for row in gold.rows]
            self.recorder.record(self.name, "relation", self.classes, gold.instances, logits[rows], assigned)

    def missed_relations(self, examples: List[Example]) -> Tuple[int, int]:
        """How many gold relations are not among the training pairs, and how many there are."""
        missed = total = 0
        for eg, doc_pairs in zip(examples, self.training_pairs(examples)):
            found = {(head.start_char, tail.start_char) for head, tail in doc_pairs}
            relations = gold_relations(eg.reference)
            total += len(relations)
            missed += len(relations.keys() - found)
        return missed, total

    def initialize(self, get_examples: Callable[[], Iterable[Example]], *, nlp: Optional[Language] = None, labels: Optional[List[str]] = None) -> None:
        """Labels (``labels`` from ``[initialize.components]``, else those of the gold
        relations) and the seen type pairs; a report of the gold relations that the
        training pairs miss (on the predicted docs as training sees them); then the
        model's sizes."""
        validate_get_examples(get_examples, "RelationExtractor.initialize")
        examples = list(get_examples())
        type_pairs, seen = set(), set()
        for eg in examples:
            ents = {e.start: e.label_ for e in eg.reference.ents}
            for rel in eg.reference._.get(RELATIONS_ATTR) or []:
                seen.add(rel["label"])
                type_pairs.add((ents[rel["head"]], ents[rel["tail"]]))
        for label in labels if labels is not None else sorted(seen):
            self.add_label(label)
        self._require_labels()
        self.cfg["type_pairs"] = sorted(type_pairs)
        self.recorder.reset()
        missed, total = self.missed_relations(as_in_training(examples, nlp, self.name))
        report = msg.warn if missed else msg.info
        report(f"{self.name}: the training pairs miss {missed} of {total} gold relations")
        sample = [eg.reference for eg in islice(examples, 10)]
        self.model.initialize(X=(sample, [self.candidates(doc) for doc in sample]), Y=self.model.ops.alloc2f(1, len(self.classes)))


def softmax_loss(ops: Ops, logits: Floats2d, gold: List[int]) -> Tuple[float, Floats2d]:
    """Softmax cross-entropy of each row of ``logits`` against its gold class index,
    summed over the rows, and its gradient on the logits; rows whose gold is ``UNKNOWN``
    add no loss and get no gradient."""
    if logits.shape[0] == 0:
        return 0.0, ops.alloc2f(*logits.shape)
    xp = ops.xp
    known = ops.asarray1f([g != UNKNOWN for g in gold])
    truths = ops.alloc2f(*logits.shape)
    truths[xp.arange(len(gold)), ops.asarray1i([max(g, 0) for g in gold])] = 1.0
    probs = ops.softmax(logits)
    loss = -(xp.log((probs * truths).sum(axis=1) + 1e-9) * known).sum()
    return float(loss), (probs - truths) * known.reshape((-1, 1))


def gold_relations(reference: Doc) -> GoldRelations:
    """A reference doc's relations, keyed by the character offsets of head and tail."""
    return {(reference[r["head"]].idx, reference[r["tail"]].idx): (r["label"], r["head"], r["tail"]) for r in reference._.get(RELATIONS_ATTR) or []}


def gold_entity_view(eg: Example) -> Doc:
    """A doc with the predicted doc's tokens and sentence boundaries and the reference's
    entities (those whose boundaries are predicted token boundaries)."""
    predicted = eg.predicted
    doc = Doc(
        predicted.vocab,
        words=[token.text for token in predicted],
        spaces=[bool(token.whitespace_) for token in predicted],
        sent_starts=[token.is_sent_start for token in predicted] if predicted.has_annotation("SENT_START") else None,
    )
    spans = (doc.char_span(ent.start_char, ent.end_char, label=ent.label) for ent in eg.reference.ents)
    doc.ents = [span for span in spans if span is not None]
    return doc


def as_in_training(examples: List[Example], nlp: Optional[Language], name: str) -> List[Example]:
    """The examples with their predicted docs annotated as ``Language.update`` annotates
    them before the pipe ``name``: by the ``[training] annotating_components`` ahead of it
    whose annotations training does not change (frozen or not trainable: a sentencizer)."""
    if nlp is None or name not in nlp.pipe_names:
        return examples
    training = nlp.config.get("training", {})
    annotating, frozen = set(training.get("annotating_components", [])), set(training.get("frozen_components", []))
    procs = [proc for other, proc in nlp.pipeline[: nlp.pipe_names.index(name)] if other in annotating and (other in frozen or not hasattr(proc, "update"))]
    if not procs:
        return examples
    annotated = []
    for eg in examples:
        doc = eg.predicted.copy()
        for proc in procs:
            doc = proc(doc)
        annotated.append(Example(doc, eg.reference))
    return annotated
