"""The benchmark scripts (benchmarks/): cross-validation and learning-curve tables,
robustness rows, the training-memory, speed, quantization, annotate and vote benchmarks."""

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import spacy
from spacy.tokens import Doc, DocBin
from spacy.training import Corpus
from spacy.vocab import Vocab

from spacy_somd.evaluation.report import markdown_table
from tests.builders import ENV, ROOT, corpus_text
from tests.builders.pipeline import vote_member


def load_benchmark():
    spec = importlib.util.spec_from_file_location("annotate_benchmark", ROOT / "benchmarks" / "annotate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_benchmark_input_has_the_sentences_in_records_of_5_to_40(tiny_corpus, tmp_path):
    bench = load_benchmark()
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "train_texts.txt").write_bytes((tiny_corpus / "train_texts.txt").read_bytes())
    (corpus / "test_texts.txt").write_text("Extra test sentence one .\nExtra two .\n", encoding="utf-8")
    n_records = bench.build_input(corpus, 107, tmp_path / "in.jsonl")
    rows = [json.loads(line) for line in (tmp_path / "in.jsonl").read_text().splitlines()]
    lines = set(bench.corpus_sentences(corpus))
    assert len(lines) == 22 and len(rows) == n_records and len({r["id"] for r in rows}) == n_records
    sizes = [sum(r["text"].count(line) for line in lines) for r in rows]
    assert sum(sizes) >= 107 and all(5 <= size for size in sizes[:-1])


def test_benchmark_startup_is_the_time_before_the_first_partition_less_one():
    bench = load_benchmark()
    assert bench.startup({0: 0.0, 1: 12.0, 3: 16.0, 5: 20.0}, 21.0) == pytest.approx(10.0)
    assert bench.startup({0: 0.0, 1: 12.0}, 15.0) == 15.0


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
    from spacy.vocab import Vocab

    vocab = Vocab()
    training = [Doc(vocab, words=["SPSS", "and", "r", "on", "Linux"], ents=["B-Application", "O", "B-ProgrammingEnvironment", "O", "B-Developer"])]
    heldout = [
        Doc(
            vocab,
            words=["spss", "in", "R", "on", "Linux", "and", "Varquant", "2"],
            ents=["B-Application", "O", "B-ProgrammingEnvironment", "O", "B-OperatingSystem", "O", "B-Application", "B-Version"],
        )
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
        [sys.executable, str(script), str(default_pipeline), "--corpus", str(tiny_corpus_docbins)], env=ENV, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 2 and "trained without a development split ([somd] dev_size = 0)" in result.stderr


def test_benchmark_votes_as_the_component():
    spec = importlib.util.spec_from_file_location("ensemble", ROOT / "benchmarks" / "ensemble.py")
    benchmark = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(benchmark)
    a = vote_member([(2, 4, "Application")], [], {"SOFTWARE": 1.0})
    b = vote_member([(2, 3, "Application")], [], {"SOFTWARE": 0.0})
    doc = benchmark.vote([a, b, a])
    assert [(e.start, e.end, e.label_) for e in doc.ents] == [(2, 4, "Application")] and doc.cats == {"SOFTWARE": 2 / 3}


spec = importlib.util.spec_from_file_location("speed", ROOT / "benchmarks" / "speed.py")
speed = importlib.util.module_from_spec(spec)
spec.loader.exec_module(speed)


@pytest.mark.slow
def test_speed_benchmark_prints_ratios_then_the_table(tmp_path, default_pipeline, tiny_corpus, tiny_corpus_docbins):

    test_texts = tmp_path / "test_texts.txt"
    test_texts.write_text("\n".join(corpus_text(tiny_corpus)[:3]) + "\n", encoding="utf-8")
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "speed.py"),
            str(default_pipeline),
            "--heldout",
            str(tiny_corpus_docbins / "fold2.spacy"),
            "--test-texts",
            str(test_texts),
            "--repeats",
            "1",
            "--passes",
            "2",
            "--limit",
            "3",
        ],
        capture_output=True,
        text=True,
        timeout=900,
        env=ENV,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    lines = result.stdout.splitlines()
    inputs = ["fold2, Docs", "fold2, text", "test_texts, Docs", "test_texts, text"]
    for line, name in zip(lines, inputs):
        assert line.startswith(f"{name}: pipeline / raw forward ") and ", pipeline int8 / raw forward " in line
    rows = [line.split(" | ") for line in lines if line.startswith("| ") and "words/s" not in line and "---" not in line]
    assert [(row[0][2:], row[1]) for row in rows] == [(kind, name) for kind in speed.KINDS for name in inputs]
    assert all(float(row[3].replace(",", "")) > 0 for row in rows)
    words = {
        name: sum(len(line.split(" ")) for line in texts)
        for name, texts in (
            ("fold2", [" ".join(t.text for t in doc) for doc in DocBin().from_disk(tiny_corpus_docbins / "fold2.spacy").get_docs(Vocab())][:3]),
            ("test_texts", corpus_text(tiny_corpus)[:3]),
        )
    }
    assert all(int(row[2]) == words[row[1].split(",")[0]] for row in rows)


@pytest.mark.slow
def test_speed_profile_gives_component_shares_and_functions(default_pipeline, tiny_corpus_docbins):
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "speed.py"),
            "profile",
            str(default_pipeline),
            "--heldout",
            str(tiny_corpus_docbins / "fold2.spacy"),
            "--limit",
            "3",
            "--top",
            "5",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        env=ENV,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    rows = [line.split(" | ")[0][2:] for line in result.stdout.splitlines() if line.startswith("| ")]
    components = [
        "sentencizer",
        "transformer",
        "ner",
        "somd_split_urls",
        "somd_split_citations",
        "somd_long_names",
        "somd_name_forms",
        "somd_relation_extractor",
        "somd_name_form_relations",
        "somd_textcat",
    ]
    end = 2 + len(components)
    assert rows[2:end] == components and len(rows) == end + 2 + 5  # the shares, then the top 5 functions
    assert "peak RSS" in result.stdout


def test_fastest_pass_keeps_the_fastest_and_leaves_preparation_off_the_clock(monkeypatch):
    clock = iter([0.0, 5.0, 10.0, 12.0, 20.0, 27.0])  # passes of 5, 2 and 7 seconds
    monkeypatch.setattr(speed.time, "perf_counter", lambda: next(clock))
    prepared, given = [], []
    seconds = speed.fastest_pass(given.append, 3, lambda: prepared.append(len(prepared)) or len(prepared))
    assert seconds == 2.0
    assert given == [1, 2, 3] and next(clock, None) is None  # each pass gets a fresh input; only passes read the clock
    calls = []
    clock = iter([0.0, 3.0])
    assert speed.fastest_pass(lambda: calls.append(1), 1) == 3.0 and calls == [1]
    with pytest.raises(ValueError, match="--passes must be at least 1, not 0"):
        speed.fastest_pass(calls.append, 0)


def test_ratios_are_inverse_median_seconds_per_input():
    inputs = [speed.Input("fold2, Docs", [["a", "b"]], False)]
    runs = lambda *seconds: [{"fold2, Docs": s} for s in seconds]  # noqa: E731
    results = {"pipeline": runs(1.0, 9.0, 2.0), "pipeline int8": runs(1.0), "raw forward": runs(3.0), "HF pipeline": runs(4.0, 5.0, 6.0)}
    assert speed.ratio_lines(results, inputs) == ["fold2, Docs: pipeline / raw forward 1.50x, pipeline int8 / raw forward 3.00x, pipeline / HF pipeline 2.50x"]
    del results["HF pipeline"]  # --skip "HF pipeline"
    assert speed.ratio_lines(results, inputs) == ["fold2, Docs: pipeline / raw forward 1.50x, pipeline int8 / raw forward 3.00x"]


@pytest.mark.slow
def test_quantization_benchmark_scores_the_five_settings(default_pipeline, tiny_corpus_docbins):
    """The accuracy table of the int8 settings: one row each, the fp32 row the pipeline's
    own ``nlp.evaluate`` scores, the others their difference to it, every row its words/s;
    with two models a table each under its name."""
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "quantization.py"), str(default_pipeline), str(default_pipeline), str(tiny_corpus_docbins / "fold2.spacy")],
        capture_output=True,
        text=True,
        timeout=600,
        env=ENV,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    blocks = result.stdout.strip().split("\n\n")
    assert blocks[0] == blocks[2] == f"{default_pipeline}:" and len(blocks) == 4
    nlp = spacy.load(default_pipeline)
    expected = nlp.evaluate(list(Corpus(tiny_corpus_docbins / "fold2.spacy")(nlp)))["token_f"]
    for block in blocks[1::2]:
        rows = [line.split(" | ") for line in block.splitlines()[2:]]
        assert [row[0] for row in rows] == [
            "| fp32",
            "| int8, all linear layers",
            "| int8, feed-forward layers",
            "| int8 per channel, all linear layers",
            "| int8 per channel, feed-forward layers",
        ]
        assert rows[0][1] == f"{expected:.3f}" and rows[0][-2] == "+0.000"
        assert all(abs(float(row[-2]) - (float(row[1]) - expected)) <= 0.0015 for row in rows[1:])
        assert all(float(row[-1][:-2].replace(",", "")) > 0 for row in rows)


def test_robustness_logs_each_model_as_a_row_of_the_experiment_log(tmp_path):
    """`--log` appends rows under the experiment log's header (a new log gets the header
    first); a log of other columns is refused rather than misaligned."""
    scores = {
        "fold": {"token_f": 0.9, "ents_per_type": {"A": {"f": 0.6}}, "rel_per_type": {"R": {"f": 0.5}}, "somd_macro_f": 0.55},
        "tokenization": {"token_f": 0.7},
        "unseen-names": {"token_f": 0.6},
    }
    config = {"somd": {"fold": 2}, "system": {"seed": 1}}
    row = robustness.log_row("pipelines", "configs/fast.cfg", Path("runs/fast/model-last"), config, scores, "2026-12-07")
    assert row == ["pipelines", "configs/fast.cfg", "2", "1", "model-last", "0.900", "0.600", "0.500", "0.550", "0.700", "0.600", "2026-12-07"]
    log = tmp_path / "docs" / "experiments.csv"
    robustness.append_log(log, [row])
    robustness.append_log(log, [row])
    lines = log.read_text(encoding="utf-8").splitlines()
    assert lines[0] == ",".join(robustness.LOG_HEADER) and lines[1] == lines[2] == ",".join(row)
    committed = (ROOT / "docs" / "experiments.csv").read_text(encoding="utf-8").splitlines()[0]
    assert committed == ",".join(robustness.LOG_HEADER)
    other = tmp_path / "other.csv"
    other.write_text("a,b\n", encoding="utf-8")
    with pytest.raises(SystemExit, match="not the experiment log's"):
        robustness.append_log(other, [row])
