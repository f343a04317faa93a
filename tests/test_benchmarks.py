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


robustness_spec = importlib.util.spec_from_file_location("robustness", ROOT / "benchmarks" / "robustness.py")
robustness = importlib.util.module_from_spec(robustness_spec)
robustness_spec.loader.exec_module(robustness)


def test_robustness_row_takes_macro_averages_of_the_fold_and_token_f_of_the_variants():
    fold = {
        "token_f": 0.9, "somd_macro_f": 0.55,
        "ents_per_type": {"Application": {"p": 1, "r": 1, "f": 0.8}, "Version": {"p": 1, "r": 1, "f": 0.4}},
        "rel_per_type": {"Version_of": {"p": 1, "r": 1, "f": 0.5}},
    }  # fmt: skip
    scores = {"fold": fold, "tokenization": {"token_f": 0.7}, "unseen-names": {"token_f": 0.6}}
    assert robustness.row("m", scores) == ["m", "0.900", "0.600", "0.500", "0.550", "0.700", "0.600"]
    assert len(robustness.HEADER) == 7
