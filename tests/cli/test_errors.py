"""User errors of the CLI are one line on stderr and exit code 1, never a traceback."""

import json
import shutil
from pathlib import Path

import pytest
import spacy
from spacy.tokens import DocBin
from thinc.util import has_cupy
from typer.testing import CliRunner

from spacy_somd.cli import app
from tests.builders import ROOT, somd_blank


def one_line_error(args) -> str:
    result = CliRunner().invoke(app, [str(a) for a in args])
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output + result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("✘ ")
    return line


def test_report_on_a_missing_file(tmp_path):
    assert one_line_error(["report", tmp_path / "nope.json"]) == f"✘ {tmp_path / 'nope.json'}: file not found"


@pytest.mark.parametrize(
    "content,problem",
    [
        ('{"token_f": 0.5,\n', "line 2: not valid JSON"),
        ("", "line 1: not valid JSON"),
        ("{}", "no scores to report"),
        ('{"speed": 1200, "ner": {"loss": 3}}', "no scores to report"),
        ("[1, 2]", "not a JSON object of scores"),
    ],
    ids=["truncated", "empty", "empty object", "no known scores", "not an object"],
)
def test_report_on_bad_json(tmp_path, content, problem):
    metrics = tmp_path / "m.json"
    metrics.write_text(content, encoding="utf-8")
    line = one_line_error(["report", metrics])
    assert str(metrics) in line and problem in line


def test_report_on_bad_gold_entities_json(tmp_path):
    metrics, gold = tmp_path / "m.json", tmp_path / "gold.json"
    metrics.write_text('{"token_f": 0.5, "token_p": 0.5, "token_r": 0.5}', encoding="utf-8")
    gold.write_text("{", encoding="utf-8")
    assert f"{gold}, line 1: not valid JSON" in one_line_error(["report", metrics, "--gold-entities", gold])


def model_commands(tmp_path: Path, model: str):
    """Every command that loads a pipeline, with otherwise valid arguments."""
    texts, metrics, records = tmp_path / "texts.txt", tmp_path / "m.json", tmp_path / "records.jsonl"
    texts.write_text("We used SPSS .\n", encoding="utf-8")
    records.write_text('{"id": 1, "text": "We used SPSS."}\n', encoding="utf-8")
    metrics.write_text('{"token_f": 0.5, "token_p": 0.5, "token_r": 0.5}', encoding="utf-8")
    return {
        "predict": ["predict", model, texts, tmp_path / "out"],
        "evaluate-gold-entities": ["evaluate-gold-entities", model, texts, "--output", tmp_path / "s.json"],
        "visualize": ["visualize", model, texts, tmp_path / "v.html"],
        "package": ["package", model, tmp_path / "packages", "--metrics", metrics],
        "annotate": ["annotate", model, records, tmp_path / "annotated.jsonl"],
    }


@pytest.mark.parametrize("command", ["predict", "evaluate-gold-entities", "visualize", "package", "annotate"])
def test_a_missing_model_is_one_line_naming_it(tmp_path, command):
    model = str(tmp_path / "no-such-model")
    line = one_line_error(model_commands(tmp_path, model)[command])
    assert f"cannot load the pipeline {model!r}" in line and "E050" in line
    assert not (tmp_path / "out").exists() and not (tmp_path / "packages").exists() and not (tmp_path / "annotated.jsonl").exists()


@pytest.mark.skipif(has_cupy, reason="CuPy is installed")
@pytest.mark.parametrize("command", ["predict", "evaluate-gold-entities", "visualize", "annotate"])
def test_gpu_without_cupy_is_one_line_with_the_extra_to_install(tmp_path, command):
    line = one_line_error([*model_commands(tmp_path, "en_core_web_sm")[command], "--gpu-id", "0"])
    assert "--gpu-id 0: no GPU available: Cannot use GPU, CuPy is not installed" in line
    assert "spacy-somd[cuda12x]" in line


@pytest.mark.parametrize("options", [["--n-process", "2"], ["--engine", "ray"]], ids=["processes", "ray"])
def test_annotate_on_a_gpu_takes_one_local_process(tmp_path, options):
    line = one_line_error([*model_commands(tmp_path, "en_core_web_sm")["annotate"], "--gpu-id", "0", *options])
    assert "--gpu-id is for the local engine with one process" in line and "--num-gpus-per-worker" in line
    assert not (tmp_path / "annotated.jsonl").exists()


@pytest.mark.parametrize(
    "command,options",
    [("predict", ["--gpu-id", "0"]), ("annotate", ["--gpu-id", "0"]), ("annotate", ["--engine", "ray", "--num-gpus-per-worker", "1"])],
    ids=["predict", "annotate", "annotate-ray"],
)
def test_int8_on_a_gpu_is_one_line(tmp_path, command, options):
    line = one_line_error([*model_commands(tmp_path, "en_core_web_sm")[command], "--int8", *options])
    assert "--int8 is for the CPU" in line
    assert not (tmp_path / "out").exists() and not (tmp_path / "annotated.jsonl").exists()


@pytest.mark.parametrize(
    "options,expected",
    [
        (["--somd.fold", "2", "--somd.n_folds", "1"], "n_folds (somd.n_folds) must be at least 2"),
        (["--somd.fold", "7", "--somd.n_folds", "4"], "fold (somd.fold) must be in 0..3"),
        (["--somd.fold", "two", "--somd.n_folds", "4"], "fold (somd.fold) must be a whole number or null (every fold trains), not 'two'"),
        (["--somd.fold", "2", "--somd.n_folds", "8"], "the corpus was converted into 4 folds"),
        (["--somd.fold", "2", "--somd.n_folds", "4", "--paths.extra_corpus", "nowhere"], "extra_corpus (paths.extra_corpus) nowhere: no such folder"),
        (["--somd.fold", "2", "--somd.n_folds", "4", "--paths.extra_corpus", "."], ".: no fold*.spacy files (run `python -m spacy_somd convert`)"),
    ],
)
def test_train_with_fold_settings_that_do_not_fit_is_one_line(tiny_corpus_docbins, tmp_path, options, expected):
    """Finding 11: `--somd.n_folds 1` (opaque E923) and `--somd.fold 7` (a traceback) are
    one line before any training starts, and so is a fold count the corpus was not converted into."""
    base = ["--paths.corpus", str(tiny_corpus_docbins), "--somd.negative_ratio", "0.3", "--gpu-id", "-1"]
    result = CliRunner().invoke(app, ["train", str(ROOT / "configs" / "fast.cfg"), str(tmp_path / "out"), *base, *options])
    assert result.exit_code == 1
    assert expected in result.output and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_packaging_a_pipeline_trained_on_every_fold_asks_what_scored_it(tmp_path):
    """A release pipeline (``somd.fold`` null) has no fold of its own to name as held out:
    `package` needs --held-out for the scores given with --metrics."""
    model = tmp_path / "release"
    spacy.blank("en", config={"somd": {"fold": None, "n_folds": 4, "package_name": "somd"}}).to_disk(model)
    line = one_line_error(model_commands(tmp_path, str(model))["package"])
    assert f"{model}: trained on every fold (somd.fold is null)" in line and "give --held-out" in line
    assert not (tmp_path / "packages").exists()


def test_ensemble_of_one_or_of_unlike_pipelines_is_one_line(tmp_path):

    assert one_line_error(["ensemble", tmp_path / "a", "--output", tmp_path / "vote"]) == "✘ an ensemble needs two or more pipelines, not 1"
    for name, sentences in (("a", True), ("b", False)):
        nlp = somd_blank()
        if sentences:
            nlp.add_pipe("somd_sentencizer", name="sentencizer")
        nlp.to_disk(tmp_path / name)
    line = one_line_error(["ensemble", tmp_path / "a", tmp_path / "b", "--output", tmp_path / "vote"])
    assert "member 1 has the components []" in line and str(tmp_path / "b") in line
    assert not (tmp_path / "vote").exists()


def test_relations_on_gold_entities_of_a_vote_or_of_no_docbin_are_one_line(tmp_path, rule_pipeline, tiny_corpus_docbins):
    out = tmp_path / "vote"
    assert CliRunner().invoke(app, ["ensemble", str(rule_pipeline), str(rule_pipeline), "--output", str(out)]).exit_code == 0
    texts = model_commands(tmp_path, str(out))["evaluate-gold-entities"][2]
    assert one_line_error(["evaluate-gold-entities", rule_pipeline, texts, "--output", tmp_path / "s.json"]) == (
        f"✘ {texts}: not a DocBin (.spacy file; `python -m spacy_somd convert` writes them)"
    )
    line = one_line_error(["evaluate-gold-entities", out, tiny_corpus_docbins / "fold2.spacy", "--output", tmp_path / "s.json"])
    assert "relations cannot be scored on gold entities" in line and not (tmp_path / "s.json").exists()
    result = CliRunner().invoke(app, [str(a) for a in model_commands(tmp_path, str(out))["predict"]])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out" / "relations.txt").read_text(encoding="utf-8").count("\n") == 1


@pytest.mark.parametrize("manifest", [True, False], ids=["folds.json", "no folds.json"])
def test_train_holding_out_an_empty_fold_is_one_line(tiny_corpus_docbins, tmp_path, manifest):
    corpus = Path(shutil.copytree(tiny_corpus_docbins, tmp_path / "corpus"))
    DocBin().to_disk(corpus / "fold2.spacy")
    data = json.loads((corpus / "folds.json").read_text(encoding="utf-8"))
    data["sizes"][2] = 0
    (corpus / "folds.json").write_text(json.dumps(data), encoding="utf-8")
    if not manifest:
        (corpus / "folds.json").unlink()
    base = ["--paths.corpus", str(corpus), "--somd.negative_ratio", "0.3", "--gpu-id", "-1", "--somd.n_folds", "4"]
    line = one_line_error(["train", ROOT / "configs" / "fast.cfg", tmp_path / "out", *base, "--somd.fold", "2"])
    assert line == f"✘ {corpus / 'fold2.spacy'}: the held-out fold (somd.fold) 2 holds 0 docs; convert again with fewer --n-folds or hold out another fold"
    assert not (tmp_path / "out").exists()
