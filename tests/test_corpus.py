"""SOMD files <-> Docs: exact tokens, entities, relations, folds, and every kind of bad input."""

import subprocess
import sys
from pathlib import Path
from typing import Optional

import pytest
import spacy
from spacy.tokens import DocBin

from spacy_somd.corpus.docs import doc_to_lines
from spacy_somd.corpus.folds import fold_docbins, read_fold_docs
from spacy_somd.corpus.format import SomdFormatError, read_corpus_dir
from spacy_somd.corpus.stats import CorpusStats
from spacy_somd.labels import RELATIONS_ATTR, ensure_extensions

TEXTS = [
    "We used SPSS version 22 ( IBM ) .",
    "No software here .",
    "R 4.0.3 with lme4 [ 12 ] .",
    "Nothing here either .",
    "Data from http://x.org via ArcView GIS .",
]
ENTITIES = [
    "O O B-Application O B-Version O B-Developer O O",
    "O O O O",
    "B-ProgrammingEnvironment B-Version O B-PlugIn B-Citation I-Citation I-Citation O",
    "O O O O",
    "O O B-URL O B-Application I-Application O",
]
RELATIONS = [
    "Version_of\t4\t2; Developer_of\t6\t2",
    "",
    "Version_of\t1\t0; PlugIn_of\t3\t0; Citation_of\t4\t3",
    "",
    "URL_of\t2\t4",
]


def write(folder: Path, texts=TEXTS, entities=ENTITIES, relations=RELATIONS, raw: Optional[dict] = None) -> Path:
    """Write the three training files (``raw`` overrides a file with exact bytes)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, lines in (("texts", texts), ("entities", entities), ("relations", relations)):
        path = folder / f"train_{name}.txt"
        data = (raw or {}).get(name)
        path.write_bytes(data if data is not None else ("\n".join(lines) + "\n").encode("utf-8"))
    return folder


def replace(lines, index, value):
    return [value if i == index else line for i, line in enumerate(lines)]


def test_reads_exact_tokens_entities_relations(tmp_path):
    sentences, repairs = read_corpus_dir(write(tmp_path))
    assert repairs == []
    assert [s.words for s in sentences] == [t.split(" ") for t in TEXTS]
    assert sentences[2].relations == [("Version_of", 1, 0), ("PlugIn_of", 3, 0), ("Citation_of", 4, 3)]
    assert [s.line for s in sentences] == [1, 2, 3, 4, 5]


def test_docbin_round_trip_keeps_everything(tmp_path):
    sentences, _ = read_corpus_dir(write(tmp_path))
    nlp = spacy.blank("en")
    bins = fold_docbins(nlp.vocab, sentences, 4)
    for k, docbin in enumerate(bins):
        docbin.to_disk(tmp_path / f"fold{k}.spacy")
    docs = read_fold_docs(tmp_path, nlp.vocab, 4, range(4))
    assert [doc_to_lines(d) for d in docs] == list(zip(TEXTS, ENTITIES, RELATIONS))
    assert [d._.somd_line for d in docs] == [1, 2, 3, 4, 5]
    citation = [e for e in docs[2].ents if e.label_ == "Citation"][0]
    assert citation.text == "[ 12 ]"


def test_stats_count_what_was_read(tmp_path):
    sentences, _ = read_corpus_dir(write(tmp_path))
    stats = CorpusStats.of(sentences)
    assert (stats.sentences, stats.tokens, stats.entity_free) == (5, 32, 2)
    assert stats.entities["Version"] == 2 and stats.entities["Application"] == 2
    assert sum(stats.relations.values()) == 6


BAD_INPUTS = [
    ("token/label count", {"entities": replace(ENTITIES, 2, "O O")}, "train_entities.txt", 3, "2 labels for 8 tokens"),
    ("unknown label", {"entities": replace(ENTITIES, 1, "O B-Software O O")}, "train_entities.txt", 2, "unknown label"),
    ("bad prefix", {"entities": replace(ENTITIES, 1, "O X-URL O O")}, "train_entities.txt", 2, "unknown label"),
    ("orphan I-X", {"entities": replace(ENTITIES, 1, "O I-URL O O")}, "train_entities.txt", 2, "does not continue"),
    ("I-X after B-Y", {"entities": replace(ENTITIES, 1, "B-Developer I-URL O O")}, "train_entities.txt", 2, "does not continue"),
    ("line counts", {"relations": RELATIONS[:4]}, "train_relations.txt", 5, "has 4 lines"),
    ("relation item", {"relations": replace(RELATIONS, 4, "URL_of 2 4")}, "train_relations.txt", 5, "not Type<TAB>int<TAB>int"),
    ("relation type", {"relations": replace(RELATIONS, 4, "Runs_on\t2\t4")}, "train_relations.txt", 5, "unknown relation type"),
    ("index out of range", {"relations": replace(RELATIONS, 4, "URL_of\t2\t40")}, "train_relations.txt", 5, "out of range"),
    ("index not at start", {"relations": replace(RELATIONS, 4, "URL_of\t2\t5")}, "train_relations.txt", 5, "not at an entity's first token"),
    ("double space", {"texts": replace(TEXTS, 3, "Nothing  here either .")}, "train_texts.txt", 4, "empty token"),
    ("tab in a texts line", {"texts": replace(TEXTS, 3, "Nothing here\teither .")}, "train_texts.txt", 4, "a tab (U+0009)"),
]


@pytest.mark.parametrize("name,changes,file,line,problem", BAD_INPUTS, ids=[b[0] for b in BAD_INPUTS])
def test_bad_input_names_file_and_line(tmp_path, name, changes, file, line, problem):
    with pytest.raises(SomdFormatError) as err:
        read_corpus_dir(write(tmp_path, **changes))
    assert err.value.path.name == file and err.value.line == line
    assert problem in err.value.problem


def test_undecodable_utf8_names_the_line(tmp_path):
    data = ("\n".join(TEXTS[:3]) + "\n").encode() + b"Caf\xe9 here either .\n" + TEXTS[4].encode() + b"\n"
    with pytest.raises(SomdFormatError) as err:
        read_corpus_dir(write(tmp_path, raw={"texts": data}))
    assert (err.value.path.name, err.value.line) == ("train_texts.txt", 4)
    assert "UTF-8" in err.value.problem


def test_lenient_repairs_and_reports_each_repair(tmp_path):
    folder = write(
        tmp_path,
        entities=replace(ENTITIES, 4, "O O I-URL O B-Application I-Application O"),
        relations=replace(RELATIONS, 0, "Version_of\t4\t2;   Developer_of 6 2"),
    )
    with pytest.raises(SomdFormatError):
        read_corpus_dir(folder)
    result = read_corpus_dir(folder, lenient=True)
    notes = result.notes
    assert [(n.path.name, n.line, n.action, n.item) for n in notes] == [
        ("train_relations.txt", 1, "repaired", 2),
        ("train_relations.txt", 1, "repaired", 2),
        ("train_entities.txt", 5, "repaired", None),
    ]
    assert "read as B-URL" in notes[2].reason
    assert result.sentences[4].labels[2] == "B-URL"
    assert result.sentences[0].relations == [("Version_of", 4, 2), ("Developer_of", 6, 2)]
    assert (result.read, result.kept, result.repaired, result.skipped) == (5, 3, 2, 0)


def test_lenient_leaves_out_what_it_cannot_repair(tmp_path):
    folder = write(
        tmp_path,
        entities=replace(ENTITIES, 1, "O B-Software O O"),
        relations=replace(RELATIONS, 4, "URL_of\t2\t5"),
    )
    result = read_corpus_dir(folder, lenient=True)
    assert [s.line for s in result.sentences] == [1, 3, 4, 5]
    assert result.sentences[3].relations == []
    assert [(n.path.name, n.line, n.action, n.item) for n in result.notes] == [
        ("train_entities.txt", 2, "skipped", None),
        ("train_relations.txt", 5, "skipped", 1),
    ]
    assert "not at an entity's first token" in result.notes[1].reason
    assert (result.read, result.kept, result.repaired, result.skipped) == (5, 3, 1, 1)


def run_convert(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "spacy_somd", "convert", *args], capture_output=True, text=True)


def test_convert_cli_reports_counts_and_writes_folds(tmp_path):
    out = tmp_path / "corpus"
    result = run_convert(str(write(tmp_path / "src")), str(out))
    assert result.returncode == 0, result.stderr
    assert "5 sentences, 32 tokens, 9 entities, 6 relations, 2 sentences without any entity" in " ".join(result.stdout.split())
    assert sorted(p.name for p in out.iterdir()) == [*(f"fold{k}.spacy" for k in range(4)), "folds.json"]
    docs = list(DocBin().from_disk(out / "fold0.spacy").get_docs(spacy.blank("en").vocab))
    ensure_extensions()
    assert list(docs[0]._.get(RELATIONS_ATTR)) == [
        {"head": 4, "tail": 2, "label": "Version_of"},
        {"head": 6, "tail": 2, "label": "Developer_of"},
    ]


def test_convert_cli_fails_on_bad_input_without_partial_output(tmp_path):
    out = tmp_path / "corpus"
    result = run_convert(str(write(tmp_path / "src", relations=RELATIONS[:4])), str(out))
    assert result.returncode == 1
    assert "train_relations.txt, line 5: has 4 lines" in result.stderr
    assert not out.exists() or not any(out.iterdir())


def test_convert_cli_lenient_lists_repairs(tmp_path):
    src = write(tmp_path / "src", entities=replace(ENTITIES, 1, "O I-URL O O"))
    result = run_convert(str(src), str(tmp_path / "out"), "--lenient")
    assert result.returncode == 0, result.stdout
    assert "train_entities.txt, line 2: repaired" in result.stdout
    assert "read 5 sentences = 4 kept + 1 repaired + 0 skipped" in " ".join(result.stdout.split())


@pytest.mark.skipif(not Path(__file__).parents[2].joinpath("shared/somd2025").is_dir(), reason="no shared corpus")
def test_shared_corpus_counts_match_its_readme():
    sentences, repairs = read_corpus_dir(Path(__file__).parents[2] / "shared/somd2025")
    stats = CorpusStats.of(sentences)
    assert repairs == []
    assert (stats.sentences, stats.tokens, stats.entity_free) == (1149, 32153, 112)
    assert sum(stats.relations.values()) == 2551
    assert stats.entities["Application"] == 1232 and stats.entities["AlternativeName"] == 14
