"""`annotate` runs: raw records in, partitioned output records out, on the local engine
and on Ray (started here with 1 CPU), resumable, accounting for every record."""

import json
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Dict, List

import pytest
from typer.testing import CliRunner

from spacy_somd.annotate.inputs import InputError, input_files, scan
from spacy_somd.annotate.outputs import read_output
from spacy_somd.annotate.run import Settings, annotate_input
from spacy_somd.cli import app
from tests.builders import ENV
from tests.builders import run as cli
from tests.builders.annotate import damaged_model, good_rows, write_jsonl

BAD_ROWS = [{"text": "no id"}, {"id": "doc0", "text": "a duplicate id"}, {"id": "x1"}, {"id": "x2", "text": 42}, {"id": "x3", "text": " \n "}, "not json"]


def run(model: Path, source: Path, output: Path, **settings: Any):
    """annotate_input with Settings(**settings), the notes of each partition collected."""
    notes: List[str] = []
    run_counts, total = annotate_input(str(model), source, output, Settings(**settings), lambda p, c, lines: notes.extend(lines))
    return run_counts, total, notes


def test_local_run_accounts_for_every_record(model, tmp_path):
    rows = good_rows(5)[:2] + BAD_ROWS + good_rows(5)[2:]
    source = write_jsonl(tmp_path / "in.jsonl", rows)
    run_counts, total, notes = run(model, source, tmp_path / "out.jsonl", partition_size=4)
    assert (total.read, total.annotated, total.rejected) == (11, 5, 6)
    assert total.read == total.annotated + total.rejected == len(rows)
    rejects = [json.loads(line) for line in (tmp_path / "out.rejects.jsonl").read_text().splitlines()]
    assert [(r["position"].rsplit(", ", 1)[1], r["reason"]) for r in rejects] == [
        ("line 3", "missing id"),
        ("line 4", "duplicate id 'doc0' (first as record 1)"),
        ("line 5", "missing text"),
        ("line 6", "text must be a string, not int"),
        ("line 7", "empty text"),
        ("line 8", "not JSON (Expecting value, column 1)"),
    ]
    assert [note.split(": ", 2)[2] for note in notes] == [r["reason"] for r in rejects]
    records = read_output(tmp_path / "out.jsonl")
    assert [r["id"] for r in records] == [f"doc{i}" for i in range(5)]
    summary = json.loads((tmp_path / "out.summary.json").read_text())
    assert summary["read"] == summary["annotated"] + summary["rejected"] == 11
    assert summary["sentences"] == sum(len(r["sentences"]) for r in records) == run_counts.sentences
    labels = [e["label"] for r in records for e in r["entities"]]
    assert summary["entities"] == {label: labels.count(label) for label in sorted(set(labels))}
    types = [rel["type"] for r in records for rel in r["relations"]]
    assert summary["relations"] == {t: types.count(t) for t in sorted(set(types))}
    table = (tmp_path / "out.software.tsv").read_text().splitlines()
    assert table[0] == "name\ttype\tmentions\tversions"
    software = {tuple(line.split("\t")[:2]): line.split("\t")[2:] for line in table[1:]}
    mentions = [(e["text"], e["label"]) for r in records for e in r["entities"] if e["label"] == "Application"]
    assert software[("SPSS", "Application")][0] == str(mentions.count(("SPSS", "Application"))) != "0"


def test_two_processes_write_the_same_records(default_pipeline, tmp_path):
    """`--n-process 2` with a (tiny) transformer pipeline, in a subprocess with a time
    limit, writes what one process writes."""
    source = write_jsonl(tmp_path / "in.jsonl", good_rows(4))
    run(default_pipeline, source, tmp_path / "one.jsonl", partition_size=3)
    two = tmp_path / "two.jsonl"
    cli(["spacy_somd", "annotate", str(default_pipeline), str(source), str(two), "--n-process", "2", "--batch-size", "2", "--partition-size", "3"], timeout=240)
    assert read_output(two) == read_output(tmp_path / "one.jsonl") != []


def test_fail_stops_at_the_first_bad_record_with_one_line(model, tmp_path):
    source = write_jsonl(tmp_path / "in.jsonl", good_rows(2) + BAD_ROWS[2:])
    result = CliRunner().invoke(app, ["annotate", str(model), str(source), str(tmp_path / "o.jsonl"), "--on-error", "fail"])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [f"✘ {source}, line 3: missing text"]
    assert not list((tmp_path / "o.jsonl").glob("part-*"))


def test_interrupted_run_resumes_to_the_same_output(model, tmp_path):
    """A run stopped after its first partition (and a kill between a partition's file and
    its counts), rerun, gives exactly the files of an uninterrupted run."""
    source = write_jsonl(tmp_path / "in.jsonl", good_rows(7) + BAD_ROWS[:2])
    settings = Settings(partition_size=3)
    run(model, source, tmp_path / "clean.parquet", partition_size=3)

    class Stop(Exception):
        pass

    def stop(partition, counts, notes):
        raise Stop

    with pytest.raises(Stop):
        annotate_input(str(model), source, tmp_path / "resumed.parquet", settings, stop)
    resumed = tmp_path / "resumed.parquet"
    assert sorted(p.name for p in resumed.glob("*part-*")) == ["_part-000000.json", "part-000000.parquet"]
    (resumed / "part-000001.parquet").write_bytes(b"half a partition: its counts file was never written")
    (resumed / ".part-000002.parquet.tmp").write_bytes(b"a temporary file of a killed run")
    written: List[int] = []
    run_counts, total = annotate_input(str(model), source, resumed, settings, lambda p, c, n: written.append(p.number))
    assert written == [1, 2] and run_counts.read == 6 and total.read == 9
    clean = tmp_path / "clean.parquet"
    assert sorted(p.name for p in resumed.iterdir()) == sorted(p.name for p in clean.iterdir())
    for path in clean.iterdir():
        assert (resumed / path.name).read_bytes() == path.read_bytes(), path.name
    for suffix in (".summary.json", ".software.tsv", ".rejects.jsonl"):
        assert (tmp_path / f"resumed{suffix}").read_text() == (tmp_path / f"clean{suffix}").read_text()
    with pytest.raises(InputError, match="holds the output of another run"):
        annotate_input(str(model), source, resumed, Settings(partition_size=2), stop)


@pytest.mark.slow
def test_a_run_killed_half_way_resumes_to_the_same_output(model, tmp_path):
    """`annotate` killed with SIGKILL once its first partitions are complete, then run
    again, writes exactly the files of an uninterrupted run."""
    source = write_jsonl(tmp_path / "in.jsonl", good_rows(120))
    args = ["spacy_somd", "annotate", str(model), str(source)]
    cli([*args, str(tmp_path / "clean.jsonl"), "--partition-size", "2"])
    killed = tmp_path / "killed.jsonl"
    process = subprocess.Popen(
        [sys.executable, "-m", *args, str(killed), "--partition-size", "2"], env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 240
    while not list(killed.glob("_part-000001.json")) and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.wait()
    done = len(list(killed.glob("_part-*.json")))
    assert 2 <= done < 60, f"{done} of 60 partitions complete when killed: not half way"
    cli([*args, str(killed), "--partition-size", "2"])
    clean = tmp_path / "clean.jsonl"
    assert sorted(p.name for p in killed.iterdir()) == sorted(p.name for p in clean.iterdir())
    for path in clean.iterdir():
        assert (killed / path.name).read_bytes() == path.read_bytes(), path.name


def parquet_input(folder: Path, rows: List[Dict[str, Any]], per_file: int) -> Path:
    """``rows`` in Parquet files of ``per_file`` rows (row groups of 2) in ``folder``."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder.mkdir()
    for start in range(0, len(rows), per_file):
        table = pa.Table.from_pylist(rows[start : start + per_file])
        pq.write_table(table, folder / f"{start // per_file:03d}.parquet", row_group_size=2)
    return folder


def test_parquet_folder_input_and_positions(model, tmp_path):
    pytest.importorskip("pyarrow", reason="Parquet needs pyarrow")
    rows = good_rows(6)
    rows[4] = {"id": "bad", "text": ""}
    folder = parquet_input(tmp_path / "in", rows, per_file=5)
    _, total, notes = run(model, folder, tmp_path / "out.jsonl", partition_size=4)
    assert notes == [f"rejected: {folder / '000.parquet'}, row 5: empty text"]
    assert (total.read, total.annotated, total.rejected) == (6, 5, 1)
    partitions = list(scan(input_files(folder), 4, fail=False))
    assert [(p.first, p.start, p.size) for p in partitions] == [(0, (0, 0, 0), 4), (4, (0, 4, 4), 2)]
    jsonl = write_jsonl(tmp_path / "same.jsonl", rows)
    run(model, jsonl, tmp_path / "same.jsonl.out.jsonl", partition_size=4)
    assert read_output(tmp_path / "out.jsonl") == read_output(tmp_path / "same.jsonl.out.jsonl")


def test_cli_writes_parquet_and_the_summary(model, tmp_path):
    pytest.importorskip("pyarrow", reason="Parquet needs pyarrow")
    source = write_jsonl(tmp_path / "in.jsonl", good_rows(3))
    output = tmp_path / "out.parquet"
    result = CliRunner().invoke(app, ["annotate", str(model), str(source), str(output), "--batch-size", "2"])
    assert result.exit_code == 0, result.output
    assert "read 3 records = annotated 3 + rejected 0" in result.output
    assert [r["id"] for r in read_output(output)] == ["doc0", "doc1", "doc2"]
    result = CliRunner().invoke(app, ["annotate", str(model), str(source), str(tmp_path / "out.csv")])
    assert result.exit_code == 1 and result.output.startswith("✘ ") and "must end in .parquet or .jsonl" in result.output


def test_ray_missing_is_one_clear_error(monkeypatch):
    from spacy_somd.annotate.ray_engine import import_ray

    monkeypatch.setitem(sys.modules, "ray", None)
    with pytest.raises(InputError, match=r"pip install 'spacy-somd\[ray\]'"):
        import_ray()


@pytest.mark.parametrize("kind", ["jsonl", "parquet"])
def test_ray_and_local_write_identical_output(model, tmp_path, ray_cluster, kind):
    rows = good_rows(7) + BAD_ROWS[:2]
    source = write_jsonl(tmp_path / "in.jsonl", rows) if kind == "jsonl" else parquet_input(tmp_path / "in", [r for r in rows if "id" in r], per_file=4)
    _, local_total, _ = run(model, source, tmp_path / "local.parquet", partition_size=3)
    _, ray_total, _ = run(model, source, tmp_path / "ray.parquet", partition_size=3, engine="ray")
    assert ray_total.to_dict() == local_total.to_dict() and ray_total.annotated == 7
    assert read_output(tmp_path / "ray.parquet") == read_output(tmp_path / "local.parquet")
    for path in (tmp_path / "local.parquet").glob("_part-*.json"):
        assert (tmp_path / "ray.parquet" / path.name).read_text() == path.read_text()


def test_int8_reaches_the_ray_actors(default_pipeline, tmp_path, ray_cluster):
    """``int8``: the Ray actors load the backbone int8 as the local engine does (the same
    output), and int8 changes the output (the categories' probabilities)."""
    source = write_jsonl(tmp_path / "in.jsonl", good_rows(4))
    outputs = {}
    for name, settings in {"fp32": {}, "int8": {"int8": True}, "ray int8": {"int8": True, "engine": "ray"}}.items():
        run(default_pipeline, source, tmp_path / f"{name}.jsonl", **settings)
        outputs[name] = read_output(tmp_path / f"{name}.jsonl")
    assert outputs["ray int8"] == outputs["int8"] != outputs["fp32"]


@pytest.mark.parametrize("damage", ["missing", "config"])
def test_a_model_that_fails_to_load_on_ray_is_one_line_and_leaves_nothing_behind(rule_pipeline, tmp_path, ray_cluster, damage):
    """The ray engine checks that the model loads (in a task on the cluster) before any
    actor starts: one line naming the model and the reason, exit 1, no traceback, and no
    folder or manifest left behind; the corrected command then runs."""
    import shutil

    model = damaged_model(rule_pipeline, tmp_path, damage)
    source = write_jsonl(tmp_path / "in.jsonl", good_rows(3))
    output = tmp_path / "new" / "out.jsonl"
    args = ["annotate", str(model), str(source), str(output), "--engine", "ray"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 1 and "Traceback" not in result.output and "RayTaskError" not in result.output
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(f"✘ cannot load the pipeline {str(model)!r}: ")
    assert not (tmp_path / "new").exists()
    shutil.rmtree(model, ignore_errors=True)
    shutil.copytree(rule_pipeline, model)
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "read 3 records = annotated 3 + rejected 0" in result.output


def fails_on_the_cluster(text: str) -> None:
    raise ValueError(f"a reason\nover two lines: {text}")


def test_an_error_raised_on_the_cluster_is_its_last_line(ray_cluster):
    """What an actor or task raised is said in the one line that names it, without Ray's
    traceback."""
    from spacy_somd.annotate.ray_engine import root_cause

    with pytest.raises(ray_cluster.exceptions.RayError) as caught:
        ray_cluster.get(ray_cluster.remote(fails_on_the_cluster).remote("the root cause"))
    assert 'raise ValueError(f"a reason' in str(caught.value)
    assert root_cause(caught.value) == "ValueError: a reason over two lines: the root cause"


POISON = '{"id": "doc6543", "text": "SPSS 22 and a lone surrogate \\ud800 that no file can hold"}'


@pytest.mark.slow
@pytest.mark.parametrize("engine", ["local", "ray"])
def test_one_poison_record_among_10000_costs_that_record_only(rule_pipeline, tmp_path, request, engine):
    """10,000 short records, one of them poison (a lone surrogate that no output file can
    hold): exactly that record is rejected, with its position and reason, and the 9,999
    others are annotated, in order; read = annotated + rejected in the summary, and the
    counts are those of the files."""
    if engine == "ray":
        request.getfixturevalue("ray_cluster")
    rows: List[Any] = good_rows(10_000)
    rows[6543] = POISON
    source = write_jsonl(tmp_path / "in.jsonl", rows)
    output = tmp_path / "out.jsonl"
    start = time.perf_counter()
    _, total, notes = run(rule_pipeline, source, output, engine=engine)
    print(f"\n{engine}: 10,000 records in {time.perf_counter() - start:.1f} s")
    reason = "text not valid Unicode (a lone surrogate '\\ud800' at character 30)"
    assert notes == [f"rejected: {source}, line 6544: {reason}"]
    rejects = [json.loads(line) for line in (tmp_path / "out.rejects.jsonl").read_text(encoding="utf-8").splitlines()]
    assert rejects == [{"position": f"{source}, line 6544", "id": "doc6543", "reason": reason}]
    summary = json.loads((tmp_path / "out.summary.json").read_text(encoding="utf-8"))
    assert (summary["read"], summary["annotated"], summary["rejected"], summary["partitions"]) == (10_000, 9_999, 1, 10)
    assert summary["read"] == summary["annotated"] + summary["rejected"] == len(rows)
    records = read_output(output)
    assert [r["id"] for r in records] == [f"doc{i}" for i in range(10_000) if i != 6543]
    assert summary["sentences"] == sum(len(r["sentences"]) for r in records) and summary["rejected"] == len(rejects)
    assert len(list(output.glob("part-*.jsonl"))) == len(list(output.glob("_part-*.json"))) == 10


def test_a_batch_token_budget_below_one_is_one_line(model, tmp_path):
    source = write_jsonl(tmp_path / "in.jsonl", good_rows(2))
    result = CliRunner().invoke(app, ["annotate", str(model), str(source), str(tmp_path / "out.jsonl"), "--batch-tokens", "0"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.stderr.strip().splitlines() == [
        "✘ --batch-size, --batch-tokens, --n-process, --num-workers and --partition-size must be at least 1, --num-gpus-per-worker at least 0"
    ]
    assert not (tmp_path / "out.jsonl").exists()
    result = CliRunner().invoke(app, ["annotate", str(model), str(source), str(tmp_path / "out.jsonl"), "--batch-tokens", "8"])
    assert result.exit_code == 0, result.output
    assert [r["id"] for r in read_output(tmp_path / "out.jsonl")] == ["doc0", "doc1"]
