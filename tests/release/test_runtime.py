"""A light runtime: a CNN pipeline (configs/fast.cfg) packaged with the spacy-somd wheel
installs into a fresh virtualenv that holds only what the two wheels require, without torch,
transformers or spacy-transformers, where `spacy.load` and a prediction work, and so does the
command line."""

import json
import os
import subprocess

import pytest
import spacy

from spacy_somd.about import __version__
from spacy_somd.release.packaging import plugin_requirement
from tests.builders.release import OWN_ENV, fresh_venv, plugin_wheel, tiny_pipeline_wheel, wheel_metadata_json, wheel_requirements

TEXT = "We used SPSS version 22 (IBM) and R 4.0.3 with the lme4 package. It ran on Linux."
SCRIPT = f"""
import importlib.util, json, spacy
absent = [name for name in ("torch", "transformers", "spacy_transformers") if importlib.util.find_spec(name) is None]
nlp = spacy.load("en_somd_fast")
doc = nlp({TEXT!r})
import spacy_somd.cli  # the command line (download among it) imports no torch either
import importlib.metadata, sys
# every registered function a CNN pipeline may name (the int8 callback among them) loads too
for entry_point in importlib.metadata.distribution("spacy-somd").entry_points:
    if entry_point.group in ("spacy_factories", "spacy_misc", "spacy_callbacks", "spacy_tokenizers", "spacy_scorers"):
        entry_point.load()
print(json.dumps({{
    "absent": absent,
    "loaded": sorted(name for name in ("torch", "transformers", "spacy_transformers") if name in sys.modules),
    "module": spacy_somd.cli.__file__,
    "ents": [[e.start, e.end, e.label_] for e in doc.ents],
    "relations": [[r["head"], r["tail"], r["label"]] for r in doc._.somd_relations],
    "cats": sorted(doc.cats),
    "meta": nlp.meta,
}}))
"""


@pytest.mark.slow
def test_a_cnn_pipeline_installs_and_predicts_without_torch(fast_pipeline, tmp_path):
    wheel = tiny_pipeline_wheel(fast_pipeline, tmp_path / "packages", "somd_fast", __version__)
    meta = wheel_metadata_json(wheel)
    assert meta["requirements"] == [plugin_requirement()] == [f"spacy-somd>={__version__},<0.3.0"]
    assert [r.name for r in wheel_requirements(wheel)] == ["spacy-somd"]
    plugin = plugin_wheel(tmp_path / "plugin")
    plugin_needs = {r.name for r in wheel_requirements(plugin) if r.marker is None}
    assert not plugin_needs & {"torch", "spacy-transformers", "transformers"}, plugin_needs
    python = fresh_venv(tmp_path / "venv", [plugin, wheel])
    done = subprocess.run([str(python), "-c", SCRIPT], env=OWN_ENV, capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-4000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["absent"] == ["torch", "transformers", "spacy_transformers"] and result["loaded"] == []
    assert result["module"].startswith(str(tmp_path / "venv")) and not result["module"].startswith(os.getcwd())
    source = spacy.load(fast_pipeline)(TEXT)  # the installed package predicts as the trained pipeline
    assert result["ents"] == [[e.start, e.end, e.label_] for e in source.ents]
    assert result["relations"] == [[r["head"], r["tail"], r["label"]] for r in source._.somd_relations]
    assert result["cats"] == sorted(source.cats)
    assert "### Known limits" in result["meta"]["notes"]
