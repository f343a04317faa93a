"""Transformer windows that fit the model: no token is left without word pieces.

spacy-transformers cuts a doc into windows of spaCy tokens (``get_spans``) and truncates
every window at the tokenizer's ``model_max_length`` word pieces; the tokens past the cut
get no piece and so a zero vector. A window of 128 tokens dense with URLs or identifiers
easily holds more than 512 pieces. The architecture here is spacy-transformers'
``TransformerModel.v3`` whose span getter splits every window that the model's own
tokenizer turns into too many pieces, and whose backbone runs on groups of windows of
similar length (``length_groups``) and, in prediction, its short windows optionally packed
side by side (``packing``)."""

from typing import Any, Callable, Dict, List

from spacy.tokens import Doc, Span
from spacy.util import registry
from spacy_transformers.architectures import create_TransformerModel_v3
from thinc.api import Model

from spacy_somd.transformer.length_groups import grouped
from spacy_somd.transformer.packing import packed

GetSpans = Callable[[List[Doc]], List[List[Span]]]


def n_pieces(tokenizer: Any, spans: List[Span]) -> List[int]:
    """The number of word pieces, special tokens included, of each span's text."""
    if not spans:
        return []
    encoded = tokenizer([span.text for span in spans], add_special_tokens=True, verbose=False)
    return [len(ids) for ids in encoded["input_ids"]]


def fit_window(tokenizer: Any, span: Span, pieces: int, max_pieces: int) -> List[Span]:
    """``span`` as consecutive parts of at most ``max_pieces`` pieces each: halved until
    each part fits. A single token is never split (the model truncates its own pieces,
    and keeps its first ones)."""
    if pieces <= max_pieces or len(span) == 1:
        return [span]
    middle = span.start + len(span) // 2
    halves = [span.doc[span.start : middle], span.doc[middle : span.end]]
    counts = n_pieces(tokenizer, halves)
    return [part for half, count in zip(halves, counts) for part in fit_window(tokenizer, half, count, max_pieces)]


class PieceBoundedSpans:
    """A span getter that splits the windows of ``get_spans`` holding more word pieces than
    the transformer of ``model`` takes (``model_max_length`` of its tokenizer)."""

    def __init__(self, get_spans: GetSpans, model: Model) -> None:
        self.get_spans = get_spans
        self.model = model

    def __call__(self, docs: List[Doc]) -> List[List[Span]]:
        tokenizer = self.model.tokenizer  # type: ignore[attr-defined]  # TransformerModel
        nested = self.get_spans(docs)
        counts = iter(n_pieces(tokenizer, [span for spans in nested for span in spans]))
        max_pieces = tokenizer.model_max_length
        return [[part for span in spans for part in fit_window(tokenizer, span, next(counts), max_pieces)] for spans in nested]


@registry.architectures("spacy_somd.PieceBoundedTransformer.v2")
def build_piece_bounded_transformer(
    name: str,
    get_spans: GetSpans,
    tokenizer_config: Dict[str, Any] = {},  # noqa: B006  (TransformerModel.v3's signature)
    transformer_config: Dict[str, Any] = {},  # noqa: B006
    mixed_precision: bool = False,
    grad_scaler_config: Dict[str, Any] = {},  # noqa: B006
    max_padded_pieces: int = 1024,
    max_packed_pieces: int = 0,
    frozen_layers: int = 0,
    frozen_embeddings: bool = False,
    layer_decay: float = 1.0,
) -> Model:
    """spacy-transformers' ``TransformerModel.v3`` (same settings) whose windows never
    hold more word pieces than the model takes: a window of ``get_spans`` that does is
    split into consecutive parts that fit, so every token gets word pieces. The backbone
    runs on the windows of a batch sorted by length in groups of at most
    ``max_padded_pieces`` word pieces once padded (the same outputs, less padding). With
    ``max_packed_pieces`` > 0, prediction packs short windows side by side into sequences
    of at most that many pieces (the same outputs, almost no padding; BERT backbones).

    ``frozen_layers``, ``frozen_embeddings`` and ``layer_decay`` are accepted only at their
    defaults, so that pipelines saved by 0.1.0, whose configs list them, keep loading: the
    settings were removed in 0.2.0 (none of them helped; see CHANGELOG.md)."""
    if max_padded_pieces < 1:
        raise ValueError(f"spacy_somd.PieceBoundedTransformer: max_padded_pieces must be positive, not {max_padded_pieces}")
    if max_packed_pieces < 0:
        raise ValueError(f"spacy_somd.PieceBoundedTransformer: max_packed_pieces must be 0 (off) or more, not {max_packed_pieces}")
    if (frozen_layers, frozen_embeddings, layer_decay) != (0, False, 1.0):
        raise ValueError(
            "spacy_somd.PieceBoundedTransformer: frozen_layers, frozen_embeddings and layer_decay were removed in 0.2.0 "
            f"(leave them out; got {frozen_layers}, {frozen_embeddings}, {layer_decay})"
        )
    model = create_TransformerModel_v3(name, get_spans, tokenizer_config, transformer_config, mixed_precision, grad_scaler_config)
    model.attrs["get_spans"] = PieceBoundedSpans(get_spans, model)
    backbone = model.layers[0]
    backbone._func = grouped(backbone._func, max_padded_pieces)
    if max_packed_pieces:
        backbone._func = packed(backbone._func, max_packed_pieces, max_padded_pieces)
    return model
