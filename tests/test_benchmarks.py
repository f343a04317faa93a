"""The benchmark script's tables: per-variant rows, and for cross-validation the mean and
standard deviation over folds."""

import importlib.util
import os
import subprocess
import sys

import pytest
from conftest import ENV, ROOT

from spacy_somd.evaluation.report import markdown_table

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


def test_learning_curve_sieves_out_the_last_training_folds(tiny_corpus_docbins, tmp_path):
    """Fold 2 held out: one training fold keeps fold 0 (folds 1 and 3 sieved out, the
    held-out fold never listed), three keep all, with no sieve; a variant per seed."""
    args = variants.argparse.Namespace(fold=2, n_folds=4, training_folds=[1, 3], seeds=[0, 1], out=tmp_path, corpus=tiny_corpus_docbins)
    found = variants.learning_curve_variants(args)
    assert [v.name for v in found] == ["folds1-seed0", "folds1-seed1", "folds3-seed0", "folds3-seed1"]
    assert found[0].labels == {"training folds": "0", "seed": "0"} and found[3].labels == {"training folds": "0, 1, 3", "seed": "1"}
    sieve = variants.json.loads((tmp_path / "sieve-1-folds.json").read_text())["lines"]
    assert sorted(sieve) == [line for line in range(1, 21) if (line - 1) % 4 in (1, 3)]
    assert found[1].overrides == {"system.seed": "1", "paths.sieve": str(tmp_path / "sieve-1-folds.json")}
    assert found[2].overrides == {"system.seed": "0"}
    args.training_folds = [4]
    with pytest.raises(SystemExit, match=r"--training-folds: 4 is not in 1..3 \(the folds other than 2\)"):
        variants.learning_curve_variants(args)


def test_learning_curve_means_are_per_training_folds():
    rows = [
        ({"training folds": folds, "seed": seed}, {c: value for c in variants.COLUMNS})
        for folds, seed, value in [("0", "0", 0.7), ("0", "1", 0.8), ("0, 1", "0", 0.9)]
    ]
    means = variants.mean_rows(rows, "training folds")
    assert [labels for labels, _ in means] == [{"training folds": "0", "seed": "mean"}, {"training folds": "0, 1", "seed": "mean"}]
    assert means[0][1]["token F"] == pytest.approx(0.75) and means[1][1]["SOMD macro F"] == pytest.approx(0.9)


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
        "token_f": 0.9,
        "somd_macro_f": 0.55,
        "ents_per_type": {"Application": {"p": 1, "r": 1, "f": 0.8}, "Version": {"p": 1, "r": 1, "f": 0.4}},
        "rel_per_type": {"Version_of": {"p": 1, "r": 1, "f": 0.5}},
    }
    scores = {"fold": fold, "tokenization": {"token_f": 0.7}, "unseen-names": {"token_f": 0.6}}
    assert robustness.row("m", scores) == ["m", "0.900", "0.600", "0.500", "0.550", "0.700", "0.600"]
    assert len(robustness.HEADER) == 7


def test_robustness_merged_row_splits_the_unseen_names_gap_into_finding_and_typing():
    fold = {"token_f": 0.9, "token_software_merged_f": 0.925}
    tokenization = {"token_f": 0.92, "token_software_merged_f": 0.95}
    names = {"token_f": 0.75, "token_software_merged_f": 0.875}
    scores = {"fold": fold, "tokenization": tokenization, "unseen-names": names}
    assert robustness.merged_row("m", scores) == ["m", "0.925", "0.950", "0.875", "0.150", "0.050"]
    assert len(robustness.MERGED_HEADER) == 6
    older = {key: {"token_f": value["token_f"]} for key, value in scores.items()}  # scored before the key
    assert robustness.merged_row("m", older) == ["m", "-", "-", "-", "0.150", "-"]


def test_robustness_type_rows_put_each_type_of_the_fold_beside_its_f_on_the_variants():
    """Types in the fold's order; a type a variant lacks is "-"; the table has a row each."""
    fold = {"ents_per_type": {"ProgrammingEnvironment": {"f": 0.95}, "URL": {"f": 0.9}}}
    tokenization = {"ents_per_type": {"URL": {"f": 0.75}, "ProgrammingEnvironment": {"f": 0.95}}}
    names = {"ents_per_type": {"URL": {"f": 0.875}}}
    scores = {"fold": fold, "tokenization": tokenization, "unseen-names": names}
    rows = robustness.type_rows(scores)
    assert rows == [["ProgrammingEnvironment", "0.950", "0.950", "-"], ["URL", "0.900", "0.750", "0.875"]]
    table = markdown_table(rows, ["type", "fold", "tokenization", "names"]).splitlines()
    assert table[1] == "| --- | ---: | ---: | ---: |"
    assert table[3] == "| URL | 0.900 | 0.750 | 0.875 |" and len(table) == 4


def test_robustness_counts_the_fold_names_the_training_folds_hold():
    """Names match case-insensitively against entities of any type; only software types count."""
    from spacy.tokens import Doc
    from spacy.vocab import Vocab

    vocab = Vocab()
    training = [Doc(vocab, words=["SPSS", "and", "r", "on", "Linux"], ents=["B-Application", "O", "B-ProgrammingEnvironment", "O", "B-Developer"])]
    heldout = [
        Doc(
            vocab,
            words=["spss", "in", "R", "on", "Linux", "and", "Varquant", "2"],
            ents=["B-Application", "O", "B-ProgrammingEnvironment", "O", "B-OperatingSystem", "O", "B-Application", "B-Version"],
        ),
    ]
    assert robustness.seen_name_rows(heldout, training) == [
        ["Application", "2", "1", "0.50"],
        ["PlugIn", "0", "0", "-"],
        ["ProgrammingEnvironment", "1", "1", "1.00"],
        ["OperatingSystem", "1", "1", "1.00"],
    ]


@pytest.mark.slow
@pytest.mark.skipif(not os.path.exists("/proc/self/clear_refs"), reason="reads Linux's /proc/self")
def test_training_memory_benchmark_compares_settings_side_by_side(tmp_path, tiny_corpus_docbins, tiny_bert):
    """Two settings trained at once on the tiny corpus: a table row each, and a record per
    update with resident memory, the peak and the batch (the configured before_update
    callback still runs)."""
    import json
    import subprocess
    import sys

    backbone = json.dumps(str(tiny_bert))
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "training_memory.py"),
            str(ROOT / "configs" / "default.cfg"),
            "--corpus",
            str(tiny_corpus_docbins),
            "--steps",
            "4",
            "--eval-every",
            "2",
            "--output",
            str(tmp_path),
            "--setting",
            f'trimmed={{"paths.backbone": {backbone}}}',
            "--setting",
            f'untrimmed={{"paths.backbone": {backbone}, "training.before_update": null}}',
        ],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    table = result.stdout.splitlines()
    assert table[0].startswith("| setting |") and [row.split(" | ")[0] for row in table[2:4]] == ["| trimmed", "| untrimmed"]
    for number in (0, 1):
        records = [json.loads(line) for line in (tmp_path / f"setting{number}.jsonl").read_text().splitlines()]
        assert [record["step"] for record in records] == [0, 1, 2, 3, 4]
        assert all(record["peak_mb"] >= record["rss_mb"] > 100 for record in records)
        assert records[-1]["batch"]["sentences"] >= 1 and records[-1]["batch"]["tokens"] >= records[-1]["batch"]["longest"]
        assert records[-1]["user"] > records[0]["user"] and records[-1]["page_faults"] > records[0]["page_faults"]


margin_spec = importlib.util.spec_from_file_location("outside_margin", ROOT / "benchmarks" / "outside_margin.py")
outside_margin = importlib.util.module_from_spec(margin_spec)
margin_spec.loader.exec_module(outside_margin)


@pytest.mark.slow
def test_outside_margin_moves_tokens_in_and_out_of_entities_and_is_undone(default_pipeline, tiny_corpus_docbins):
    import spacy

    nlp = spacy.load(default_pipeline)
    ner = nlp.get_pipe("ner")
    trained = ner.model.ops.to_numpy(outside_margin.outside_bias(ner).get_param("b")).copy()
    examples = outside_margin.fold_examples(nlp, tiny_corpus_docbins, "heldout")
    texts = [eg.reference.text for eg in examples]
    inside = {}
    for margin in (1e6, 0.0, -1e6):
        outside_margin.set_outside_margin(ner, margin, trained)
        inside[margin] = [token.ent_iob_ != "O" for doc in nlp.pipe(texts) for token in doc]
    assert all(inside[1e6]) and not any(inside[-1e6])
    outside_margin.set_outside_margin(ner, 0.0, trained)
    (as_trained,) = outside_margin.margin_scores(nlp, [0.0], {"heldout": examples})
    assert outside_margin.margin_scores(nlp, [-1e6], {"heldout": examples})[0]["heldout"]["token_r"] == 0.0
    assert (ner.model.ops.to_numpy(outside_margin.outside_bias(ner).get_param("b")) == trained).all()
    assert outside_margin.margin_scores(nlp, [0.0], {"heldout": examples})[0] == as_trained


@pytest.mark.slow
def test_outside_margin_refuses_a_model_trained_without_a_development_split(default_pipeline, tiny_corpus_docbins):
    script = ROOT / "benchmarks" / "outside_margin.py"
    result = subprocess.run(
        [sys.executable, str(script), str(default_pipeline), "--corpus", str(tiny_corpus_docbins)],
        env=ENV,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 2 and "trained without a development split ([somd] dev_size = 0)" in result.stderr
