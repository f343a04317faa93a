"""Files written whole or not at all (``spacy_somd.io``)."""

import pytest

from spacy_somd.io import StagedFiles, staged_path, write_all, write_atomic


def test_write_atomic_replaces_the_file_and_leaves_no_temporary(tmp_path):
    path = tmp_path / "a.json"
    path.write_text("old", encoding="utf-8")
    write_atomic(path, b"new")
    assert path.read_text(encoding="utf-8") == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.json"]


def test_a_failed_write_keeps_the_old_file_and_removes_the_temporary(tmp_path):
    path = tmp_path / "a.parquet"
    path.write_bytes(b"old")
    with pytest.raises(RuntimeError), staged_path(path) as tmp:
        tmp.write_bytes(b"half")
        raise RuntimeError("the writer died")
    assert path.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.parquet"]


def test_write_all_replaces_an_older_set_whole(tmp_path):
    (tmp_path / "fold7.spacy").write_bytes(b"stale")
    (tmp_path / "notes.txt").write_bytes(b"kept")
    write_all(tmp_path, {"fold0.spacy": b"0", "folds.json": b"{}"}, replaces=("fold*.spacy", "folds.json"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fold0.spacy", "folds.json", "notes.txt"]


def test_staged_files_appear_only_when_all_is_written(tmp_path):
    out = tmp_path / "new" / "predictions"
    with pytest.raises(ValueError), StagedFiles(out, ["texts.txt", "entities.txt"]) as files:
        files[0].write("SPSS 22\n")
        raise ValueError("bad line")
    assert not (tmp_path / "new").exists()  # the folders it created are gone too
    with StagedFiles(out, ["texts.txt", "entities.txt"]) as files:
        files[0].write("SPSS 22\n")
        files[1].write("B-Application B-Version\n")
    assert sorted(p.name for p in out.iterdir()) == ["entities.txt", "texts.txt"]
