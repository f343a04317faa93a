"""The release build (`python -m spacy_somd release`): cross-validated scores, the pipeline
trained on every fold, its measurement and wheel with the model card, the spacy-somd wheel,
SHA256SUMS, release.json and compatibility.json, ready for `publish`."""

import json
import shutil
import subprocess
import sys

import pytest
from spacy.util import load_config

from spacy_somd.about import __version__
from spacy_somd.release.manifest import read_checksums, sha256
from tests.builders import ENV, ROOT, run
from tests.builders.release import wheel_metadata_json


@pytest.mark.slow
def test_the_release_build_writes_what_publish_uploads(rule_pipeline, tiny_corpus_docbins, tiny_corpus, tmp_path):
    """The cross-validation's four trainings are stood in for by a rule pipeline (already
    trained: the build keeps a model-last it finds); the pipeline to ship is trained on every
    fold for two steps."""
    out = tmp_path / "releases"
    for fold in range(4):
        shutil.copytree(rule_pipeline, out / "fast" / "cv" / f"fold{fold}" / "model-last")
    previous = tmp_path / "previous.json"
    previous.write_text(json.dumps({"format": 1, "pipelines": [{"name": "en_somd_fast", "version": "0.1.0", "sha256": "old"}]}))
    run(
        [
            "spacy_somd",
            "release",
            str(ROOT / "configs" / "fast.cfg"),
            "--out",
            str(out),
            "--corpus",
            str(tiny_corpus_docbins),
            "--texts",
            str(tiny_corpus / "train_texts.txt"),
            "--base-url",
            "https://example.org/download/v1",
            "--previous",
            str(previous),
            "--training.max_steps",
            "2",
        ],
        timeout=900,
    )
    dist = out / "dist"
    names = sorted(path.name for path in dist.iterdir())
    assert names == [
        "SHA256SUMS",
        "compatibility.json",
        f"en_somd_fast-{__version__}-py3-none-any.whl",
        "release.json",
        f"spacy_somd-{__version__}-py3-none-any.whl",
    ]
    assert read_checksums((dist / "SHA256SUMS").read_text()) == {path.name: sha256(path) for path in dist.glob("*.whl")}
    trained = load_config(out / "fast" / "release" / "model-last" / "config.cfg")
    assert trained["somd"]["fold"] is None and trained["training"]["max_steps"] == 2  # the pipeline to ship saw every fold
    folds = [json.loads((out / "fast" / "cv" / f"fold{fold}" / "metrics.json").read_text()) for fold in range(4)]
    cv = json.loads((out / "fast" / "cv" / "cv.json").read_text())
    token_f = [next(v["token_f"] for v in fold.values() if isinstance(v, dict) and "token_f" in v) for fold in folds]
    assert cv["token_f"] == pytest.approx(sum(token_f) / 4) and "token_f" in cv["cv_std"]
    meta = wheel_metadata_json(dist / f"en_somd_fast-{__version__}-py3-none-any.whl")
    assert meta["requirements"] == [f"spacy-somd>={__version__},<0.3.0"]
    assert meta["performance"]["token_f"] == pytest.approx(cv["token_f"])
    assert meta["scored_on"].startswith("4-fold cross-validation of the same config")
    benchmark = json.loads((out / "fast" / "benchmark.json").read_text())
    assert benchmark["words"] > 0 and benchmark["peak_rss_mb"] > 0
    assert meta["speed"]["machine"] == benchmark["machine"] and meta["speed"]["words_per_second"] == pytest.approx(benchmark["words_per_second"])
    assert f"{benchmark['words_per_second']:,.0f} words/s" in meta["notes"]
    manifest = json.loads((dist / "release.json").read_text())
    (entry,) = manifest["pipelines"]
    assert entry["url"] == f"https://example.org/download/v1/en_somd_fast-{__version__}-py3-none-any.whl"
    table = json.loads((dist / "compatibility.json").read_text())
    assert [(e["name"], e["version"]) for e in table["pipelines"]] == [("en_somd_fast", "0.1.0"), ("en_somd_fast", __version__)]
    checked = subprocess.run(
        [sys.executable, "-m", "spacy_somd", "publish", str(dist), "--tag", f"v{__version__}", "--dry-run"],
        env=ENV,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert checked.returncode == 0, checked.stderr
