"""The registered architectures of ``somd_textcat``: docs to one row of logits each (the
training-dynamics audit needs logits; the pipe applies the sigmoid)."""

from typing import List, Optional

from spacy.attrs import ORTH
from spacy.ml.extract_ngrams import extract_ngrams
from spacy.tokens import Doc
from spacy.util import registry
from thinc.api import Dropout, Linear, Model, SparseLinear_v2, chain, list2ragged, reduce_mean, with_cpu
from thinc.types import Floats2d


@registry.architectures("spacy_somd.SentenceLogits.v2")
def build_sentence_logits(tok2vec: Model[List[Doc], List[Floats2d]], nO: Optional[int] = None) -> Model[List[Doc], Floats2d]:
    """Per doc: the mean of its token vectors, dropout (at ``[training] dropout``, which
    spaCy sets on every update), then a linear layer of ``nO`` logits (inferred at
    initialization)."""
    output_layer = Linear(nO=nO)
    model = chain(tok2vec, list2ragged(), reduce_mean(), Dropout(0.0), output_layer)
    model.set_ref("tok2vec", tok2vec)
    model.set_ref("output_layer", output_layer)
    return model


@registry.architectures("spacy_somd.BagOfWordsLogits.v1")
def build_bag_of_words_logits(ngram_size: int = 1, length: int = 262144, nO: Optional[int] = None) -> Model[List[Doc], Floats2d]:
    """Logits from a sparse linear layer over hashed n-grams of ``ORTH`` (up to
    ``ngram_size``; ``length`` rounded up to a power of two): spaCy's bag-of-words
    classifier without its output activation."""
    if length < 1:
        raise ValueError(f"length must be at least 1, not {length}")
    output_layer = SparseLinear_v2(nO=nO, length=2 ** (length - 1).bit_length())
    inner = chain(extract_ngrams(ngram_size, attr=ORTH), output_layer)
    model = with_cpu(inner, inner.ops)
    model.set_ref("output_layer", output_layer)
    return model
