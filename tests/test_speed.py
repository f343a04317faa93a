"""The inference speed-ups: vectorized pair indices of the relation model, the opt-in int8
quantized backbone, and the speed benchmark's own helpers."""
import math
import random
from typing import List, Sequence

import numpy
import pytest
import spacy
import torch
from spacy.tokens import Doc, Span
from spacy.vocab import Vocab

from spacy_somd.relations.candidates import Pair
from spacy_somd.relations.model import pair_indices

QUANTIZE = {"nlp": {"after_pipeline_creation": {"@callbacks": "spacy_somd.quantize_backbone.v1"}}}


def reference_pair_indices(docs: Sequence[Doc], pairs: Sequence[Sequence[Pair]], n_buckets: int):
    """The straightforward per-pair, per-token version that pair_indices replaces."""
    spans, keys, buckets = [], [], []
    offset = 0
    for doc, doc_pairs in zip(docs, pairs):
        for head, tail in doc_pairs:
            left, right = sorted((head, tail), key=lambda span: span.start)
            spans.append([(offset + s, offset + e) for s, e in (
                (head.start, head.end), (tail.start, tail.end), (left.end, max(left.end, right.start))
            )])  # fmt: skip
            keys.append((head.label, tail.label))
            gap = right.start - left.end
            bucket = min(0 if gap <= 0 else 1 + int(math.log2(gap)), n_buckets - 1)
            buckets.append(bucket + (n_buckets if tail.start < head.start else 0))
        offset += len(doc)
    bounds = [bound for seg in range(3) for bound in (pair[seg] for pair in spans)]
    lengths = numpy.array([e - s for s, e in bounds], dtype="int64")
    idx = numpy.concatenate([numpy.arange(s, e) for s, e in bounds] + [numpy.zeros(0, "int64")])
    seg = numpy.repeat(numpy.arange(len(bounds)), lengths)
    label_keys = numpy.array([k[0] for k in keys] + [k[1] for k in keys], dtype="uint64")
    return idx, seg, lengths, label_keys, numpy.array(buckets, dtype="int64")


def random_batch(rng: random.Random, vocab: Vocab) -> List[List[Pair]]:
    """Docs of random lengths (some empty) with random, possibly overlapping span pairs."""
    labels = ["Application", "Version", "Developer", "PlugIn"]
    docs, pairs = [], []
    for _ in range(rng.randint(0, 6)):
        n = rng.choice([0, 1, rng.randint(2, 300)])
        doc = Doc(vocab, words=["w"] * n)
        doc_pairs = []
        for _ in range(rng.randint(0, 12) if n else 0):
            spans = []
            for _ in range(2):
                start = rng.randrange(n)
                spans.append(Span(doc, start, rng.randint(start + 1, min(n, start + 5)), label=rng.choice(labels)))
            doc_pairs.append(tuple(spans))
        docs.append(doc)
        pairs.append(doc_pairs)
    return docs, pairs


@pytest.mark.parametrize("seed", range(40))
def test_pair_indices_match_the_per_token_version(seed):
    rng = random.Random(seed)
    docs, pairs = random_batch(rng, Vocab())
    n_buckets = rng.choice([1, 2, 8])
    got = pair_indices(docs, pairs, n_buckets)
    for name, value, expected in zip(got._fields, got, reference_pair_indices(docs, pairs, n_buckets)):
        assert value.dtype == expected.dtype, name
        numpy.testing.assert_array_equal(value, expected, err_msg=name)


def test_pair_indices_buckets_far_pairs_and_reversed_pairs():
    doc = Doc(Vocab(), words=["w"] * 40)
    head, tail = Span(doc, 0, 1, label="A"), Span(doc, 34, 35, label="B")  # gap 33 -> 1 + 5
    ix = pair_indices([doc], [[(head, tail), (tail, head)]], 8)
    assert ix.buckets.tolist() == [6, 14]
    assert ix.lengths.tolist() == [1, 1, 1, 1, 33, 33]


def linear_layers(module: torch.nn.Module):
    from torch.ao.nn.quantized.dynamic import Linear as QuantizedLinear

    kinds = [type(m) for m in module.modules()]
    return kinds.count(torch.nn.Linear), kinds.count(QuantizedLinear)


def test_quantize_backbone_loads_quantized_and_predicts(default_pipeline):
    plain = spacy.load(default_pipeline)
    quantized = spacy.load(default_pipeline, config=QUANTIZE)
    n_plain, _ = linear_layers(plain.get_pipe("transformer").model.transformer)
    assert n_plain > 0
    assert linear_layers(quantized.get_pipe("transformer").model.transformer) == (0, n_plain)
    text = "We used SPSS version 22 ( IBM ) for the analysis ."
    doc, reference = quantized(text), plain(text)
    assert set(doc.cats) == set(reference.cats)
    hidden = doc._.trf_data.model_output.last_hidden_state
    expected = reference._.trf_data.model_output.last_hidden_state
    assert hidden.shape == expected.shape
    assert not numpy.array_equal(hidden, expected)
    assert numpy.corrcoef(hidden.ravel(), expected.ravel())[0, 1] > 0.9


def test_quantize_backbone_needs_a_transformer():
    with pytest.raises(ValueError, match="no transformer component"):
        spacy.blank("en", config=QUANTIZE)
