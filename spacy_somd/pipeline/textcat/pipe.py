"""The ``somd_textcat`` pipe: multi-label sentence categories for the software a sentence
mentions, against the gold of :mod:`.gold`. The model (:mod:`.model`) returns logits; the
pipe applies the sigmoid."""

from itertools import islice
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Tuple

from spacy.language import Language
from spacy.tokens import Doc
from spacy.training import Example, validate_examples, validate_get_examples
from spacy.vocab import Vocab
from thinc.api import Config, Model
from thinc.types import Floats2d

from spacy_somd.labels import LINE_ATTR, ensure_extensions
from spacy_somd.pipeline.base import DEFAULT_TOK2VEC_STR, ScaledPipe
from spacy_somd.pipeline.dynamics import DynamicsRecorder, Instance
from spacy_somd.pipeline.textcat.gold import DEFAULT_MAPPING, CategoryMapping, gold_categories, mapped_labels
from spacy_somd.pipeline.textcat.scorer import score_textcat

DEFAULT_CONFIG_STR = """
[model]
@architectures = "spacy_somd.SentenceLogits.v2"
nO = null
"""


@Language.factory(
    "somd_textcat",
    assigns=["doc.cats"],
    default_config={
        "model": Config().from_str(DEFAULT_CONFIG_STR + DEFAULT_TOK2VEC_STR)["model"],
        "mapping": DEFAULT_MAPPING,
        "threshold": 0.5,
        "learn_rate_scale": 1.0,
        "dynamics_path": None,
        "scorer": {"@scorers": "spacy_somd.textcat_scorer.v1"},
    },
    default_score_weights={
        "cats_macro_f": 1.0,
        "cats_micro_f": 0.0,
        "cats_macro_auc": 0.0,
        "cats_score": None,
        "cats_score_desc": None,
        "cats_micro_p": None,
        "cats_micro_r": None,
        "cats_macro_p": None,
        "cats_macro_r": None,
        "cats_f_per_type": None,
        "cats_auc_per_type": None,
    },
)
def make_somd_textcat(
    nlp: Language,
    name: str,
    model: Model[List[Doc], Floats2d],
    mapping: Dict[str, List[str]],
    threshold: float,
    learn_rate_scale: float,
    dynamics_path: Optional[str],
    scorer: Optional[Callable],
) -> "SentenceCategorizer":
    return SentenceCategorizer(
        nlp.vocab, model, name, mapping=mapping, threshold=threshold, learn_rate_scale=learn_rate_scale, dynamics_path=dynamics_path, scorer=scorer
    )


class SentenceCategorizer(ScaledPipe):
    """Sets ``doc.cats`` to each label's probability (Python floats); a label counts as
    predicted at ``threshold`` or above. The model maps docs to one row of logits each.

    With ``dynamics_path``, every update records each (sentence, label) as a binary
    instance with logits ``[0, z]`` for ``absent``/``present`` (see
    :mod:`spacy_somd.training.dynamics`)."""

    def __init__(
        self,
        vocab: Vocab,
        model: Model[List[Doc], Floats2d],
        name: str = "somd_textcat",
        *,
        mapping: CategoryMapping = DEFAULT_MAPPING,
        threshold: float = 0.5,
        learn_rate_scale: float = 1.0,
        dynamics_path: Optional[str] = None,
        scorer: Optional[Callable] = score_textcat,
    ) -> None:
        ensure_extensions()
        self.vocab, self.model, self.name = vocab, model, name
        self.scorer = scorer
        self.recorder = DynamicsRecorder(dynamics_path)
        self.cfg: Dict[str, Any] = {
            "labels": [],
            "mapping": {key: list(cats) for key, cats in mapping.items()},
            "threshold": threshold,
            "learn_rate_scale": learn_rate_scale,
        }

    def predict(self, docs: Iterable[Doc]) -> Floats2d:
        """Each label's probability per doc (0.0 for docs without tokens)."""
        docs = list(docs)
        ops = self.model.ops
        if not any(len(doc) for doc in docs):
            return ops.alloc2f(len(docs), len(self.labels))
        probs = ops.sigmoid(self.model.predict(docs))
        empty = [i for i, doc in enumerate(docs) if not len(doc)]
        if empty:
            probs[ops.asarray1i(empty)] = 0.0
        return probs

    def set_annotations(self, docs: Iterable[Doc], probs: Floats2d) -> None:
        rows = self.model.ops.to_numpy(probs).tolist()
        for doc, row in zip(docs, rows):
            doc.cats.update(zip(self.labels, row))

    def truths(self, examples: Sequence[Example]) -> Tuple[Floats2d, Floats2d]:
        """The gold categories as a 0/1 array and a mask that is 0 where gold is missing."""
        mapping, labels = self.cfg["mapping"], self.labels
        golds = [gold_categories(eg.reference, mapping, labels) for eg in examples]
        ops = self.model.ops
        truths = ops.asarray2f([[gold.get(label, 0.0) for label in labels] for gold in golds])
        mask = ops.asarray2f([[float(label in gold) for label in labels] for gold in golds])
        return truths, mask

    def get_loss(self, examples: Iterable[Example], logits: Floats2d) -> Tuple[float, Floats2d]:
        """Sigmoid binary cross-entropy on the logits, summed over docs and labels with
        gold (as spaCy's components sum over their instances), and its gradient."""
        examples = list(examples)
        validate_examples(examples, "SentenceCategorizer.get_loss")
        truths, mask = self.truths(examples)
        xp = self.model.ops.xp
        losses = xp.maximum(logits, 0) - logits * truths + xp.log1p(xp.exp(-xp.abs(logits)))
        d_logits = (self.model.ops.sigmoid(logits) - truths) * mask
        return float((losses * mask).sum()), d_logits

    def step(self, examples: List[Example]) -> Optional[float]:
        """One step on the sentence categories, recording the logits when training
        dynamics are on."""
        if not any(len(eg.predicted) for eg in examples):
            return None
        logits, backprop = self.model.begin_update([eg.predicted for eg in examples])
        loss, d_logits = self.get_loss(examples, logits)
        if self.recorder.enabled:
            self.record_dynamics(examples, logits)
        backprop(d_logits)
        return loss

    def record_dynamics(self, examples: Sequence[Example], logits: Floats2d) -> None:
        """Each (sentence, label) with gold as a binary instance: logits ``[0, z]``."""
        truths, mask = (self.model.ops.to_numpy(a) for a in self.truths(examples))
        z = self.model.ops.to_numpy(logits)
        items, rows, assigned = [], [], []
        for i, eg in enumerate(examples):
            line = eg.reference._.get(LINE_ATTR) or 0
            for j, label in enumerate(self.labels):
                if mask[i, j]:
                    items.append(Instance(f"{line}:{label}", line, eg.reference.text, label))
                    rows.append([0.0, float(z[i, j])])
                    assigned.append(int(truths[i, j]))
        self.recorder.record(self.name, "category", ("absent", "present"), items, rows, assigned)

    def initialize(self, get_examples: Callable[[], Iterable[Example]], *, nlp: Optional[Language] = None, labels: Optional[Iterable[str]] = None) -> None:
        """Labels from ``labels`` (``[initialize.components]``) or else the mapping's
        categories and any explicit gold cats; then the model, its sizes inferred from a
        sample."""
        validate_get_examples(get_examples, "SentenceCategorizer.initialize")
        self.recorder.reset()
        if labels is None:
            explicit = (cat for eg in get_examples() for cat in eg.reference.cats)
            labels = list(dict.fromkeys([*mapped_labels(self.cfg["mapping"]), *explicit]))
        for label in labels:
            self.add_label(label)
        self._require_labels()
        sample = list(islice(get_examples(), 10))
        if not sample:
            raise ValueError(f"{self.name}: initialize needs at least one example")
        self.model.initialize(X=[eg.reference for eg in sample], Y=self.truths(sample)[0])
