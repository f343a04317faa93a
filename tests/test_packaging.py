"""The installable pipeline: `python -m spacy_somd package` turns a trained pipeline into
the en_somd wheel; with the spacy-somd wheel it installs into a fresh virtualenv, where
`spacy.load("en_somd")` works offline on raw, multi-sentence text."""
import json
import site
import subprocess
import venv
from pathlib import Path

from conftest import DEV_FOLD, ENV, ROOT, run
from spacy_somd import __version__

LOAD = """
import json, spacy, spacy_somd
nlp = spacy.load("en_somd")
doc = nlp("We used SPSS version 22 (IBM) and R 4.0.3 with the lme4 package. It ran on Linux.")
docs = list(nlp.pipe(["SPSS 22 was used.", "R 4.0.3 (R Core Team) was used too."], batch_size=2))
print(json.dumps({
    "module": spacy_somd.__file__,
    "tokens": [t.text for t in doc],
    "sentences": [s.text for s in doc.sents],
    "ents": [e.label_ for e in doc.ents],
    "relations": doc._.somd_relations,
    "cats": sorted(doc.cats),
    "batch": [len(d) for d in docs],
    "meta": nlp.meta,
}))
"""


def build_wheels(model: Path, dev: Path, tmp_path: Path) -> Path:
    """Score the pipeline on ``dev``, package it and build the spacy-somd wheel beside it."""
    metrics, gold = tmp_path / "metrics.json", tmp_path / "gold.json"
    run(["spacy", "evaluate", str(model), str(dev), "--per-component", "--output", str(metrics)])
    run(["spacy_somd", "evaluate-gold-entities", str(model), str(dev), "--output", str(gold)])
    packages = tmp_path / "packages"
    run(["spacy_somd", "package", str(model), str(packages), "--metrics", str(metrics), "--gold-entities", str(gold)])
    run(["pip", "wheel", str(ROOT), "--no-deps", "--no-build-isolation", "--wheel-dir", str(packages), "--quiet"])
    return packages


def fresh_venv(folder: Path, wheels: list) -> Path:
    """A virtualenv with the wheels installed; it borrows this environment's third-party
    packages (spacy, torch, ...) through a .pth file, which does not activate this
    environment's own (editable) spacy_somd."""
    venv.create(folder, with_pip=False)
    python = folder / "bin" / "python"
    run(["pip", "--python", str(python), "install", "--no-deps", "--no-index", "--quiet", *map(str, wheels)])
    site_packages = next((folder / "lib").glob("python*/site-packages"))
    (site_packages / "borrowed.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    return python


def test_package_installs_in_a_fresh_venv_and_loads_offline(default_pipeline, tiny_corpus_docbins, tiny_bert, tmp_path):
    packages = build_wheels(default_pipeline, tiny_corpus_docbins / f"fold{DEV_FOLD}.spacy", tmp_path)
    wheels = sorted(packages.glob("*.whl"))
    assert [w.name for w in wheels] == [f"en_somd-{__version__}-py3-none-any.whl", f"spacy_somd-{__version__}-py3-none-any.whl"]
    readme = (packages / f"en_somd-{__version__}" / "README.md").read_text(encoding="utf-8")
    assert "Token-level (seed metric)" in readme and "Relations with gold entities" in readme
    assert "### Sources and licenses" in readme and "MIT (repository); SoMeSci annotations CC BY 4.0" in readme
    python = fresh_venv(tmp_path / "venv", wheels)
    hidden = tiny_bert.with_name(tiny_bert.name + "-hidden")
    tiny_bert.rename(hidden)  # the backbone's weights and tokenizer must come from the package
    try:
        done = subprocess.run([str(python), "-c", LOAD], env=ENV, capture_output=True, text=True, timeout=300, cwd=tmp_path)
    finally:
        hidden.rename(tiny_bert)
    assert done.returncode == 0, done.stderr[-4000:]
    result = json.loads(done.stdout.splitlines()[-1])
    assert result["module"].startswith(str(tmp_path / "venv"))
    assert result["tokens"][:8] == ["We", "used", "SPSS", "version", "22", "(", "IBM", ")"]
    assert result["sentences"] == [
        "We used SPSS version 22 (IBM) and R 4.0.3 with the lme4 package.", "It ran on Linux."
    ]
    assert isinstance(result["ents"], list) and isinstance(result["relations"], list)
    assert result["cats"] == sorted(["SOFTWARE", "APPLICATION", "PLUGIN", "PROGRAMMING_ENVIRONMENT", "OPERATING_SYSTEM"])
    assert result["batch"] == [5, 11]
    meta = result["meta"]
    assert meta["name"] == "somd" and meta["version"] == __version__
    assert [s["license"] for s in meta["sources"]][0].startswith("MIT")
    assert f"spacy-somd>={__version__}" in meta["requirements"]
    assert any(r.startswith("spacy-transformers") for r in meta["requirements"])
    for key in ("token_f", "ents_f", "rel_f", "rel_gold_entities_f", "somd_macro_f", "cats_macro_f", "token_per_type"):
        assert key in meta["performance"], key
