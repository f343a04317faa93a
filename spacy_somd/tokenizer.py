"""Tokenizers that split text the way the SOMD corpus does."""
from pathlib import Path
from typing import Any, Callable, Iterable

from spacy.tokens import Doc
from spacy.util import registry
from spacy.vocab import Vocab


class CorpusTokenizer:
    """Split on single spaces, as the corpus files are written: a corpus line becomes
    exactly its file tokens."""

    def __init__(self, vocab: Vocab) -> None:
        self.vocab = vocab

    def __call__(self, text: str) -> Doc:
        words = text.split(" ") if text else []
        words = [w for w in words if w]
        return Doc(self.vocab, words=words, spaces=[True] * max(len(words) - 1, 0) + [False] * bool(words))

    def pipe(self, texts: Iterable[str], batch_size: int = 1000) -> Iterable[Doc]:
        return (self(text) for text in texts)

    def to_bytes(self, **kwargs: Any) -> bytes:
        return b""

    def from_bytes(self, data: bytes, **kwargs: Any) -> "CorpusTokenizer":
        return self

    def to_disk(self, path: Path, **kwargs: Any) -> None:
        Path(path).mkdir(parents=True, exist_ok=True)

    def from_disk(self, path: Path, **kwargs: Any) -> "CorpusTokenizer":
        return self


@registry.tokenizers("spacy_somd.CorpusTokenizer.v1")
def create_corpus_tokenizer() -> Callable[[Any], CorpusTokenizer]:
    def make(nlp: Any) -> CorpusTokenizer:
        return CorpusTokenizer(nlp.vocab)

    return make
