"""The corpus commands: `convert` (counts, fold files, no partial output on bad input, the
lenient repairs) and `variant` (a valid fold written, bad input one line)."""

import subprocess
import sys

import pytest
import spacy
from spacy.tokens import DocBin
from typer.testing import CliRunner

from spacy_somd.cli import app
from spacy_somd.corpus.format import FILE_NAMES, read_corpus_dir
from spacy_somd.corpus.unseen_names import software_mentions
from spacy_somd.labels import RELATIONS_ATTR, ensure_extensions
from tests.builders.corpus import ENTITIES, RELATIONS, replace, sentence_entities, write_lines


def invoke(*args: str):
    return CliRunner().invoke(app, ["variant", *args])


@pytest.mark.parametrize("kind", ["tokenization", "unseen-names"])
def test_variant_command_writes_a_valid_fold(kind, tiny_corpus, tmp_path):
    out, docbin = tmp_path / "variant", tmp_path / "variant.spacy"
    result = invoke(str(tiny_corpus), str(out), "--kind", kind, "--fold", "2", "--docbin", str(docbin))
    assert result.exit_code == 0, result.output
    original, _ = read_corpus_dir(tiny_corpus)
    fold = [s for s in original if (s.line - 1) % 4 == 2]
    written, _ = read_corpus_dir(out)  # strict: the files are valid SOMD
    assert len(written) == len(fold) == 5
    assert sorted(p.name for p in out.iterdir()) == sorted(FILE_NAMES.values())
    for before, after in zip(fold, written):
        assert [t for _, t in sentence_entities(after)] == [t for _, t in sentence_entities(before)]
        assert [label for label, _, _ in after.relations] == [label for label, _, _ in before.relations]
    assert any(a.words != b.words for a, b in zip(fold, written))
    docs = list(DocBin().from_disk(docbin).get_docs(spacy.blank("en").vocab))
    assert [[t.text for t in d] for d in docs] == [s.words for s in written]
    if kind == "unseen-names":
        vocabulary = {w.lower() for s in original for w in s.words}
        new = [" ".join(s.words[a:b]) for s in written for a, b, _ in software_mentions(s)]
        assert new and not {n.lower() for n in new} & vocabulary


@pytest.mark.parametrize(
    "args,problem",
    [
        (["--kind", "shuffled"], "kind must be one of tokenization, unseen-names, not 'shuffled'"),
        (["--kind", "tokenization", "--fold", "7"], "fold (somd.fold) must be in 0..3 for n_folds 4, not 7"),
    ],
)
def test_variant_command_bad_input_is_one_line(args, problem, tiny_corpus, tmp_path):
    result = invoke(str(tiny_corpus), str(tmp_path / "out"), *args)
    assert result.exit_code == 1 and problem in result.output and "Traceback" not in result.output
    assert not (tmp_path / "out").exists()


def run_convert(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "spacy_somd", "convert", *args], capture_output=True, text=True)


def test_convert_cli_reports_counts_and_writes_folds(tmp_path):
    out = tmp_path / "corpus"
    result = run_convert(str(write_lines(tmp_path / "src")), str(out))
    assert result.returncode == 0, result.stderr
    assert "5 sentences, 32 tokens, 9 entities, 6 relations, 2 sentences without any entity" in " ".join(result.stdout.split())
    assert sorted(p.name for p in out.iterdir()) == [*(f"fold{k}.spacy" for k in range(4)), "folds.json"]
    docs = list(DocBin().from_disk(out / "fold0.spacy").get_docs(spacy.blank("en").vocab))
    ensure_extensions()
    assert list(docs[0]._.get(RELATIONS_ATTR)) == [{"head": 4, "tail": 2, "label": "Version_of"}, {"head": 6, "tail": 2, "label": "Developer_of"}]


def test_convert_cli_fails_on_bad_input_without_partial_output(tmp_path):
    out = tmp_path / "corpus"
    result = run_convert(str(write_lines(tmp_path / "src", relations=RELATIONS[:4])), str(out))
    assert result.returncode == 1
    assert "train_relations.txt, line 5: has 4 lines" in result.stderr
    assert not out.exists() or not any(out.iterdir())


def test_convert_cli_lenient_lists_repairs(tmp_path):
    src = write_lines(tmp_path / "src", entities=replace(ENTITIES, 1, "O I-URL O O"))
    result = run_convert(str(src), str(tmp_path / "out"), "--lenient")
    assert result.returncode == 0, result.stdout
    assert "train_entities.txt, line 2: repaired" in result.stdout
    assert "read 5 sentences = 4 kept + 1 repaired + 0 skipped" in " ".join(result.stdout.split())
