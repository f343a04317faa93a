"""The per-batch function of both engines: a callable class that loads the pipeline once
(per process, or per Ray actor) and turns input records into output records.

A text goes through the pipeline's own tokenizer and sentence boundaries; each sentence is
then annotated as a doc of its own, as the pipeline was trained (on corpus sentences), so
its entities, relations and categories are the sentence's. A text longer than the
pipeline's ``max_length`` is cut into pieces at sentence-like boundaries first, and a
sentence longer than ``MAX_SENTENCE_TOKENS`` tokens (text without sentence punctuation) is
annotated in consecutive parts of at most that many tokens, never dropped; the offsets still
point into the whole text. The sentences go through the pipeline in batches of at most
``batch_size`` sentences and at most ``batch_tokens`` tokens (a sentence longer than the
budget alone), so that a batch holds a bounded number of tokens and of entity pairs,
whatever the input: many long sentences are never held at once.

Memory does not grow with the input: the records go through the pipeline in blocks whose
strings live in a spaCy memory zone, freed after the block together with the heap memory
the block's batches left behind."""

import json
import re
from collections import deque
from pathlib import Path
from typing import Any, Deque, Dict, Iterable, Iterator, List, NamedTuple, Tuple

import spacy
from spacy.language import Language
from spacy.tokens import Doc, Span
from thinc.api import get_array_module

from spacy_somd.annotate.inputs import InputError, Partition, Record, records_of
from spacy_somd.annotate.records import SentencePart, build_record
from spacy_somd.labels import ensure_extensions
from spacy_somd.memory import limit_heap_growth, zoned_blocks
from spacy_somd.transformer.quantization import load_config

# where a piece of an over-long text may end: after a sentence end and its white space, or
# after a line break; failing those, after any white space
SENTENCE_END = re.compile(r"[.!?]\s+|\n\s*")
WHITE_SPACE = re.compile(r"\s+")
SENTENCE_START = "token.is_sent_start"
ZONE_RECORDS = 100  # input records whose strings share one memory zone
# the longest sentence annotated as one doc, in tokens: longer ones (no sentence punctuation)
# are cut into parts, so that memory is bounded per batch (a corpus sentence has 10-60 tokens)
MAX_SENTENCE_TOKENS = 512
# the most tokens one batch of sentences holds: 64 corpus sentences (about 2,000 tokens) fit,
# 64 sentences of 512 tokens (32,768) do not
BATCH_TOKENS = 4096


class Annotated(NamedTuple):
    """An output record with what the summary counts: the input's position, its words
    (tokens that are not white space) and the pieces its text was cut into."""

    record: Dict[str, Any]
    position: str
    words: int
    pieces: int


def pieces(text: str, max_length: int) -> Iterator[Tuple[int, str]]:
    """``text`` in pieces of at most ``max_length`` characters with their offsets, cut at
    the last sentence end (or line break, or white space) of each window."""
    start = 0
    while len(text) - start > max_length:
        window = text[start : start + max_length]
        ends = [m.end() for m in SENTENCE_END.finditer(window) if m.end() < len(window)]
        ends = ends or [m.end() for m in WHITE_SPACE.finditer(window) if m.end() < len(window)]
        cut = ends[-1] if ends else max_length
        yield start, window[:cut]
        start += cut
    yield start, text[start:]


def bounded(sent: Span, limit: int = MAX_SENTENCE_TOKENS) -> Iterator[Span]:
    """``sent`` in consecutive parts of at most ``limit`` tokens, each cut after the last
    punctuation or white-space token of its window where it has one."""
    start, end = sent.start, sent.end
    while end - start > limit:
        window = sent.doc[start : start + limit]
        cuts = [t.i + 1 for t in window[:-1] if t.is_punct or t.is_space or t.whitespace_ == "\n"]
        cut = cuts[-1] if cuts else start + limit
        yield sent.doc[start:cut]
        start = cut
    yield sent.doc[start:end]


def token_batches(items: Iterable[Tuple[Doc, int]], budget: int, max_docs: int) -> Iterator[List[Tuple[Doc, int]]]:
    """``items`` (a doc and its number) in order, in batches of at most ``max_docs`` docs and
    at most ``budget`` tokens together; a doc of more than ``budget`` tokens is a batch alone."""
    batch: List[Tuple[Doc, int]] = []
    tokens = 0
    for item in items:
        size = len(item[0])
        if batch and (tokens + size > budget or len(batch) >= max_docs):
            yield batch
            batch, tokens = [], 0
        batch.append(item)
        tokens += size
    if batch:
        yield batch


def drop_hidden_states(doc: Doc) -> None:
    """Free what a doc holds for the components and no output needs, the transformer's
    outputs (``doc._.trf_data``) and the token vectors (``doc.tensor``), as soon as it is
    annotated: a record's sentences wait for its last one, and a long record has thousands."""
    if Doc.has_extension("trf_data"):
        doc._.trf_data = None
    doc.tensor = get_array_module(doc.tensor).zeros((0,), dtype="float32")  # on the device it was on


def load_model(model: str, int8: bool = False) -> Language:
    """A trained pipeline (its backbone int8 with ``int8``); one that cannot be loaded is
    an :class:`InputError` of one line naming it, as the other commands say it."""
    try:
        return spacy.load(model, config=load_config(int8))
    except (OSError, ValueError) as err:
        raise InputError(f"cannot load the pipeline {model!r}: {' '.join(str(err).split())}") from None


class Annotator:
    """Loads ``model`` (on GPU ``gpu_id`` unless it is -1; with its backbone int8 with
    ``int8``) and annotates records, in batches of at most ``batch_size`` sentences and
    ``batch_tokens`` tokens:
    ``__call__`` is Ray Data's ``map_batches`` function over batches of partitions,
    :meth:`annotate` the stream the local engine runs; both go through :meth:`annotate`."""

    def __init__(
        self, model: str, files: List[str], batch_size: int = 64, n_process: int = 1, gpu_id: int = -1, int8: bool = False, batch_tokens: int = BATCH_TOKENS
    ):
        if gpu_id >= 0:
            spacy.require_gpu(gpu_id)
        limit_heap_growth()
        ensure_extensions()
        self.nlp: Language = load_model(model, int8)
        self.files = [Path(f) for f in files]
        self.batch_size = batch_size
        self.batch_tokens = batch_tokens
        self.n_process = n_process
        self.boundaries = [n for n in self.nlp.pipe_names if SENTENCE_START in self.nlp.get_pipe_meta(n).assigns]
        self.max_sentence_tokens = MAX_SENTENCE_TOKENS

    def sentences(self, text: str) -> Tuple[List[SentencePart], int]:
        """A text's sentences as (not yet annotated) docs with their offsets, and the
        number of pieces the text was cut into."""
        parts: List[SentencePart] = []
        tokens = n_pieces = 0
        for offset, piece in pieces(text, self.nlp.max_length):
            doc = self.nlp.make_doc(piece)
            for name in self.boundaries:
                doc = self.nlp.get_pipe(name)(doc)
            sents = doc.sents if doc.has_annotation("SENT_START") else [doc[:]]
            for sent in (part for whole in sents for part in bounded(whole, self.max_sentence_tokens)):
                words = [token for token in sent if not token.is_space] or list(sent)
                start, end = offset + words[0].idx, offset + words[-1].idx + len(words[-1])
                parts.append(SentencePart(sent.as_doc(), offset + sent.start_char, tokens + sent.start, start, end))
            tokens += len(doc)
            n_pieces += 1
        return parts, n_pieces

    def annotate(self, records: Iterable[Record]) -> Iterator[Annotated]:
        """Output records for ``records``, in order, streaming: blocks of ``ZONE_RECORDS``
        records, each in a memory zone, through ``nlp.pipe`` (``n_process`` processes)."""
        for block in zoned_blocks(self.nlp, records, ZONE_RECORDS):
            yield from self.annotate_block(block)

    def annotate_block(self, records: List[Record]) -> Iterator[Annotated]:
        """Output records for ``records``, in order (``nlp.pipe`` over their sentences)."""
        waiting: Deque[Tuple[Record, List[SentencePart], int]] = deque()

        def sentence_docs() -> Iterator[Tuple[Any, int]]:
            for record in records:
                parts, n_pieces = self.sentences(record.text)
                waiting.append((record, parts, n_pieces))
                for number, part in enumerate(parts):
                    yield part.doc, number

        done: List[SentencePart] = []
        for doc, number in self.pipe(sentence_docs()):
            drop_hidden_states(doc)
            record, parts, n_pieces = waiting[0]
            done.append(parts[number]._replace(doc=doc))
            if len(done) == len(parts):
                waiting.popleft()
                words = sum(not t.is_space for part in done for t in part.doc)
                yield Annotated(build_record(record.id, done), record.position, words, n_pieces)
                done = []

    def pipe(self, items: Iterable[Tuple[Doc, int]]) -> Iterator[Tuple[Doc, int]]:
        """The sentence docs (with their numbers) annotated, in order: in one process, in
        the batches of :func:`token_batches`; in ``n_process`` processes (whose batches
        spaCy makes of a fixed number of docs), in batches of as many sentences as fit the
        token budget however long they are (``batch_tokens // max_sentence_tokens``, at
        least 1, at most ``batch_size``)."""
        if self.n_process > 1:
            size = max(1, min(self.batch_size, self.batch_tokens // self.max_sentence_tokens))
            yield from self.nlp.pipe(items, as_tuples=True, batch_size=size, n_process=self.n_process, disable=self.boundaries)
            return
        for batch in token_batches(items, self.batch_tokens, self.batch_size):
            yield from self.nlp.pipe(batch, as_tuples=True, batch_size=len(batch), disable=self.boundaries)

    def __call__(self, batch: Dict[str, Any]) -> Dict[str, List[Any]]:
        """Ray Data's batch function: partitions (``Partition.to_json``) in; a row per
        partition out, its output records with the summary's counts as one JSON list."""
        out: Dict[str, List[Any]] = {"partition": [], "annotated": []}
        for text in batch["partition"]:
            partition = Partition.from_json(str(text))
            items = self.annotate(records_of(self.files, partition))
            out["partition"].append(partition.number)
            out["annotated"].append(json.dumps([list(item) for item in items]))
        return out
