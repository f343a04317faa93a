"""Task-adaptive pretraining of the backbone: the text it reads (never the held-out fold),
its schedule, a real adaptation of the tiny BERT, and the `adapt-backbone` command."""
import json
from pathlib import Path

import pytest
import spacy
from typer.testing import CliRunner

from conftest import corpus_text, spacy_train
from spacy_somd.adaptation import ADAPTATION_FILE, AdaptationSettings, adapt_backbone, adaptation_texts, learn_rate_factor, mlm_head
from spacy_somd.cli import app

QUICK = AdaptationSettings(steps=4, batch_size=4)


def encoder_weights(folder: Path) -> dict:
    from transformers import AutoModel

    return {name: value.clone() for name, value in AutoModel.from_pretrained(folder).state_dict().items()}


def test_the_text_leaves_out_the_held_out_fold_and_adds_the_texts_files(tiny_corpus, tmp_path):
    lines = corpus_text(tiny_corpus)
    extra = tmp_path / "texts.txt"
    extra.write_text("An unlabelled sentence .\nAnother one .\n", encoding="utf-8")
    texts = adaptation_texts(tiny_corpus, 2, 4, [extra])
    assert texts == [line for i, line in enumerate(lines) if i % 4 != 2] + ["An unlabelled sentence .", "Another one ."]
    assert adaptation_texts(tiny_corpus, None, 4) == lines


def test_the_schedule_warms_up_over_a_tenth_and_decays_to_zero():
    factors = [learn_rate_factor(step, 100) for step in range(101)]
    assert factors[0] == pytest.approx(0.1) and factors[9] == 1.0
    assert factors[50] == pytest.approx(50 / 90) and factors[100] == 0.0
    assert max(factors) == 1.0 and factors[10:] == sorted(factors[10:], reverse=True)


@pytest.mark.parametrize(
    "settings,problem",
    [
        (dict(steps=0), "steps must be at least 1, not 0"),
        (dict(batch_size=0), "batch_size must be at least 1"),
        (dict(head_share=1.5), "head_share must be in [0, 1], not 1.5"),
        (dict(mask_share=-0.1), "mask_share must be in [0, 1]"),
        (dict(learn_rate=0.0), "learn_rate must be positive, not 0.0"),
    ],
)
def test_bad_settings_are_refused_by_name(settings, problem):
    with pytest.raises(ValueError) as info:
        AdaptationSettings(**settings).check()
    assert problem in str(info.value)


def test_adapting_changes_the_encoder_reproducibly(tiny_bert, tiny_corpus, tmp_path):
    texts = adaptation_texts(tiny_corpus, 2, 4)
    losses = adapt_backbone(str(tiny_bert), texts, tmp_path / "a", QUICK)
    adapt_backbone(str(tiny_bert), texts, tmp_path / "b", QUICK)
    assert len(losses) == 4 and all(loss > 0 for loss in losses)
    before, a, b = encoder_weights(tiny_bert), encoder_weights(tmp_path / "a"), encoder_weights(tmp_path / "b")
    assert a.keys() == before.keys()
    assert all((a[name] == b[name]).all() for name in a)  # the seed fixes the masks and batches
    assert any(not (a[name] == before[name]).all() for name in a)
    assert (tmp_path / "a" / "tokenizer.json").is_file()


def test_the_head_alone_learns_first(tiny_bert, tiny_corpus, tmp_path):
    """With every step a head-only step the encoder is the backbone's, to the bit."""
    adapt_backbone(str(tiny_bert), adaptation_texts(tiny_corpus, 2, 4), tmp_path, AdaptationSettings(steps=3, batch_size=4, head_share=1.0))
    before, after = encoder_weights(tiny_bert), encoder_weights(tmp_path)
    assert all((after[name] == before[name]).all() for name in before)


def test_the_gpu_configs_deberta_adapts_too(tiny_deberta, tiny_corpus, tmp_path):
    adapt_backbone(str(tiny_deberta), adaptation_texts(tiny_corpus, 2, 4), tmp_path, QUICK)
    before, after = encoder_weights(tiny_deberta), encoder_weights(tmp_path)
    assert after.keys() == before.keys() and any(not (after[name] == before[name]).all() for name in before)


def test_a_model_without_an_mlm_head_it_knows_is_refused():
    import torch

    with pytest.raises(ValueError, match="Linear: no MLM head called on hidden states"):
        mlm_head(torch.nn.Linear(2, 2))


def test_the_command_writes_a_backbone_with_its_record(tiny_bert, tiny_corpus, tmp_path):
    out = tmp_path / "adapted"
    args = ["adapt-backbone", str(tiny_corpus), str(out), "--fold", "2", "--backbone", str(tiny_bert), "--steps", "2", "--batch-size", "4"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    record = json.loads((out / ADAPTATION_FILE).read_text(encoding="utf-8"))
    assert record["held_out_fold"] == 2 and record["sentences"] == 15 and record["settings"]["steps"] == 2
    assert f"train with --paths.backbone {out}" in " ".join(result.output.split())


@pytest.mark.parametrize(
    "options,problem",
    [
        (["--fold", "9"], "fold (somd.fold) must be in 0..3 for n_folds 4, not 9"),
        (["--fold", "2", "--steps", "0"], "steps must be at least 1, not 0"),
        (["--fold", "2", "--texts", "missing.txt"], "missing.txt"),
    ],
)
def test_command_errors_are_one_line(tiny_corpus, tmp_path, options, problem):
    result = CliRunner().invoke(app, ["adapt-backbone", str(tiny_corpus), str(tmp_path / "out"), *options])
    assert result.exit_code == 1 and problem in result.output and "Traceback" not in result.output
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_a_pipeline_trains_on_an_adapted_backbone(tiny_bert, tiny_corpus, tiny_corpus_docbins, tmp_path):
    adapted = tmp_path / "adapted"
    adapt_backbone(str(tiny_bert), adaptation_texts(tiny_corpus, 2, 4), adapted, QUICK)
    model = spacy_train("fast.cfg", tmp_path / "train", tiny_corpus_docbins, "--paths.backbone", str(adapted))
    doc = spacy.load(model)("We used SPSS version 22 for the analysis .")
    assert doc.has_annotation("ENT_IOB")
