"""The ``somd_relation_extractor`` pipe: classifies candidate entity pairs into SOMD
relations, with optional adversarial training (Liu et al.; Miyato et al. 2016)."""
from itertools import islice
from typing import Any, Callable, Dict, Iterable, List, NamedTuple, Optional, Tuple

from spacy.language import Language
from spacy.tokens import Doc
from spacy.training import Example, validate_examples, validate_get_examples
from spacy.vocab import Vocab
from thinc.api import Config, Model, Optimizer, set_dropout_rate
from thinc.types import Floats2d
from wasabi import msg

from ..corpus import LINE_ATTR, RELATIONS_ATTR, ensure_extensions
from ..dynamics import FAKE_LABEL, DynamicsRecorder, Instance, is_threshold_sample
from ..pipes import DEFAULT_TOK2VEC_STR, ScaledPipe
from .candidates import GetCandidates, Pair, missed_gold_relations
from .model import RelationInputs, adversarial_perturbation, predict_in_chunks

NO_RELATION = "NO_RELATION"
Predictions = Tuple[List[List[Pair]], Floats2d]


class TrainingPairs(NamedTuple):
    """The candidate pairs of a batch's gold entities (spans on the predicted docs), each
    pair's gold class index, and the gold relations among them for the dynamics record."""

    pairs: List[List[Pair]]
    gold: List[int]
    rows: List[int]
    instances: List[Instance]


DEFAULT_CONFIG_STR = """
[model]
@architectures = "spacy_somd.RelationClassifier.v1"
hidden_width = 128
type_width = 16
distance_width = 16
distance_buckets = 8
dropout = 0.1
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
        nlp.vocab, model, name, get_candidates=get_candidates, max_pairs_per_batch=max_pairs_per_batch,
        threshold=threshold, adversarial_epsilon=adversarial_epsilon, seen_type_pairs_only=seen_type_pairs_only,
        learn_rate_scale=learn_rate_scale, dynamics_path=dynamics_path, threshold_samples=threshold_samples,
        threshold_seed=threshold_seed, scorer=scorer,
    )  # fmt: skip


class RelationExtractor(ScaledPipe):
    """Predicts ``doc._.somd_relations`` (``{"head", "tail", "label", "score", "scores"}``
    dicts, head and tail the first tokens of the two entities) from ``doc.ents``.

    Prediction encodes and classifies at most ``max_pairs_per_batch`` candidate pairs at
    a time, so that a doc with very many entities runs in bounded memory.

    With ``dynamics_path``, every update records the logits of the gold relations it
    trained on (see :mod:`spacy_somd.dynamics`); ``threshold_samples`` > 0 gives that share
    of them the fake label of Pleiss et al. (an extra output class), for the AUM threshold.
    """

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
        ensure_extensions()
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

    @property
    def classes(self) -> List[str]:
        """The classifier's output classes: "no relation" first, then the labels (and the
        fake label of the threshold samples, when there are any)."""
        return [NO_RELATION, *self.labels] + [FAKE_LABEL] * (self.cfg["threshold_samples"] > 0)

    def add_label(self, label: str) -> int:
        if label in self.labels:
            return 0
        self._allow_extra_label()
        self.cfg["labels"] = sorted([*self.labels, label])
        return 1

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
        probs = self.model.ops.to_numpy(probs).tolist()
        threshold, classes = self.cfg["threshold"], self.classes
        row = 0
        for doc, doc_pairs in zip(docs, pairs):
            relations = []
            for head, tail in doc_pairs:
                scores = dict(zip(classes, probs[row]))
                row += 1
                best = max(classes, key=scores.__getitem__)
                if best not in (NO_RELATION, FAKE_LABEL) and scores[best] >= threshold:
                    relations.append({
                        "head": head.start, "tail": tail.start, "label": best,
                        "score": scores[best], "scores": {c: scores[c] for c in self.labels},
                    })  # fmt: skip
            doc._.set(RELATIONS_ATTR, relations)

    def training_pairs(self, examples: Iterable[Example]) -> TrainingPairs:
        """Candidate pairs of the GOLD entities, as spans on the predicted docs: the model
        trains on the reference entities while its inputs stay the predicted docs that the
        upstream listener has seen."""
        class_ids = {label: i for i, label in enumerate(self.classes)}
        fraction, seed = self.cfg["threshold_samples"], self.cfg["threshold_seed"]
        batch = TrainingPairs([], [], [], [])
        for eg in examples:
            relations = {(r["head"], r["tail"]): r["label"] for r in eg.reference._.get(RELATIONS_ATTR) or []}
            doc_pairs = []
            for head, tail in self.candidates(eg.reference):
                aligned = [eg.predicted.char_span(s.start_char, s.end_char, label=s.label) for s in (head, tail)]
                if None in aligned:
                    continue
                doc_pairs.append(tuple(aligned))
                label = relations.get((head.start, tail.start), NO_RELATION)
                if label != NO_RELATION:
                    line = eg.reference._.get(LINE_ATTR) or 0
                    instance = Instance(
                        f"{line}:{head.start}-{tail.start}", line, eg.reference.text,
                        f'{label}: "{head.text}" -> "{tail.text}"',
                    )  # fmt: skip
                    if fraction and is_threshold_sample(instance.id, fraction, seed):
                        label = FAKE_LABEL
                    batch.rows.append(len(batch.gold))
                    batch.instances.append(instance)
                batch.gold.append(class_ids.get(label, 0))
            batch.pairs.append(doc_pairs)
        return batch

    def loss_and_gradient(self, logits: Floats2d, gold: List[int]) -> Tuple[float, Floats2d]:
        """Softmax cross-entropy summed over the pairs (as spaCy's components sum over
        their instances) and its gradient on the logits."""
        ops = self.model.ops
        n = logits.shape[0]
        if n == 0:
            return 0.0, logits
        rows, gold_ids = ops.xp.arange(n), ops.asarray1i(gold)
        probs = ops.softmax(logits)
        loss = -ops.xp.log(probs[rows, gold_ids] + 1e-9).sum()
        d_logits = probs.copy()
        d_logits[rows, gold_ids] -= 1.0
        return float(loss), d_logits

    def get_loss(self, examples: Iterable[Example], logits: Floats2d) -> Tuple[float, Floats2d]:
        examples = list(examples)
        validate_examples(examples, "RelationExtractor.get_loss")
        return self.loss_and_gradient(logits, self.training_pairs(examples).gold)

    def classify(self, features: Floats2d, gold: List[int]) -> Tuple[float, Floats2d, Floats2d]:
        """The classifier's logits on pair features, its loss and the loss gradient on
        the features."""
        if features.shape[0] == 0:
            return 0.0, features, self.model.ops.alloc2f(0, len(self.classes))
        logits, backprop = self.model.get_ref("classifier").begin_update(features)
        loss, d_logits = self.loss_and_gradient(logits, gold)
        return loss, backprop(d_logits), logits

    def update(
        self,
        examples: Iterable[Example],
        *,
        drop: float = 0.0,
        sgd: Optional[Optimizer] = None,
        losses: Optional[Dict[str, float]] = None,
    ) -> Dict[str, float]:
        """One step on the gold entity pairs; with ``adversarial_epsilon`` > 0 also on the
        pair features perturbed along the gradient of the loss. The upstream tok2vec is
        always backpropagated (with zeros when there is no pair), so shared layers update."""
        losses = {} if losses is None else losses
        losses.setdefault(self.name, 0.0)
        examples = list(examples)
        validate_examples(examples, "RelationExtractor.update")
        docs = [eg.predicted for eg in examples]
        batch = self.training_pairs(examples)
        set_dropout_rate(self.model, drop)
        features, backprop = self.model.get_ref("encoder").begin_update((docs, batch.pairs))
        loss, d_features, logits = self.classify(features, batch.gold)
        if self.recorder.enabled and batch.rows:
            rows = self.model.ops.asarray1i(batch.rows)
            self.recorder.record(
                self.name, "relation", self.classes, batch.instances, logits[rows],
                [batch.gold[row] for row in batch.rows],
            )  # fmt: skip
        epsilon = self.cfg["adversarial_epsilon"]
        if epsilon > 0 and features.shape[0]:
            perturbed = features + adversarial_perturbation(self.model.ops, d_features, epsilon)
            adversarial_loss, d_perturbed, _ = self.classify(perturbed, batch.gold)
            loss, d_features = loss + adversarial_loss, d_features + d_perturbed
        backprop(d_features)
        if sgd is not None:
            self.finish_update(sgd)
        losses[self.name] += loss
        return losses

    def initialize(
        self,
        get_examples: Callable[[], Iterable[Example]],
        *,
        nlp: Optional[Language] = None,
        labels: Optional[List[str]] = None,
    ) -> None:
        """Labels and seen type pairs from the gold data (or ``labels``), a report of the
        gold relations the candidate generator misses, then the model's sizes."""
        validate_get_examples(get_examples, "RelationExtractor.initialize")
        references = [eg.reference for eg in get_examples()]
        type_pairs, seen = set(), set()
        for doc in references:
            ents = {e.start: e.label_ for e in doc.ents}
            for rel in doc._.get(RELATIONS_ATTR) or []:
                seen.add(rel["label"])
                type_pairs.add((ents[rel["head"]], ents[rel["tail"]]))
        self.cfg["labels"] = sorted(labels if labels is not None else seen)
        self.cfg["type_pairs"] = sorted(type_pairs)
        self.recorder.reset()
        missed, total = missed_gold_relations(references, self.candidates)
        report = msg.warn if missed else msg.info
        report(f"{self.name}: the candidate pairs miss {missed} of {total} gold relations")
        sample = [eg.reference for eg in islice(get_examples(), 10)]
        self.model.initialize(
            X=(sample, [self.candidates(doc) for doc in sample]),
            Y=self.model.ops.alloc2f(1, len(self.classes)),
        )
