"""The one definition of a training run: ``spacy train`` of a config with the corpus, the
held-out fold, the number of folds, the share of entity-free sentences and the GPU all
given. ``python -m spacy_somd train`` runs it (project.yml) with :func:`training_overrides`;
:func:`train_command` writes that command line for callers that start it as a subprocess
(benchmarks, tests)."""
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Union

PathLike = Union[str, Path]


def training_overrides(
    corpus: PathLike, fold: Optional[int], n_folds: int, negative_ratio: float, overrides: Optional[Mapping[str, Any]] = None
) -> Dict[str, Any]:
    """The config overrides of a run: the corpus and the fold settings (``[paths]``,
    ``[somd]``; ``fold`` None: every fold trains), then any others, which may not set
    those again."""
    settings = {"paths.corpus": str(corpus), "somd.fold": fold, "somd.n_folds": n_folds, "somd.negative_ratio": negative_ratio}
    clash = sorted(set(settings) & set(overrides or {}))
    if clash:
        raise ValueError(f"set {', '.join(clash)} with the train command's own options, not as an override")
    return {**settings, **(overrides or {})}


def train_command(
    config: PathLike,
    output: PathLike,
    *,
    corpus: PathLike,
    fold: Optional[int],
    n_folds: int,
    negative_ratio: float,
    gpu_id: int,
    overrides: Optional[Mapping[str, Any]] = None,
) -> List[str]:
    """The arguments after ``python -m`` of ``spacy_somd train`` with these settings."""
    return [
        "spacy_somd", "train", str(config), str(output), "--corpus", str(corpus), "--fold", "none" if fold is None else str(fold),
        "--n-folds", str(n_folds), "--negative-ratio", str(negative_ratio), "--gpu-id", str(gpu_id),
        *(item for key, value in (overrides or {}).items() for item in (f"--{key}", str(value))),
    ]  # fmt: skip
