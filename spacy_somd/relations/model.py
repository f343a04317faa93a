"""The relation classifier: pooled entity-pair representations from a shared tok2vec,
then a small feed-forward classifier over the relation labels plus "no relation"."""
import math
from typing import Callable, List, NamedTuple, Optional, Sequence, Tuple

import numpy
from spacy.tokens import Doc
from spacy.util import registry
from thinc.api import Embed, HashEmbed, Linear, Model, Ops, Relu, chain
from thinc.types import Floats2d, Ints1d

from .candidates import Pair

RelationInputs = Tuple[List[Doc], List[List[Pair]]]


class PairIndices(NamedTuple):
    idx: numpy.ndarray
    seg: numpy.ndarray
    lengths: numpy.ndarray
    keys: numpy.ndarray
    buckets: numpy.ndarray


# The entity-type embedding: a hashed table (the labels are strings of an open set) of
# 64 rows. SOMD has 14 entity types and HashEmbed sums 4 hashed rows per key, so two
# types share all their rows with negligible probability; the seed only has to stay fixed
# (it is saved with the model).
TYPE_ROWS = 64
TYPE_SEED = 17
# The refs the pipe's adversarial training needs: pair features, and features to logits.
ADVERSARIAL_REFS = ("encoder", "classifier")


@registry.architectures("spacy_somd.RelationClassifier.v2")
def build_relation_classifier(
    tok2vec: Model[List[Doc], List[Floats2d]],
    hidden_width: int = 128,
    type_width: int = 16,
    distance_width: int = 16,
    distance_buckets: int = 8,
    nO: Optional[int] = None,
) -> Model[RelationInputs, Floats2d]:
    """Logits over ``nO`` classes (the relation labels and "no relation") for every
    candidate pair: chain of the pair encoder and a one-hidden-layer classifier. The
    encoder's and classifier's input widths are inferred at initialization. The hidden
    layer's dropout rate is ``[training] dropout`` (spaCy sets it on every update).

    Refs: ``tok2vec``, ``output_layer`` and the ``encoder`` and ``classifier`` that the
    pipe's adversarial training perturbs between."""
    encoder = build_pair_encoder(tok2vec, type_width, distance_width, distance_buckets)
    output_layer = Linear(nO=nO)
    classifier = chain(Relu(nO=hidden_width, dropout=0.0), output_layer)
    model = chain(encoder, classifier)
    model.set_ref("encoder", encoder)
    model.set_ref("classifier", classifier)
    model.set_ref("output_layer", output_layer)
    model.set_ref("tok2vec", tok2vec)
    return model


@registry.architectures("spacy_somd.RelationClassifier.v1")
def build_relation_classifier_v1(
    tok2vec: Model[List[Doc], List[Floats2d]],
    hidden_width: int = 128,
    type_width: int = 16,
    distance_width: int = 16,
    distance_buckets: int = 8,
    dropout: float = 0.1,
    nO: Optional[int] = None,
) -> Model[RelationInputs, Floats2d]:
    """v2 for the configs of pipelines trained before it: their ``dropout`` never had an
    effect (``[training] dropout`` overwrote it on every update; prediction uses none)."""
    return build_relation_classifier(tok2vec, hidden_width, type_width, distance_width, distance_buckets, nO)


def build_pair_encoder(
    tok2vec: Model[List[Doc], List[Floats2d]], type_width: int, distance_width: int, distance_buckets: int
) -> Model[RelationInputs, Floats2d]:
    """One row per pair: the mean token vector of the head, of the tail and of the tokens
    between them (a mean, so that a 20-token URL and a one-token version are on one
    scale; an empty gap gives zeros), embeddings of the two entity labels and of the
    signed, log2-bucketed distance (see :func:`distance_bucket`)."""
    return Model(
        "somd_pair_encoder",
        encode_forward,
        init=encode_init,
        layers=[
            tok2vec,
            HashEmbed(nO=type_width, nV=TYPE_ROWS, seed=TYPE_SEED),
            Embed(nO=distance_width, nV=2 * distance_buckets),
        ],
        refs={"tok2vec": tok2vec},
        attrs={"distance_buckets": distance_buckets},
    )


def encode_init(model: Model, X: Optional[RelationInputs] = None, Y: None = None) -> None:
    docs = X[0] if X is not None else None
    model.layers[0].initialize(X=docs)
    model.layers[1].initialize()
    model.layers[2].initialize()


def distance_bucket(head_start: int, tail_start: int, gap: int, n_buckets: int) -> int:
    """Log2 bucket of the gap between the spans (0, 1, 2-3, 4-7, ... tokens, the last
    bucket open-ended), offset by ``n_buckets`` when the tail comes first: most
    attributes sit right next to their software, so near gaps get fine buckets and far
    ones coarse buckets."""
    bucket = min(0 if gap <= 0 else 1 + int(math.log2(gap)), n_buckets - 1)
    return bucket + (n_buckets if tail_start < head_start else 0)


def pair_indices(docs: Sequence[Doc], pairs: Sequence[Sequence[Pair]], n_buckets: int) -> PairIndices:
    """For the head, tail and between spans of every pair (segments 0..n-1, n..2n-1,
    2n..3n-1): row indices into the flattened token vectors, their segment ids and the
    segment lengths; then the label keys (heads, then tails) and the distance buckets."""
    spans, keys, buckets = [], [], []
    offset = 0
    for doc, doc_pairs in zip(docs, pairs):
        for head, tail in doc_pairs:
            left, right = sorted((head, tail), key=lambda span: span.start)
            spans.append([(offset + s, offset + e) for s, e in (
                (head.start, head.end), (tail.start, tail.end), (left.end, max(left.end, right.start))
            )])  # fmt: skip
            keys.append((head.label, tail.label))
            buckets.append(distance_bucket(head.start, tail.start, right.start - left.end, n_buckets))
        offset += len(doc)
    bounds = [bound for seg in range(3) for bound in (pair[seg] for pair in spans)]
    lengths = numpy.array([e - s for s, e in bounds], dtype="int64")
    idx = numpy.concatenate([numpy.arange(s, e) for s, e in bounds] + [numpy.zeros(0, "int64")])
    seg = numpy.repeat(numpy.arange(len(bounds)), lengths)
    label_keys = numpy.array([k[0] for k in keys] + [k[1] for k in keys], dtype="uint64")
    return PairIndices(idx, seg, lengths, label_keys, numpy.array(buckets, dtype="int64"))


def segment_mean(
    ops: Ops, X: Floats2d, idx: Ints1d, seg: Ints1d, lengths: Floats2d
) -> Tuple[Floats2d, Callable[[Floats2d], Floats2d]]:
    """Mean of the rows ``X[idx]`` grouped by segment id (empty segments give zeros)."""
    denom = ops.xp.maximum(lengths, 1.0).reshape((-1, 1))
    sums = ops.alloc2f(lengths.shape[0], X.shape[1])
    ops.scatter_add(sums, seg, X[idx])

    def backprop(d_means: Floats2d) -> Floats2d:
        dX = ops.alloc2f(*X.shape)
        ops.scatter_add(dX, idx, (d_means / denom)[seg])
        return dX

    return sums / denom, backprop


def embed(layer: Model, ids: Ints1d, is_train: bool) -> Tuple[Floats2d, Callable]:
    """An embedding layer's output, or an empty array without ids (thinc's HashEmbed
    cannot backpropagate an empty batch)."""
    if len(ids):
        return layer(ids, is_train)
    return layer.ops.alloc2f(0, layer.get_dim("nO")), lambda d_vectors: ids


def side_by_side(ops: Ops, X: Floats2d, k: int) -> Tuple[Floats2d, Callable[[Floats2d], Floats2d]]:
    """The ``k`` consecutive blocks of rows of ``X`` (shape ``(k * n, w)``) placed side by
    side (shape ``(n, k * w)``), and the inverse for the gradient."""
    n, width = X.shape[0] // k, X.shape[1]
    joined = X.reshape((k, n, width)).transpose((1, 0, 2)).reshape((n, k * width))

    def backprop(d_joined: Floats2d) -> Floats2d:
        return ops.as_contig(d_joined.reshape((n, k, width)).transpose((1, 0, 2)).reshape((k * n, width)))

    return ops.as_contig(joined), backprop


def encode_forward(
    model: Model[RelationInputs, Floats2d], inputs: RelationInputs, is_train: bool
) -> Tuple[Floats2d, Callable[[Floats2d], RelationInputs]]:
    docs, pairs = inputs
    tok2vec, type_embed, distance_embed = model.layers
    ops = model.ops
    tokvecs, bp_tokvecs = tok2vec(docs, is_train)
    flat = ops.flatten(tokvecs)
    ix = pair_indices(docs, pairs, model.attrs["distance_buckets"])
    pooled, bp_pooled = segment_mean(
        ops, flat, ops.asarray1i(ix.idx), ops.asarray1i(ix.seg), ops.asarray1f(ix.lengths)
    )
    types, bp_types = embed(type_embed, ops.asarray(ix.keys, dtype="uint64"), is_train)
    distances, bp_distances = embed(distance_embed, ops.asarray1i(ix.buckets), is_train)
    pooled, bp_side = side_by_side(ops, pooled, 3)
    types, bp_types_side = side_by_side(ops, types, 2)
    output = ops.xp.hstack([pooled, types, distances])
    widths = (pooled.shape[1], pooled.shape[1] + types.shape[1])

    def backprop(d_output: Floats2d) -> RelationInputs:
        d_pooled, d_types, d_distances = ops.xp.split(d_output, widths, axis=1)
        bp_types(bp_types_side(d_types))
        bp_distances(ops.as_contig(d_distances))
        d_flat = bp_pooled(bp_side(d_pooled))
        bp_tokvecs(ops.unflatten(d_flat, [len(doc) for doc in docs]))
        return inputs

    return output, backprop


def adversarial_perturbation(ops: Ops, gradient: Floats2d, epsilon: float) -> Floats2d:
    """Liu et al. / Miyato et al.: e_adv = epsilon * g / ||g||, per row (instance)."""
    norms = ops.xp.sqrt((gradient**2).sum(axis=1, keepdims=True))
    return epsilon * gradient / ops.xp.maximum(norms, 1e-12)
