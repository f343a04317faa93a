"""The relation model (``spacy_somd.pipeline.relations.model``): the adversarial step,
vectorized pair indices, span means, and pair scores in chunks of bounded memory."""

import math
import random
import tracemalloc
from typing import List, Sequence

import numpy
import pytest
import spacy
from spacy.tokens import Doc, Span
from spacy.training import Example
from spacy.vocab import Vocab
from thinc.api import NumpyOps

from spacy_somd.corpus.docs import sentence_to_doc
from spacy_somd.corpus.format import Sentence
from spacy_somd.labels import RELATIONS_ATTR
from spacy_somd.pipeline.relations.candidates import Pair
from spacy_somd.pipeline.relations.model import adversarial_perturbation, pair_indices, pair_rows, predict_in_chunks, prefix_sums, span_means
from spacy_somd.pipeline.relations.pipe import softmax_loss
from tests.builders import somd_blank, tiny_rows


def test_span_means_and_their_gradient_match_the_direct_computation():
    ops = NumpyOps()
    rng = numpy.random.default_rng(0)
    X = rng.normal(size=(40, 5)).astype("float32")
    spans = [(0, 1), (3, 9), (7, 7), (10, 40), (39, 40)]
    starts, ends = (numpy.array(column, dtype="int64") for column in zip(*spans))
    means, backprop = span_means(ops, prefix_sums(ops, X), starts, ends)
    expected = [X[s:e].mean(axis=0) if e > s else numpy.zeros(5) for s, e in spans]
    numpy.testing.assert_allclose(means, expected, atol=1e-6)
    d_means = rng.normal(size=means.shape).astype("float32")
    dX = numpy.zeros_like(X)
    for (s, e), d in zip(spans, d_means):
        dX[s:e] += d / max(e - s, 1)
    numpy.testing.assert_allclose(backprop(d_means), dX, atol=1e-6)


@pytest.fixture(scope="module")
def relation_nlp():
    """An initialized relation extractor (CNN tok2vec) over given entities."""
    spacy.util.fix_random_seed(0)
    nlp = somd_blank()
    nlp.add_pipe("somd_relation_extractor", config={"max_pairs_per_batch": 512})
    docs = [sentence_to_doc(nlp.vocab, Sentence(i + 1, *row)) for i, row in enumerate(tiny_rows())]
    nlp.initialize(lambda: [Example(nlp.make_doc(doc.text), doc) for doc in docs])
    return nlp


def list_line(nlp, n_tokens: int) -> Doc:
    """A 'SPSS 22 , R 4.0.3 , ...' list line: 4 entities every 6 tokens, one sentence."""
    words = (["SPSS", "22", ",", "R", "4.0.3", ","] * n_tokens)[:n_tokens]
    doc = Doc(nlp.vocab, words=words)
    doc.ents = [Span(doc, i, i + 1, label="Application" if i % 3 == 0 else "Version") for i in range(n_tokens) if i % 3 != 2]
    return doc


def test_chunked_pair_scores_equal_the_whole_batch(relation_nlp):
    rel = relation_nlp.get_pipe("somd_relation_extractor")
    docs = [sentence_to_doc(relation_nlp.vocab, Sentence(i + 1, *row)) for i, row in enumerate(tiny_rows())]
    docs.append(list_line(relation_nlp, 60))
    pairs = [rel.candidates(doc) for doc in docs]
    whole = rel.model.predict((docs, pairs))
    assert whole.shape[0] == sum(map(len, pairs)) > 200
    for max_pairs in (1, 7, 100, 10**6):
        numpy.testing.assert_allclose(predict_in_chunks(rel.model, (docs, pairs), max_pairs), whole, atol=1e-5)


def test_a_line_of_800_entities_is_scored_in_bounded_memory_with_nothing_dropped(relation_nlp):
    rel = relation_nlp.get_pipe("somd_relation_extractor")
    rel.cfg["threshold"] = 0.0
    doc = list_line(relation_nlp, 1_200)
    assert len(doc.ents) == 800
    tracemalloc.start()
    pairs, probs = rel.predict([doc])
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    # 40,000 pairs, each with a between span of up to 100 tokens: gathering their token
    # vectors at once took gigabytes; 512 pairs at a time needs a few megabytes
    assert len(pairs[0]) > 40_000 and probs.shape == (len(pairs[0]), len(rel.classes))
    assert peak < 100 * 2**20, f"{peak / 2**20:.0f} MiB"
    rel.set_annotations([doc], (pairs, probs))
    predicted = {(r["head"], r["tail"]) for r in doc._.get(RELATIONS_ATTR)}
    best = probs.argmax(axis=1)
    assert len(predicted) == int((best != 0).sum()) > 0


def test_adversarial_perturbation_has_norm_epsilon_per_instance():
    ops = NumpyOps()
    gradient = numpy.random.default_rng(0).normal(size=(5, 7)).astype("float32")
    gradient[3] = 0.0
    delta = adversarial_perturbation(ops, gradient, 0.02)
    norms = numpy.linalg.norm(delta, axis=1)
    assert numpy.allclose(norms[[0, 1, 2, 4]], 0.02, atol=1e-6)
    assert norms[3] == 0.0
    cosine = (delta[0] @ gradient[0]) / (norms[0] * numpy.linalg.norm(gradient[0]))
    assert cosine == pytest.approx(1.0, abs=1e-5)


def test_adversarial_perturbation_increases_the_loss(trained):
    nlp, _, _ = trained
    rel = nlp.get_pipe("somd_relation_extractor")
    _, classifier = rel.adversarial_layers()
    features = numpy.random.default_rng(1).normal(size=(6, classifier.get_dim("nI"))).astype("float32")
    gold = [1, 0, 2, 0, 3, 0]

    def loss_and_gradient(features):
        logits, backprop = classifier.begin_update(features)
        loss, d_logits = softmax_loss(rel.model.ops, logits, gold)
        return loss, backprop(d_logits)

    loss, d_features = loss_and_gradient(features)
    for epsilon in (0.02, 0.5):
        adversarial = loss_and_gradient(features + adversarial_perturbation(rel.model.ops, d_features, epsilon))[0]
        assert adversarial > loss
    random_direction = numpy.random.default_rng(2).normal(size=features.shape).astype("float32")
    assert loss_and_gradient(features + adversarial_perturbation(rel.model.ops, random_direction, 0.5))[0] < adversarial


def reference_pair_indices(docs: Sequence[Doc], pairs: Sequence[Sequence[Pair]], n_buckets: int):
    """The straightforward per-pair version of pair_indices."""
    spans, keys, buckets = [], [], []
    offset = 0
    for doc, doc_pairs in zip(docs, pairs):
        for head, tail in doc_pairs:
            left, right = sorted((head, tail), key=lambda span: span.start)
            spans.append([(offset + s, offset + e) for s, e in ((head.start, head.end), (tail.start, tail.end), (left.end, max(left.end, right.start)))])
            keys.append((head.label, tail.label))
            gap = right.start - left.end
            bucket = min(0 if gap <= 0 else 1 + int(math.log2(gap)), n_buckets - 1)
            buckets.append(bucket + (n_buckets if tail.start < head.start else 0))
        offset += len(doc)
    bounds = [bound for seg in range(3) for bound in (pair[seg] for pair in spans)]
    return (
        numpy.array([s for s, _ in bounds], dtype="int64"),
        numpy.array([e for _, e in bounds], dtype="int64"),
        numpy.array([k[0] for k in keys] + [k[1] for k in keys], dtype="uint64"),
        numpy.array(buckets, dtype="int64"),
    )


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
    got = pair_indices(pair_rows(docs, pairs), n_buckets)
    for name, value, expected in zip(got._fields, got, reference_pair_indices(docs, pairs, n_buckets)):
        assert value.dtype == expected.dtype, name
        numpy.testing.assert_array_equal(value, expected, err_msg=name)


def test_pair_indices_buckets_far_pairs_and_reversed_pairs():
    doc = Doc(Vocab(), words=["w"] * 40)
    head, tail = Span(doc, 0, 1, label="A"), Span(doc, 34, 35, label="B")  # gap 33 -> 1 + 5
    ix = pair_indices(pair_rows([doc], [[(head, tail), (tail, head)]]), 8)
    assert ix.buckets.tolist() == [6, 14]
    assert (ix.ends - ix.starts).tolist() == [1, 1, 1, 1, 33, 33]
