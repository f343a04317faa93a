"""Reading the SOMD files (``spacy_somd.corpus.format``): exact tokens, entities and
relations, every kind of bad input named by file and line, the lenient repairs, and the
shared corpus's counts."""

import pytest

from spacy_somd.corpus.format import SomdFormatError, read_corpus_dir
from spacy_somd.corpus.stats import CorpusStats
from tests.builders import SHARED_CORPUS
from tests.builders.corpus import ENTITIES, RELATIONS, TEXTS, replace, write_lines


def test_reads_exact_tokens_entities_relations(tmp_path):
    sentences, repairs = read_corpus_dir(write_lines(tmp_path))
    assert repairs == []
    assert [s.words for s in sentences] == [t.split(" ") for t in TEXTS]
    assert sentences[2].relations == [("Version_of", 1, 0), ("PlugIn_of", 3, 0), ("Citation_of", 4, 3)]
    assert [s.line for s in sentences] == [1, 2, 3, 4, 5]


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
        read_corpus_dir(write_lines(tmp_path, **changes))
    assert err.value.path.name == file and err.value.line == line
    assert problem in err.value.problem


def test_undecodable_utf8_names_the_line(tmp_path):
    data = ("\n".join(TEXTS[:3]) + "\n").encode() + b"Caf\xe9 here either .\n" + TEXTS[4].encode() + b"\n"
    with pytest.raises(SomdFormatError) as err:
        read_corpus_dir(write_lines(tmp_path, raw={"texts": data}))
    assert (err.value.path.name, err.value.line) == ("train_texts.txt", 4)
    assert "UTF-8" in err.value.problem


def test_lenient_repairs_and_reports_each_repair(tmp_path):
    folder = write_lines(
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
    folder = write_lines(tmp_path, entities=replace(ENTITIES, 1, "O B-Software O O"), relations=replace(RELATIONS, 4, "URL_of\t2\t5"))
    result = read_corpus_dir(folder, lenient=True)
    assert [s.line for s in result.sentences] == [1, 3, 4, 5]
    assert result.sentences[3].relations == []
    assert [(n.path.name, n.line, n.action, n.item) for n in result.notes] == [
        ("train_entities.txt", 2, "skipped", None),
        ("train_relations.txt", 5, "skipped", 1),
    ]
    assert "not at an entity's first token" in result.notes[1].reason
    assert (result.read, result.kept, result.repaired, result.skipped) == (5, 3, 1, 1)


@pytest.mark.skipif(not SHARED_CORPUS.is_dir(), reason="no shared corpus")
def test_shared_corpus_counts_match_its_readme():
    sentences, repairs = read_corpus_dir(SHARED_CORPUS)
    stats = CorpusStats.of(sentences)
    assert repairs == []
    assert (stats.sentences, stats.tokens, stats.entity_free) == (1149, 32153, 112)
    assert sum(stats.relations.values()) == 2551
    assert stats.entities["Application"] == 1232 and stats.entities["AlternativeName"] == 14
