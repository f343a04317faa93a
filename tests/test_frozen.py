"""Frozen lowest layers of the backbone (``PieceBoundedTransformer.v2``): left as loaded
by training, the rest trained; bad settings refused."""
from typing import Dict, Optional

import numpy
import pytest
import spacy
import torch
from spacy.tokens import Doc
from thinc.api import Adam, Optimizer

TEXTS = [["We", "used", "SPSS", "version", "25", "."], ["Analyses", "ran", "in", "R", "3.6.1", "[", "4", "]", "."]]


def frozen_nlp(backbone, **frozen) -> spacy.Language:
    nlp = spacy.blank("en")
    nlp.add_pipe("transformer", config={"model": {
        "@architectures": "spacy_somd.PieceBoundedTransformer.v2", "name": str(backbone),
        "tokenizer_config": {"use_fast": True}, **frozen,
        "get_spans": {"@span_getters": "spacy-transformers.strided_spans.v1", "window": 128, "stride": 96},
    }})  # fmt: skip
    nlp.initialize()
    return nlp


def weights(nlp: spacy.Language) -> Dict[str, numpy.ndarray]:
    backbone = nlp.get_pipe("transformer").model.transformer
    return {name: parameter.detach().numpy().copy() for name, parameter in backbone.named_parameters()}


def train_step(nlp: spacy.Language, optimizer: Optional[Optimizer] = None) -> None:
    """One update of the transformer alone with a fixed random gradient on every piece
    (by ``optimizer``, Adam by default)."""
    model = nlp.get_pipe("transformer").model
    output, backprop = model.begin_update([Doc(nlp.vocab, words=words) for words in TEXTS])
    rng = numpy.random.default_rng(0)
    d_arrays = [[rng.normal(size=data.model_output.last_hidden_state.shape).astype("f")] for data in output.split_by_doc()]
    backprop(output.unsplit_by_doc(d_arrays))
    model.finish_update(optimizer or Adam(0.01))


def changed(before: Dict[str, numpy.ndarray], after: Dict[str, numpy.ndarray], prefix: str) -> Dict[str, bool]:
    names = [name for name in before if name.startswith(prefix)]
    assert names, prefix
    return {name: not numpy.array_equal(before[name], after[name]) for name in names}


@pytest.mark.parametrize("frozen_embeddings", [False, True])
def test_frozen_layers_stay_as_loaded_and_the_rest_is_trained(tiny_bert, frozen_embeddings):
    nlp = frozen_nlp(tiny_bert, frozen_layers=1, frozen_embeddings=frozen_embeddings)
    before = weights(nlp)
    train_step(nlp)
    after = weights(nlp)
    assert not any(changed(before, after, "encoder.layer.0.").values())
    assert all(changed(before, after, "encoder.layer.1.attention.self.query.").values())
    embeddings = changed(before, after, "embeddings.word_embeddings")
    assert not any(embeddings.values()) if frozen_embeddings else all(embeddings.values())


def test_nothing_frozen_trains_every_block(tiny_bert):
    nlp = frozen_nlp(tiny_bert)
    before = weights(nlp)
    train_step(nlp)
    assert all(changed(before, weights(nlp), "encoder.layer.0.attention.self.query.").values())


def test_frozen_after_loading(tiny_bert):
    """Loading builds a new backbone, with gradients on: the first training step freezes
    it again."""
    trained = frozen_nlp(tiny_bert, frozen_layers=1)
    loaded = frozen_nlp(tiny_bert, frozen_layers=1).from_bytes(trained.to_bytes())
    assert all(p.requires_grad for p in loaded.get_pipe("transformer").model.transformer.parameters())
    before = weights(loaded)
    train_step(loaded)
    assert not any(changed(before, weights(loaded), "encoder.layer.0.").values())
    assert all(changed(before, weights(loaded), "encoder.layer.1.output.dense").values())


def test_prediction_unchanged_by_freezing(tiny_bert):
    plain, frozen = frozen_nlp(tiny_bert), frozen_nlp(tiny_bert, frozen_layers=2)
    doc, expected = (nlp(Doc(nlp.vocab, words=TEXTS[1])) for nlp in (frozen, plain))
    numpy.testing.assert_allclose(
        doc._.trf_data.model_output.last_hidden_state, expected._.trf_data.model_output.last_hidden_state, atol=1e-6
    )


@pytest.mark.parametrize(
    "frozen, message",
    [
        ({"frozen_layers": 3}, "only 2 encoder blocks"),
        ({"frozen_layers": 2, "frozen_embeddings": True}, "whole backbone"),
    ],
)
def test_bad_freezing_refused_at_the_first_training_step(tiny_bert, frozen, message):
    nlp = frozen_nlp(tiny_bert, **frozen)
    with pytest.raises(ValueError, match=message):
        train_step(nlp)


def test_negative_frozen_layers_refused(tiny_bert):
    with pytest.raises(ValueError, match="frozen_layers must be 0 or more, not -1"):
        frozen_nlp(tiny_bert, frozen_layers=-1)


def test_backbone_without_encoder_blocks_named():
    from spacy_somd.frozen import frozen_parameters

    with pytest.raises(ValueError, match="frozen_layers: the backbone Linear has no encoder.layer"):
        frozen_parameters(torch.nn.Linear(2, 2), 1, False)
