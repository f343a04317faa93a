"""The ``somd_software_usage`` pipe: what the article did with each software it mentions,
three independent probabilities per software entity (``used``, ``created`` by the
authors, ``shared``), against the gold of :mod:`.gold`. The model (:mod:`.model`) returns
logits; the pipe applies the sigmoid.

It sets ``span._.somd_usage`` (flag -> probability) on every software entity and the span
group ``doc.spans["somd_usage"]``: one span per software entity and flag at or above the
flag's threshold, labelled with the flag (the representation of the gold)."""

from itertools import islice
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Tuple

from spacy.language import Language
from spacy.tokens import Doc, Span
from spacy.training import Example, validate_examples, validate_get_examples
from spacy.vocab import Vocab
from thinc.api import Config, Model, Ops
from thinc.types import Floats2d

from spacy_somd.labels import SOFTWARE_TYPES, USAGE_FLAGS, USAGE_KEY, ensure_extensions
from spacy_somd.pipeline.base import DEFAULT_TOK2VEC_STR, ScaledPipe
from spacy_somd.pipeline.usage.gold import gold_usage, software_entities
from spacy_somd.pipeline.usage.model import Mentions, UsageInputs
from spacy_somd.pipeline.usage.scorer import score_usage

DEFAULT_CONFIG_STR = """
[model]
@architectures = "spacy_somd.SoftwareUsage.v1"
hidden_width = 128
window = 16
nO = null
"""


def ensure_usage_extension() -> None:
    """Register ``span._.somd_usage`` (flag -> probability, None where not predicted);
    idempotent."""
    ensure_extensions()
    if not Span.has_extension(USAGE_KEY):
        Span.set_extension(USAGE_KEY, default=None)


@Language.factory(
    "somd_software_usage",
    assigns=[f"span._.{USAGE_KEY}", "doc.spans"],
    requires=["doc.ents"],
    default_config={
        "model": Config().from_str(DEFAULT_CONFIG_STR + DEFAULT_TOK2VEC_STR)["model"],
        "software_labels": list(SOFTWARE_TYPES),
        "thresholds": {flag: 0.5 for flag in USAGE_FLAGS},
        "learn_rate_scale": 1.0,
        "scorer": {"@scorers": "spacy_somd.usage_scorer.v1"},
    },
    default_score_weights={
        "usage_macro_f": 1.0,
        "usage_macro_auc": 0.0,
        **{f"usage_{flag}_{key}": None for flag in USAGE_FLAGS for key in ("p", "r", "f", "auc")},
        "usage_per_flag": None,
    },
)
def make_software_usage(
    nlp: Language,
    name: str,
    model: Model[UsageInputs, Floats2d],
    software_labels: List[str],
    thresholds: Dict[str, float],
    learn_rate_scale: float,
    scorer: Optional[Callable],
) -> "SoftwareUsage":
    return SoftwareUsage(nlp.vocab, model, name, software_labels=software_labels, thresholds=thresholds, learn_rate_scale=learn_rate_scale, scorer=scorer)


class SoftwareUsage(ScaledPipe):
    """Gives every entity whose label is in ``software_labels`` a probability per label
    (the flags: ``used``, ``created``, ``shared``); a flag holds at its threshold
    (``thresholds``, 0.5 for a flag not listed) or above. The model maps the docs and
    their mentions (token offsets) to one row of logits per mention.

    Training reads the software entities of the reference docs (the gold spans, on the
    predicted docs' tokens) and their gold flags (:mod:`.gold`); a reference without gold
    flags adds no loss."""

    def __init__(
        self,
        vocab: Vocab,
        model: Model[UsageInputs, Floats2d],
        name: str = "somd_software_usage",
        *,
        software_labels: Sequence[str] = SOFTWARE_TYPES,
        thresholds: Optional[Dict[str, float]] = None,
        learn_rate_scale: float = 1.0,
        scorer: Optional[Callable] = score_usage,
    ) -> None:
        ensure_usage_extension()
        self.vocab, self.model, self.name = vocab, model, name
        self.scorer = scorer
        self.cfg: Dict[str, Any] = {
            "labels": [],
            "software_labels": list(software_labels),
            "thresholds": dict(thresholds or {}),
            "learn_rate_scale": learn_rate_scale,
        }

    def threshold(self, flag: str) -> float:
        return float(self.cfg["thresholds"].get(flag, 0.5))

    def mentions(self, doc: Doc) -> Mentions:
        return [(ent.start, ent.end) for ent in software_entities(doc, self.cfg["software_labels"])]

    def predict(self, docs: Iterable[Doc]) -> Floats2d:
        """Each flag's probability per software entity, the entities of the docs in order."""
        docs = list(docs)
        mentions = [self.mentions(doc) for doc in docs]
        if not any(mentions):
            return self.model.ops.alloc2f(0, len(self.labels))
        return self.model.ops.sigmoid(self.model.predict((docs, mentions)))

    def set_annotations(self, docs: Iterable[Doc], probs: Floats2d) -> None:
        rows = iter(self.model.ops.to_numpy(probs).tolist())
        thresholds = [self.threshold(flag) for flag in self.labels]
        for doc in docs:
            group = []
            for ent in software_entities(doc, self.cfg["software_labels"]):
                row = next(rows)
                ent._.set(USAGE_KEY, dict(zip(self.labels, row)))
                group.extend(Span(doc, ent.start, ent.end, label=flag) for flag, p, t in zip(self.labels, row, thresholds) if p >= t)
            doc.spans[USAGE_KEY] = group

    def training_inputs(self, examples: Sequence[Example]) -> Tuple[UsageInputs, Floats2d, Floats2d]:
        """The predicted docs with the reference's software entities that are spans of
        their tokens, and per mention the gold flags (0/1) and a mask that is 0 where the
        reference has no gold flags."""
        docs, mentions, truths, mask = [], [], [], []
        labels = self.labels
        for eg in examples:
            gold = gold_usage(eg.reference, self.cfg["software_labels"])
            doc_mentions = []
            for ent in software_entities(eg.reference, self.cfg["software_labels"]):
                span = eg.predicted.char_span(ent.start_char, ent.end_char)
                if span is None:
                    continue
                doc_mentions.append((span.start, span.end))
                found = set() if gold is None else gold[(ent.start_char, ent.end_char)]
                truths.append([float(label in found) for label in labels])
                mask.append([float(gold is not None)] * len(labels))
            docs.append(eg.predicted)
            mentions.append(doc_mentions)
        ops = self.model.ops
        width = len(labels)
        as_array = lambda rows: ops.asarray2f(rows) if rows else ops.alloc2f(0, width)  # noqa: E731
        return (docs, mentions), as_array(truths), as_array(mask)

    def get_loss(self, examples: Iterable[Example], logits: Floats2d) -> Tuple[float, Floats2d]:
        """Sigmoid binary cross-entropy on the logits of the reference's software
        entities, summed over mentions and flags with gold, and its gradient."""
        examples = list(examples)
        validate_examples(examples, "SoftwareUsage.get_loss")
        _, truths, mask = self.training_inputs(examples)
        if truths.shape != logits.shape:
            raise ValueError(f"{self.name}: the logits have the shape {logits.shape}, the gold of the examples {truths.shape}")
        return sigmoid_loss(self.model.ops, logits, truths, mask)

    def step(self, examples: List[Example]) -> Optional[float]:
        """One step on the software entities of the references (nothing to learn from
        without any)."""
        inputs, _, mask = self.training_inputs(examples)
        if not mask.shape[0] or not float(mask.sum()):
            return None
        logits, backprop = self.model.begin_update(inputs)
        loss, d_logits = self.get_loss(examples, logits)
        backprop(d_logits)
        return loss

    def initialize(self, get_examples: Callable[[], Iterable[Example]], *, nlp: Optional[Language] = None, labels: Optional[Iterable[str]] = None) -> None:
        """Labels from ``labels`` (``[initialize.components]``), else the three flags; then
        the model, its sizes inferred from a sample that mentions software."""
        validate_get_examples(get_examples, "SoftwareUsage.initialize")
        for label in USAGE_FLAGS if labels is None else labels:
            self.add_label(label)
        self._require_labels()
        sample = list(islice((eg for eg in get_examples() if software_entities(eg.reference, self.cfg["software_labels"])), 10))
        if not sample:
            raise ValueError(f"{self.name}: initialize needs at least one example with a software entity (labels {self.cfg['software_labels']})")
        inputs, truths, _ = self.training_inputs(sample)
        self.model.initialize(X=inputs, Y=truths)


def sigmoid_loss(ops: Ops, logits: Floats2d, truths: Floats2d, mask: Floats2d) -> Tuple[float, Floats2d]:
    """Sigmoid binary cross-entropy of ``logits`` against 0/1 ``truths``, summed where
    ``mask`` is 1, and its gradient (0 where ``mask`` is 0)."""
    xp = ops.xp
    losses = xp.maximum(logits, 0) - logits * truths + xp.log1p(xp.exp(-xp.abs(logits)))
    return float((losses * mask).sum()), (ops.sigmoid(logits) - truths) * mask


# Registered when this module is imported, which every pipeline does: spaCy imports the
# plugins' factory modules (and so this one) whenever it builds a Language.
ensure_usage_extension()
