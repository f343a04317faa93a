"""The opt-in int8 quantized backbone (``spacy_somd.transformer.quantization``): loading,
the vote's members, per-layer and per-channel settings, refusals, `predict`/`annotate`."""

import numpy
import pytest
import spacy
import torch
from thinc.api import ConfigValidationError

QUANTIZE = {"nlp": {"after_pipeline_creation": {"@callbacks": "spacy_somd.quantize_backbone.v1"}}}


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


def test_quantize_backbone_reaches_the_members_of_a_vote(default_pipeline, tmp_path):
    """A vote loaded with the callback has every member's backbone int8, and votes."""
    from spacy_somd.pipeline.vote.pipe import assemble_ensemble

    assemble_ensemble([spacy.load(default_pipeline), spacy.load(default_pipeline)]).to_disk(tmp_path / "vote")
    n_plain, _ = linear_layers(spacy.load(default_pipeline).get_pipe("transformer").model.transformer)
    vote = spacy.load(tmp_path / "vote", config=QUANTIZE)
    members = vote.get_pipe("somd_vote").members
    assert len(members) == 2
    for member in members:
        assert linear_layers(member.get_pipe("transformer").model.transformer) == (0, n_plain)
    assert vote("We used SPSS version 22 ( IBM ) for the analysis .").cats


def test_quantize_backbone_refuses_a_vote_without_backbones(tmp_path):
    from spacy_somd.pipeline.vote.pipe import assemble_ensemble

    members = [spacy.blank("en"), spacy.blank("en")]
    for member in members:
        member.add_pipe("sentencizer")
    assemble_ensemble(members).to_disk(tmp_path / "vote")
    with pytest.raises(ValueError, match="no member of the vote 'somd_vote' has a transformer component"):
        spacy.load(tmp_path / "vote", config=QUANTIZE)


def test_predict_and_annotate_load_the_backbone_int8_with_the_option(default_pipeline, tmp_path):
    """``--int8``: every linear layer int8 with one scale per row; predict runs with it."""
    from typer.testing import CliRunner

    from spacy_somd.annotate.annotator import Annotator
    from spacy_somd.cli import app
    from spacy_somd.cli._util import load_pipeline

    n_plain, _ = linear_layers(load_pipeline(str(default_pipeline), -1).get_pipe("transformer").model.transformer)
    for nlp in (load_pipeline(str(default_pipeline), -1, int8=True), Annotator(str(default_pipeline), [], int8=True).nlp):
        backbone = nlp.get_pipe("transformer").model.transformer
        assert linear_layers(backbone) == (0, n_plain)
        assert backbone.encoder.layer[0].intermediate.dense.weight().qscheme() == torch.per_channel_affine
    texts = tmp_path / "texts.txt"
    texts.write_text("We used SPSS version 22 ( IBM ) .\nNothing here .\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["predict", str(default_pipeline), str(texts), str(tmp_path / "out"), "--int8"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out" / "texts.txt").read_text(encoding="utf-8") == texts.read_text(encoding="utf-8")


def test_quantize_backbone_feed_forward_only(default_pipeline):
    """``layers = "feed_forward"`` quantizes each block's two MLP layers and leaves the
    attention projections (query, key, value, attention output) and any pooler in fp32."""
    config = {"nlp": {"after_pipeline_creation": {**QUANTIZE["nlp"]["after_pipeline_creation"], "layers": "feed_forward"}}}
    backbone = spacy.load(default_pipeline, config=config).get_pipe("transformer").model.transformer
    plain = spacy.load(default_pipeline).get_pipe("transformer").model.transformer
    n_blocks = len(plain.encoder.layer)
    n_plain, _ = linear_layers(plain)
    assert linear_layers(backbone) == (n_plain - 2 * n_blocks, 2 * n_blocks)
    block = backbone.encoder.layer[0]
    assert type(block.intermediate.dense) is not torch.nn.Linear and type(block.output.dense) is not torch.nn.Linear
    assert type(block.attention.output.dense) is torch.nn.Linear and type(block.attention.self.query) is torch.nn.Linear


def test_quantize_backbone_per_channel_scales(default_pipeline):
    """``weights = "per_channel"``: every quantized layer has one scale per output row, and
    its int8 weights stay closer to the fp32 ones than with one scale per matrix. (Compared
    on the weights: on one sentence through the tiny, briefly trained backbone the two
    outputs' errors can come within float noise of each other.)"""
    from torch.ao.nn.quantized.dynamic import Linear as QuantizedLinear

    callback = QUANTIZE["nlp"]["after_pipeline_creation"]
    per_row = spacy.load(default_pipeline, config={"nlp": {"after_pipeline_creation": {**callback, "weights": "per_channel"}}})
    per_matrix, plain = spacy.load(default_pipeline, config=QUANTIZE), spacy.load(default_pipeline)
    layer = per_row.get_pipe("transformer").model.transformer.encoder.layer[0].intermediate.dense
    assert layer.weight().qscheme() == torch.per_channel_affine
    assert layer.weight().q_per_channel_scales().shape == (layer.out_features,)
    assert per_matrix.get_pipe("transformer").model.transformer.encoder.layer[0].intermediate.dense.weight().qscheme() == torch.per_tensor_affine
    fp32 = dict(plain.get_pipe("transformer").model.transformer.named_modules())

    def weight_error(nlp) -> float:
        modules = nlp.get_pipe("transformer").model.transformer.named_modules()
        return sum(float((m.weight().dequantize() - fp32[name].weight.detach()).abs().mean()) for name, m in modules if type(m) is QuantizedLinear)

    assert 0 < weight_error(per_row) < weight_error(per_matrix)
    text = "We used SPSS version 22 ( IBM ) and the lme4 package of R 3.2.1 for the analysis ."
    hidden = per_row(text)._.trf_data.model_output.last_hidden_state
    assert 0 < float(numpy.abs(hidden - plain(text)._.trf_data.model_output.last_hidden_state).mean())


def test_quantize_backbone_refuses_unknown_layers():
    with pytest.raises(ConfigValidationError, match="layers"):
        spacy.blank("en", config={"nlp": {"after_pipeline_creation": {**QUANTIZE["nlp"]["after_pipeline_creation"], "layers": "attention"}}})


def test_quantize_backbone_refuses_unknown_weights():
    with pytest.raises(ConfigValidationError, match="weights"):
        spacy.blank("en", config={"nlp": {"after_pipeline_creation": {**QUANTIZE["nlp"]["after_pipeline_creation"], "weights": "per_block"}}})


def test_quantize_backbone_needs_a_transformer_or_a_vote():
    with pytest.raises(ValueError, match="no transformer component and no somd_vote"):
        spacy.blank("en", config=QUANTIZE)
