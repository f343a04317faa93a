"""The registered architecture of ``somd_software_usage``: for each software mention, the
mean of its token vectors beside the means of the words just before and after it and of
its sentence, then a small feed-forward network to one logit per flag (the pipe applies
the sigmoid)."""

from typing import Callable, List, Optional, Sequence, Tuple

from spacy.tokens import Doc
from spacy.util import registry
from thinc.api import Dropout, Linear, Model, Relu, chain
from thinc.types import Floats2d

# the mentions of each doc: (start, end) token offsets, end exclusive
Mentions = Sequence[Tuple[int, int]]
UsageInputs = Tuple[List[Doc], List[Mentions]]


@registry.architectures("spacy_somd.SoftwareUsage.v1")
def build_software_usage(
    tok2vec: Model[List[Doc], List[Floats2d]], hidden_width: int = 128, window: int = 0, nO: Optional[int] = None
) -> Model[UsageInputs, Floats2d]:
    """Logits of ``nO`` flags (inferred at initialization) per mention: the mention's
    mean token vector, with ``window`` > 0 the means of the up to ``window`` tokens of its
    sentence before and after it (zeros where there are none: "we wrote X", "X is
    available at"), and its sentence's mean (the whole doc where it has no sentence
    boundaries), concatenated; then a ReLU layer of ``hidden_width``, dropout (at
    ``[training] dropout``) and a linear output layer.

    Refs: ``tok2vec``, ``output_layer``."""
    if window < 0:
        raise ValueError(f"window must be 0 or more, not {window}")
    output_layer = Linear(nO=nO)
    model = chain(mention_features(tok2vec, window), Relu(nO=hidden_width), Dropout(0.0), output_layer)
    model.set_ref("tok2vec", tok2vec)
    model.set_ref("output_layer", output_layer)
    return model


def mention_features(tok2vec: Model[List[Doc], List[Floats2d]], window: int = 0) -> Model[UsageInputs, Floats2d]:
    """Per mention, the means of its token vectors, (``window`` > 0) of those just before
    and after it, and of its sentence's, side by side."""
    return Model("usage_mention_features", features_forward, layers=[tok2vec], init=features_init, attrs={"window": window})


def segments(docs: List[Doc], mentions: List[Mentions], window: int = 0) -> List[Tuple[int, int]]:
    """The rows of the flattened token vectors to average per mention (the mention, with
    ``window`` > 0 the tokens before and after it within its sentence, then its
    sentence), as (start, end) rows."""
    found, offset = [], 0
    for doc, doc_mentions in zip(docs, mentions):
        with_sents = doc.has_annotation("SENT_START")
        for start, end in doc_mentions:
            if not 0 <= start < end <= len(doc):
                raise ValueError(f"the mention [{start}, {end}) is not a token span of a doc of {len(doc)} tokens")
            sent = doc[start:end].sent if with_sents else doc[:]
            found.append((offset + start, offset + end))
            if window:
                found.append((offset + max(sent.start, start - window), offset + start))
                found.append((offset + end, offset + min(sent.end, end + window)))
            found.append((offset + sent.start, offset + sent.end))
        offset += len(doc)
    return found


def features_init(model: Model, X: Optional[UsageInputs] = None, Y=None) -> None:
    model.layers[0].initialize(X=None if X is None else X[0])


def features_forward(model: Model, inputs: UsageInputs, is_train: bool) -> Tuple[Floats2d, Callable]:
    docs, mentions = inputs
    ops = model.ops
    tokvecs, backprop_tok2vec = model.layers[0](docs, is_train)
    lengths = [len(vecs) for vecs in tokvecs]
    flat = ops.flatten(tokvecs) if tokvecs else ops.alloc2f(0, 0)
    width = flat.shape[1]
    window = model.attrs["window"]
    per_mention = 4 if window else 2
    rows = segments(docs, mentions, window)
    if not rows:
        return ops.alloc2f(0, per_mention * width), lambda d: backprop_tok2vec([ops.alloc2f(n, width) for n in lengths])
    index = ops.asarray1i([i for start, end in rows for i in range(start, end)])
    seg_lengths = ops.asarray1i([end - start for start, end in rows])
    means = ops.reduce_mean(flat[index], seg_lengths)
    output = means.reshape((len(rows) // per_mention, per_mention * width))

    def backprop(d_output: Floats2d) -> List[Floats2d]:
        d_means = ops.backprop_reduce_mean(ops.xp.ascontiguousarray(d_output.reshape((len(rows), width))), seg_lengths)
        d_flat = ops.alloc2f(flat.shape[0], width)
        ops.scatter_add(d_flat, index, d_means)
        return backprop_tok2vec(ops.unflatten(d_flat, ops.asarray1i(lengths)))

    return output, backprop
