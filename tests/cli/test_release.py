"""The release commands' user errors are one line: `release` without its inputs, `publish`
of a folder that is no release build, `download` of a table that is not one."""

from tests.cli.test_errors import one_line_error


def test_release_without_the_converted_corpus_is_one_line(tmp_path):
    line = one_line_error(["release", "configs/fast.cfg", "--corpus", tmp_path / "corpus", "--texts", tmp_path / "t.txt", "--training.max_steps", "2"])
    assert line == f"✘ not found: {tmp_path / 'corpus' / 'fold0.spacy'}, {tmp_path / 't.txt'} (run `spacy project run convert` first)"


def test_publish_of_no_release_build_is_one_line(tmp_path):
    line = one_line_error(["publish", tmp_path, "--tag", "v0.2.0", "--dry-run"])
    assert line == f"✘ {tmp_path / 'SHA256SUMS'}: missing; build the release first (`spacy project run release`)"


def test_download_of_a_table_that_is_not_one_is_one_line(tmp_path):
    table = tmp_path / "table.json"
    table.write_text('{"releases": []}')
    assert one_line_error(["download", "--url", table.as_uri()]) == f"✘ {table.as_uri()}: not a compatibility table (no list of pipelines)"
    table.write_text("not json")
    assert one_line_error(["download", "--url", table.as_uri()]).startswith(f"✘ {table.as_uri()}: not a compatibility table (Expecting value")
    assert one_line_error(["download", "--url", (tmp_path / "none.json").as_uri()]).startswith(f"✘ cannot reach {(tmp_path / 'none.json').as_uri()} (")
