"""Every registry and factory name the shipped configs use resolves through the entry
points (no ``--code``), the names removed on purpose are gone and listed in the changelog,
and a pipeline saved by the previous release still loads."""

import re
import shutil
from pathlib import Path
from typing import Set, Tuple

import pytest
import spacy
from spacy.language import Language
from spacy.util import registry

ROOT = Path(__file__).resolve().parent.parent
CONFIGS = sorted((ROOT / "configs").glob("*.cfg"))
REMOVED = [
    ("architectures", "spacy_somd.CasedTok2Vec.v1"),
    ("architectures", "spacy_somd.PieceBoundedTransformer.v1"),
    ("architectures", "spacy_somd.RelationClassifier.v1"),
    ("architectures", "spacy_somd.SentenceLogits.v1"),
    ("augmenters", "spacy_somd.mention_replacement.v1"),
]
# the settings of PieceBoundedTransformer.v2 that 0.1.0 configs list, at their defaults
LEGACY_TRANSFORMER_SETTINGS = "frozen_layers = 0\nfrozen_embeddings = false\nlayer_decay = 1.0\n"


def config_names(path: Path) -> Set[Tuple[str, str]]:
    """(registry, name) of every ``@registry = "name"`` and (``factories``, name) of every
    ``factory = "name"`` line of a config."""
    text = path.read_text(encoding="utf-8")
    names = {(kind, name) for kind, name in re.findall(r'^@(\w+) = "([^"]+)"', text, re.M)}
    return names | {("factories", name) for name in re.findall(r'^factory = "([^"]+)"', text, re.M)}


@pytest.mark.parametrize("config", CONFIGS, ids=lambda p: p.name)
def test_every_name_a_config_uses_resolves(config):
    spacy.blank("en")  # loads the factories of the plugins' entry points
    names = config_names(config)
    assert ("architectures", "spacy_somd.PieceBoundedTransformer.v2") in names or config.name == "fast.cfg"
    for kind, name in sorted(names):
        if kind == "factories":
            assert Language.has_factory(name), name
        else:
            assert callable(registry.get(kind, name)), (kind, name)


@pytest.mark.parametrize("kind, name", REMOVED)
def test_removed_names_are_gone_and_in_the_changelog(kind, name):
    with pytest.raises(Exception, match=re.escape(name)):
        registry.get(kind, name)
    assert f"`{name}`" in (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")


@pytest.mark.slow
def test_a_pipeline_saved_with_the_previous_release_config_loads(default_pipeline, tmp_path):
    """A saved pipeline's config lists every setting of its architectures, so those of
    0.1.0 list the removed transformer settings at their defaults: such a config loads and
    annotates as the pipeline does; one of them set to a value that did something is
    refused, naming it."""
    old = tmp_path / "old"
    shutil.copytree(default_pipeline, old)
    config = old / "config.cfg"
    section = config.read_text(encoding="utf-8").split("[components.transformer.model]\n")[1].split("\n[")[0]
    assert all(line in section.splitlines() for line in LEGACY_TRANSFORMER_SETTINGS.splitlines())
    words = "We used SPSS version 22 ( IBM ) and R 4.0.3 ."
    new_doc, old_doc = spacy.load(default_pipeline)(words), spacy.load(old)(words)
    assert [(e.text, e.label_) for e in old_doc.ents] == [(e.text, e.label_) for e in new_doc.ents]
    assert old_doc._.somd_relations == new_doc._.somd_relations
    config.write_text(config.read_text(encoding="utf-8").replace("frozen_layers = 0", "frozen_layers = 2"), encoding="utf-8")
    with pytest.raises(ValueError, match="frozen_layers, frozen_embeddings and layer_decay were removed in 0.2.0"):
        spacy.load(old)
