"""The `ensemble` command: a vote of pipelines written as one pipeline that loads,
evaluates and packages with its members."""

import pytest
import spacy

from spacy_somd.pipeline.vote.pipe import assemble_ensemble
from tests.builders import run
from tests.builders.pipeline import voted


@pytest.mark.slow
def test_ensemble_command_writes_a_pipeline_that_loads_and_evaluates(members, tmp_path, tiny_corpus_docbins):
    paths = []
    for number, nlp in enumerate(members):
        paths.append(str(tmp_path / f"m{number}"))
        nlp.to_disk(paths[-1])
    out = tmp_path / "ensemble"
    run(["spacy_somd", "ensemble", *paths, "--output", str(out)])
    assert voted(spacy.load(out))[0] == [("SPSS", "Application"), ("25", "Version"), ("Stata", "Application")]
    run(["spacy", "evaluate", str(out), str(tiny_corpus_docbins / "fold2.spacy"), "--output", str(tmp_path / "scores.json")])
    assert "token_f" in (tmp_path / "scores.json").read_text()


@pytest.mark.slow
def test_ensemble_packages_with_its_members(members, tmp_path, tiny_corpus_docbins):
    import zipfile

    out = tmp_path / "ensemble"
    assemble_ensemble(members).to_disk(out)
    metrics = tmp_path / "scores.json"
    run(["spacy", "evaluate", str(out), str(tiny_corpus_docbins / "fold2.spacy"), "--per-component", "--output", str(metrics)])
    run(
        [
            "spacy_somd",
            "package",
            str(out),
            str(tmp_path / "packages"),
            "--metrics",
            str(metrics),
            "--name",
            "rules_vote",
            "--held-out",
            "fold 2 of the tiny corpus",
        ]
    )
    (wheel,) = (tmp_path / "packages").glob("en_rules_vote-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    for number in range(3):
        assert any(f"/somd_vote/member{number}/config.cfg" in name for name in names), number


def test_package_writes_the_model_card_from_the_scores_and_benchmark_files(tmp_path):
    import json

    from typer.testing import CliRunner

    from spacy_somd.about import __version__
    from spacy_somd.cli import app
    from tests.builders import somd_blank
    from tests.builders.release import TINY_BENCHMARK, TINY_SCORES, wheel_metadata_json

    somd_blank().to_disk(tmp_path / "model")
    (tmp_path / "metrics.json").write_text(json.dumps(TINY_SCORES))
    (tmp_path / "benchmark.json").write_text(json.dumps({**TINY_BENCHMARK, "words_per_second": 4321.0, "machine": "the stated machine"}))
    args = ["package", tmp_path / "model", tmp_path / "out", "--metrics", tmp_path / "metrics.json", "--benchmark", tmp_path / "benchmark.json"]
    result = CliRunner().invoke(app, [str(a) for a in [*args, "--name", "card", "--held-out", "fold 2 of a test"]])
    assert result.exit_code == 0, result.output
    notes = wheel_metadata_json(tmp_path / "out" / f"en_card-{__version__}-py3-none-any.whl")["notes"]
    assert "4,321 words/s" in notes and "the stated machine" in notes and "Measured on fold 2 of a test." in notes
