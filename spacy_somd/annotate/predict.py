"""Streaming prediction into the SOMD corpus format: input read lazily, docs annotated in
batches and written line by line, all three files or none.

Memory does not grow with the number of input lines: sentences are read one at a time,
every doc is written and dropped as soon as the pipeline yields it, and the strings of
each block of lines live in a spaCy memory zone that is freed after the block, when the
freed heap memory is also given back to the system."""

from pathlib import Path
from typing import IO, Iterable, Iterator, List, NamedTuple, Sequence

from spacy.language import Language
from spacy.tokens import Doc, DocBin
from spacy.vocab import Vocab

from spacy_somd.corpus.docs import doc_to_lines, sentence_to_doc
from spacy_somd.corpus.format import Sentence, SomdFormatError, decode_line, split_fields
from spacy_somd.labels import RELATIONS_ATTR
from spacy_somd.memory import zoned_blocks

OUTPUT_NAMES = ("texts.txt", "entities.txt", "relations.txt")
ZONE_LINES = 500  # input lines whose strings share one memory zone


def read_texts(path: Path) -> Iterator[Sentence]:
    """The sentences of a texts file in the corpus format (tokens separated by single
    spaces), one line at a time, checked as the corpus reader's strict mode checks them
    (a last line without a newline is read as it is); a bad line raises
    :class:`SomdFormatError`."""
    with open(path, "rb") as lines:
        for number, raw in enumerate(lines, start=1):
            cr_only = not raw.endswith(b"\n") and b"\r" in raw  # a last line, or a file of CR-only line ends
            text = decode_line(path, number, raw.removesuffix(b"\n"), False, None, cr_only)
            yield Sentence(number, split_fields(path, number, text, "token", None))


def doc_words(path: Path, number: int, doc: Doc) -> List[str]:
    """A DocBin doc's tokens as SOMD tokens: whitespace-only tokens (spaCy's tokenizer
    makes them of newlines and runs of spaces) are left out, as they hold no text and a
    newline would break the line; a token with whitespace inside text is an error."""
    words = []
    for token in doc:
        if token.text.isspace():
            continue
        if any(char.isspace() for char in token.text):
            raise SomdFormatError(path, number, f"token {token.i} {token.text!r} holds whitespace: SOMD tokens cannot")
        words.append(token.text)
    return words


def read_docbin(path: Path) -> Iterator[Sentence]:
    """The sentences of a DocBin's docs (their tokens only; doc ``n`` is line ``n``)."""
    try:
        docbin = DocBin().from_disk(path)
    except ValueError:
        raise SomdFormatError(path, 1, "not a DocBin (.spacy) file") from None
    for number, doc in enumerate(docbin.get_docs(Vocab()), start=1):
        yield Sentence(number, doc_words(path, number, doc))


def read_input(path: Path) -> Iterator[Sentence]:
    """The sentences of a texts file or (``.spacy``) DocBin, read lazily; a missing file
    fails at once."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: file not found")
    return read_docbin(path) if path.suffix == ".spacy" else read_texts(path)


class PredictedLines(NamedTuple):
    lines: int
    relations: int


def predict_lines(nlp: Language, sentences: Iterable[Sentence], files: Sequence[IO[str]], batch_size: int) -> PredictedLines:
    """Annotate the sentences in batches and write each doc's texts, entities and
    relations lines to ``files`` as soon as it is done."""
    lines = relations = 0
    for block in zoned_blocks(nlp, sentences, ZONE_LINES):
        docs = (sentence_to_doc(nlp.vocab, sentence) for sentence in block)
        for doc in nlp.pipe(docs, batch_size=batch_size):
            for file, line in zip(files, doc_to_lines(doc)):
                file.write(line + "\n")
            lines += 1
            relations += len(doc._.get(RELATIONS_ATTR) or [])
    return PredictedLines(lines, relations)
