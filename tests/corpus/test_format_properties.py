"""Property: for random valid corpora, reading the three files (strict and lenient) and
writing every sentence back through a Doc reproduces the files byte for byte."""

import tempfile
from pathlib import Path
from typing import List, Tuple

import spacy
from hypothesis import given, settings
from hypothesis import strategies as st

from spacy_somd.corpus.docs import doc_to_lines, sentence_to_doc
from spacy_somd.corpus.format import FILE_NAMES, read_corpus_dir
from spacy_somd.labels import ENTITY_TYPES, RELATION_TYPES

VOCAB = spacy.blank("en").vocab
# any character but white space, surrogates and the byte-order mark
TOKEN = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\ufeff").filter(lambda c: not c.isspace()), min_size=1, max_size=6)


@st.composite
def sentences(draw) -> Tuple[str, str, str]:
    """A valid (texts, entities, relations) line triple."""
    words = draw(st.lists(TOKEN, max_size=12))
    labels: List[str] = []
    for _ in words:
        inside = bool(labels) and labels[-1] != "O"
        choice = draw(st.sampled_from(["O", "B", "I"] if inside else ["O", "B"]))
        if choice == "B":
            labels.append(f"B-{draw(st.sampled_from(ENTITY_TYPES))}")
        else:
            labels.append("O" if choice == "O" else f"I-{labels[-1][2:]}")
    starts = [i for i, label in enumerate(labels) if label.startswith("B-")]
    pairs = [(h, t) for h in starts for t in starts if h != t]
    chosen = draw(st.lists(st.sampled_from(pairs), unique=True, max_size=6)) if pairs else []
    items = [f"{draw(st.sampled_from(RELATION_TYPES))}\t{h}\t{t}" for h, t in chosen]
    return " ".join(words), " ".join(labels), "; ".join(items)


def file_bytes(lines: List[str]) -> bytes:
    return "".join(f"{line}\n" for line in lines).encode("utf-8")


@settings(max_examples=50, deadline=None)
@given(st.lists(sentences(), min_size=1, max_size=8), st.booleans())
def test_read_then_write_reproduces_the_files(rows, lenient):
    files = {key: file_bytes([row[column] for row in rows]) for column, key in enumerate(FILE_NAMES)}
    with tempfile.TemporaryDirectory() as tmp:
        for key, data in files.items():
            (Path(tmp) / FILE_NAMES[key]).write_bytes(data)
        result = read_corpus_dir(Path(tmp), lenient=lenient)
    assert result.notes == [] and result.read == result.kept == len(rows)
    written = [doc_to_lines(sentence_to_doc(VOCAB, sentence)) for sentence in result.sentences]
    assert {key: file_bytes([line[column] for line in written]) for column, key in enumerate(FILE_NAMES)} == files
