"""`annotate` with a tiny trained pipeline that has the usage component: every software
entity's probabilities and flags in the records (JSONL and Parquet alike), and the mentions
flagged created and shared per software in the software table."""

import json
from pathlib import Path

import pytest
import spacy
from thinc.api import Adam

from spacy_somd.annotate.outputs import read_output
from spacy_somd.annotate.run import Settings, annotate_input
from spacy_somd.labels import USAGE_FLAGS
from tests.builders.annotate import write_jsonl
from tests.pipeline.usage.test_pipe import SMALL_MODEL, toy_examples

PATTERNS = [{"label": "Application", "pattern": name} for name in ("SPSS", "Fiji", "Stata", "Excel", "Gromacs")] + [{"label": "Version", "pattern": "2"}]
TEXTS = ["we used SPSS here. we wrote Fiji here.", "we released Stata here", "they used Excel today and version 2 of it", "nothing here"]


@pytest.fixture(scope="module")
def usage_model(tmp_path_factory) -> Path:
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    ruler = nlp.add_pipe("entity_ruler")
    nlp.add_pipe("somd_software_usage", config={"model": SMALL_MODEL})
    examples = toy_examples(nlp)
    nlp.initialize(lambda: examples)
    ruler.add_patterns(PATTERNS)  # after initialize, which empties the ruler
    optimizer = Adam(0.01)
    for _ in range(60):
        nlp.update(examples, sgd=optimizer, drop=0.0)
    path = tmp_path_factory.mktemp("usage") / "model"
    nlp.to_disk(path)
    return path


@pytest.mark.parametrize("suffix", [".jsonl", ".parquet"])
def test_records_and_the_software_table_carry_the_flags(usage_model, tmp_path, suffix):
    if suffix == ".parquet":
        pytest.importorskip("pyarrow")
    source = write_jsonl(tmp_path / "in.jsonl", [{"id": f"r{i}", "text": text} for i, text in enumerate(TEXTS)])
    output = tmp_path / f"out{suffix}"
    annotate_input(str(usage_model), source, output, Settings(partition_size=2), lambda *args: None)
    records = read_output(output)
    entities = {(r["id"], e["text"]): e for r in records for e in r["entities"]}
    assert "usage" not in entities[("r2", "2")] and "usage_flags" not in entities[("r2", "2")]
    flags = {key: e["usage_flags"] for key, e in entities.items() if "usage" in e}
    assert flags == {("r0", "SPSS"): ["used"], ("r0", "Fiji"): ["created"], ("r1", "Stata"): ["shared"], ("r2", "Excel"): ["used"]}
    assert all(set(e["usage"]) == set(USAGE_FLAGS) for key, e in entities.items() if key in flags)
    table = (tmp_path / "out.software.tsv").read_text().splitlines()
    assert table[0] == "name\ttype\tmentions\tversions\tcreated\tshared"
    rows = {line.split("\t")[0]: line.split("\t")[4:] for line in table[1:]}
    assert rows == {"SPSS": ["0", "0"], "Fiji": ["1", "0"], "Stata": ["0", "1"], "Excel": ["0", "0"]}
    summary = json.loads((tmp_path / "out.summary.json").read_text())
    assert "software_flags" not in summary and summary["entities"]["Application"] == 4


def test_without_usage_flags_the_software_table_keeps_its_four_columns():
    from spacy_somd.annotate.summary import RunCounts, software_tsv

    counts = RunCounts()
    counts.add_software(("SPSS", "Application"), 2, {"22"})
    assert software_tsv(counts) == "name\ttype\tmentions\tversions\nSPSS\tApplication\t2\t22\n"
    restored = RunCounts.from_dict({**counts.to_dict(), "software_flags": [["SPSS", "Application", {"created": 1}]]})
    assert software_tsv(restored).splitlines() == ["name\ttype\tmentions\tversions\tcreated\tshared", "SPSS\tApplication\t2\t22\t1\t0"]
    old = counts.to_dict()
    del old["software_flags"]  # counts written before the flags existed still read
    assert RunCounts.from_dict(old).flagged == {}
