"""Transformer builders: docs of varied lengths and output comparisons."""

import random
from typing import List

import numpy
from spacy.tokens import Doc


def varied_docs(nlp):
    """Docs from 1 to 40 identifiers: windows of very different numbers of pieces."""
    rng = random.Random(1)
    return [Doc(nlp.vocab, words=identifiers(rng, n)) for n in (1, 40, 3, 25, 2, 8, 33, 5)]


def assert_same_outputs(data, expected) -> None:
    """Two docs' transformer data: the same word pieces, the same hidden states of the real
    pieces (up to float rounding) and the same output keys."""
    numpy.testing.assert_array_equal(data.wordpieces.input_ids, expected.wordpieces.input_ids)
    real = data.wordpieces.attention_mask.astype(bool)
    hidden, hidden_expected = data.model_output.last_hidden_state, expected.model_output.last_hidden_state
    assert hidden.shape == hidden_expected.shape
    numpy.testing.assert_allclose(hidden[real], hidden_expected[real], atol=1e-5)
    assert set(data.model_output.keys()) == set(expected.model_output.keys())


IDENTIFIER_CHARS = "abcdef0123456789"


def identifiers(rng: random.Random, n: int) -> List[str]:
    """Hex identifiers: each takes several word pieces of the tiny BERT."""
    return ["".join(rng.choice(IDENTIFIER_CHARS) for _ in range(8)) for _ in range(n)]
