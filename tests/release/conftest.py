"""Release fixtures: a tiny pipeline wheel with its model card, a release folder of it,
configs/fast.cfg trained briefly on the tiny corpus, and an HTTP server on the loopback
interface."""

import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Iterator, Tuple

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


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002  (the base class's name)
        pass


@pytest.fixture
def server(tmp_path) -> Iterator[Tuple[Path, str]]:
    """A folder served over HTTP on 127.0.0.1, and the server's URL."""
    folder = tmp_path / "served"
    folder.mkdir()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), partial(QuietHandler, directory=str(folder)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield folder, f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
