"""The inference speed-ups: vectorized pair indices of the relation model, the opt-in int8
quantized backbone, and the speed benchmark's own helpers."""

import importlib.util
import math
import random
import subprocess
import sys
from typing import List, Sequence

import numpy
import pytest
import spacy
import torch
from conftest import ENV, ROOT
from spacy.tokens import Doc, DocBin, Span
from spacy.training import Corpus
from spacy.vocab import Vocab
from thinc.api import ConfigValidationError

from spacy_somd.pipeline.relations.candidates import Pair
from spacy_somd.pipeline.relations.model import pair_indices, pair_rows

spec = importlib.util.spec_from_file_location("speed", ROOT / "benchmarks" / "speed.py")
speed = importlib.util.module_from_spec(spec)
spec.loader.exec_module(speed)

QUANTIZE = {"nlp": {"after_pipeline_creation": {"@callbacks": "spacy_somd.quantize_backbone.v1"}}}


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
    from spacy_somd.cli import app, load_pipeline

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


@pytest.mark.slow
def test_speed_benchmark_prints_ratios_then_the_table(tmp_path, default_pipeline, tiny_corpus, tiny_corpus_docbins):
    from conftest import corpus_text

    test_texts = tmp_path / "test_texts.txt"
    test_texts.write_text("\n".join(corpus_text(tiny_corpus)[:3]) + "\n", encoding="utf-8")
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "speed.py"),
            str(default_pipeline),
            "--heldout",
            str(tiny_corpus_docbins / "fold2.spacy"),
            "--test-texts",
            str(test_texts),
            "--repeats",
            "1",
            "--passes",
            "2",
            "--limit",
            "3",
        ],
        capture_output=True,
        text=True,
        timeout=900,
        env=ENV,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    lines = result.stdout.splitlines()
    inputs = ["fold2, Docs", "fold2, text", "test_texts, Docs", "test_texts, text"]
    for line, name in zip(lines, inputs):
        assert line.startswith(f"{name}: pipeline / raw forward ") and ", pipeline int8 / raw forward " in line
    rows = [line.split(" | ") for line in lines if line.startswith("| ") and "words/s" not in line and "---" not in line]
    assert [(row[0][2:], row[1]) for row in rows] == [(kind, name) for kind in speed.KINDS for name in inputs]
    assert all(float(row[3].replace(",", "")) > 0 for row in rows)
    words = {
        name: sum(len(line.split(" ")) for line in texts)
        for name, texts in (
            ("fold2", [" ".join(t.text for t in doc) for doc in DocBin().from_disk(tiny_corpus_docbins / "fold2.spacy").get_docs(Vocab())][:3]),
            ("test_texts", corpus_text(tiny_corpus)[:3]),
        )
    }
    assert all(int(row[2]) == words[row[1].split(",")[0]] for row in rows)


@pytest.mark.slow
def test_speed_profile_gives_component_shares_and_functions(default_pipeline, tiny_corpus_docbins):
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "speed.py"),
            "profile",
            str(default_pipeline),
            "--heldout",
            str(tiny_corpus_docbins / "fold2.spacy"),
            "--limit",
            "3",
            "--top",
            "5",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        env=ENV,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    rows = [line.split(" | ")[0][2:] for line in result.stdout.splitlines() if line.startswith("| ")]
    components = [
        "sentencizer",
        "transformer",
        "ner",
        "somd_split_urls",
        "somd_split_citations",
        "somd_long_names",
        "somd_name_forms",
        "somd_relation_extractor",
        "somd_name_form_relations",
        "somd_textcat",
    ]
    end = 2 + len(components)
    assert rows[2:end] == components and len(rows) == end + 2 + 5  # the shares, then the top 5 functions
    assert "peak RSS" in result.stdout


def test_fastest_pass_keeps_the_fastest_and_leaves_preparation_off_the_clock(monkeypatch):
    clock = iter([0.0, 5.0, 10.0, 12.0, 20.0, 27.0])  # passes of 5, 2 and 7 seconds
    monkeypatch.setattr(speed.time, "perf_counter", lambda: next(clock))
    prepared, given = [], []
    seconds = speed.fastest_pass(given.append, 3, lambda: prepared.append(len(prepared)) or len(prepared))
    assert seconds == 2.0
    assert given == [1, 2, 3] and next(clock, None) is None  # each pass gets a fresh input; only passes read the clock
    calls = []
    clock = iter([0.0, 3.0])
    assert speed.fastest_pass(lambda: calls.append(1), 1) == 3.0 and calls == [1]
    with pytest.raises(ValueError, match="--passes must be at least 1, not 0"):
        speed.fastest_pass(calls.append, 0)


def test_ratios_are_inverse_median_seconds_per_input():
    inputs = [speed.Input("fold2, Docs", [["a", "b"]], False)]
    runs = lambda *seconds: [{"fold2, Docs": s} for s in seconds]  # noqa: E731
    results = {"pipeline": runs(1.0, 9.0, 2.0), "pipeline int8": runs(1.0), "raw forward": runs(3.0), "HF pipeline": runs(4.0, 5.0, 6.0)}
    assert speed.ratio_lines(results, inputs) == ["fold2, Docs: pipeline / raw forward 1.50x, pipeline int8 / raw forward 3.00x, pipeline / HF pipeline 2.50x"]
    del results["HF pipeline"]  # --skip "HF pipeline"
    assert speed.ratio_lines(results, inputs) == ["fold2, Docs: pipeline / raw forward 1.50x, pipeline int8 / raw forward 3.00x"]


@pytest.mark.slow
def test_quantization_benchmark_scores_the_five_settings(default_pipeline, tiny_corpus_docbins):
    """The accuracy table of the int8 settings: one row each, the fp32 row the pipeline's
    own ``nlp.evaluate`` scores, the others their difference to it, every row its words/s;
    with two models a table each under its name."""
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "quantization.py"), str(default_pipeline), str(default_pipeline), str(tiny_corpus_docbins / "fold2.spacy")],
        capture_output=True,
        text=True,
        timeout=600,
        env=ENV,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    blocks = result.stdout.strip().split("\n\n")
    assert blocks[0] == blocks[2] == f"{default_pipeline}:" and len(blocks) == 4
    nlp = spacy.load(default_pipeline)
    expected = nlp.evaluate(list(Corpus(tiny_corpus_docbins / "fold2.spacy")(nlp)))["token_f"]
    for block in blocks[1::2]:
        rows = [line.split(" | ") for line in block.splitlines()[2:]]
        assert [row[0] for row in rows] == [
            "| fp32",
            "| int8, all linear layers",
            "| int8, feed-forward layers",
            "| int8 per channel, all linear layers",
            "| int8 per channel, feed-forward layers",
        ]
        assert rows[0][1] == f"{expected:.3f}" and rows[0][-2] == "+0.000"
        assert all(abs(float(row[-2]) - (float(row[1]) - expected)) <= 0.0015 for row in rows[1:])
        assert all(float(row[-1][:-2].replace(",", "")) > 0 for row in rows)
