"""`python -m spacy_somd download` end to end against a real HTTP server on the loopback
interface: it picks the compatible release from the table, checks the wheel's SHA-256 and
installs it with pip (into a throwaway --target); a wrong checksum, an unreachable server
and a table without a compatible release are each one line and exit status 1."""

import hashlib
import json
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, List

import pytest
import spacy

from spacy_somd.about import __version__
from spacy_somd.release.download import URL_ENV, DownloadError, select
from spacy_somd.release.manifest import compatibility_table, release_manifest
from tests.builders import ENV, ROOT


def serve_release(folder: Path, wheel: Path, **edits: Any) -> Dict[str, Any]:
    """Serve the wheel under releases/ and the compatibility table of its release (entries
    edited by ``edits``) at the root; the table."""
    (folder / "releases").mkdir()
    (folder / "releases" / wheel.name).write_bytes(wheel.read_bytes())
    table = compatibility_table(release_manifest([wheel], base_url="releases"))
    table["pipelines"] = [{**entry, **edits} for entry in table["pipelines"]]
    (folder / "compatibility.json").write_text(json.dumps(table))
    return table


def download(*args: str, url: str = "") -> subprocess.CompletedProcess:
    env = {**ENV, "PYTHONPATH": str(ROOT)}
    if url:
        env[URL_ENV] = url
    return subprocess.run([sys.executable, "-m", "spacy_somd", "download", *args], env=env, capture_output=True, text=True, timeout=300, cwd=ROOT)


def error_lines(done: subprocess.CompletedProcess) -> List[str]:
    return [line for line in done.stderr.splitlines() if line.strip()]


@pytest.mark.slow
def test_download_installs_the_compatible_release_after_checking_its_digest(server, tiny_wheel, tmp_path):
    folder, base = server
    serve_release(folder, tiny_wheel)
    target = tmp_path / "site"
    done = download("en_tinytest", "--target", str(target), "--no-deps", "--quiet", url=f"{base}/compatibility.json")
    assert done.returncode == 0, done.stderr
    assert "Installed en_tinytest 0.0.1: spacy.load('en_tinytest')" in done.stdout
    assert (target / "en_tinytest" / "en_tinytest-0.0.1" / "meta.json").is_file()
    loaded = subprocess.run(
        [sys.executable, "-c", "import spacy; nlp = spacy.load('en_tinytest'); print(nlp.meta['name'], [s.text for s in nlp('It ran. It stopped.').sents])"],
        env={**ENV, "PYTHONPATH": os.pathsep.join([str(target), str(ROOT)])},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stdout.strip() == "tinytest ['It ran.', 'It stopped.']"


@pytest.mark.slow
def test_a_wrong_checksum_is_refused_in_one_line_and_nothing_is_installed(server, tiny_wheel, tmp_path):
    folder, base = server
    serve_release(folder, tiny_wheel, sha256=hashlib.sha256(b"another wheel").hexdigest())
    target = tmp_path / "site"
    done = download("en_tinytest", "--url", f"{base}/compatibility.json", "--target", str(target), "--no-deps")
    assert done.returncode == 1
    (line,) = error_lines(done)
    assert line.startswith(f"✘ {base}/releases/{tiny_wheel.name}: its SHA-256 {hashlib.sha256(tiny_wheel.read_bytes()).hexdigest()} is not the ")
    assert line.endswith("of the compatibility table; refused, nothing installed")
    assert not target.exists()


@pytest.mark.slow
def test_an_unreachable_server_is_one_line(tmp_path):
    with socket.socket() as sock:  # a port that nothing listens on once closed
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    done = download("en_somd", url=f"http://127.0.0.1:{port}/compatibility.json")
    assert done.returncode == 1
    (line,) = error_lines(done)
    assert line.startswith(f"✘ cannot reach http://127.0.0.1:{port}/compatibility.json (")
    assert "offline?" in line and URL_ENV in line


@pytest.mark.slow
def test_no_compatible_release_is_one_line(server, tiny_wheel):
    folder, base = server
    serve_release(folder, tiny_wheel, spacy_somd_version=">=9.0,<9.1")
    done = download("en_tinytest", "--url", f"{base}/compatibility.json")
    assert done.returncode == 1
    (line,) = error_lines(done)
    assert line.startswith(f"✘ no release of en_tinytest works with spacy-somd {__version__} and spaCy {spacy.__version__} (0.0.1 needs spacy-somd>=9.0,<9.1")
    assert "train the pipeline yourself" in line
    missing = download("en_nothing", "--url", f"{base}/compatibility.json")
    assert error_lines(missing) == ["✘ no pipeline 'en_nothing' in the compatibility table (it has en_tinytest)"]


TABLE = {
    "pipelines": [
        {"name": "en_somd", "version": "0.1.0", "spacy_somd_version": ">=0.1.0,<0.2.0", "spacy_version": ">=3.8.0,<3.9.0"},
        {"name": "en_somd", "version": "0.2.0", "spacy_somd_version": ">=0.2.0,<0.3.0", "spacy_version": ">=3.8.0,<3.9.0"},
        {"name": "en_somd", "version": "0.2.1", "spacy_somd_version": ">=0.2.0,<0.3.0", "spacy_version": ">=3.8.0,<3.9.0"},
        {"name": "en_somd", "version": "0.3.0", "spacy_somd_version": ">=0.3.0,<0.4.0", "spacy_version": ">=3.9.0,<3.10.0"},
        {"name": "en_somd_fast", "version": "0.2.0", "spacy_somd_version": ">=0.2.0,<0.3.0", "spacy_version": ">=3.8.0,<3.9.0"},
        {"name": "en_somd", "version": "latest", "spacy_somd_version": ">=0.2.0,<0.3.0", "spacy_version": ">=3.8.0,<3.9.0"},
        {"name": "en_somd", "version": "0.2.9", "spacy_somd_version": "0.2", "spacy_version": ">=3.8.0,<3.9.0"},
    ]
}


def test_the_newest_release_for_the_installed_versions_is_picked():
    assert select(TABLE, "en_somd", None, "0.2.3", "3.8.7")["version"] == "0.2.1"
    assert select(TABLE, "en_somd", None, "0.1.0", "3.8.0")["version"] == "0.1.0"
    assert select(TABLE, "en_somd", "0.2.0", "0.2.3", "3.8.7")["version"] == "0.2.0"
    assert select(TABLE, "en_somd_fast", None, "0.2.0", "3.8.7")["version"] == "0.2.0"
    with pytest.raises(DownloadError, match="no release of en_somd works with spacy-somd 0.2.0 and spaCy 3.9.1"):
        select(TABLE, "en_somd", None, "0.2.0", "3.9.1")
    with pytest.raises(DownloadError, match="no release 0.4.0 of en_somd"):
        select(TABLE, "en_somd", "0.4.0", "0.2.0", "3.8.0")
