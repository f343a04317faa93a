"""The transformer run on groups of windows of similar length, not on one padded batch.

spacy-transformers pads every window of a batch to the batch's longest window in word
pieces. spaCy batches by tokens, and tokens differ in pieces (a URL or a DOI is a dozen),
so one dense window can pad a whole batch: in training with fold 2 held out the windows of
a batch are padded to 1.9 times their pieces on average, and the worst batch (38 sentences
padded to 226 pieces, 1,410 real ones) needs 14 times the attention memory of the median
batch, the spikes of about 2 GB that set training's peak. Run on groups of windows sorted
by length, each padded only to its own longest window, the backbone computes the same
outputs for the real pieces with a fraction of the padding; the outputs are put back
together in the batch's order and padding, so nothing downstream changes."""

from typing import Any, Callable, List, Sequence, Tuple

from spacy_transformers.data_classes import WordpieceBatch
from thinc.api import Model, get_array_module
from transformers.file_utils import ModelOutput

Forward = Callable[[Model, WordpieceBatch, bool], Tuple[ModelOutput, Callable]]
# the backbone outputs the groups can be put back together from: (rows, pieces, width)
# tensors (hidden_states: a tuple of them) and (rows, width) tensors
MERGED_OUTPUTS = ("last_hidden_state", "hidden_states", "pooler_output")


def length_groups(lengths: Sequence[int], max_padded_pieces: int) -> List[List[int]]:
    """The row indices of the windows in groups: sorted by length, each group as many
    windows as fit in ``max_padded_pieces`` once padded to its longest (a longer window is a
    group alone)."""
    groups: List[List[int]] = []
    for row in sorted(range(len(lengths)), key=lengths.__getitem__):
        if not groups or (len(groups[-1]) + 1) * lengths[row] > max_padded_pieces:
            groups.append([])
        groups[-1].append(row)
    return groups


def right_padded(wordpieces: WordpieceBatch) -> bool:
    """Whether every window's pieces come first and its padding after them."""
    mask = wordpieces.attention_mask
    xp = get_array_module(mask)
    return bool(((mask != 0) == (xp.arange(mask.shape[1]) < xp.asarray(wordpieces.lengths)[:, None])).all())


def sub_batch(wordpieces: WordpieceBatch, rows: List[int]) -> WordpieceBatch:
    """The windows ``rows`` of a batch, padded to the longest of them."""
    width = max(wordpieces.lengths[row] for row in rows)
    types = wordpieces.token_type_ids
    return WordpieceBatch(
        strings=[wordpieces.strings[row] for row in rows],
        input_ids=wordpieces.input_ids[rows, :width],
        attention_mask=wordpieces.attention_mask[rows, :width],
        lengths=[wordpieces.lengths[row] for row in rows],
        token_type_ids=None if types is None else types[rows, :width],
    )


def merge_outputs(outputs: List[ModelOutput], groups: List[List[int]], n_rows: int, width: int) -> ModelOutput:
    """The groups' outputs as one output of ``n_rows`` windows padded to ``width`` pieces,
    in the batch's row order (padding positions are zeros); detached from the groups'
    autograd graphs, each of which its own backprop runs."""
    merged = {}
    for key, first in outputs[0].items():
        if key not in MERGED_OUTPUTS:
            raise ValueError(f"length-grouped transformer: cannot put the output {key!r} of the groups back together")
        if isinstance(first, tuple):
            layers = zip(*(output[key] for output in outputs))
            merged[key] = tuple(merge_rows(list(parts), groups, n_rows, width) for parts in layers)
        else:
            merged[key] = merge_rows([output[key] for output in outputs], groups, n_rows, width)
    return type(outputs[0])(**merged)


def merge_rows(parts: List[Any], groups: List[List[int]], n_rows: int, width: int) -> Any:
    """Per-group (rows, pieces, ...) tensors as one (n_rows, width, ...) tensor, or per-group
    (rows, width) tensors as one (n_rows, width) tensor."""
    first = parts[0]
    sequences = first.dim() > 2
    full = first.new_zeros((n_rows, width, *first.shape[2:]) if sequences else (n_rows, *first.shape[1:]))
    for rows, part in zip(groups, parts):
        if sequences:
            full[rows, : part.shape[1]] = part.detach()
        else:
            full[rows] = part.detach()
    return full


def grouped(forward: Forward, max_padded_pieces: int) -> Forward:
    """``forward`` (the backbone layer's, from word pieces to its output) run on the
    length groups of the windows when there is more than one; else as it is."""

    def grouped_forward(model: Model, wordpieces: WordpieceBatch, is_train: bool) -> Tuple[ModelOutput, Callable]:
        groups = length_groups(wordpieces.lengths, max_padded_pieces)
        if len(groups) < 2 or not right_padded(wordpieces):
            return forward(model, wordpieces, is_train)
        results = [forward(model, sub_batch(wordpieces, rows), is_train) for rows in groups]
        width = wordpieces.input_ids.shape[1]
        output = merge_outputs([result[0] for result in results], groups, len(wordpieces), width)

        def backprop(d_output: ModelOutput) -> List:
            for rows, (group_output, group_backprop) in zip(groups, results):
                group_width = group_output["last_hidden_state"].shape[1]
                d_group = ModelOutput()
                for key, value in d_output.items():  # gradients of last_hidden_state: (rows, pieces, width)
                    d_group[key] = value[rows, :group_width]
                group_backprop(d_group)
            return []

        return output, backprop

    return grouped_forward
