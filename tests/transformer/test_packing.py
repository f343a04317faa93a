"""Windows packed side by side for prediction: the bins, and the outputs of the windows
run as they are."""

import random

import numpy
import pytest
import spacy
from spacy.tokens import Doc

from spacy_somd.transformer.packing import Placement, check_packable, pack
from tests.builders.transformer import assert_same_outputs, varied_docs


def test_pack_puts_every_window_in_one_bin_within_the_budget():
    rng = random.Random(0)
    lengths = [rng.randint(3, 60) for _ in range(300)] + [200, 128]
    bins = pack(lengths, 128)
    assert sorted(row for rows in bins for row in rows) == list(range(len(lengths)))
    assert all(sum(lengths[row] for row in rows) <= 128 or len(rows) == 1 for rows in bins)
    assert [200] in [[lengths[row] for row in rows] for rows in bins]
    # best fit, longest first, leaves little room: fewer than 5% more bins than the total needs
    assert len(bins) <= 1.05 * sum(lengths) / 128 + 2
    assert pack([], 128) == [] and pack([5, 5, 5], 10) in ([[0, 1], [2]], [[0, 2], [1]], [[1, 2], [0]])


def test_placement_maps_each_piece_to_its_window_and_position():
    place = Placement([[2, 0], [1]], [3, 4, 2])  # bins: windows 2 then 0 (2 + 3 pieces), window 1 (4)
    assert place.width == 5
    numpy.testing.assert_array_equal(place.windows, [[1, 1, 2, 2, 2], [3, 3, 3, 3, 0]])
    numpy.testing.assert_array_equal(place.positions, [[0, 1, 0, 1, 2], [0, 1, 2, 3, 0]])
    pieces = sorted(zip(place.batch_rows.tolist(), place.batch_cols.tolist(), place.packed_rows.tolist(), place.packed_cols.tolist()))
    assert pieces[:3] == [(0, 0, 0, 2), (0, 1, 0, 3), (0, 2, 0, 4)] and (2, 1, 0, 1) in pieces


def packed_nlp(backbone, max_packed_pieces: int):
    nlp = spacy.blank("en")
    nlp.add_pipe(
        "transformer",
        config={
            "model": {
                "@architectures": "spacy_somd.PieceBoundedTransformer.v2",
                "name": str(backbone),
                "tokenizer_config": {"use_fast": True},
                "max_packed_pieces": max_packed_pieces,
                "max_padded_pieces": 256,
                "get_spans": {"@span_getters": "spacy-transformers.strided_spans.v1", "window": 128, "stride": 96},
            }
        },
    )
    nlp.initialize()
    return nlp


def test_packed_windows_get_the_outputs_they_get_alone(tiny_bert):
    packed, alone = packed_nlp(tiny_bert, 64), packed_nlp(tiny_bert, 0)
    alone.get_pipe("transformer").model.transformer.load_state_dict(packed.get_pipe("transformer").model.transformer.state_dict())
    docs = [*varied_docs(packed), Doc(packed.vocab, words=["R"]), *varied_docs(packed)]
    model = packed.get_pipe("transformer").model
    lengths = model.predict(docs).wordpieces.lengths
    assert len(pack(lengths, 64)) < len(lengths) / 2  # most windows share a sequence
    for doc, reference in zip(packed.pipe(docs), alone.pipe(Doc(alone.vocab, words=[t.text for t in d]) for d in docs)):
        data, expected = doc._.trf_data, reference._.trf_data
        assert_same_outputs(data, expected)
        if "pooler_output" in expected.model_output:
            numpy.testing.assert_allclose(data.model_output.pooler_output, expected.model_output.pooler_output, atol=1e-5)


def test_training_does_not_pack(tiny_bert):
    nlp = packed_nlp(tiny_bert, 64)
    output, backprop = nlp.get_pipe("transformer").model.begin_update(varied_docs(nlp))
    d_arrays = [[numpy.ones_like(data.model_output.last_hidden_state)] for data in output.split_by_doc()]
    backprop(output.unsplit_by_doc(d_arrays))  # the packed path would refuse a backprop


def test_unpackable_backbones_and_bad_settings_refused(tiny_bert, tiny_deberta):
    class Roberta:
        class config:
            model_type = "roberta"

    with pytest.raises(ValueError, match="not 'roberta': set max_packed_pieces = 0"):
        check_packable(Roberta())
    deberta = packed_nlp(tiny_deberta, 64)
    with pytest.raises(ValueError, match="not 'deberta-v2'"):
        list(deberta.pipe(varied_docs(deberta)))
    with pytest.raises(ValueError, match="max_packed_pieces must be 0 \\(off\\) or more, not -1"):
        packed_nlp(tiny_bert, -1)
