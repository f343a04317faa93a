"""The files a release publishes beside its wheels: the cross-validated scores, SHA256SUMS,
release.json and the compatibility table; and the model card each wheel carries."""

import hashlib
import json

import pytest
import spacy

from spacy_somd.about import __version__
from spacy_somd.release.card import card_sections, speed_section
from spacy_somd.release.manifest import checksums, compatibility_table, mean_scores, read_checksums, release_manifest
from spacy_somd.release.packaging import TRANSFORMER_REQUIREMENTS, requirements, uses_transformer
from tests.builders import ROOT
from tests.builders.release import TINY_BENCHMARK, TINY_SCORES, wheel_metadata_json

FOLDS = [
    {"token_f": 0.8, "somd_macro_f": 0.6, "speed": 100.0, "ents_per_type": {"Application": {"p": 0.8, "r": 0.6, "f": 0.7}}, "note": "x"},
    {"token_f": 0.9, "somd_macro_f": 0.8, "speed": 300.0, "ents_per_type": {"Application": {"p": 1.0, "r": 0.8, "f": 0.9}, "URL": {"p": 1, "r": 1, "f": 1}}},
]


def test_cross_validated_scores_are_the_means_over_folds_with_their_spread():
    mean = mean_scores(FOLDS)
    assert mean["token_f"] == pytest.approx(0.85) and mean["somd_macro_f"] == pytest.approx(0.7) and mean["speed"] == pytest.approx(200)
    assert mean["ents_per_type"]["Application"] == pytest.approx({"p": 0.9, "r": 0.7, "f": 0.8})
    assert mean["ents_per_type"]["URL"]["f"] == 1  # the mean over the folds that have the type
    assert mean["cv_std"] == pytest.approx({"token_f": 0.05, "somd_macro_f": 0.1})
    assert "note" not in mean
    with pytest.raises(ValueError):
        mean_scores([])


def test_checksums_are_sha256sum_lines(tmp_path):
    files = [tmp_path / "b.whl", tmp_path / "a.whl"]
    for path, data in zip(files, [b"bee", b"ay"]):
        path.write_bytes(data)
    text = checksums(files)
    assert text == f"{hashlib.sha256(b'ay').hexdigest()}  a.whl\n{hashlib.sha256(b'bee').hexdigest()}  b.whl\n"
    assert read_checksums(text) == {"a.whl": hashlib.sha256(b"ay").hexdigest(), "b.whl": hashlib.sha256(b"bee").hexdigest()}


def test_the_manifest_lists_each_pipeline_with_its_versions_scores_size_and_digest(tiny_wheel):
    manifest = release_manifest([tiny_wheel], base_url="https://example.org/dl/v1/")
    assert manifest["release"] == __version__ and manifest["built_with"] == {"spacy-somd": __version__, "spacy": spacy.__version__}
    (entry,) = manifest["pipelines"]
    assert entry["name"] == "en_tinytest" and entry["version"] == "0.0.1"
    assert entry["spacy_somd_version"] == "<0.3.0,>=0.2.0"
    assert entry["spacy_version"] == wheel_metadata_json(tiny_wheel)["spacy_version"].strip() and entry["spacy_version"].startswith(">=3.8")
    assert entry["scores"] == {key: TINY_SCORES[key] for key in ("token_f", "ents_f", "rel_f", "somd_macro_f")}
    assert entry["scored_on"] == "four-fold cross-validation of a test config"
    assert entry["url"] == f"https://example.org/dl/v1/{tiny_wheel.name}"
    assert entry["sha256"] == hashlib.sha256(tiny_wheel.read_bytes()).hexdigest() and entry["size"] == tiny_wheel.stat().st_size


def test_the_compatibility_table_keeps_earlier_releases():
    earlier = {"format": 1, "pipelines": [{"name": "en_somd", "version": "0.1.0", "sha256": "old"}, {"name": "en_somd", "version": "0.2.0", "sha256": "stale"}]}
    manifest = {"pipelines": [{"name": "en_somd", "version": "0.2.0", "sha256": "new"}, {"name": "en_somd_fast", "version": "0.2.0", "sha256": "f"}]}
    table = compatibility_table(manifest, earlier)
    assert [(e["name"], e["version"], e["sha256"]) for e in table["pipelines"]] == [
        ("en_somd", "0.1.0", "old"),
        ("en_somd", "0.2.0", "new"),
        ("en_somd_fast", "0.2.0", "f"),
    ]
    assert compatibility_table(manifest)["pipelines"] == manifest["pipelines"]


def test_the_wheel_carries_its_model_card_from_the_scores_and_measurement_given(tiny_wheel):
    meta = wheel_metadata_json(tiny_wheel)
    notes = meta["notes"]
    for title in ("What it finds", "Training data and licence", "Scores", "Speed and memory", "Known limits", "Intended use"):
        assert f"### {title}\n\n" in notes, title
    assert "SoMeSci" in notes and "CC BY 4.0" in notes and meta["license"] == "CC BY 4.0"
    assert "Measured on four-fold cross-validation of a test config." in notes
    assert "| Token F (the SOMD 2025 seed system's token-level metric) | 62.50 ± 5.00 |" in notes
    assert "| SOMD macro F (mean of entity and relation macro F) | 31.25 |" in notes
    assert "2,468 words/s and a peak memory (RSS) of 321 MB" in notes and "a test machine with 2 CPU cores" in notes
    assert "precision on whole articles is low" in notes and "uncased" in notes.lower()
    assert meta["speed"] == TINY_BENCHMARK and meta["performance"]["token_f"] == TINY_SCORES["token_f"]
    assert meta["sources"][0]["license"].endswith("CC BY 4.0")
    readme = meta["notes"]  # spacy package writes the notes into the package README
    assert readme.index("### What it finds") < readme.index("### Sources and licenses")


def test_the_card_takes_its_numbers_from_its_inputs():
    nlp = spacy.blank("en")
    other = card_sections(nlp, {"token_f": 0.5}, "fold 9", {**TINY_BENCHMARK, "words_per_second": 10.0, "peak_rss_mb": 20.0})
    assert "| Token F (the SOMD 2025 seed system's token-level metric) | 50.00 |" in other["Scores"] and "fold 9" in other["Scores"]
    assert other["Speed and memory"].startswith("10 words/s and a peak memory (RSS) of 20 MB")
    assert speed_section(None) == "Not measured for this build."


def test_a_cnn_pipeline_requires_no_torch_and_a_transformer_pipeline_does(rule_pipeline):
    cnn = spacy.load(rule_pipeline)
    assert requirements(cnn) == [f"spacy-somd>={__version__},<0.3.0"]
    assert not uses_transformer(cnn)
    transformer = spacy.blank("en")
    transformer.add_pipe("transformer")  # the requirements of a trained one: tests/release/test_packaging.py
    assert uses_transformer(transformer)


def test_the_transformers_extra_is_what_a_transformer_pipeline_requires():
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["optional-dependencies"]["transformers"] == TRANSFORMER_REQUIREMENTS
    assert "spacy-somd[transformers]" in project["optional-dependencies"]["train"]
    assert not [r for r in project["dependencies"] if r.startswith(("torch", "spacy-transformers", "transformers"))]
    assert json.dumps(project["dependencies"])  # the core: spaCy and what every pipeline needs
