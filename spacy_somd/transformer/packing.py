"""Short windows packed side by side into shared sequences for prediction.

Most SOMD windows are single sentences of 10-60 word pieces. However they are grouped,
windows of different lengths padded to a common width leave padding that the backbone
computes like real pieces (15% of the pieces on ``test_texts.txt`` with the length groups
of ``length_groups``). Packed several to a sequence of at most ``max_packed_pieces``
pieces, each window attending only to itself (a block-diagonal attention mask) and
counting its positions from 0, a window gets the outputs it gets alone, up to float
rounding, with almost no padding. The attention over a packed sequence grows with its
square, hence a short budget (128 pieces). BERT backbones; prediction only: training runs the windows as
they are (``length_groups``)."""

import bisect
from typing import Any, Callable, Dict, List, Sequence, Tuple

import numpy
import torch
from spacy_transformers.data_classes import WordpieceBatch
from thinc.api import ArgsKwargs, Model, get_array_module, xp2torch
from transformers.file_utils import ModelOutput

from spacy_somd.transformer.length_groups import Forward, length_groups, right_padded

# backbones that take each piece's position (``position_ids``: a packed window's count
# from 0 as when alone) and a (rows, pieces, pieces) attention mask: BERT, MiniLM included
# (DeBERTa-v2/v3's embeddings take only a (rows, pieces) mask)
PACKABLE_MODEL_TYPES = ("bert",)


def pack(lengths: Sequence[int], max_pieces: int) -> List[List[int]]:
    """The windows (row indices) in bins of at most ``max_pieces`` pieces together: best
    fit, longest window first; a window longer than ``max_pieces`` is a bin alone."""
    bins: List[List[int]] = []
    free: List[Tuple[int, int]] = []  # (room left, bin), sorted
    for row in sorted(range(len(lengths)), key=lambda row: -lengths[row]):
        size = lengths[row]
        at = bisect.bisect_left(free, (size, -1))
        if at < len(free):
            room, index = free.pop(at)
            bins[index].append(row)
            bisect.insort(free, (room - size, index))
        else:
            bins.append([row])
            bisect.insort(free, (max_pieces - size, len(bins) - 1))
    return bins


class Placement:
    """Where the real pieces of a group of bins go: flat index arrays of each piece's
    (row, column) in the packed sequences and in the batch, and each packed piece's
    window (1-based; 0 for padding) and position within its window."""

    def __init__(self, bins: List[List[int]], lengths: Sequence[int]) -> None:
        sizes = [[lengths[row] for row in rows] for rows in bins]
        self.width = max(sum(row_sizes) for row_sizes in sizes)
        window_rows = [row for rows in bins for row in rows]
        window_sizes = numpy.array([size for row_sizes in sizes for size in row_sizes], dtype="int64")
        window_bins = numpy.repeat(numpy.arange(len(bins)), [len(rows) for rows in bins])
        window_starts = numpy.concatenate([numpy.cumsum([0, *row_sizes[:-1]]) for row_sizes in sizes]).astype("int64")
        positions = numpy.arange(window_sizes.sum()) - numpy.repeat(numpy.cumsum(window_sizes) - window_sizes, window_sizes)
        self.packed_rows = numpy.repeat(window_bins, window_sizes)
        self.packed_cols = numpy.repeat(window_starts, window_sizes) + positions
        self.batch_rows = numpy.repeat(numpy.array(window_rows, dtype="int64"), window_sizes)
        self.batch_cols = positions
        self.windows = numpy.zeros((len(bins), self.width), dtype="int64")
        self.windows[self.packed_rows, self.packed_cols] = numpy.repeat(numpy.arange(1, len(window_rows) + 1), window_sizes)
        self.positions = numpy.zeros((len(bins), self.width), dtype="int64")
        self.positions[self.packed_rows, self.packed_cols] = positions


def packed_inputs(wordpieces: WordpieceBatch, place: Placement, device: Any) -> ArgsKwargs:
    """The backbone's keyword arguments for the packed sequences of one group."""
    xp = get_array_module(wordpieces.input_ids)
    src = (xp.asarray(place.batch_rows), xp.asarray(place.batch_cols))
    dst = (xp.asarray(place.packed_rows), xp.asarray(place.packed_cols))
    shape = place.windows.shape
    input_ids = xp.zeros(shape, dtype=wordpieces.input_ids.dtype)
    input_ids[dst] = wordpieces.input_ids[src]
    windows = xp.asarray(place.windows)
    mask = (windows[:, :, None] == windows[:, None, :]) & (windows[:, None, :] > 0)
    kwargs: Dict[str, Any] = {
        "input_ids": xp2torch(input_ids, device=device),
        "attention_mask": xp2torch(mask.astype(wordpieces.attention_mask.dtype), device=device),
        "position_ids": xp2torch(xp.asarray(place.positions), device=device),
    }
    if wordpieces.token_type_ids is not None:
        types = xp.zeros(shape, dtype=wordpieces.token_type_ids.dtype)
        types[dst] = wordpieces.token_type_ids[src]
        kwargs["token_type_ids"] = xp2torch(types, device=device)
    return ArgsKwargs(args=(), kwargs=kwargs)


def unpack(outputs: List[Any], places: List[Placement], n_rows: int, width: int) -> Any:
    """The packed groups' (rows, pieces, ...) outputs as one (n_rows, width, ...) tensor in
    the batch's rows (padding positions are zeros)."""
    first = outputs[0]
    full = first.new_zeros((n_rows, width, *first.shape[2:]))
    for output, place in zip(outputs, places):
        batch = [torch.as_tensor(index, device=full.device) for index in (place.batch_rows, place.batch_cols)]
        packed = [torch.as_tensor(index, device=full.device) for index in (place.packed_rows, place.packed_cols)]
        full[batch[0], batch[1]] = output[packed[0], packed[1]]
    return full


def check_packable(module: Any) -> None:
    """Refuse a backbone whose positions or attention masks packing would get wrong."""
    model_type = getattr(getattr(module, "config", None), "model_type", None)
    if model_type not in PACKABLE_MODEL_TYPES:
        raise ValueError(
            f"max_packed_pieces: windows can be packed for the backbones {list(PACKABLE_MODEL_TYPES)} "
            f"(positions counted from 0 in each sequence), not {model_type!r}: set max_packed_pieces = 0"
        )


def packed(forward: Forward, max_packed_pieces: int, max_padded_pieces: int) -> Forward:
    """``forward`` (the backbone layer's) for training, and for prediction the windows
    packed into sequences of at most ``max_packed_pieces`` pieces, run in groups of at most
    ``max_padded_pieces`` padded pieces; when nothing packs, ``forward`` as it is."""

    def packed_forward(model: Model, wordpieces: WordpieceBatch, is_train: bool) -> Tuple[ModelOutput, Callable]:
        if is_train or not right_padded(wordpieces):
            return forward(model, wordpieces, is_train)
        lengths = [int(length) for length in wordpieces.lengths]
        bins = pack(lengths, max_packed_pieces)
        if len(bins) == len(lengths):
            return forward(model, wordpieces, is_train)
        shim = model.shims[0]
        module = shim._hfmodel.transformer  # type: ignore[attr-defined]  # HFShim
        check_packable(module)
        groups = length_groups([sum(lengths[row] for row in rows) for rows in bins], max_padded_pieces)
        places = [Placement([bins[index] for index in group], lengths) for group in groups]
        results = [shim(packed_inputs(wordpieces, place, module.device), False)[0] for place in places]
        return unpacked_output(module, results, places, len(lengths), wordpieces.input_ids.shape[1]), no_backprop

    return packed_forward


def unpacked_output(module: Any, results: List[ModelOutput], places: List[Placement], n_rows: int, width: int) -> ModelOutput:
    """The backbone's output for the batch's windows from the packed groups' outputs: the
    hidden states put back, the pooler (BERT's) run on each window's first piece."""
    merged = {}
    for key in results[0].keys():
        if key == "last_hidden_state":
            merged[key] = unpack([result[key] for result in results], places, n_rows, width)
        elif key == "hidden_states":
            layers = zip(*(result[key] for result in results))
            merged[key] = tuple(unpack(list(parts), places, n_rows, width) for parts in layers)
        elif key != "pooler_output":
            raise ValueError(f"max_packed_pieces: cannot put the output {key!r} of packed windows back together")
    if "pooler_output" in results[0]:
        with torch.no_grad():
            merged["pooler_output"] = module.pooler(merged["last_hidden_state"])
    return type(results[0])(**merged)


def no_backprop(d_output: ModelOutput) -> List:
    raise ValueError("max_packed_pieces: packed windows are for prediction only")
