"""The backbone run on length groups of windows: the groups, and the same outputs and
gradients as one padded batch."""

import random

import numpy
import pytest
import spacy
import torch

from spacy_somd.transformer.length_groups import length_groups
from tests.builders.transformer import assert_same_outputs, varied_docs


def test_length_groups_sorted_within_the_budget_each_row_once():
    rng = random.Random(0)
    lengths = [rng.randint(3, 60) for _ in range(200)] + [500, 90]
    groups = length_groups(lengths, 512)
    assert sorted(row for group in groups for row in group) == list(range(len(lengths)))
    flat = [lengths[row] for group in groups for row in group]
    assert flat == sorted(lengths)
    for group in groups:
        assert len(group) * max(lengths[row] for row in group) <= 512 or len(group) == 1
    assert [lengths[row] for row in groups[-1]] == [500]
    assert length_groups([], 512) == [] and length_groups([7], 1) == [[0]]


def grouped_nlp(backbone, max_padded_pieces: int):
    nlp = spacy.blank("en")
    nlp.add_pipe(
        "transformer",
        config={
            "model": {
                "@architectures": "spacy_somd.PieceBoundedTransformer.v2",
                "name": str(backbone),
                "tokenizer_config": {"use_fast": True},
                "max_padded_pieces": max_padded_pieces,
                "get_spans": {"@span_getters": "spacy-transformers.strided_spans.v1", "window": 128, "stride": 96},
            }
        },
    )
    nlp.initialize()
    for module in nlp.get_pipe("transformer").model.transformer.modules():  # no dropout: updates are comparable
        if isinstance(module, torch.nn.Dropout):
            module.p = 0.0
        if hasattr(module, "dropout_prob"):  # BERT's attention dropout (an argument of SDPA)
            module.dropout_prob = 0.0
    return nlp


@pytest.fixture(scope="module")
def pipelines(tiny_bert):
    """The same backbone with small groups (several per batch) and with one group."""
    return grouped_nlp(tiny_bert, 64), grouped_nlp(tiny_bert, 10**6)


def test_groups_give_the_outputs_of_one_padded_batch(pipelines):
    grouped, single = pipelines
    model = grouped.get_pipe("transformer").model
    wordpieces = model.predict(varied_docs(grouped)).wordpieces
    assert len(length_groups(wordpieces.lengths, 64)) > 3
    for doc, reference in zip(grouped.pipe(varied_docs(grouped)), single.pipe(varied_docs(single))):
        assert_same_outputs(doc._.trf_data, reference._.trf_data)


def test_groups_give_the_gradients_of_one_padded_batch(pipelines):
    gradients = []
    for nlp in pipelines:
        model = nlp.get_pipe("transformer").model
        backbone = model.transformer
        backbone.zero_grad()
        output, backprop = model.begin_update(varied_docs(nlp))
        rng = numpy.random.default_rng(0)
        d_arrays = [  # gradients for the real pieces (as the listeners give them), none for padding
            [(rng.normal(size=data.model_output.last_hidden_state.shape) * data.wordpieces.attention_mask[..., None]).astype("f")]
            for data in output.split_by_doc()
        ]
        backprop(output.unsplit_by_doc(d_arrays))
        gradients.append({name: p.grad.clone() for name, p in backbone.named_parameters() if p.grad is not None})
    grouped, single = gradients
    assert grouped.keys() == single.keys() and len(grouped) > 10
    for name in single:  # equal up to float rounding (sums in another order)
        scale = single[name].abs().max().item()
        assert (grouped[name] - single[name]).abs().max().item() <= 1e-5 * scale + 1e-7, name


def test_max_padded_pieces_must_be_positive(tiny_bert):
    with pytest.raises(ValueError, match="max_padded_pieces"):
        grouped_nlp(tiny_bert, 0)
