"""A release build anyone can repeat: for each shipped config, four-fold cross-validation
(each fold held out in turn, its scores by ``spacy evaluate``), the pipeline to ship trained
on every fold (``somd.fold = null``) with the config's fixed schedule, its speed and memory,
and its wheel with the model card; then the spacy-somd wheel, ``SHA256SUMS``,
``release.json`` and ``compatibility.json`` (:mod:`.manifest`). Trainings run as
``python -m spacy_somd train`` subprocesses, as the project's own; a training whose
``model-last`` exists is not repeated."""

import json
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence

from spacy_somd.evaluation.report import flatten_scores
from spacy_somd.release.benchmark import measure_in_subprocess
from spacy_somd.release.manifest import mean_scores, write_release_files
from spacy_somd.release.packaging import build_wheel, package_pipeline


def cv_description(n_folds: int) -> str:
    """What the scores of a release pipeline were measured on."""
    return (
        f"{n_folds}-fold cross-validation of the same config on the SOMD 2025 Phase I training data (sentence index % {n_folds}): "
        f"trained {n_folds} times, each time with one fold held out and scored on it; the mean over folds (± standard deviation). "
        "The shipped pipeline is trained on all folds, so nothing is left to score it on"
    )


def python_m(*args: str) -> None:
    """Run ``python -m ARGS`` with this Python, echoing the command; fail on an error."""
    print("$ python -m", " ".join(args), flush=True)
    subprocess.run([sys.executable, "-m", *args], check=True)


def train(config: Path, output: Path, corpus: Path, fold: Optional[int], n_folds: int, gpu_id: int, overrides: Sequence[str]) -> Path:
    """Train ``config`` into ``output`` with ``fold`` held out (None: every fold trains);
    its ``model-last``, kept when it exists."""
    model = output / "model-last"
    if not (model / "meta.json").exists():
        settings = ["--paths.corpus", str(corpus), "--somd.fold", "null" if fold is None else str(fold), "--somd.n_folds", str(n_folds)]
        python_m("spacy_somd", "train", str(config), str(output), "--gpu-id", str(gpu_id), *settings, *overrides)
    return model


def cross_validate(config: Path, corpus: Path, out: Path, n_folds: int = 4, gpu_id: int = -1, overrides: Sequence[str] = ()) -> Dict[str, Any]:
    """Train ``config`` once per fold with that fold held out, score each on its fold
    (``OUT/foldK/metrics.json``) and write and return the mean (``OUT/cv.json``)."""
    folds = []
    for fold in range(n_folds):
        model = train(config, out / f"fold{fold}", corpus, fold, n_folds, gpu_id, overrides)
        metrics = out / f"fold{fold}" / "metrics.json"
        if not metrics.exists():
            python_m("spacy", "evaluate", str(model), str(corpus / f"fold{fold}.spacy"), "--per-component", "--output", str(metrics), "--gpu-id", str(gpu_id))
        folds.append(flatten_scores(json.loads(metrics.read_text(encoding="utf-8"))))
    scores = mean_scores(folds)
    (out / "cv.json").write_text(json.dumps(scores, indent=2) + "\n", encoding="utf-8")
    return scores


def build_pipeline(
    config: Path, corpus: Path, texts: Path, out: Path, packages: Path, n_folds: int = 4, gpu_id: int = -1, overrides: Sequence[str] = ()
) -> Path:
    """Cross-validate ``config``, train it on every fold, measure it on ``texts`` and
    package it with its model card into ``packages``; the wheel's path."""
    import spacy

    scores = cross_validate(config, corpus, out / "cv", n_folds, gpu_id, overrides)
    model = train(config, out / "release", corpus, None, n_folds, gpu_id, overrides)
    benchmark = measure_in_subprocess(str(model), texts, out / "benchmark.json")
    return package_pipeline(spacy.load(model), model, packages, scores, None, cv_description(n_folds), benchmark=benchmark)


def build_release(
    configs: Sequence[Path],
    corpus: Path,
    texts: Path,
    out: Path,
    source: Path,
    base_url: str = "",
    previous: Optional[Mapping[str, Any]] = None,
    n_folds: int = 4,
    gpu_id: int = -1,
    overrides: Sequence[str] = (),
) -> List[Path]:
    """The whole release into ``out/dist``: a pipeline wheel per config (trainings under
    ``out/CONFIG``), the spacy-somd wheel built from ``source``, ``SHA256SUMS``,
    ``release.json`` and ``compatibility.json`` (``previous``: the last release's table,
    extended). Returns the files to publish."""
    dist = out / "dist"
    wheels = [build_pipeline(config, corpus, texts, out / config.stem, out / "packages" / config.stem, n_folds, gpu_id, overrides) for config in configs]
    dist.mkdir(parents=True, exist_ok=True)
    pipelines = [dist / wheel.name for wheel in wheels]
    for wheel, copy in zip(wheels, pipelines):
        copy.write_bytes(wheel.read_bytes())
    build_wheel(source, dist)
    plugin = sorted(dist.glob("spacy_somd-*.whl"))
    return [*pipelines, *plugin, *write_release_files(dist, pipelines, plugin, base_url, previous)]
