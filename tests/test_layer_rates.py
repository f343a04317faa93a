"""Layer-wise learning rates of the backbone (``PieceBoundedTransformer.v2``'s
``layer_decay``): each block's update is the top block's rate times the decay to the
blocks above it; kept through saving, loading and copying; bad settings refused."""
import copy

import numpy
import pytest
import torch
from test_frozen import frozen_nlp, train_step, weights
from thinc.api import SGD

from spacy_somd.layer_rates import LayerDecayShim, blocks_above, layer_scales


def moves(nlp) -> dict:
    """Each parameter's change in one plain SGD update (rate x factor x gradient, so that
    the changes compare exactly; the same dropout masks from the same torch seed)."""
    before = weights(nlp)
    torch.manual_seed(0)
    train_step(nlp, SGD(0.01, L2=0.0, grad_clip=0.0, use_averages=False))
    return {name: after - before[name] for name, after in weights(nlp).items()}


def test_blocks_above_counts_from_the_top():
    assert blocks_above("encoder.layer.5.output.dense.weight", 6) == 0
    assert blocks_above("encoder.layer.0.attention.self.query.bias", 6) == 5
    assert blocks_above("encoder.layer.11.output.LayerNorm.weight", 12) == 0
    assert blocks_above("embeddings.word_embeddings.weight", 6) == 6
    assert blocks_above("pooler.dense.weight", 6) == 0


@pytest.mark.parametrize("layer_decay", [0.5, 0.8])
def test_each_block_moves_by_the_decay_to_the_blocks_above(tiny_bert, layer_decay):
    """The tiny BERT has 2 blocks: the top block and the pooler move as with one rate,
    the lower block by the decay, the embeddings by its square."""
    plain, decayed = moves(frozen_nlp(tiny_bert)), moves(frozen_nlp(tiny_bert, layer_decay=layer_decay))
    expected = {"encoder.layer.1.": 1.0, "pooler.": 1.0, "encoder.layer.0.": layer_decay, "embeddings.": layer_decay**2}
    for name, move in plain.items():
        factor = next(value for prefix, value in expected.items() if name.startswith(prefix))
        numpy.testing.assert_allclose(decayed[name], factor * move, rtol=1e-4, atol=1e-7, err_msg=name)
    assert numpy.abs(plain["encoder.layer.0.attention.self.query.weight"]).max() > 0


def test_one_rate_keeps_the_plain_shim(tiny_bert):
    shim = frozen_nlp(tiny_bert).get_pipe("transformer").model.layers[0].shims[0]
    assert not isinstance(shim, LayerDecayShim)


def test_decay_kept_through_loading_and_copying(tiny_bert):
    trained = frozen_nlp(tiny_bert, layer_decay=0.5)
    loaded = frozen_nlp(tiny_bert, layer_decay=0.5).from_bytes(trained.to_bytes())
    copied = copy.deepcopy(loaded.get_pipe("transformer").model)
    for model in (loaded.get_pipe("transformer").model, copied):
        shim = model.layers[0].shims[0]
        assert isinstance(shim, LayerDecayShim) and shim.layer_decay == 0.5
        assert shim._model is model.transformer
    assert moves(loaded)["encoder.layer.0.output.dense.weight"].any()


def test_layer_scales_of_a_backbone():
    from transformers import BertConfig, BertModel

    module = BertModel(BertConfig(vocab_size=10, hidden_size=8, num_hidden_layers=3, num_attention_heads=2, intermediate_size=8))
    scales = layer_scales(module, 0.5)
    assert scales["encoder.layer.2.output.dense.weight"] == 1.0
    assert scales["encoder.layer.0.output.dense.weight"] == 0.25
    assert scales["embeddings.position_embeddings.weight"] == 0.125
    assert set(scales) == {name for name, _ in module.named_parameters()}


@pytest.mark.parametrize("layer_decay", [0.0, -0.5, 1.5])
def test_bad_layer_decay_refused(tiny_bert, layer_decay):
    with pytest.raises(ValueError, match=r"layer_decay must be in \(0, 1\]"):
        frozen_nlp(tiny_bert, layer_decay=layer_decay)


def test_backbone_without_blocks_named():
    with pytest.raises(ValueError, match="layer_decay: the backbone Linear has no encoder.layer"):
        layer_scales(torch.nn.Linear(2, 2), 0.5)
