"""Release fixtures: a tiny pipeline wheel with its model card, a release folder of it, and
configs/fast.cfg trained briefly on the tiny corpus."""

from pathlib import Path

import pytest

from spacy_somd.release.manifest import write_release_files
from tests.builders import somd_blank, spacy_train
from tests.builders.release import tiny_pipeline_wheel


@pytest.fixture(scope="session")
def tiny_wheel(tmp_path_factory) -> Path:
    """en_tinytest-0.0.1: a blank pipeline with the SOMD tokenizer and sentence
    boundaries, packaged with a model card from the builders' scores and measurement."""
    folder = tmp_path_factory.mktemp("tiny_wheel")
    nlp = somd_blank()
    nlp.add_pipe("somd_sentencizer", name="sentencizer")
    nlp.to_disk(folder / "model")
    return tiny_pipeline_wheel(folder / "model", folder / "packages", "tinytest")


@pytest.fixture
def release_dist(tiny_wheel, tmp_path) -> Path:
    """A release folder of the tiny wheel as the release build writes it (release version: the plugin's)."""
    dist = tmp_path / "dist"
    dist.mkdir()
    wheel = dist / tiny_wheel.name
    wheel.write_bytes(tiny_wheel.read_bytes())
    write_release_files(dist, [wheel], base_url="https://example.org/releases/download/v1")
    return dist


@pytest.fixture(scope="session")
def fast_pipeline(tmp_path_factory, tiny_corpus_docbins) -> Path:
    """configs/fast.cfg (CNN, no transformer) trained for a few steps; its model-last."""
    return spacy_train("fast.cfg", tmp_path_factory.mktemp("train_fast"), tiny_corpus_docbins)
