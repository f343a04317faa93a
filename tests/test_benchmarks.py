"""The benchmark script's tables: per-variant rows, and for cross-validation the mean and
standard deviation over folds."""
import importlib.util
import os

import pytest

from conftest import ROOT

spec = importlib.util.spec_from_file_location("variants", ROOT / "benchmarks" / "variants.py")
variants = importlib.util.module_from_spec(spec)
spec.loader.exec_module(variants)


def fold_row(fold: int, value: float):
    return {"held-out fold": str(fold)}, {column: value for column in variants.COLUMNS}


def test_cv_summary_is_the_mean_and_sample_std_over_folds():
    rows = [fold_row(k, v) for k, v in enumerate([0.80, 0.84, 0.86, 0.90])]
    (mean_label, mean), (std_label, std) = variants.summary_rows(rows)
    assert mean_label == {"held-out fold": "mean"} and std_label == {"held-out fold": "std"}
    assert mean["token F"] == pytest.approx(0.85)
    assert std["SOFTWARE ROC AUC"] == pytest.approx(0.0416333, abs=1e-6)
    table = variants.markdown(rows + variants.summary_rows(rows)).splitlines()
    assert table[0] == "| held-out fold | " + " | ".join(variants.COLUMNS) + " |"
    assert table[-2].startswith("| mean | 0.850 |") and table[-1].startswith("| std | 0.042 |")


def test_scores_are_stale_when_missing_or_older_than_the_model(tmp_path):
    model = tmp_path / "model-best"
    model.mkdir()
    (model / "meta.json").write_text("{}")
    scores = tmp_path / "metrics.json"
    assert variants.is_stale(scores, model)
    scores.write_text("{}")
    os.utime(model / "meta.json", (0, 0))
    assert not variants.is_stale(scores, model)
    os.utime(scores, (0, 0))
    os.utime(model / "meta.json", (100, 100))
    assert variants.is_stale(scores, model)
