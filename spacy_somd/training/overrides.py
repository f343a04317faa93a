"""A training run checked before any work starts: ``spacy train`` of a config with
overrides, where every override must name a setting the config (or the registered
function or factory of its section) has, and the fold settings and the corpus folder must
fit together. ``python -m spacy_somd train`` runs :func:`train`."""

import difflib
import inspect
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Union

import spacy
from spacy.language import Language
from spacy.util import load_config, registry
from thinc.api import Config

from spacy_somd.corpus.folds import check_extra_corpus, check_fold_settings, check_heldout_fold, fold_files

PathLike = Union[str, Path]


def section_accepts(section: Mapping[str, Any], option: str) -> bool:
    """Whether ``option`` is a setting of ``section`` that the config leaves at its
    default: an argument of the section's registered function, or a setting of its
    component factory's default config."""
    for key, value in section.items():
        if key.startswith("@") and registry.has(key[1:], value):
            parameters = inspect.signature(registry.get(key[1:], value)).parameters
            return option in parameters or any(p.kind is p.VAR_KEYWORD for p in parameters.values())
    factory = section.get("factory")
    if isinstance(factory, str) and Language.has_factory(factory):
        meta = Language.get_factory_meta(factory)
        return option in (meta.default_config or {})
    return False


def override_error(config: Config, key: str) -> Optional[str]:
    """What is wrong with an override of ``key`` (a ``section.setting`` path), or None
    when the config has that setting."""
    section_path, _, option = key.rpartition(".")
    if not section_path:
        return f"--{key}: an override is --section.setting (e.g. --training.max_steps 100)"
    node: Any = config
    walked: List[str] = []
    for part in section_path.split("."):
        if not isinstance(node, dict) or part not in node:
            close = difflib.get_close_matches(part, list(node) if isinstance(node, dict) else [], n=1)
            hint = f" (did you mean {'.'.join([*walked, close[0]])}?)" if close else ""
            return f"--{key}: the config has no section [{'.'.join([*walked, part])}]{hint}"
        walked.append(part)
        node = node[part]
    if not isinstance(node, dict):
        return f"--{key}: {section_path} is a setting, not a section"
    if option in node or section_accepts(node, option):
        return None
    close = difflib.get_close_matches(option, list(node), n=1)
    hint = f" (did you mean --{section_path}.{close[0]}?)" if close else ""
    return f"--{key}: [{section_path}] has no setting {option!r}{hint}"


def check_overrides(config: Config, overrides: Mapping[str, Any]) -> None:
    """Raise ValueError naming the first override that is no setting of ``config``."""
    spacy.blank("en")  # a Language loads the factories of every plugin's entry points, once
    for key in overrides:
        error = override_error(config, key)
        if error:
            raise ValueError(error)


def check_run(config_path: PathLike, overrides: Mapping[str, Any]) -> Config:
    """The config of a run with its overrides, after checking them, the fold settings and
    the corpus folder (its fold DocBins, a held-out fold with docs, the extra corpus) against each other. Raises
    ValueError or FileNotFoundError with one line naming what is wrong."""
    raw = load_config(Path(config_path), interpolate=False)
    check_overrides(raw, overrides)
    config = load_config(Path(config_path), overrides=dict(overrides), interpolate=True)
    somd = config.get("somd", {})
    if {"fold", "n_folds"} <= set(somd):
        check_fold_settings(somd["fold"], somd["n_folds"], somd.get("negative_ratio", 0.0), somd.get("dev_size", 0.0))
        paths = fold_files(Path(config["paths"]["corpus"]), somd["n_folds"])
        if somd["fold"] is not None:
            check_heldout_fold(Path(config["paths"]["corpus"]), paths, somd["fold"])
    extra = config.get("paths", {}).get("extra_corpus")
    if extra is not None:
        check_extra_corpus(Path(extra))
    return config


def train(config_path: PathLike, output: Optional[PathLike], overrides: Optional[Dict[str, Any]] = None, gpu_id: int = -1) -> None:
    """Check the run (:func:`check_run`), then train as ``spacy train`` does."""
    from spacy.cli.train import train as spacy_train

    overrides = overrides or {}
    check_run(config_path, overrides)
    spacy_train(Path(config_path), None if output is None else Path(output), use_gpu=gpu_id, overrides=overrides)
