"""Reruns of `annotate` on an existing output: resumed only where the input, the model and
the partition size are those of the run that wrote it; `--restart` starts over."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict

import pytest
from typer.testing import CliRunner

from spacy_somd.annotate.inputs import InputError
from spacy_somd.annotate.run import Settings, annotate_input
from spacy_somd.cli import app
from spacy_somd.io import staged_path
from tests.builders import ENV
from tests.builders.annotate import damaged_model, good_rows, write_jsonl


def annotate(model: Path, source: Path, output: Path, **settings: Any):
    return annotate_input(str(model), source, output, Settings(**settings), lambda partition, counts, notes: None)


def files_of(output: Path) -> Dict[str, bytes]:
    """The files of an output folder and those beside it, by name."""
    stem = output.with_suffix("")
    beside = [Path(f"{stem}{suffix}") for suffix in (".summary.json", ".software.tsv", ".rejects.jsonl")]
    return {path.name: path.read_bytes() for path in [*sorted(output.iterdir()), *beside] if path.is_file()}


def test_a_changed_input_is_refused_with_one_line_before_any_work(rule_pipeline, tmp_path):
    source = write_jsonl(tmp_path / "in.jsonl", good_rows(4))
    output = tmp_path / "out.jsonl"
    annotate(rule_pipeline, source, output, partition_size=2)
    before = files_of(output)
    rows = good_rows(4)
    rows[3]["text"] = rows[3]["text"].upper()  # the same size, other content
    write_jsonl(source, rows)
    with pytest.raises(InputError, match=r"out.jsonl: holds the output of another run: the input's files \(edited in.jsonl\); rerun with --restart"):
        annotate(rule_pipeline, source, output, partition_size=2)
    result = CliRunner().invoke(app, ["annotate", str(rule_pipeline), str(source), str(output), "--partition-size", "2"])
    assert result.exit_code == 1 and len(result.stderr.strip().splitlines()) == 1 and "edited in.jsonl" in result.stderr
    assert files_of(output) == before


def test_a_changed_model_is_refused_and_restart_starts_over(rule_pipeline, tmp_path):
    model = tmp_path / "model"
    shutil.copytree(rule_pipeline, model)
    source = write_jsonl(tmp_path / "in.jsonl", good_rows(5))
    output = tmp_path / "out.parquet"
    annotate(model, source, output, partition_size=2)
    meta = json.loads((model / "meta.json").read_text(encoding="utf-8"))
    (model / "meta.json").write_text(json.dumps({**meta, "version": "9.9.9"}), encoding="utf-8")
    with pytest.raises(InputError, match=r"out.parquet: holds the output of another run: the model's meta.json or config.cfg; rerun with --restart"):
        annotate(model, source, output, partition_size=2)
    (output / "part-000009.parquet").write_bytes(b"a partition of the earlier run that this run does not write")
    annotate(model, source, tmp_path / "fresh.parquet", partition_size=2)
    result = CliRunner().invoke(app, ["annotate", str(model), str(source), str(output), "--partition-size", "2", "--restart"])
    assert result.exit_code == 0, result.output
    fresh = files_of(tmp_path / "fresh.parquet")
    assert files_of(output).keys() == {name.replace("fresh", "out") for name in fresh}
    for name, data in fresh.items():
        if name != "_manifest.json":
            assert files_of(output)[name.replace("fresh", "out")] == data, name
    manifest = json.loads((output / "_manifest.json").read_text(encoding="utf-8"))
    assert manifest["model"]["path"] == str(model.resolve()) and manifest["input"]["files"][0]["name"] == "in.jsonl"
    assert manifest == json.loads((tmp_path / "fresh.parquet" / "_manifest.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("damage", ["missing", "config"])
def test_a_model_that_fails_to_load_is_one_line_and_leaves_nothing_behind(rule_pipeline, tmp_path, damage):
    model = damaged_model(rule_pipeline, tmp_path, damage)
    source = write_jsonl(tmp_path / "in.jsonl", good_rows(3))
    output = tmp_path / "new" / "out.jsonl"
    result = CliRunner().invoke(app, ["annotate", str(model), str(source), str(output)])
    assert result.exit_code == 1 and "Traceback" not in result.output
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(f"✘ cannot load the pipeline {str(model)!r}: ")
    assert not (tmp_path / "new").exists()
    shutil.rmtree(model, ignore_errors=True)
    shutil.copytree(rule_pipeline, model)
    result = CliRunner().invoke(app, ["annotate", str(model), str(source), str(output)])
    assert result.exit_code == 0, result.output
    assert "read 3 records = annotated 3 + rejected 0" in result.output


SLOW_RUN = """
import sys, time
from pathlib import Path
from spacy_somd.annotate import run
from spacy_somd.cli import app

def slow(fed, items, writer, on_partition):
    Path(writer.folder, ".part-000000.jsonl.1.tmp").write_text("the first run's temporary file")
    print("writing", flush=True)
    time.sleep(120)

run.write_partitions = slow
app(sys.argv[1:])
"""


def test_a_second_run_on_an_output_another_run_holds_fails_at_once(rule_pipeline, tmp_path):
    source = write_jsonl(tmp_path / "in.jsonl", good_rows(3))
    output = tmp_path / "out.jsonl"
    args = ["annotate", str(rule_pipeline), str(source), str(output)]
    first = subprocess.Popen([sys.executable, "-c", SLOW_RUN, *args], env=ENV, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert first.stdout is not None and first.stdout.readline() == "writing\n"
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 1 and "Traceback" not in result.output
        assert result.stderr.strip().splitlines() == [
            f"✘ {output}: another run is writing it (it holds _annotate.lock); wait for it to end, or use another OUTPUT"
        ]
        assert (output / ".part-000000.jsonl.1.tmp").is_file() and (output / "_manifest.json").is_file()
    finally:
        first.kill()
        first.wait()
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in output.iterdir()) == ["_annotate.lock", "_manifest.json", "_part-000000.json", "part-000000.jsonl"]


def test_temporary_names_are_the_writing_process_own(tmp_path):
    with staged_path(tmp_path / "part-000000.jsonl") as tmp:
        assert tmp.name == f".part-000000.jsonl.{os.getpid()}.tmp"
        tmp.write_text("{}\n", encoding="utf-8")
    assert [p.name for p in tmp_path.iterdir()] == ["part-000000.jsonl"]


def test_an_output_inside_the_parquet_input_folder_is_not_read_as_input(rule_pipeline, tmp_path):
    pa = pytest.importorskip("pyarrow", reason="Parquet needs pyarrow")
    pq = pytest.importorskip("pyarrow.parquet", reason="Parquet needs pyarrow")
    papers = tmp_path / "papers"
    papers.mkdir()
    rows = good_rows(5)
    pq.write_table(pa.Table.from_pylist(rows[:3]), papers / "a.parquet")
    pq.write_table(pa.Table.from_pylist(rows[3:]), papers / "b.parquet")
    output = papers / "out.parquet"
    run, total = annotate(rule_pipeline, papers, output, partition_size=2)
    assert (run.read, total.read, total.annotated) == (5, 5, 5)
    before = files_of(output)
    pq.write_table(pa.Table.from_pylist(good_rows(1)), output / "stray.parquet")  # a Parquet file in a folder of annotate's
    run, total = annotate(rule_pipeline, papers, output, partition_size=2)
    assert (run.read, total.read, total.annotated) == (0, 5, 5)
    (output / "stray.parquet").unlink()
    assert files_of(output) == before
    result = CliRunner().invoke(app, ["annotate", str(rule_pipeline), str(papers), str(output), "--partition-size", "2"])
    assert result.exit_code == 0, result.output
    assert "read 5 records" in result.output


def test_a_failure_while_writing_the_summary_leaves_the_old_files_whole(rule_pipeline, tmp_path):
    """The rejects, the summary and the software table are written whole or not at all: a
    rerun that fails half way through them (a partition's counts file it cannot read, after
    the rejects of the partitions before it were written) leaves the files of the run
    before as they were, and no temporary file or folder beside them."""
    rows = good_rows(6)
    rows[1] = {"id": "bad"}
    rows[4] = {"id": "doc0", "text": "a duplicate id"}
    source = write_jsonl(tmp_path / "in.jsonl", rows)
    output = tmp_path / "out.jsonl"
    annotate(rule_pipeline, source, output, partition_size=2)
    before = files_of(output)
    assert before["out.rejects.jsonl"].count(b"\n") == 2 and b"missing text" in before["out.rejects.jsonl"]
    (output / "_part-000002.json").write_text('{"counts": ', encoding="utf-8")  # the last partition's counts, cut short
    with pytest.raises(ValueError):
        annotate(rule_pipeline, source, output, partition_size=2)
    after = files_of(output)
    for name in ("out.rejects.jsonl", "out.summary.json", "out.software.tsv"):
        assert after[name] == before[name], name
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "in.jsonl",
        "out.document-software.tsv",
        "out.identities.tsv",
        "out.jsonl",
        "out.rejects.jsonl",
        "out.software.tsv",
        "out.summary.json",
    ]
