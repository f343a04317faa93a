"""Every row of the "Bad input" table (docs/bad-input.md): what strict and lenient `convert` do with it.

Strict: exit 1, one line naming the file and the 1-based line, no traceback, nothing
written. Lenient: the repair or skip is in the report file, and read = kept + repaired +
skipped (or, for the rows lenient cannot read past, the same one-line error)."""

import json
import re
from pathlib import Path
from typing import Dict, List, NamedTuple, Optional, Tuple

import pytest
from typer.testing import CliRunner

from spacy_somd.cli import app
from spacy_somd.corpus.convert import CONVERT_REPORT
from spacy_somd.corpus.folds import FOLD_MANIFEST
from spacy_somd.corpus.format import FILE_NAMES, SomdFormatError, read_corpus_dir
from tests.builders import ROOT
from tests.builders.corpus import ENTITIES, RELATIONS, TEXTS

LINES = {"texts": TEXTS, "entities": ENTITIES, "relations": RELATIONS}
SUMMARY = re.compile(r"read (\d+) sentences = (\d+) kept \+ (\d+) repaired \+ (\d+) skipped")


class Lenient(NamedTuple):
    """What lenient mode does: a report row (action, file, line, item, reason) and the
    (kept, repaired, skipped) counts; ``action`` "error" when it stops like strict mode."""

    action: str
    file: str = ""
    line: int = 0
    item: Optional[int] = None
    reason: str = ""
    counts: Tuple[int, int, int] = (0, 0, 0)


class Row(NamedTuple):
    name: str
    edits: Dict[Tuple[str, int], str]  # (file key, 1-based line) -> new line
    raw: Dict[str, bytes]  # file key -> exact bytes
    file: str  # strict mode: the file and line named, and a piece of the message
    line: int
    problem: str
    lenient: Lenient


def row(name, file, line, problem, lenient, edits=None, raw=None) -> Row:
    return Row(name, edits or {}, raw or {}, FILE_NAMES[file], line, problem, lenient)


def corpus(edits: Dict[Tuple[str, int], str]) -> Dict[str, List[str]]:
    return {key: [edits.get((key, n), text) for n, text in enumerate(lines, start=1)] for key, lines in LINES.items()}


def encoded(edits=None, ending="\n") -> Dict[str, bytes]:
    return {key: "".join(f"{text}{ending}" for text in lines).encode("utf-8") for key, lines in corpus(edits or {}).items()}


def repaired(file, line, reason, item=None, counts=(4, 1, 0)) -> Lenient:
    return Lenient("repaired", FILE_NAMES[file], line, item, reason, counts)


def skipped(file, line, reason, item=None) -> Lenient:
    return Lenient("skipped", FILE_NAMES[file], line, item, reason, (4, 0, 1) if item is None else (4, 1, 0))


ERROR = Lenient("error")
TEXTS_BYTES = encoded()["texts"]

ROWS = [
    row("token/label count mismatch", "entities", 3, "2 labels for 8 tokens", skipped("entities", 3, "2 labels for 8 tokens"), {("entities", 3): "O O"}),
    row(
        "unknown label", "entities", 2, "unknown label 'B-Software' at token 1", skipped("entities", 2, "unknown label"), {("entities", 2): "O B-Software O O"}
    ),
    row(
        "I-X not continuing an X",
        "entities",
        2,
        "I-URL at token 1 does not continue a URL entity",
        repaired("entities", 2, "read as B-URL"),
        {("entities", 2): "O I-URL O O"},
    ),
    row(
        "I-X after B-Y",
        "entities",
        2,
        "I-URL at token 1 does not continue",
        repaired("entities", 2, "read as B-URL"),
        {("entities", 2): "B-Developer I-URL O O"},
    ),
    row(
        "relation items: run of spaces",
        "relations",
        1,
        "white space before item 2",
        repaired("relations", 1, "run of spaces", item=2),
        {("relations", 1): "Version_of\t4\t2;  Developer_of\t6\t2"},
    ),
    row(
        "relation items: leading space",
        "relations",
        5,
        "white space before item 1",
        repaired("relations", 5, "white space before item 1", item=1),
        {("relations", 5): " URL_of\t2\t4"},
    ),
    row(
        "relation items: trailing space",
        "relations",
        5,
        "white space after item 1",
        repaired("relations", 5, "white space after item 1", item=1),
        {("relations", 5): "URL_of\t2\t4 "},
    ),
    row(
        "relation items: ;;",
        "relations",
        1,
        "item 2 is empty (';;')",
        repaired("relations", 1, "empty", item=2),
        {("relations", 1): "Version_of\t4\t2;; Developer_of\t6\t2"},
    ),
    row("relation items: trailing ;", "relations", 5, "a trailing ';'", repaired("relations", 5, "trailing ';'", item=2), {("relations", 5): "URL_of\t2\t4;"}),
    row(
        "relation items: other separators",
        "relations",
        5,
        "item 1 'URL_of 2 4' is not Type<TAB>int<TAB>int",
        repaired("relations", 5, "other separators", item=1),
        {("relations", 5): "URL_of 2 4"},
    ),
    row(
        "relation items: a line of white space", "relations", 2, "only white space", repaired("relations", 2, "read as no relations"), {("relations", 2): "  "}
    ),
    row(
        "relation item: not Type<TAB>int<TAB>int",
        "relations",
        5,
        "relation item 2: 'URL_of' is not Type<TAB>int<TAB>int",
        skipped("relations", 5, "is not Type<TAB>int<TAB>int", item=2),
        {("relations", 5): "URL_of\t2\t4; URL_of"},
    ),
    row(
        "relation index out of range",
        "relations",
        5,
        "relation item 1: 'URL_of\\t2\\t40': tail index 40 is out of range",
        skipped("relations", 5, "out of range", item=1),
        {("relations", 5): "URL_of\t2\t40"},
    ),
    row(
        "relation index negative", "relations", 5, "head index -2 is negative", skipped("relations", 5, "negative", item=1), {("relations", 5): "URL_of\t-2\t4"}
    ),
    row(
        "relation index not an integer",
        "relations",
        5,
        "index 'x' is not an integer",
        skipped("relations", 5, "not an integer", item=1),
        {("relations", 5): "URL_of\t2\tx"},
    ),
    row(
        "relation index in full-width digits",
        "relations",
        5,
        "relation item 1: 'URL_of\\t２\\t4': index '２' is not written in ASCII digits (0-9)",
        skipped("relations", 5, "ASCII digits", item=1),
        {("relations", 5): "URL_of\t２\t4"},
    ),
    row(
        "relation index in full-width digits, a valid item beside it",
        "relations",
        1,
        "relation item 2: 'Developer_of\\t６\\t２': index '６' is not written in ASCII digits (0-9)",
        skipped("relations", 1, "ASCII digits", item=2),
        {("relations", 1): "Version_of\t4\t2; Developer_of\t６\t２"},
    ),
    row(
        "relation index of 5000 digits",
        "relations",
        5,
        "relation item 1: tail index of 5000 digits is out of range (the sentence has",
        skipped("relations", 5, "5000 digits", item=1),
        {("relations", 5): "URL_of\t2\t" + "4" * 5000},
    ),
    row(
        "relation index not at an entity start",
        "relations",
        5,
        "tail index 5 is not at an entity's first token (label I-Application)",
        skipped("relations", 5, "not at an entity's first token", item=1),
        {("relations", 5): "URL_of\t2\t5"},
    ),
    row(
        "relation index on an O token",
        "relations",
        5,
        "tail index 3 is on an O token",
        skipped("relations", 5, "on an O token", item=1),
        {("relations", 5): "URL_of\t2\t3"},
    ),
    row(
        "unknown relation type",
        "relations",
        5,
        "unknown relation type 'Runs_on'",
        skipped("relations", 5, "unknown relation type", item=1),
        {("relations", 5): "Runs_on\t2\t4"},
    ),
    row(
        "duplicate relation",
        "relations",
        5,
        "item 2 repeats item 1",
        repaired("relations", 5, "dropped the repeat", item=2),
        {("relations", 5): "URL_of\t2\t4; URL_of\t2\t4"},
    ),
    row(
        "conflicting relations (one pair, two labels)",
        "relations",
        1,
        "item 2 (Developer_of 4 2) conflicts with item 1",
        skipped("relations", 1, "conflicts", item=2),
        {("relations", 1): "Version_of\t4\t2; Developer_of\t4\t2"},
    ),
    row("self-relation", "relations", 5, "self-relation", skipped("relations", 5, "self-relation", item=1), {("relations", 5): "URL_of\t4\t4"}),
    row(
        "files with different line counts",
        "relations",
        5,
        "has 4 lines but train_texts.txt has 5",
        ERROR,
        raw={"relations": "".join(f"{r}\n" for r in RELATIONS[:4]).encode()},
    ),
    row("CRLF line ends", "texts", 1, "carriage return (CRLF)", repaired("texts", 3, "carriage return (CRLF)", counts=(0, 5, 0)), raw=encoded(ending="\r\n")),
    row(
        "CR-only line ends",
        "texts",
        1,
        "a carriage return without a newline (CR-only line ends)",
        repaired("texts", 3, "CR-only line ends", counts=(0, 5, 0)),
        raw=encoded(ending="\r"),
    ),
    row(
        "byte-order mark",
        "texts",
        1,
        "the file starts with a byte-order mark",
        repaired("texts", 1, "byte-order mark"),
        raw={"texts": b"\xef\xbb\xbf" + TEXTS_BYTES},
    ),
    row(
        "undecodable bytes",
        "texts",
        4,
        "not valid UTF-8 (byte 4 of the line)",
        skipped("texts", 4, "not valid UTF-8"),
        raw={"texts": TEXTS_BYTES.replace(b"Nothing", b"Not\xe9ing")},
    ),
    row("empty file", "relations", 1, "the file is empty", ERROR, raw={"relations": b""}),
    row("no final newline", "texts", 5, "no newline at the end of the file", repaired("texts", 5, "read the line as it is"), raw={"texts": TEXTS_BYTES[:-1]}),
    row(
        "tab inside a texts line",
        "texts",
        4,
        "a tab (U+0009) at column 8, in token 0 'Nothing\\there'",
        skipped("texts", 4, "a tab"),
        {("texts", 4): "Nothing\there either ."},
    ),
    row(
        "trailing tab on a texts line",
        "texts",
        4,
        "a tab (U+0009) at column 22, in token 3",
        repaired("texts", 4, "removed the white space at the ends"),
        {("texts", 4): "Nothing here either .\t"},
    ),
    row(
        "no-break space inside a texts line",
        "texts",
        4,
        "a no-break space (U+00A0) at column 8",
        skipped("texts", 4, "no-break space"),
        {("texts", 4): "Nothing\u00a0here either ."},
    ),
    row(
        "carriage return inside a texts line",
        "texts",
        4,
        "a carriage return (U+000D) at column 8",
        skipped("texts", 4, "carriage return"),
        {("texts", 4): "Nothing\rhere either ."},
    ),
    row(
        "double space inside a texts line",
        "texts",
        4,
        "double space at column 8 (an empty token)",
        repaired("texts", 4, "ignored the extra spaces"),
        {("texts", 4): "Nothing  here either ."},
    ),
]


def write_files(folder: Path, edits=None, raw=None) -> Path:
    """The base corpus with ``edits`` (lines) and ``raw`` (whole files) applied."""
    folder.mkdir(parents=True, exist_ok=True)
    files = {**encoded(edits), **(raw or {})}
    for key, data in files.items():
        (folder / FILE_NAMES[key]).write_bytes(data)
    return folder


def convert(*args: str):
    return CliRunner().invoke(app, ["convert", *map(str, args)])


def assert_one_line_error(result, file: str, line: int, problem: str) -> None:
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output + result.stderr
    (message,) = result.stderr.strip().splitlines()
    assert f"{file}, line {line}: " in message and problem in message, message


@pytest.mark.parametrize("case", ROWS, ids=[r.name for r in ROWS])
def test_strict_names_file_and_line_and_writes_nothing(tmp_path, case):
    src = write_files(tmp_path / "src", case.edits, case.raw)
    with pytest.raises(SomdFormatError) as err:
        read_corpus_dir(src)
    assert (err.value.path.name, err.value.line) == (case.file, case.line)
    out = tmp_path / "out"
    assert_one_line_error(convert(src, out), case.file, case.line, case.problem)
    assert not out.exists() or not any(out.iterdir())


@pytest.mark.parametrize("case", ROWS, ids=[r.name for r in ROWS])
def test_lenient_reports_the_repair_or_skip_and_counts_add_up(tmp_path, case):
    src, out, expected = write_files(tmp_path / "src", case.edits, case.raw), tmp_path / "out", case.lenient
    result = convert(src, out, "--lenient", "--n-folds", "2")  # folds of 2 lines or more: one skip empties none
    if expected.action == "error":
        assert_one_line_error(result, case.file, case.line, case.problem)
        assert not out.exists() or not any(out.iterdir())
        return
    assert result.exit_code == 0, result.output
    report = [json.loads(line) for line in (out / CONVERT_REPORT).read_text(encoding="utf-8").splitlines()]
    assert any(
        (Path(r["file"]).name, r["line"], r["action"], r["item"]) == (expected.file, expected.line, expected.action, expected.item)
        and expected.reason in r["reason"]
        for r in report
    ), report
    read, kept, fixed, skipped_ = map(int, SUMMARY.search(" ".join(result.stdout.split())).groups())
    assert read == len(TEXTS) == kept + fixed + skipped_
    assert (kept, fixed, skipped_) == expected.counts
    assert json.loads((out / FOLD_MANIFEST).read_text())["sentences"] == kept + fixed
    sentences, notes = read_corpus_dir(src, lenient=True)
    assert len({n.line for n in notes}) == fixed + skipped_


def test_lenient_relations_after_duplicate_and_conflict(tmp_path):
    """A repeated item is dropped once; every item of a conflicting pair is left out."""
    edits = {("relations", 1): "Version_of\t4\t2; Developer_of\t4\t2; Version_of\t4\t2; Developer_of\t6\t2"}
    sentences, notes = read_corpus_dir(write_files(tmp_path, edits), lenient=True)
    assert sentences[0].relations == [("Developer_of", 6, 2)]
    assert sorted((n.action, n.item) for n in notes) == [("repaired", 3), ("skipped", 1), ("skipped", 2)]


def test_stale_folds_are_replaced_and_other_files_kept(tmp_path):
    src, out = write_files(tmp_path / "src"), tmp_path / "out"
    assert convert(src, out, "--n-folds", 5, "--lenient").exit_code == 0  # fold4.spacy, stale after the next convert
    (out / "notes.txt").write_text("mine")
    result = convert(src, out, "--n-folds", 4)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == sorted([FOLD_MANIFEST, *(f"fold{k}.spacy" for k in range(4)), "notes.txt"])
    assert json.loads((out / FOLD_MANIFEST).read_text()) == {"n_folds": 4, "sentences": 5, "files": [f"fold{k}.spacy" for k in range(4)], "sizes": [2, 1, 1, 1]}


@pytest.mark.parametrize("lenient", [False, True], ids=["strict", "lenient"])
def test_empty_corpus_is_an_error(tmp_path, lenient):
    src, out = tmp_path / "src", tmp_path / "out"
    src.mkdir()
    for name in FILE_NAMES.values():
        (src / name).write_bytes(b"")
    assert_one_line_error(convert(src, out, *["--lenient"] * lenient), FILE_NAMES["texts"], 1, "the file is empty")
    assert not out.exists()


def test_lenient_with_every_sentence_skipped_is_an_error(tmp_path):
    src, out = tmp_path / "src", tmp_path / "out"
    write_files(src, {("entities", n): "O" for n in range(1, 6)})
    result = convert(src, out, "--lenient")
    assert result.exit_code == 1 and "no sentences to convert" in result.stderr
    assert "read 5 sentences = 0 kept + 0 repaired + 5 skipped" in " ".join(result.stdout.split())
    assert not out.exists()


@pytest.mark.parametrize("n_folds", [0, -1])
def test_n_folds_below_one_is_one_line(tmp_path, n_folds):
    out = tmp_path / "out"
    result = convert(write_files(tmp_path / "src"), out, "--n-folds", n_folds)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.stderr.strip() == f"✘ --n-folds must be at least 1, not {n_folds}"
    assert not out.exists()


def test_docs_table_names_every_row_and_test():
    page = (ROOT / "docs" / "bad-input.md").read_text(encoding="utf-8")
    table = [line for line in page.split("# Bad input\n", 1)[1].split("\n## ")[0].splitlines() if line.startswith("| ")]
    named = {name for line in table[2:] for name in re.findall(r"`([^`]+)`", line.rsplit("|", 2)[1])}
    assert {case.name for case in ROWS} <= named
    assert all(name in globals() for name in named if name.startswith("test_"))
    assert named - {case.name for case in ROWS} == {name for name in named if name.startswith("test_")}


def test_cr_only_line_ends_are_not_called_crlf(tmp_path):
    src = write_files(tmp_path / "src", raw=encoded(ending="\r"))
    strict = convert(src, tmp_path / "strict")
    assert strict.exit_code == 1 and "CR-only line ends" in strict.stderr and "CRLF" not in strict.stderr
    lenient = convert(src, tmp_path / "lenient", "--lenient")
    assert lenient.exit_code == 0, lenient.output
    report = (tmp_path / "lenient" / CONVERT_REPORT).read_text(encoding="utf-8")
    assert "CR-only line ends" in report and "CRLF" not in report
    sentences, _ = read_corpus_dir(src, lenient=True)
    assert [s.words for s in sentences] == [line.split(" ") for line in TEXTS]


@pytest.mark.parametrize(
    "n_folds,lenient,message",
    [
        ("8", False, "--n-folds 8 but the corpus has 5 sentences: fold 5..7 would be empty"),
        ("6", False, "--n-folds 6 but the corpus has 5 sentences: fold 5 would be empty"),
        ("8", True, "--n-folds 8 but the corpus has 5 sentences: fold 5..7 would be empty"),
    ],
    ids=["strict", "one fold more", "lenient"],
)
def test_more_folds_than_sentences_is_one_line(tmp_path, n_folds, lenient, message):
    out = tmp_path / "out"
    result = convert(write_files(tmp_path / "src"), out, "--n-folds", n_folds, *(["--lenient"] if lenient else []))
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.stderr.strip() == f"✘ {message}"
    assert not out.exists()


@pytest.mark.parametrize(
    "n_folds,skip,message",
    [
        ("4", [3], "--n-folds 4 but every sentence of fold 2 was skipped (line 3): fold 2 would be empty"),
        ("2", [2, 4], "--n-folds 2 but every sentence of fold 1 was skipped (line 2, 4): fold 1 would be empty"),
        ("5", [2, 4], "--n-folds 5 but every sentence of folds 1, 3 was skipped (line 2, 4): folds 1, 3 would be empty"),
    ],
    ids=["one fold", "a fold of two lines", "two folds"],
)
def test_lenient_skipping_every_sentence_of_a_fold_is_one_line(tmp_path, n_folds, skip, message):
    """A fold whose every sentence lenient mode skipped is refused as the --n-folds check
    refuses more folds than sentences: one line naming the fold, nothing written; the
    skips are still listed. Skipping a sentence of a fold that keeps another is fine."""
    src, out = write_files(tmp_path / "src", {("entities", n): "O O" for n in skip}), tmp_path / "out"
    result = convert(src, out, "--n-folds", n_folds, "--lenient")
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.stderr.strip() == f"✘ {message}"
    assert f"read 5 sentences = {5 - len(skip)} kept + 0 repaired + {len(skip)} skipped" in " ".join(result.stdout.split())
    assert not out.exists()
    result = convert(src, out, "--n-folds", "2" if skip == [3] else "3", "--lenient")
    assert result.exit_code == 0, result.output
    assert 0 not in json.loads((out / FOLD_MANIFEST).read_text())["sizes"]
