"""`predict` streams: one output line per input line, in order, always; the output folder
is checked before the model is loaded; all three files or none."""

import io
import resource
import signal
import subprocess
import sys
from pathlib import Path
from typing import Iterator, List

import pytest
import spacy
from spacy.tokens import Doc, DocBin
from typer.testing import CliRunner

from spacy_somd.annotate.predict import ZONE_LINES, predict_lines, read_input
from spacy_somd.cli import app
from spacy_somd.corpus.format import Sentence, SomdFormatError, read_somd
from tests.builders import ENV

LINES = ["We used SPSS 22 .", "", "R 4.0.3 and Stata 15 .", "Nothing here"]


def predict(*args: str):
    return CliRunner().invoke(app, ["predict", *map(str, args)])


def output_lines(out: Path, name: str) -> List[str]:
    return (out / name).read_text(encoding="utf-8").split("\n")[:-1]


def test_predict_writes_one_line_per_input_line_in_order(rule_pipeline, tmp_path):
    texts = tmp_path / "texts.txt"
    texts.write_text("".join(line + "\n" for line in LINES), encoding="utf-8")
    result = predict(rule_pipeline, texts, tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert output_lines(tmp_path / "out", "texts.txt") == LINES
    for name in ("entities.txt", "relations.txt"):
        assert len(output_lines(tmp_path / "out", name)) == len(LINES)
    sentences, _ = read_somd(*(tmp_path / "out" / n for n in ("texts.txt", "entities.txt", "relations.txt")))
    assert sentences[0].labels == ["B-Application", "O", "B-Application", "B-Version", "O"]
    assert sentences[0].relations and sentences[1].words == []
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["entities.txt", "relations.txt", "texts.txt"]


def test_whitespace_tokens_of_a_docbin_are_left_out_and_lines_stay_aligned(rule_pipeline, tmp_path):
    nlp = spacy.blank("en")
    texts = ["We used SPSS\n22 .", "R  4.0.3 \n\n was used .", "\n"]
    docs = [nlp(text) for text in texts]
    assert any(token.is_space for doc in docs for token in doc)
    path = tmp_path / "docs.spacy"
    DocBin(docs=docs).to_disk(path)
    result = predict(rule_pipeline, path, tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert output_lines(tmp_path / "out", "texts.txt") == ["We used SPSS 22 .", "R 4.0.3 was used .", ""]
    labels = output_lines(tmp_path / "out", "entities.txt")
    assert [len(line.split()) for line in labels] == [5, 5, 0]


def test_a_docbin_token_with_whitespace_inside_is_an_error_naming_the_doc(rule_pipeline, tmp_path):
    vocab = spacy.blank("en").vocab
    docs = [Doc(vocab, words=["fine"]), Doc(vocab, words=["New\nYork", "is"])]
    DocBin(docs=docs).to_disk(tmp_path / "docs.spacy")
    result = predict(rule_pipeline, tmp_path / "docs.spacy", tmp_path / "out")
    assert result.exit_code == 1
    assert f"{tmp_path / 'docs.spacy'}, line 2: token 0 'New\\nYork' holds whitespace" in result.output
    assert "Traceback" not in result.output and not (tmp_path / "out").exists()


def test_an_output_folder_that_cannot_be_written_fails_before_the_model_is_loaded(tmp_path):
    texts = tmp_path / "texts.txt"
    texts.write_text("We used SPSS .\n", encoding="utf-8")
    (tmp_path / "a-file").write_text("", encoding="utf-8")
    result = predict(tmp_path / "no-such-model", texts, tmp_path / "a-file" / "out")
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [f"✘ {tmp_path / 'a-file' / 'out'}: cannot write the predictions there (Not a directory)"]


def test_a_bad_line_late_in_the_input_leaves_the_old_output_untouched(rule_pipeline, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "texts.txt").write_text("old\n", encoding="utf-8")
    texts = tmp_path / "texts.txt"
    texts.write_text("We used SPSS .\n" * 50 + "bad  line\n", encoding="utf-8")
    result = predict(rule_pipeline, texts, out)
    assert result.exit_code == 1 and f"{texts}, line 51" in result.output
    assert sorted(p.name for p in out.iterdir()) == ["texts.txt"]
    assert (out / "texts.txt").read_text(encoding="utf-8") == "old\n"


def test_input_is_read_lazily_and_written_as_it_goes(rule_pipeline):
    nlp = spacy.load(rule_pipeline)
    read: List[int] = []

    def sentences() -> Iterator[Sentence]:
        for number in range(1, 3 * ZONE_LINES + 1):
            read.append(number)
            yield Sentence(number, ["We", "used", "SPSS", str(number)])

    class Recorder(io.StringIO):
        def write(self, text: str) -> int:
            if not self.getvalue():
                self.read_when_first_written = len(read)
            return super().write(text)

    files = [Recorder() for _ in range(3)]
    counts = predict_lines(nlp, sentences(), files, batch_size=16)
    assert counts.lines == 3 * ZONE_LINES and counts.relations > 0
    assert files[0].read_when_first_written <= ZONE_LINES
    assert files[0].getvalue().splitlines()[-1] == f"We used SPSS {3 * ZONE_LINES}"


def test_read_input_checks_the_file_at_once_and_the_lines_as_it_reads(tmp_path):
    with pytest.raises(FileNotFoundError):
        read_input(tmp_path / "missing.txt")
    (tmp_path / "bad.spacy").write_bytes(b"not a docbin")
    with pytest.raises(SomdFormatError, match="not a DocBin"):
        list(read_input(tmp_path / "bad.spacy"))
    texts = tmp_path / "texts.txt"
    texts.write_bytes(b"fine line\nbad \xff byte\n")
    lines = read_input(texts)
    assert next(lines).words == ["fine", "line"]
    with pytest.raises(SomdFormatError, match="line 2: not valid UTF-8"):
        next(lines)


def small_files_only() -> None:
    """In the child: no file may grow past 4 KiB (a write past it fails with EFBIG, as on a
    full disk), and that is an error, not the signal that kills the process."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))


def test_a_failing_write_is_one_line_and_leaves_nothing_behind(rule_pipeline, tmp_path):
    texts = tmp_path / "texts.txt"
    texts.write_text("We used SPSS 22 .\n" * 2000, encoding="utf-8")  # 36 KB of texts.txt to write
    out = tmp_path / "new" / "out"
    command = [sys.executable, "-m", "spacy_somd", "predict", str(rule_pipeline), str(texts), str(out)]
    env = {**ENV, "PYTHONDONTWRITEBYTECODE": "1"}
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300, preexec_fn=small_files_only)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1] == f"✘ {out}: cannot write the predictions there (File too large)", result.stderr
    assert not (tmp_path / "new").exists()
    out.mkdir(parents=True)
    (out / "texts.txt").write_text("an older output\n", encoding="utf-8")
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300, preexec_fn=small_files_only)
    assert result.returncode == 1 and "(File too large)" in result.stderr
    assert [p.name for p in out.iterdir()] == ["texts.txt"] and (out / "texts.txt").read_text(encoding="utf-8") == "an older output\n"


def test_cr_only_line_ends_are_one_line_not_called_crlf(rule_pipeline, tmp_path):
    texts = tmp_path / "texts.txt"
    texts.write_bytes("".join(line + "\r" for line in LINES).encode("utf-8"))
    result = predict(rule_pipeline, texts, tmp_path / "out")
    assert result.exit_code == 1 and "Traceback" not in result.output
    line = result.stderr.strip().splitlines()[-1]  # after the progress bar's
    assert not (tmp_path / "out").exists()
    assert line.startswith(f"✘ {texts}, line 1: ") and "CR-only line ends" in line and "CRLF" not in line, line
