"""configs/fast.cfg and configs/gpu.cfg are generated from configs/default.cfg by
scripts/configs.py: the committed files are what it writes, each differs from default.cfg in
its declared edits only, and default.cfg's comments stay with the settings they describe."""

import importlib.util
import shutil
import sys
from typing import Any, Dict

import pytest
from thinc.api import Config
from weasel.util import load_project_config

from tests.builders import CONFIGS, ROOT

spec = importlib.util.spec_from_file_location("configs_script", ROOT / "scripts" / "configs.py")
generator = importlib.util.module_from_spec(spec)
sys.modules[spec.name] = generator  # dataclasses look their module up
spec.loader.exec_module(generator)
Edit, Derived, REMOVE = generator.Edit, generator.Derived, generator.REMOVE
BASE_TEXT = (CONFIGS / generator.BASE).read_text(encoding="utf-8")
NEW_SECTION = """
# a new augmenter's share of the training sentences
[corpora.train.case_augmenter]
@augmenters = "spacy_somd.case_variants.v1"
# the share of sentences changed
level = 0.1
"""


def flatten(values: Dict[str, Any], prefix: str = "") -> Dict[str, Any]:
    """Each setting (and each empty section) by its dotted key."""
    flat: Dict[str, Any] = {}
    for key, value in values.items():
        if isinstance(value, dict) and value:
            flat.update(flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def under(key: str, edit_key: str) -> bool:
    return (key + ".").startswith(edit_key + ".")


def test_committed_configs_are_what_the_generator_writes(tmp_path):
    shutil.copy(CONFIGS / generator.BASE, tmp_path)
    written = generator.write_configs(tmp_path)
    assert [path.name for path in written] == [derived.name for derived in generator.DERIVED] == ["fast.cfg", "gpu.cfg"]
    for path in written:
        assert path.read_bytes() == (CONFIGS / path.name).read_bytes(), f"configs/{path.name} is stale: run python scripts/configs.py"


@pytest.mark.parametrize("derived", generator.DERIVED, ids=lambda derived: derived.name)
def test_derived_config_differs_from_default_only_in_its_edits(derived):
    base = flatten(Config().from_disk(CONFIGS / generator.BASE, interpolate=False))
    expected = {key: value for key, value in base.items() if not any(under(key, edit.key) for edit in derived.edits)}
    for edit in derived.edits:
        if edit.value is not REMOVE:
            expected.update(flatten({edit.key: edit.value}))
    expected = {key: value for key, value in expected.items() if not any(under(other, key) and other != key for other in expected)}
    found = flatten(Config().from_disk(CONFIGS / derived.name, interpolate=False))
    assert found == expected
    # the same values and types: 1 is not 1.0 (== would not see it)
    assert {key: type(value) for key, value in found.items()} == {key: type(value) for key, value in expected.items()}
    assert generator.parse((CONFIGS / derived.name).read_text(encoding="utf-8"), derived.name)[0][0].startswith("# generated from default.cfg")


@pytest.mark.parametrize("derived", generator.DERIVED, ids=lambda derived: derived.name)
def test_derived_config_keeps_default_comments_and_carries_the_notes(derived):
    _, base = generator.parse(BASE_TEXT, "default.cfg")
    _, sections = generator.parse((CONFIGS / derived.name).read_text(encoding="utf-8"), derived.name)
    found = {section.name: section for section in sections}
    entries = {f"{section.name}.{entry.key}": entry for section in sections for entry in section.entries}
    edited = [edit.key for edit in derived.edits]
    for section in base:
        if not any(under(section.name, key) for key in edited):
            assert found[section.name].comments == section.comments, section.name
        for entry in section.entries:
            key = f"{section.name}.{entry.key}"
            if not any(under(key, edited_key) for edited_key in edited):
                assert entries[key].comments == entry.comments, key
    for edit in derived.edits:
        if edit.note:
            comments = found[edit.key].comments if edit.key in found else entries[edit.key].comments
            assert " ".join(line[2:] for line in comments if line) == edit.note, edit.key


def test_derived_configs_keep_the_fold_settings_and_corpora():
    """Scores of the configs stay comparable: none changes the folds, the dev split or the
    training corpus (its package name is its own)."""
    for derived in generator.DERIVED:
        for edit in derived.edits:
            assert not under(edit.key, "corpora") and (not under(edit.key, "somd") or edit.key == "somd.package_name"), edit


def test_a_section_added_to_default_reaches_the_derived_configs_and_an_edit_changes_it():
    base = BASE_TEXT.replace("\n[corpora.dev]", NEW_SECTION + "\n[corpora.dev]")
    unchanged = Derived("x.cfg", "x", (Edit("nlp.batch_size", 8),))
    assert NEW_SECTION in generator.derive(base, unchanged)
    changed = Derived("x.cfg", "x", (Edit("corpora.train.case_augmenter.level", 0.0, note="off here"),))
    text = generator.derive(base, changed)
    assert NEW_SECTION.replace("# the share of sentences changed\nlevel = 0.1", "# off here\nlevel = 0.0") in text
    assert Config().from_str(text)["corpora"]["train"]["case_augmenter"]["level"] == 0.0


@pytest.mark.parametrize(
    "edit,message",
    [
        (Edit("nlp.batch_size", 256), "already has this value"),
        (Edit("paths.nothing", REMOVE), "has no paths.nothing to remove"),
        (Edit("nlp.tokeniser.abbreviations", []), r"has no section \[nlp.tokeniser\]"),
        (Edit("batch_size", 8), "needs a section"),
    ],
)
def test_edits_that_change_nothing_or_miss_are_refused(edit, message):
    with pytest.raises(ValueError, match=f"^x.cfg: the edit of {edit.key}: .*{message}"):
        generator.derive(BASE_TEXT, Derived("x.cfg", "x", (edit,)))


def test_overlapping_edits_are_refused():
    edits = (Edit("training.batcher", {"@batchers": "spacy.batch_by_sequence.v1", "size": 8}), Edit("training.batcher.size", 4))
    with pytest.raises(ValueError, match=r"^x.cfg: the edit of training.batcher: also edited by \['training.batcher.size'\]"):
        generator.derive(BASE_TEXT, Derived("x.cfg", "x", edits))


def test_section_values_and_removals_are_written_where_they_belong():
    edits = (
        Edit("training.optimizer.learn_rate", 0.000025),  # a section becomes a setting
        Edit("training.logger.progress_bar", {"@misc": "x.v1", "width": "${nlp.batch_size}"}),  # a setting becomes a section
        Edit("components.ner", REMOVE),
        Edit("nlp.disabled", ["ner"]),
    )
    text = generator.derive(BASE_TEXT, Derived("x.cfg", "x", edits))
    assert "[training.optimizer.learn_rate]" not in text and "\neps = 0.00000001\nlearn_rate = 0.000025\n" in text
    assert '\n\n[training.logger.progress_bar]\n@misc = "x.v1"\nwidth = ${nlp.batch_size}\n\n[training.optimizer]' in text
    assert "[components.ner" not in text and 'disabled = ["ner"]' in text
    config = Config().from_str(text, interpolate=False)
    assert config["training"]["logger"]["progress_bar"]["width"] == "${nlp.batch_size}"


def test_the_project_regenerates_the_configs():
    (command,) = [c for c in load_project_config(ROOT)["commands"] if c["name"] == "configs"]
    assert command["script"] == ["python scripts/configs.py"]
    assert set(command["deps"]) == {"configs/default.cfg", "scripts/configs.py"}
    assert command["outputs"] == [f"configs/{derived.name}" for derived in generator.DERIVED]
