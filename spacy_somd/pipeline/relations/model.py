"""The relation classifier: pooled entity-pair representations from a shared tok2vec,
then a small feed-forward classifier over the relation labels plus "no relation"."""

from typing import Callable, List, NamedTuple, Optional, Sequence, Tuple

import numpy
from spacy.tokens import Doc, Span
from spacy.util import registry
from thinc.api import Embed, HashEmbed, Linear, Model, Ops, Relu, chain
from thinc.types import Floats2d, Ints1d

from spacy_somd.pipeline.relations.candidates import Pair

RelationInputs = Tuple[List[Doc], List[List[Pair]]]


PairRow = Tuple[int, Span, Span]


class PairIndices(NamedTuple):
    starts: numpy.ndarray  # the head, tail and between spans' first rows (3 per pair)
    ends: numpy.ndarray  # and their ends (exclusive)
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


def build_pair_encoder(
    tok2vec: Model[List[Doc], List[Floats2d]], type_width: int, distance_width: int, distance_buckets: int
) -> Model[RelationInputs, Floats2d]:
    """One row per pair: the mean token vector of the head, of the tail and of the tokens
    between them (a mean, so that a 20-token URL and a one-token version are on one
    scale; an empty gap gives zeros), embeddings of the two entity labels and of the
    signed, log2-bucketed distance (see :func:`distance_buckets`)."""
    return Model(
        "somd_pair_encoder",
        encode_forward,
        init=encode_init,
        layers=[tok2vec, HashEmbed(nO=type_width, nV=TYPE_ROWS, seed=TYPE_SEED), Embed(nO=distance_width, nV=2 * distance_buckets)],
        refs={"tok2vec": tok2vec},
        attrs={"distance_buckets": distance_buckets},
    )


def encode_init(model: Model, X: Optional[RelationInputs] = None, Y: None = None) -> None:
    docs = X[0] if X is not None else None
    model.layers[0].initialize(X=docs)
    model.layers[1].initialize()
    model.layers[2].initialize()


def distance_buckets(head_starts: numpy.ndarray, tail_starts: numpy.ndarray, gaps: numpy.ndarray, n_buckets: int) -> numpy.ndarray:
    """Per pair: the log2 bucket of the gap between the spans (0, 1, 2-3, 4-7, ... tokens,
    the last bucket open-ended), offset by ``n_buckets`` when the tail comes first: most
    attributes sit right next to their software, so near gaps get fine buckets and far
    ones coarse buckets."""
    log_gaps = numpy.floor(numpy.log2(numpy.maximum(gaps, 1))).astype("int64")
    buckets = numpy.minimum(numpy.where(gaps > 0, 1 + log_gaps, 0), n_buckets - 1)
    return buckets + n_buckets * (tail_starts < head_starts)


def pair_rows(docs: Sequence[Doc], pairs: Sequence[Sequence[Pair]]) -> List[PairRow]:
    """Every pair of the batch as (its doc's first row in the flattened token vectors,
    head, tail), in order."""
    rows, offset = [], 0
    for doc, doc_pairs in zip(docs, pairs):
        rows.extend((offset, head, tail) for head, tail in doc_pairs)
        offset += len(doc)
    return rows


def pair_indices(rows: Sequence[PairRow], n_buckets: int) -> PairIndices:
    """For the head, tail and between spans of every pair (segments 0..n-1, n..2n-1,
    2n..3n-1): their start and end rows in the flattened token vectors; then the label
    keys (heads, then tails) and the distance buckets. One Python step per pair (reading
    its spans); the rest is numpy index arithmetic."""
    table = numpy.array([(offset, head.start, head.end, tail.start, tail.end, head.label, tail.label) for offset, head, tail in rows], dtype="uint64").reshape(
        (-1, 7)
    )
    offset, h_start, h_end, t_start, t_end = table[:, :5].astype("int64").T
    head_first = h_start <= t_start
    left_end = numpy.where(head_first, h_end, t_end)
    right_start = numpy.where(head_first, t_start, h_start)
    starts = numpy.concatenate([h_start, t_start, left_end])
    ends = numpy.concatenate([h_end, t_end, numpy.maximum(left_end, right_start)])
    shift = numpy.tile(offset, 3)
    label_keys = numpy.concatenate([table[:, 5], table[:, 6]])
    buckets = distance_buckets(h_start, t_start, right_start - left_end, n_buckets)
    return PairIndices(starts + shift, ends + shift, label_keys, buckets)


def prefix_sums(ops: Ops, X: Floats2d) -> Floats2d:
    """Row ``i`` holds the sum of the rows ``X[:i]`` (in float64, so that differences of
    two rows stay exact enough). ``X`` is copied to float64 first: numpy's cumsum with a
    dtype cast is about twice as slow, with the same result."""
    prefix = ops.xp.zeros((X.shape[0] + 1, X.shape[1]), dtype="float64")
    prefix[1:] = X
    ops.xp.cumsum(prefix, axis=0, out=prefix)
    return prefix


def span_means(ops: Ops, prefix: Floats2d, starts: Ints1d, ends: Ints1d) -> Tuple[Floats2d, Callable[[Floats2d], Floats2d]]:
    """The mean of the rows ``X[start:end]`` of every span (zeros for an empty span),
    from the prefix sums of ``X``: memory and time grow with the rows plus the spans,
    not with the spans' lengths. The backprop gives the gradient on ``X``."""
    denom = ops.xp.maximum(ends - starts, 1).reshape((-1, 1))
    means = ((prefix[ends] - prefix[starts]) / denom).astype("float32")

    def backprop(d_means: Floats2d) -> Floats2d:
        d_spans = ops.as_contig((d_means / denom).astype("float32"))
        edges = ops.alloc2f(prefix.shape[0], prefix.shape[1])
        ops.scatter_add(edges, starts, d_spans)
        ops.scatter_add(edges, ends, -d_spans)
        return ops.xp.cumsum(edges[:-1], axis=0, dtype="float64").astype("float32")

    return means, backprop


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


def encode_forward(model: Model[RelationInputs, Floats2d], inputs: RelationInputs, is_train: bool) -> Tuple[Floats2d, Callable[[Floats2d], RelationInputs]]:
    docs, pairs = inputs
    ops = model.ops
    tokvecs, bp_tokvecs = model.layers[0](docs, is_train)
    output, bp_output = pair_features(model, prefix_sums(ops, ops.flatten(tokvecs)), pair_rows(docs, pairs), is_train)

    def backprop(d_output: Floats2d) -> RelationInputs:
        bp_tokvecs(ops.unflatten(bp_output(d_output), [len(doc) for doc in docs]))
        return inputs

    return output, backprop


def pair_features(
    model: Model[RelationInputs, Floats2d], prefix: Floats2d, rows: Sequence[PairRow], is_train: bool
) -> Tuple[Floats2d, Callable[[Floats2d], Floats2d]]:
    """The pair encoder's output for ``rows`` from the prefix sums of the flattened token
    vectors; the backprop gives the gradient on the token vectors."""
    _, type_embed, distance_embed = model.layers
    ops = model.ops
    ix = pair_indices(rows, model.attrs["distance_buckets"])
    pooled, bp_pooled = span_means(ops, prefix, ops.asarray1i(ix.starts), ops.asarray1i(ix.ends))
    types, bp_types = embed(type_embed, ops.asarray(ix.keys, dtype="uint64"), is_train)
    distances, bp_distances = embed(distance_embed, ops.asarray1i(ix.buckets), is_train)
    pooled, bp_side = side_by_side(ops, pooled, 3)
    types, bp_types_side = side_by_side(ops, types, 2)
    output = ops.xp.hstack([pooled, types, distances])
    widths = (pooled.shape[1], pooled.shape[1] + types.shape[1])

    def backprop(d_output: Floats2d) -> Floats2d:
        d_pooled, d_types, d_distances = ops.xp.split(d_output, widths, axis=1)
        bp_types(bp_types_side(d_types))
        bp_distances(ops.as_contig(d_distances))
        return bp_pooled(bp_side(d_pooled))

    return output, backprop


def predict_in_chunks(model: Model[RelationInputs, Floats2d], inputs: RelationInputs, max_pairs: int) -> Floats2d:
    """The relation classifier's logits for every pair, with the token vectors computed
    once for the batch and the pairs encoded and classified ``max_pairs`` at a time: the
    memory for the pairs stays bounded however many candidates a doc has."""
    docs, pairs = inputs
    encoder, classifier = model.get_ref("encoder"), model.get_ref("classifier")
    ops = model.ops
    prefix = prefix_sums(ops, ops.flatten(encoder.layers[0].predict(docs)))
    rows = pair_rows(docs, pairs)
    chunks = [classifier.predict(pair_features(encoder, prefix, rows[start : start + max_pairs], False)[0]) for start in range(0, len(rows), max_pairs)]
    return ops.xp.vstack(chunks) if chunks else ops.alloc2f(0, classifier.get_dim("nO"))


def adversarial_perturbation(ops: Ops, gradient: Floats2d, epsilon: float) -> Floats2d:
    """Liu et al. / Miyato et al.: e_adv = epsilon * g / ||g||, per row (instance)."""
    norms = ops.xp.sqrt((gradient**2).sum(axis=1, keepdims=True))
    return epsilon * gradient / ops.xp.maximum(norms, 1e-12)
